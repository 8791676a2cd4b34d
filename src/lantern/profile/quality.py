"""QOF apportionment quality flags for the build's neighbourhoods (reads the QOF source files).

The flags (``lantern.stats.apportionment``) are computed per LSOA 2011, where QOF is apportioned,
from the same practice and registration files ingest read, the mid-2020 resident population and
England's prevalence; an LSOA 2021 takes the flags of its best-fit LSOA 2011.
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
    bench = wh.indicator_values([indicator_of(g) for g in GROUPS], codes=[ENGLAND])
    bench = bench[bench["period"] == PERIOD]
    by_id = dict(zip(bench["indicator_id"], bench["value"], strict=False))
    england = {g: by_id.get(indicator_of(g), float("nan")) for g in GROUPS}
    quality = apportionment_quality(practices, patients, residents, england)
    quality = quality[quality["flag"] != ""].assign(
        indicator_id=lambda f: f["group"].map(indicator_of)
    )
    if vintage == 2021:
        cross = wh.crosswalk().sort_values("weight", ascending=False)
        best = cross.drop_duplicates("lsoa21_code")[["lsoa21_code", "lsoa11_code"]]
        quality = best.merge(quality, left_on="lsoa11_code", right_on="area_code")
        quality = quality.drop(columns="area_code").rename(columns={"lsoa21_code": "area_code"})
    return quality[columns].reset_index(drop=True)
