"""The area hierarchy (LSOA → MSOA → [ward] → district → county/UTLA → region → country).

Built from the ONS lookups in ``<data_dir>/lookups/``:

* vintage 2011: ``lsoa11_msoa11_lad21_utla21_region21_ew.csv`` (LSOA/MSOA 2011, districts,
  counties and regions as at 2021);
* vintage 2021: ``lsoa21_msoa21_ward24_lad24_ew.csv`` (LSOA/MSOA 2021, wards and districts as at
  2024) with ``lad21_utla21_ew.csv`` and ``lad21_region21_en.csv`` for county and region.

LSOA → ward exists only in the 2021 chain. Unitary authorities, metropolitan districts and
London boroughs are their own upper tier, so they appear once, as districts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.geography.codes import AreaType
from lantern.geography.tables import (
    LAD_REGION,
    LAD_UTLA,
    LOOKUP_2011,
    LOOKUP_2021,
    LOOKUP_CROSSWALK,
    SPECS,
    cross_check,
    lookup_context,
    read_geography,
    text_frame,
    verify,
)
from lantern.sources.checked import Table, read_table

COUNTRIES = {"E": ("E92000001", "England"), "W": ("W92000004", "Wales")}
AREA_COLUMNS = ["area_code", "area_name", "area_type", "vintage", "boundary_year"]
LINK_COLUMNS = ["child_code", "child_type", "parent_code", "parent_type", "vintage"]


@dataclass(frozen=True)
class Level:
    """One level of a lookup chain: which columns hold it and its boundary year."""

    area_type: AreaType
    code: str
    name: str
    boundary_year: int


CHAINS: dict[int, list[Level]] = {
    2011: [
        Level(AreaType.LSOA, "lsoa11_code", "lsoa11_name", 2011),
        Level(AreaType.MSOA, "msoa11_code", "msoa11_name", 2011),
        Level(AreaType.DISTRICT, "ltla21_code", "ltla21_name", 2021),
        Level(AreaType.COUNTY, "utla21_code", "utla21_name", 2021),
        Level(AreaType.REGION, "region21_code", "region21_name", 2021),
        Level(AreaType.COUNTRY, "country_code", "country_name", 2021),
    ],
    2021: [
        Level(AreaType.LSOA, "lsoa21_code", "lsoa21_name", 2021),
        Level(AreaType.MSOA, "msoa21_code", "msoa21_name", 2021),
        Level(AreaType.WARD, "ward24_code", "ward24_name", 2024),
        Level(AreaType.DISTRICT, "ltla24_code", "ltla24_name", 2024),
        Level(AreaType.COUNTY, "utla21_code", "utla21_name", 2021),
        Level(AreaType.REGION, "region21_code", "region21_name", 2021),
        Level(AreaType.COUNTRY, "country_code", "country_name", 2021),
    ],
}


@dataclass(frozen=True)
class Hierarchy:
    """Areas and every child → ancestor link for one vintage of the LSOA/MSOA chain."""

    vintage: int
    areas: pd.DataFrame
    links: pd.DataFrame
    chain: pd.DataFrame  # one row per LSOA, one code/name column pair per level

    def codes(self, area_type: AreaType | str) -> list[str]:
        """Sorted codes of every area of one type."""
        frame = self.areas[self.areas["area_type"] == AreaType(area_type).value]
        return sorted(frame["area_code"])

    def lsoas_in(self, parents: Iterable[str]) -> list[str]:
        """Sorted LSOA codes that have any of ``parents`` as an ancestor (or are one)."""
        wanted = set(parents)
        links = self.links
        lsoa = links["child_type"] == AreaType.LSOA.value
        inside = set(links.loc[lsoa & links["parent_code"].isin(wanted), "child_code"])
        inside |= wanted & set(self.codes(AreaType.LSOA))
        return sorted(inside)


def read_lookup(path: Path, required: list[str]) -> pd.DataFrame:
    """One ONS lookup CSV as text through the checked reader (``geography.tables.SPECS``)."""
    path = Path(path)
    relative = f"lookups/{path.name}"
    spec = SPECS.get(relative)
    if spec is None:
        raise InputError("not a lookup Lantern knows", file=path)
    table = read_table(spec, lookup_context(path.parent.parent))
    missing = [c for c in required if c not in table.frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=path, row=1)
    return text_frame(table, required)


@dataclass(frozen=True)
class Lookups:
    """The checked lookup tables of one data folder and the per-LSOA chains built from them."""

    tables: dict[str, Table]
    chains: dict[int, pd.DataFrame]


def read_lookups(data_dir: Path) -> Lookups:
    """Read and check every lookup once, cross-check them, and build both chains."""
    data_dir = Path(data_dir)
    ctx = lookup_context(data_dir)
    files = (LOOKUP_2011, LOOKUP_2021, LAD_UTLA, LAD_REGION, LOOKUP_CROSSWALK)
    t = {relative: read_geography(data_dir, relative, ctx, checksum=False) for relative in files}
    m = ctx.manifest
    cross_check(t[LOOKUP_2011], "lsoa11_code", t[LOOKUP_CROSSWALK], "lsoa11_code", "LSOA 2011", m)
    cross_check(t[LOOKUP_2021], "lsoa21_code", t[LOOKUP_CROSSWALK], "lsoa21_code", "LSOA 2021", m)
    cross_check(t[LOOKUP_2011], "ltla21_code", t[LAD_UTLA], "ltla21_code", "district (2021)", m)
    english = t[LOOKUP_2011]
    english = Table(
        english.spec,
        english.path,
        english.frame[english.frame["ltla21_code"].str.startswith("E").fillna(False).to_numpy()],
        english.values,
        english.file,
        english.offset,
    )
    cross_check(
        english, "ltla21_code", t[LAD_REGION], "ltla21_code", "district (2021) in England", m
    )
    verify(list(t.values()), ctx)
    chains = {2011: _chain_2011(t), 2021: _chain_2021(t)}
    return Lookups(t, chains)


def _add_country(chain: pd.DataFrame, lsoa_column: str) -> pd.DataFrame:
    letter = chain[lsoa_column].str.slice(0, 1)
    chain["country_code"] = letter.map({k: code for k, (code, _) in COUNTRIES.items()})
    chain["country_name"] = letter.map({k: name for k, (_, name) in COUNTRIES.items()})
    return chain


def _chain_2011(t: dict[str, Table]) -> pd.DataFrame:
    """One row per LSOA 2011 with its MSOA 2011, district, county/UTLA, region and country."""
    levels = CHAINS[2011]
    columns = [c for lv in levels[:-1] for c in (lv.code, lv.name)] + ["ltla19_code"]
    return _add_country(text_frame(t[LOOKUP_2011], columns), "lsoa11_code")


def _chain_2021(t: dict[str, Table]) -> pd.DataFrame:
    """One row per LSOA 2021 with MSOA 2021, ward 2024, district 2024, county/UTLA, region, country."""
    levels = CHAINS[2021]
    columns = [c for lv in levels[:4] for c in (lv.code, lv.name)]
    frame = text_frame(t[LOOKUP_2021], columns)
    utla = text_frame(t[LAD_UTLA], ["ltla21_code", "utla21_code", "utla21_name"])
    region = text_frame(t[LAD_REGION], ["ltla21_code", "region21_code", "region21_name"])
    frame = frame.merge(
        utla.rename(columns={"ltla21_code": "ltla24_code"}), on="ltla24_code", how="left"
    ).merge(region.rename(columns={"ltla21_code": "ltla24_code"}), on="ltla24_code", how="left")
    # Districts created after 2021 are unitaries: their own upper tier. Their region comes from
    # the 2011 chain through the crosswalk (regions did not change).
    new = frame["utla21_code"].isna()
    frame.loc[new, "utla21_code"] = frame.loc[new, "ltla24_code"]
    frame.loc[new, "utla21_name"] = frame.loc[new, "ltla24_name"]
    no_region = frame["region21_code"].isna() & frame["lsoa21_code"].str.startswith("E")
    if no_region.any():
        cross = text_frame(t[LOOKUP_CROSSWALK], ["lsoa21_code", "ltla22_code"])
        regions = (
            cross.drop_duplicates("lsoa21_code")
            .merge(region, left_on="ltla22_code", right_on="ltla21_code")
            .set_index("lsoa21_code")
        )
        codes = frame.loc[no_region, "lsoa21_code"]
        frame.loc[no_region, "region21_code"] = codes.map(regions["region21_code"]).to_numpy()
        frame.loc[no_region, "region21_name"] = codes.map(regions["region21_name"]).to_numpy()
    return _add_country(frame, "lsoa21_code")


def chain_2011(data_dir: Path) -> pd.DataFrame:
    return read_lookups(data_dir).chains[2011]


def chain_2021(data_dir: Path) -> pd.DataFrame:
    return read_lookups(data_dir).chains[2021]


def areas_and_links(chain: pd.DataFrame, vintage: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``areas`` and transitive ``area_links`` tables for one chain (one row per LSOA)."""
    areas = chain_areas(chain, vintage)
    return areas, chain_links(chain, vintage, areas)


