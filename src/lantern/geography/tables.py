"""The geography files (lookups, crosswalk, populations for its weights) as checked tables.

They go through the same reader as the sources (``lantern.sources.checked.read_table``): header,
encoding, truncation, code format and type, unique keys, value rules and the manifest. The lookups
define which codes exist, so instead of "unknown code" they are checked against each other:
every LSOA of the 2011 and 2021 chains must be in the crosswalk and the other way round, and every
district of the chains must have its county and region (``cross_check``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import shapely

from lantern.errors import InputError
from lantern.sources.checked import GapFound, Table, check_checksum, read_table
from lantern.sources.context import LoadContext
from lantern.sources.manifest import Manifest
from lantern.sources.rules import POSITIVE
from lantern.sources.table import Allowed, Codes, Gap, TableSpec

LOOKUP_2011 = "lookups/lsoa11_msoa11_lad21_utla21_region21_ew.csv"
LOOKUP_2021 = "lookups/lsoa21_msoa21_ward24_lad24_ew.csv"
LAD_UTLA = "lookups/lad21_utla21_ew.csv"
LAD_REGION = "lookups/lad21_region21_en.csv"
LOOKUP_CROSSWALK = "lookups/lsoa11_lsoa21_lad22_ew.csv"
POPULATION_2021 = "census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv"
POPULATION_2011 = "population/mid2020_lsoa11_5yr_bands_ew.csv"
GEOGRAPHY = "geography"

SPECS: dict[str, TableSpec] = {
    LOOKUP_2011: TableSpec(
        GEOGRAPHY,
        LOOKUP_2011,
        codes=(
            Codes("lsoa11_code", "lsoa", 2011),
            Codes("msoa11_code", "msoa", 2011),
            Codes("ltla21_code", "district"),
            Codes("ltla19_code", "district"),
            Codes("utla21_code", ""),
            Codes("region21_code", "region", required=False),
        ),
        text=("lsoa11_name", "msoa11_name", "ltla21_name", "utla21_name", "region21_name"),
        key=("lsoa11_code",),
        complete=False,
    ),
    LOOKUP_2021: TableSpec(
        GEOGRAPHY,
        LOOKUP_2021,
        codes=(
            Codes("lsoa21_code", "lsoa", 2021),
            Codes("msoa21_code", "msoa", 2021),
            Codes("ward24_code", "ward"),
            Codes("ltla24_code", "district"),
        ),
        text=("lsoa21_name", "msoa21_name", "ward24_name", "ltla24_name"),
        key=("lsoa21_code",),
        complete=False,
    ),
    LAD_UTLA: TableSpec(
        GEOGRAPHY,
        LAD_UTLA,
        codes=(Codes("ltla21_code", "district"), Codes("utla21_code", "")),
        text=("utla21_name",),
        key=("ltla21_code",),
        complete=False,
    ),
    LAD_REGION: TableSpec(
        GEOGRAPHY,
        LAD_REGION,
        codes=(Codes("ltla21_code", "district"), Codes("region21_code", "region")),
        text=("region21_name",),
        key=("ltla21_code",),
        complete=False,
    ),
    LOOKUP_CROSSWALK: TableSpec(
        GEOGRAPHY,
        LOOKUP_CROSSWALK,
        codes=(
            Codes("lsoa11_code", "lsoa", 2011),
            Codes("lsoa21_code", "lsoa", 2021),
            Codes("ltla22_code", "district"),
        ),
        text=("change_code",),
        key=("lsoa11_code", "lsoa21_code"),
        choices=(("change_code", ("U", "S", "M", "X")),),
        complete=False,
    ),
    POPULATION_2021: TableSpec(
        GEOGRAPHY,
        POPULATION_2021,
        codes=(Codes("lsoa21_code", "lsoa", 2021),),
        numbers=("total_usual_residents",),
        rules=(("total_usual_residents", POSITIVE),),
        filled=("total_usual_residents",),
        complete=False,
    ),
    POPULATION_2011: TableSpec(
        GEOGRAPHY,
        POPULATION_2011,
        codes=(Codes("lsoa11_code", "lsoa", 2011),),
        numbers=("total_population",),
        rules=(("total_population", POSITIVE),),
        filled=("total_population",),
        complete=False,
    ),
}


def lookup_context(data_dir: Path) -> LoadContext:
    """A context for reading the lookups themselves: the data folder and its manifest."""
    return LoadContext(Path(data_dir), manifest=Manifest.for_data_dir(Path(data_dir)))


def read_geography(
    data_dir: Path, relative: str, ctx: LoadContext | None = None, *, checksum: bool = True
) -> Table:
    """Read one geography file through the checked reader (``checksum=False``: the caller
    verifies it against the manifest after its cross-checks, with ``verify``)."""
    return read_table(SPECS[relative], ctx or lookup_context(data_dir), checksum=checksum)


def verify(tables: list[Table], ctx: LoadContext) -> None:
    """Each table's SHA-256 against the manifest (after the cross-checks between them)."""
    for table in tables:
        check_checksum(table, ctx.manifest)


