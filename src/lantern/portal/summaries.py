"""Area summaries, computed once when data is loaded instead of on every page view.

For every area and indicator (its latest period): the area's own value where one is held,
otherwise the mean of the LSOAs inside it; how many LSOAs that mean covers; and the area's decile
among all areas of its type (1 = the highest tenth). The county value of each indicator is the
mean over every LSOA the portal holds. Every loader calls ``rebuild`` in the same transaction as
the data it loads, so summaries never disagree with the data they summarise.

Means need no scope filter: a user who may see an area may see every LSOA inside it (scope runs
downwards, ``lantern.portal.scope``), so the visible mean of a visible area is its whole mean.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from lantern.portal.models import (
    Area,
    AreaLink,
    AreaSummary,
    IndicatorBenchmark,
    IndicatorValue,
)

COUNTY = "county"
AREA_SUMMARIES: Table = AreaSummary.__table__  # type: ignore[assignment]


def decile(value: float | None, others: list[float]) -> int | None:
    """1 for the highest tenth of ``others`` … 10 for the lowest (the reference definition)."""
    if value is None or not others:
        return None
    higher = sum(1 for v in others if v > value)
    return min(10, 1 + math.floor(10 * higher / len(others)))


def deciles(values: pd.Series, groups: pd.Series) -> pd.Series:
    """``decile`` of every value among the non-missing values of its group, vectorised."""
    present = values.notna()
    higher = values.groupby(groups).rank(ascending=False, method="min") - 1
    size = values.groupby(groups).transform("count")
    out = np.minimum(10, 1 + np.floor(10 * higher / size))
    return out.where(present).astype("Int64")


def compute(
    areas: pd.DataFrame, links: pd.DataFrame, values: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pure: ``(summaries, county)`` from the area, link and indicator tables.

    ``areas``: area_code, area_type; ``links``: child_code, parent_code, child_type;
    ``values``: area_code, indicator_id, period, value.
    """
    cols = ["area_code", "indicator_id", "period", "value", "lsoas", "decile"]
    if values.empty or areas.empty:
        return pd.DataFrame(columns=cols), pd.DataFrame(
            columns=["indicator_id", "period", "value", "areas"]
        )
    values = values.merge(areas[["area_code", "area_type"]], on="area_code")
    # each area's own value: its latest period
    own = (
        values.sort_values("period")
        .drop_duplicates(["area_code", "indicator_id"], keep="last")
        .assign(lsoas=pd.NA)
    )
    # LSOA values of each indicator's latest LSOA period
    lsoa = values[values["area_type"] == "lsoa"]
    period_of = lsoa.groupby("indicator_id")["period"].agg(lambda p: max(p))  # one per indicator
    lsoa = lsoa[lsoa["period"] == lsoa["indicator_id"].map(period_of)]
    up = links[links["child_type"] == "lsoa"][["child_code", "parent_code"]].merge(
        lsoa[["area_code", "indicator_id", "period", "value"]],
        left_on="child_code",
        right_on="area_code",
    )
    means = (
        up.groupby(["parent_code", "indicator_id"])
        .agg(value=("value", "mean"), lsoas=("value", "count"))
        .reset_index()
        .rename(columns={"parent_code": "area_code"})
    )
    means["period"] = means["indicator_id"].map(period_of)
    means = means[means["lsoas"] > 0]
    means = means.merge(areas[["area_code", "area_type"]], on="area_code")
    held = own.set_index(["area_code", "indicator_id"]).index
    means = means[~means.set_index(["area_code", "indicator_id"]).index.isin(held)]
    out = pd.concat(
        [own[["area_code", "area_type", "indicator_id", "period", "value", "lsoas"]], means],
        ignore_index=True,
    )
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    out["decile"] = deciles(out["value"], out["area_type"] + "\x1f" + out["indicator_id"])
    county = (
        lsoa.groupby("indicator_id")
        .agg(value=("value", "mean"), areas=("value", "count"))
        .reset_index()
    )
    county["period"] = county["indicator_id"].map(period_of)
    return out[cols], county


def rebuild(session: Session) -> int:
    """Recompute every summary and county value from the tables as they now stand (no commit)."""
    session.flush()
    areas = pd.DataFrame(
        session.execute(select(Area.area_code, Area.area_type)).all(),
        columns=["area_code", "area_type"],
    )
    links = pd.DataFrame(
        session.execute(
            select(AreaLink.child_code, AreaLink.parent_code, AreaLink.child_type)
        ).all(),
        columns=["child_code", "parent_code", "child_type"],
    )
    values = pd.DataFrame(
        session.execute(
            select(
                IndicatorValue.area_code,
                IndicatorValue.indicator_id,
                IndicatorValue.period,
                IndicatorValue.value,
            )
        ).all(),
        columns=["area_code", "indicator_id", "period", "value"],
    )
    summaries, county = compute(areas, links, values)
    session.execute(delete(AreaSummary))
    session.execute(delete(IndicatorBenchmark).where(IndicatorBenchmark.geography == COUNTY))
    if len(summaries):
        records = [
            {
                "area_code": a,
                "indicator_id": i,
                "period": str(p),
                "value": None if pd.isna(v) else float(v),
                "lsoas": None if pd.isna(n) else int(n),
                "decile": None if pd.isna(d) else int(d),
            }
            for a, i, p, v, n, d in summaries.itertuples(index=False)
        ]
        connection = session.connection()  # Core executemany: no ORM bookkeeping per row
        for start in range(0, len(records), 20_000):
            connection.execute(insert(AREA_SUMMARIES), records[start : start + 20_000])
    if len(county):
        session.execute(
            insert(IndicatorBenchmark),
            [
                {
                    "indicator_id": i,
                    "period": str(p),
                    "geography": COUNTY,
                    "value": None if pd.isna(v) else float(v),
                    "areas": int(n),
                }
                for i, v, n, p in county[["indicator_id", "value", "areas", "period"]].itertuples(
                    index=False
                )
            ],
        )
    return len(summaries)


def ensure(session: Session) -> bool:
    """Build the summaries if data is held but none are (a database loaded before they existed);
    True if built. Serialised, so several server processes starting at once build them once."""
    from sqlalchemy import exists, text

    if session.scalar(select(exists().where(AreaSummary.area_code.is_not(None)))):
        return False
    if not session.scalar(select(exists().where(IndicatorValue.area_code.is_not(None)))):
        return False
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": 0x5A11})
    else:
        from lantern.portal.db import take_write_lock

        take_write_lock(session)
    if session.scalar(select(exists().where(AreaSummary.area_code.is_not(None)))):
        session.rollback()
        return False
    rebuild(session)
    session.commit()
    return True