def chain_areas(chain: pd.DataFrame, vintage: int) -> pd.DataFrame:
    """The ``areas`` table for one chain: each area once, at its own level."""
    levels = CHAINS[vintage]
    area_parts = []
    for level in levels:
        part = chain[[level.code, level.name]].dropna(subset=[level.code])
        part = part.drop_duplicates(level.code)
        part.columns = ["area_code", "area_name"]
        part = part.assign(area_type=level.area_type.value, boundary_year=level.boundary_year)
        if level.area_type == AreaType.COUNTY:  # unitaries are already listed as districts
            part = part[~part["area_code"].isin(chain[_district(levels).code])]
        area_parts.append(part)
    areas = pd.concat(area_parts, ignore_index=True).assign(vintage=vintage)
    areas = areas.drop_duplicates("area_code")[AREA_COLUMNS].reset_index(drop=True)
    areas["boundary_year"] = areas["boundary_year"].astype("int64")
    areas["vintage"] = areas["vintage"].astype("int64")
    return areas


def chain_links(chain: pd.DataFrame, vintage: int, areas: pd.DataFrame) -> pd.DataFrame:
    """The transitive ``area_links`` table for one chain (``areas`` from :func:`chain_areas`).

    Every (child level, parent level) pair's distinct code pairs, in order of first appearance,
    without self-links; a unitary's link to itself as county is left to its district link.
    Codes are numbered once for all levels together, so pairs are compared as integers.
    """
    levels = CHAINS[vintage]
    numbered, codes = pd.factorize(
        np.concatenate([chain[level.code].to_numpy(dtype=object) for level in levels])
    )
    numbered = numbered.reshape(len(levels), len(chain)).astype(np.int64)
    width = max(len(codes), 1)
    children, parents, child_types, parent_types = [], [], [], []
    for i, child in enumerate(levels):
        for j in range(i + 1, len(levels)):
            c, p = numbered[i], numbered[j]
            both = (c >= 0) & (p >= 0)
            c, p = c[both], p[both]
            first = ~pd.Series(c * width + p).duplicated().to_numpy()
            keep = first & (c != p)
            children.append(c[keep])
            parents.append(p[keep])
            child_types.append(np.full(int(keep.sum()), child.area_type.value, dtype=object))
            parent_types.append(np.full(int(keep.sum()), levels[j].area_type.value, dtype=object))
    c, p = np.concatenate(children), np.concatenate(parents)
    child_type, parent_type = np.concatenate(child_types), np.concatenate(parent_types)
    # A unitary's "county" is itself: record the link once, to the district.
    districts = areas.loc[areas["area_type"] == "district", "area_code"]
    is_district = pd.Index(codes).isin(districts)[p]
    keep = ~((parent_type == AreaType.COUNTY.value) & is_district)
    c, p, child_type, parent_type = c[keep], p[keep], child_type[keep], parent_type[keep]
    keep = ~pd.Series(c * width + p).duplicated().to_numpy()
    codes = np.asarray(codes, dtype=object)
    return pd.DataFrame(
        {
            "child_code": codes[c[keep]],
            "child_type": child_type[keep],
            "parent_code": codes[p[keep]],
            "parent_type": parent_type[keep],
            "vintage": np.full(int(keep.sum()), vintage, dtype=np.int64),
        },
        columns=LINK_COLUMNS,
    )