def text_frame(table: Table, columns: list[str]) -> pd.DataFrame:
    """Selected columns as plain object text (codes and names), missing values as None."""
    out = table.frame[columns].astype(object)
    return out.where(out.notna(), None).reset_index(drop=True)


def _changed(table: Table, manifest: Manifest | None) -> bool:
    """True when the manifest lists the file with another checksum (so it is the damaged one)."""
    entry = manifest.get(table.spec.path) if manifest is not None else None
    return entry is not None and entry.sha256 != table.file.sha256


def cross_check(
    left: Table,
    left_column: str,
    right: Table,
    right_column: str,
    what: str,
    manifest: Manifest | None = None,
) -> None:
    """``left``'s codes must all be in ``right`` and the other way round; name the odd row(s).

    When both files have codes the other lacks, the one that differs from the manifest is named.
    """
    a = left.frame[left_column].dropna()
    b = right.frame[right_column].dropna()
    a_codes, b_codes = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    only_left = ~pd.Index(a_codes).isin(b_codes)
    only_right = ~pd.Index(b_codes).isin(a_codes)
    if not only_left.any() and not only_right.any():
        return
    both = only_left.any() and only_right.any()
    if both and _changed(right, manifest) and not _changed(left, manifest):
        left, right, left_column, right_column = right, left, right_column, left_column
        a, b, only_left, only_right = b, a, only_right, only_left
    if only_left.any():
        table, column, series, mask, other = left, left_column, a, only_left, right
    else:
        table, column, series, mask, other = right, right_column, b, only_right, left
    position = int(mask.argmax())
    code = series.iloc[position]
    message = f"{code} is not a {what} in {other.spec.path} (unknown code: the lookups disagree)"
    if only_left.any() and only_right.any():
        back = int(only_right.argmax())
        message += (
            f"; that file has {b.iloc[back]} (row {right.row(b.index[back])}) which this one "
            "lacks — one of the two files was changed"
        )
    raise InputError(
        message + "; expected lookups from the same ONS release",
        file=table.path,
        row=table.row(series.index[position]),
        column=column,
    )


def require_all(needed: pd.Series, table: Table, column: str, what: str, *, source: Table) -> None:
    """Every code in ``needed`` (from ``source``) must have a row in ``table``."""
    have = table.frame[column].dropna().to_numpy(dtype=object)
    missing = ~pd.Index(needed.to_numpy(dtype=object)).isin(have)
    if missing.any():
        position = int(missing.argmax())
        raise InputError(
            f"{needed.iloc[position]} (in {source.spec.path}, row "
            f"{source.row(needed.index[position])}) has no row; expected every {what} "
            "(incomplete file: was it cut short?)",
            file=table.path,
            row=table.row(table.frame.index[-1]) + 1,
            column=column,
        )


# Published boundaries known to be invalid polygons, excused from the validity rule.
INVALID_AS_PUBLISHED = Allowed(
    frozenset({("E01019828",)}),
    "ONS LSOA 2011 BSC boundary published with a self-intersecting ring (North East Derbyshire 008C)",
)


def _boundary(path: str, code: str, name: str, area_type: str, vintage: int | None) -> TableSpec:
    uk = "_uk_" in path
    return TableSpec(
        GEOGRAPHY,
        path,
        codes=(Codes(code, area_type, vintage, skip_prefixes=("S", "N") if uk else ()),),
        text=(name,),
        allowed=(INVALID_AS_PUBLISHED,) if (area_type, vintage) == ("lsoa", 2011) else (),
        complete=False,
        format="geojson",
    )


