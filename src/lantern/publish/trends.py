"""Indicators over the years for the open site: each period of every indicator the site shows a
trend for (``SiteData.trends``: QOF prevalences 2018/19–2021/22, population shares), per LSOA of
the site, with its 95% confidence interval where that period has counts, and the county's and
England's value for the same period.

The intervals come from :func:`lantern.profile.compare.period_table` (``indicator_table`` for
every period at once), so a year's interval on the map is the one the area profile prints: counts moved to the site's
boundary vintage through the LSOA crosswalk, Wilson score for percentages, Byar for rates.
A period published without counts (QOF 2021/22: rates only) has a value and no interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lantern.profile.compare import period_table
from lantern.publish.display import decimals_for
from lantern.warehouse import Warehouse

COLUMNS = [
    "area_code",
    "indicator_id",
    "title",
    "unit",
    "source_id",
    "period",
    "value",
    "lower95",
    "upper95",
    "county",
    "england",
    "vs_county",
    "vs_england",
]


def trend_table(
    wh: Warehouse,
    ids: Sequence[str],
    codes: pd.Index,
    vintage: str,
    area_codes: Sequence[str] | None,
) -> pd.DataFrame:
    """Long rows (``COLUMNS``): every LSOA of ``codes`` × indicator of ``ids`` × period held,
    oldest period first."""
    if not len(ids) or not len(codes):
        return pd.DataFrame(columns=COLUMNS)
    # indicators in order, each one's periods oldest first: the table's order as it comes
    out = period_table(
        wh,
        sorted(set(ids)),
        vintage=int(vintage),
        codes=list(codes),
        county=list(area_codes or []),
    )
    out = out[out["area_code"].isin(codes)]
    meta = wh.meta(list(ids)).drop_duplicates("indicator_id").set_index("indicator_id")
    out["title"] = out["indicator_id"].map(meta["title"]).fillna(out["indicator_id"])
    out["unit"] = out["indicator_id"].map(meta["unit"]).fillna("")
    out["source_id"] = out["indicator_id"].map(meta["source_id"]).fillna("")
    return out[COLUMNS].reset_index(drop=True)


def benchmarks(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per indicator: its title and unit, its periods and the county's and England's value in
    each (None where there is none), for the panel's table and chart."""
    out: dict[str, dict[str, Any]] = {}
    for indicator_id, part in table.groupby("indicator_id", sort=False):
        first = part.drop_duplicates("period")
        out[str(indicator_id)] = {
            "title": str(first["title"].iloc[0]),
            "unit": str(first["unit"].iloc[0] or ""),
            "decimals": decimals_for(part["value"].tolist(), str(first["unit"].iloc[0] or "")),
            "periods": [str(p) for p in first["period"]],
            "county": [_num(v) for v in first["county"]],
            "england": [_num(v) for v in first["england"]],
        }
    return out


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 4)
