"""The project's geography lookups as area sets for the release gate (``lantern.disclosure.areas``).

Atoms are the rows of the ONS LSOA 2011 → 2021 lookup (one per overlapping pair); every LSOA of
either vintage is a union of atoms, and every higher area (MSOA, ward, district, county, region,
country, CCG, sub-ICB, ICB) the union of its LSOAs' atoms, taken from the 2021 chain when the code
is in it and from the 2011 chain otherwise. Every lookup folder found is used (the England-wide
files and the bundled sample), so a release is linked through every geography the project knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.disclosure.areas import AreaSets
from lantern.paths import BUNDLED_ESSEX, shared_data_dir

GSS = re.compile(r"^[EWSNK]\d{8}$")
CROSSWALK = "lookups/lsoa11_lsoa21_lad22_ew.csv"
CHAIN_2021 = "lookups/lsoa21_msoa21_ward24_lad24_ew.csv"
CHAIN_2011 = "lookups/lsoa11_msoa11_lad21_utla21_region21_ew.csv"
LAD_UTLA = "lookups/lad21_utla21_ew.csv"
LAD_REGION = "lookups/lad21_region21_en.csv"
HEALTH_2011 = ("lookups/lsoa11_ccg20_lad20_en.csv", "lookups/lsoa11_sicbl22_icb22_lad22_en.csv")
MSOA_NAMES = "lookups/msoa11_hcl_names_ew.csv"
COUNTRIES = {"E": "E92000001", "W": "W92000004"}


def lookup_dirs(extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Folders holding ``lookups/``: the given ones, the England-wide data and the bundled sample."""
    found = []
    for d in (*extra, shared_data_dir(), BUNDLED_ESSEX):
        if d is not None and (Path(d) / CROSSWALK).exists() and Path(d).resolve() not in found:
            found.append(Path(d).resolve())
    return tuple(found)


def _read(path: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.columns = [c.strip().lower() for c in df.columns]
    return df if columns is None else df[[c for c in columns if c in df.columns]]


def _frames(folders: tuple[Path, ...]) -> dict[str, pd.DataFrame]:
    out: dict[str, list[pd.DataFrame]] = {}
    for folder in folders:
        for key in (
            CROSSWALK,
            CHAIN_2021,
            CHAIN_2011,
            LAD_UTLA,
            LAD_REGION,
            MSOA_NAMES,
            *HEALTH_2011,
        ):
            out.setdefault(key, []).append(_read(folder / key))
    return {k: pd.concat(v, ignore_index=True).drop_duplicates() for k, v in out.items()}


@lru_cache(maxsize=4)
def load_area_sets(folders: tuple[Path, ...]) -> AreaSets:
    """Area sets from every lookup in ``folders`` (cached per process)."""
    f = _frames(folders)
    cross = f[CROSSWALK][["lsoa11_code", "lsoa21_code"]].drop_duplicates().reset_index(drop=True)
    chain21 = f[CHAIN_2021]
    chain11 = f[CHAIN_2011]
    # LSOAs missing from the crosswalk are atoms of their own.
    lsoa21 = chain21.get("lsoa21_code", pd.Series(dtype=str))
    lsoa11 = chain11.get("lsoa11_code", pd.Series(dtype=str))
    extra21 = lsoa21[~lsoa21.isin(cross["lsoa21_code"])].unique()
    extra11 = lsoa11[~lsoa11.isin(cross["lsoa11_code"])].unique()
    cross = pd.concat(
        [
            cross,
            pd.DataFrame({"lsoa11_code": "", "lsoa21_code": extra21}),
            pd.DataFrame({"lsoa11_code": extra11, "lsoa21_code": ""}),
        ],
        ignore_index=True,
    )
    cross["atom"] = np.arange(len(cross))
    by21 = cross[cross["lsoa21_code"] != ""][["lsoa21_code", "atom"]]
    by11 = cross[cross["lsoa11_code"] != ""][["lsoa11_code", "atom"]]
    pairs = [
        by21.rename(columns={"lsoa21_code": "code"}),
        by11.rename(columns={"lsoa11_code": "code"}),
    ]

    def spread(
        chain: pd.DataFrame, key: str, atoms: pd.DataFrame, columns: list[str]
    ) -> list[pd.DataFrame]:
        out: list[pd.DataFrame] = []
        if chain.empty or key not in chain:
            return out
        linked = chain.merge(atoms, left_on=key, right_on=atoms.columns[0])
        for col in columns:
            if col in linked:
                sub = linked[[col, "atom"]].rename(columns={col: "code"})
                out.append(sub[sub["code"] != ""])
        return out

    utla = f[LAD_UTLA]
    region = f[LAD_REGION]
    if not chain21.empty:
        chain21 = chain21.copy()
        if not utla.empty:
            chain21 = chain21.merge(
                utla[["ltla21_code", "utla21_code"]].rename(columns={"ltla21_code": "ltla24_code"}),
                on="ltla24_code",
                how="left",
            )
        if not region.empty:
            chain21 = chain21.merge(
                region[["ltla21_code", "region21_code"]].rename(
                    columns={"ltla21_code": "ltla24_code"}
                ),
                on="ltla24_code",
                how="left",
            )
        chain21["country_code"] = chain21["lsoa21_code"].str[0].map(COUNTRIES)
        chain21 = chain21.fillna("")
    high21 = spread(
        chain21,
        "lsoa21_code",
        by21,
        [
            "msoa21_code",
            "ward24_code",
            "ltla24_code",
            "utla21_code",
            "region21_code",
            "country_code",
        ],
    )
    high21 += spread(f[CROSSWALK], "lsoa21_code", by21, ["ltla22_code"])
    codes21 = set(pd.concat(high21)["code"]) if high21 else set()
    if not chain11.empty:
        chain11 = chain11.copy()
        chain11["country_code"] = chain11["lsoa11_code"].str[0].map(COUNTRIES).fillna("")
    high11 = spread(
        chain11,
        "lsoa11_code",
        by11,
        ["msoa11_code", "ltla21_code", "utla21_code", "region21_code", "country_code"],
    )
    for path in HEALTH_2011:
        frame = f[path]
        key = "lsoa11cd" if "lsoa11cd" in frame else "lsoa11_code"
        cols = [
            c
            for c in frame.columns
            if c.endswith(("cd", "_code")) and c != key and not c.endswith("cdh")
        ]
        high11 += spread(frame, key, by11, cols)
    high11 = [h[~h["code"].isin(codes21)] for h in high11]
    allpairs = pd.concat(pairs + high21 + high11, ignore_index=True)
    allpairs = allpairs[allpairs["code"].str.match(GSS.pattern)]
    names: set[str] = set()
    for frame in f.values():
        for col in frame.columns:
            if col.endswith(("_name", "nm")) and not col.endswith("nmw"):
                names.update(v for v in frame[col].unique() if v)
    return AreaSets.from_pairs(allpairs["code"].to_numpy(), allpairs["atom"].to_numpy(), names)


def project_area_sets(extra: Iterable[Path] = ()) -> AreaSets:
    """Area sets from every lookup folder the project can see (see ``lookup_dirs``)."""
    folders = lookup_dirs(extra)
    return load_area_sets(folders) if folders else AreaSets.empty()
