"""QOF apportionment quality flags for the build's neighbourhoods (reads the QOF source files).

The flags (``lantern.stats.apportionment``) are computed from the same practice and registration
files ingest read, the mid-2020 resident population and England's prevalence. On LSOA 2011s,
where QOF is apportioned, directly. On LSOA 2021s the inputs are moved through the LSOA crosswalk
the way the QOF values themselves are (``lantern.geography.crosswalk``: each LSOA 2011's counts
shared among its LSOA 2021s by Census 2021 population share), and the flags computed there: a
2021 LSOA's registered patients by practice and its residents are the weighted sums over the 2011
LSOAs it is made from. So a 2011 LSOA split in two gives both halves its own coverage and
dominant practice, and LSOAs merged into one are judged together (coverage of the merged
population; the practice dominant across it), not by one best-fit part.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lantern.benchmarks import ENGLAND
from lantern.sources import LoadContext, get_source
from lantern.sources.qof import GROUPS, YEARS, read_practices, read_registrations
from lantern.stats.apportionment import apportionment_quality
from lantern.warehouse import Warehouse

SOURCE = "qof1920"
PERIOD = YEARS[SOURCE].period  # QOF indicators are ``qof.*``, one period per year


def indicator_of(group: str) -> str:
    return f"qof.{GROUPS[group][0]}_prevalence"


def qof_flags(wh: Warehouse, data_dir: Path, vintage: int) -> pd.DataFrame:
    """``area_code`` (of the build's vintage), ``indicator_id``, ``flag``, ``coverage``,
    ``top_share``, ``top_prevalence`` for every flagged LSOA; empty without the QOF source."""
    columns = ["area_code", "indicator_id", "flag", "coverage", "top_share", "top_prevalence"]
    if wh.meta([indicator_of("DM")]).empty:
        return pd.DataFrame(columns=columns)
    source = get_source(SOURCE)
    lsoa11 = pd.Index(wh.area_codes("lsoa", 2011))
    ctx = LoadContext(Path(data_dir), wanted={("lsoa", 2011): lsoa11})
    practices, _ = read_practices(source, ctx)
    patients, _, _ = read_registrations(source, ctx)
    residents = wh.population(2011)
    if residents is None:
        return pd.DataFrame(columns=columns)
    if vintage == 2021:
        patients, residents = to_2021(wh.crosswalk(), patients, residents)
    bench = wh.indicator_values([indicator_of(g) for g in GROUPS], codes=[ENGLAND])
    bench = bench[bench["period"] == PERIOD]
    by_id = dict(zip(bench["indicator_id"], bench["value"], strict=False))
    england = {g: by_id.get(indicator_of(g), float("nan")) for g in GROUPS}
    quality = apportionment_quality(practices, patients, residents, england)
    quality = quality[quality["flag"] != ""].assign(
        indicator_id=lambda f: f["group"].map(indicator_of)
    )
    return quality[columns].reset_index(drop=True)


def to_2021(
    cross: pd.DataFrame, patients: pd.DataFrame, residents: pd.Series
) -> tuple[pd.DataFrame, pd.Series]:
    """Registered patients (``practice_code, area_code, patients``) and residents of LSOA 2011s
    moved to LSOA 2021s as counts: Σ over the 2011 sources of count × ``weight``."""
    links = cross[["lsoa11_code", "lsoa21_code", "weight"]]
    moved = patients.merge(links, left_on="area_code", right_on="lsoa11_code")
    moved = (
        moved.assign(patients=moved["patients"] * moved["weight"])
        .groupby(["practice_code", "lsoa21_code"], as_index=False, observed=True)["patients"]
        .sum()
        .rename(columns={"lsoa21_code": "area_code"})
    )
    pop = links.assign(pop=links["lsoa11_code"].map(residents).astype(float) * links["weight"])
    return moved, pop.groupby("lsoa21_code")["pop"].sum(min_count=1).rename("population")
