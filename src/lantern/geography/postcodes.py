"""Postcodes: normalise, look up the LSOA, and derive an NSPL-format lookup from Code-Point Open.

The open data here holds no ONS postcode → LSOA file (ONSPD / NSPL). ``build_nspl_from_codepoint``
derives one for the area it is given: each OS Code-Point Open postcode unit's grid reference is
placed in the LSOA 2011 and 2021 boundaries (point in polygon; the nearest LSOA for points just
outside the generalised boundaries). It is approximate: generalised boundaries move edges by
tens of metres, and postcodes created after the Code-Point release are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from lantern.errors import InputError
from lantern.sources.table import Codes, TableSpec

BRITISH_GRID = "EPSG:27700"
WGS84 = "EPSG:4326"
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
NSPL_COLUMNS = [
    "pcd", "pcds", "oseast1m", "osnrth1m", "lat", "long", "oscty", "oslaua", "lsoa11", "msoa11",
    "lsoa21", "msoa21", "pcd_quality", "lsoa11_method", "lsoa11_distance_m", "lsoa21_method",
    "lsoa21_distance_m",
]  # fmt: skip
VINTAGE_COLUMNS = {2011: "lsoa11", 2021: "lsoa21"}


def _compact(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    compact = re.sub(r"\s+", "", text).upper()
    if compact == "GIR0AA" or POSTCODE.match(compact):
        return compact
    return None


def normalise_postcode(text: object) -> str:
    """The ONS ``pcds`` form (outward code, one space, inward code), e.g. ``"cm11aa"`` → ``"CM1 1AA"``.

    Raises ``InputError`` for text that is not a UK postcode (without repeating the value).
    """
    compact = _compact(text)
    if compact is None:
        raise InputError("expected a UK postcode like CM1 1AA")
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_postcodes(series: pd.Series) -> pd.Series:
    """Vectorised ``normalise_postcode``: invalid postcodes become missing values instead of errors."""
    compact = series.astype("string").str.replace(r"\s+", "", regex=True).str.upper()
    valid = compact.str.fullmatch(POSTCODE.pattern[1:-1]).fillna(False).astype(bool) | (
        compact == "GIR0AA"
    )
    pcds = compact.str.slice(0, -3) + " " + compact.str.slice(-3)
    return pcds.where(valid, pd.NA)


def pcd7(pcds: pd.Series) -> pd.Series:
    """ONS 7-character ``pcd`` form: outward code left-aligned in 4 characters, then inward."""
    parts = pcds.str.split(" ", n=1, expand=True)
    return parts[0].str.pad(4, side="right") + parts[1]


@dataclass(frozen=True)
class PostcodeLookup:
    """Postcode → LSOA (2011 and 2021) from an ONSPD/NSPL-format CSV (``pcds``, ``lsoa11``, ``lsoa21``)."""

    table: pd.DataFrame  # indexed by the compact postcode (no space)
    derived: bool = False  # True for a lookup built from grid references, not the ONS directory

    @classmethod
    def from_file(cls, path: Path) -> PostcodeLookup:
        path = Path(path)
        if not path.exists():
            raise InputError("postcode lookup not found", file=path)
        header = pd.read_csv(path, nrows=0).columns
        derived = any(c in header for c in ("lsoa11_method", "lsoa21_method"))
        wanted = [
            c for c in ("pcds", "lsoa11", "msoa11", "lsoa21", "msoa21", "oslaua") if c in header
        ]
        if "pcds" not in wanted or not {"lsoa11", "lsoa21"} & set(wanted):
            raise InputError(
                "expected an ONSPD/NSPL-format header with pcds and lsoa11 and/or lsoa21",
                file=path,
                row=1,
            )
        table = pd.read_csv(path, usecols=wanted, dtype=str, keep_default_na=False, na_values=[""])
        invalid = normalise_postcodes(table["pcds"]).isna()
        if invalid.any():
            row = int(invalid.to_numpy().argmax()) + 2
            raise InputError(
                "expected a UK postcode like CM1 1AA", file=path, row=row, column="pcds"
            )
        return cls.from_table(table, derived=derived)

    @classmethod
    def from_table(cls, table: pd.DataFrame, *, derived: bool | None = None) -> PostcodeLookup:
        """From checked rows (``pcds`` and ``lsoa11``/``lsoa21`` columns as text)."""
        if derived is None:
            derived = any(c in table.columns for c in ("lsoa11_method", "lsoa21_method"))
        table = table.astype(object).where(table.notna(), None)
        keys = table["pcds"].str.replace(" ", "", regex=False).str.upper()
        return cls(table.set_index(keys), derived=derived)

    def __len__(self) -> int:
        return len(self.table)

    def _column(self, vintage: int) -> str:
        column = VINTAGE_COLUMNS.get(vintage)
        if column is None or column not in self.table.columns:
            raise InputError(f"this postcode lookup has no LSOA for vintage {vintage}")
        return column

    def lsoa_for(self, postcode: str, vintage: int = 2021) -> str | None:
        """The LSOA code of ``postcode`` (None when the postcode is valid but not in the lookup)."""
        key = normalise_postcode(postcode).replace(" ", "")
        column = self._column(vintage)
        if key not in self.table.index:
            return None
        value = self.table.at[key, column]
        return None if pd.isna(value) else str(value)

    def lsoas_for(self, postcodes: pd.Series, vintage: int = 2021) -> pd.Series:
        """Vectorised lookup; invalid or unknown postcodes give missing values."""
        keys = normalise_postcodes(postcodes).str.replace(" ", "", regex=False)
        return keys.map(self.table[self._column(vintage)]).astype("string")


POSTCODE_TEXT = r"(?i)[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}|GIR ?0AA"
NOT_EW = ("S", "N", "L", "M")  # Scotland, Northern Ireland, Channel Islands, Isle of Man


def postcode_spec(path: Path, data_dir: Path) -> TableSpec:
    """The checks for an ONSPD/NSPL-format lookup: one row per postcode, LSOA codes known."""
    from lantern.sources.reading import header_of

    header = header_of(path)
    codes = tuple(
        Codes(column, "lsoa", vintage, required=False, skip_prefixes=NOT_EW)
        for column, vintage in (("lsoa11", 2011), ("lsoa21", 2021))
    )
    extra = tuple(c for c in ("lsoa11_method", "lsoa21_method") if c in header)
    return TableSpec(
        "postcodes",
        str(Path(path).relative_to(data_dir)),
        codes=codes,
        text=("pcds", *extra),
        key=("pcds",),
        patterns=(("pcds", POSTCODE_TEXT, "a UK postcode like CM1 1AA"),),
        complete=False,
    )


def _assign_lsoa(points: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> pd.DataFrame:
    """``code, method, distance_m`` per point: containing LSOA, else the nearest within the set."""
    polys = boundaries[["area_code", "geometry"]].to_crs(BRITISH_GRID)
    inside = gpd.sjoin(points, polys, how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")]
    result = pd.DataFrame({"code": inside["area_code"], "method": "within", "distance_m": 0.0})
    outside = result["code"].isna()
    if outside.any():
        near = gpd.sjoin_nearest(
            points[outside.to_numpy()], polys, how="left", distance_col="distance"
        )
        near = near[~near.index.duplicated(keep="first")]
        result.loc[near.index, "code"] = near["area_code"]
        result.loc[near.index, "method"] = "nearest"
        result.loc[near.index, "distance_m"] = near["distance"].round(1)
    return result


def build_nspl_from_codepoint(
    codepoint_csv: Path,
    lsoa11_boundaries: Path,
    lsoa21_boundaries: Path,
    out_csv: Path,
    *,
    data_dir: Path | None = None,
) -> pd.DataFrame:
    """Derive an NSPL-format postcode → LSOA 2011/2021 lookup from Code-Point Open grid references.

    ``data_dir`` (holding ``lookups/``) adds ``msoa11`` and ``msoa21`` from the LSOAs. Writes
    ``out_csv`` and returns the table, one row per postcode with a grid reference.
    """
    from lantern.geography.boundaries import read_boundaries

    codepoint_csv = Path(codepoint_csv)
    needed = ["postcode", "positional_quality_indicator", "eastings", "northings"]
    raw = pd.read_csv(codepoint_csv, dtype=str, keep_default_na=False)
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(
            f"missing Code-Point Open column(s) {', '.join(missing)}", file=codepoint_csv, row=1
        )
    pcds = normalise_postcodes(raw["postcode"])
    if pcds.isna().any():
        row = int(pcds.isna().to_numpy().argmax()) + 2
        raise InputError("expected a UK postcode", file=codepoint_csv, row=row, column="postcode")
    east = pd.to_numeric(raw["eastings"], errors="coerce")
    north = pd.to_numeric(raw["northings"], errors="coerce")
    located = (east > 0) & (north > 0)  # Code-Point gives 0, 0 for units without a grid reference
    frame = pd.DataFrame(
        {
            "pcds": pcds,
            "oseast1m": east,
            "osnrth1m": north,
            "oscty": raw.get("admin_county_code"),
            "oslaua": raw.get("admin_district_code"),
            "pcd_quality": raw["positional_quality_indicator"],
        }
    )[located.to_numpy()].reset_index(drop=True)
    points = gpd.GeoDataFrame(
        frame[["pcds"]],
        geometry=gpd.points_from_xy(frame["oseast1m"], frame["osnrth1m"]),
        crs=BRITISH_GRID,
    )
    lonlat = points.geometry.to_crs(WGS84)
    frame["lat"], frame["long"] = lonlat.y.round(6), lonlat.x.round(6)
    frame["pcd"] = pcd7(frame["pcds"])
    for vintage, path in ((2011, lsoa11_boundaries), (2021, lsoa21_boundaries)):
        found = _assign_lsoa(points, read_boundaries(path))
        prefix = VINTAGE_COLUMNS[vintage]
        frame[prefix] = found["code"].to_numpy()
        frame[f"{prefix}_method"] = found["method"].to_numpy()
        frame[f"{prefix}_distance_m"] = found["distance_m"].to_numpy()
    frame["msoa11"], frame["msoa21"] = pd.NA, pd.NA
    if data_dir is not None:
        from lantern.geography.hierarchy import load_chain

        for vintage in (2011, 2021):
            chain = load_chain(Path(data_dir), vintage)
            lsoa, msoa = f"lsoa{vintage % 100}_code", f"msoa{vintage % 100}_code"
            frame[f"msoa{vintage % 100}"] = frame[f"lsoa{vintage % 100}"].map(
                chain.set_index(lsoa)[msoa]
            )
    frame = frame[NSPL_COLUMNS].sort_values("pcds").reset_index(drop=True)
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out_csv, index=False, lineterminator="\n")
    return frame