DISTRICTS_2023 = Gap(
    "December 2021 district boundaries: the unitaries created in April 2023 (Cumberland, "
    "Westmorland and Furness, North Yorkshire, Somerset) have none",
    codes=frozenset({"E06000063", "E06000064", "E06000065", "E06000066"}),
)
# Boundary files per (area type, vintage): the first present that covers every wanted area wins.
BOUNDARIES: dict[tuple[str, int], list[TableSpec]] = {
    ("lsoa", 2011): [
        _boundary("boundaries/lsoa11_essex_bsc.geojson", "LSOA11CD", "LSOA11NM", "lsoa", 2011),
        _boundary("boundaries/lsoa11_ew_bsc.geojson", "lsoa11_code", "lsoa11_name", "lsoa", 2011),
    ],
    ("lsoa", 2021): [
        _boundary(
            "boundaries/lsoa21_essex_bsc.geojson", "lsoa21_code", "lsoa21_name", "lsoa", 2021
        ),
        _boundary("boundaries/lsoa21_ew_bsc.geojson", "lsoa21_code", "lsoa21_name", "lsoa", 2021),
    ],
    ("msoa", 2011): [
        _boundary(
            "boundaries/msoa11_ew_simplified.geojson", "msoa11_code", "msoa11_name", "msoa", 2011
        ),
    ],
    ("msoa", 2021): [
        _boundary("boundaries/msoa21_ew_bsc.geojson", "msoa21_code", "msoa21_name", "msoa", 2021),
    ],
    ("district", 2011): [
        _boundary(
            "boundaries/lad21_uk_bsc.geojson", "ltla21_code", "ltla21_name", "district", None
        ),
    ],
    ("district", 2021): [
        _boundary(
            "boundaries/lad21_uk_bsc.geojson", "ltla21_code", "ltla21_name", "district", None
        ),
    ],
    ("county", 2011): [
        _boundary("boundaries/utla21_uk_bsc.geojson", "utla21_code", "utla21_name", "", None),
    ],
    ("county", 2021): [
        _boundary("boundaries/utla21_uk_bsc.geojson", "utla21_code", "utla21_name", "", None),
    ],
}


def boundary_rows(
    ctx: LoadContext, areas: dict[int, pd.DataFrame]
) -> Iterator[tuple[str, int, pd.DataFrame | None, list[GapFound]]]:
    """For each (area type, vintage): the wanted areas' boundaries (WKB) and declared gaps.

    Read through the checked reader; a wanted area without a feature is an error naming the file.
    """
    for (area_type, vintage), candidates in BOUNDARIES.items():
        table = areas[vintage]
        wanted = pd.Index(table.loc[table["area_type"] == area_type, "area_code"])
        chosen = first_covering(ctx, candidates, set(wanted)) if len(wanted) else None
        if chosen is None:
            yield area_type, vintage, None, []
            continue
        codes = chosen.areas[chosen.spec.codes[0].column]
        missing = wanted.difference(pd.Index(codes.dropna().unique()))
        declared = DISTRICTS_2023 if (area_type, vintage) == ("district", 2021) else None
        excused = missing.intersection(list(declared.codes)) if declared else missing[:0]
        missing = missing.difference(excused)
        if len(missing):
            raise InputError(
                f"{len(missing):,} of the {len(wanted):,} {area_type} {vintage} areas of the "
                f"area of interest have no boundary, e.g. {sorted(missing)[0]}; expected a "
                "feature for every area (incomplete file: was it cut short?)",
                file=chosen.path,
                row=len(chosen.frame) + 1,
                column=chosen.spec.codes[0].column,
            )
        gaps = []
        if len(excused) and declared is not None:
            gaps.append(
                GapFound(
                    "boundaries", area_type, vintage, len(excused), len(wanted),
                    str(sorted(excused)[0]), declared.reason,
                )
            )  # fmt: skip
        keep = codes.isin(set(wanted)).to_numpy()
        geometry = chosen.geometry
        if geometry is None:  # boundary specs are GeoJSON, whose reader always sets geometry
            raise InputError("expected boundary geometries", file=chosen.path)
        if chosen.marker.any():
            geometry = geometry[~chosen.marker]
        out = pd.DataFrame(
            {
                "area_code": codes.to_numpy(dtype=object)[keep],
                "area_type": area_type,
                "vintage": vintage,
                "geometry": shapely.to_wkb(geometry[keep]),
            }
        )
        yield area_type, vintage, out, gaps


def first_covering(ctx: LoadContext, candidates: list[TableSpec], wanted: set[str]) -> Table | None:
    """The first boundary file present that holds every wanted area (else the fullest one)."""
    best: tuple[int, Table] | None = None
    for spec in candidates:
        if not (ctx.data_dir / spec.path).exists():
            continue
        entry = ctx.manifest.get(spec.path) if ctx.manifest is not None else None
        if entry is not None and entry.rows is not None and entry.rows < len(wanted):
            continue  # a smaller file (e.g. one county's) cannot cover the area: not even read
        table = read_table(spec, ctx)
        covered = int(table.areas[spec.codes[0].column].isin(wanted).sum())
        if covered == len(wanted):
            return table
        if best is None or covered > best[0]:
            best = (covered, table)
    return None if best is None else best[1]