def _district(levels: list[Level]) -> Level:
    return next(lv for lv in levels if lv.area_type == AreaType.DISTRICT)


def filter_chain(chain: pd.DataFrame, vintage: int, areas: Iterable[str]) -> pd.DataFrame:
    """Rows whose LSOA lies in any of ``areas`` (district, county/UTLA, region or country codes)."""
    wanted = set(areas)
    levels = CHAINS[vintage]
    inside = pd.Series(False, index=chain.index)
    for level in levels:
        inside |= chain[level.code].isin(wanted)
    return chain[inside].reset_index(drop=True)


def load_chain(data_dir: Path, vintage: int) -> pd.DataFrame:
    """The per-LSOA lookup chain for ``vintage`` (2011 or 2021)."""
    if vintage not in (2011, 2021):
        raise InputError(f"unknown boundary vintage {vintage!r}; expected 2011 or 2021")
    return read_lookups(Path(data_dir)).chains[vintage]


def load_hierarchy(data_dir: Path, vintage: int, *, areas: list[str] | None = None) -> Hierarchy:
    """Load the hierarchy for ``vintage``, optionally only LSOAs inside ``areas`` (and their parents)."""
    chain = load_chain(Path(data_dir), vintage)
    if areas:
        known = set(chain[[lv.code for lv in CHAINS[vintage]]].stack().to_numpy())
        for code in areas:
            if code not in known:
                raise InputError(
                    f"area {code!r} is not in the {vintage} lookup; give a district, county/UTLA, "
                    "region or country code",
                    file=Path(data_dir) / (LOOKUP_2011 if vintage == 2011 else LOOKUP_2021),
                )
        chain = filter_chain(chain, vintage, areas)
    table, links = areas_and_links(chain, vintage)
    return Hierarchy(vintage=vintage, areas=table, links=links, chain=chain)
