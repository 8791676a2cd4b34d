"""An area's profile for its page: every indicator with value, unit, decile, and the county and
England values, grouped into the index, its domains and other indicators.

An area with its own value (an LSOA, or a published district figure) shows it; otherwise the
value is the mean of the LSOAs inside it that the user may see. The decile ranks the area among
all areas of its type held in the portal (1 = the highest tenth; for deprivation scores, the
most deprived). The county value is the mean over every LSOA the portal holds; the England value
is the mean over every LSOA in England, where the loaded file covered England.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantern.portal.models import Area, AreaLink, IndicatorBenchmark, IndicatorMeta, IndicatorValue
from lantern.portal.scope import ScopedQueries


@dataclass(frozen=True)
class Line:
    indicator_id: str
    title: str
    unit: str
    period: str
    value: float | None
    lsoas: int | None  # None when the area has its own value
    decile: int | None
    county: float | None
    england: float | None


def group_of(indicator_id: str) -> str:
    if indicator_id.startswith("index."):
        return "Index"
    if indicator_id.startswith(("iod", "imd")):
        return "Deprivation domains"
    return "Other indicators"


def decile(value: float | None, others: list[float]) -> int | None:
    """1 for the highest tenth of ``others`` … 10 for the lowest."""
    if value is None or not others:
        return None
    higher = sum(1 for v in others if v > value)
    return min(10, 1 + math.floor(10 * higher / len(others)))


def profile(session: Session, scoped: ScopedQueries, code: str) -> dict[str, list[Line]]:
    area = scoped.area(code)
    meta = {m.indicator_id: m for m in session.scalars(select(IndicatorMeta))}
    own = {
        v.indicator_id: v
        for v in session.scalars(
            select(IndicatorValue).where(IndicatorValue.area_code == area.area_code)
        )
    }
    # means of LSOAs by parent area, for every area of this type (for values and deciles)
    by_parent: dict[str, dict[str, tuple[float, int, str]]] = {}
    if area.area_type != "lsoa":
        rows = session.execute(
            select(
                AreaLink.parent_code,
                IndicatorValue.indicator_id,
                func.avg(IndicatorValue.value),
                func.count(IndicatorValue.value),
                func.max(IndicatorValue.period),
            )
            .join(IndicatorValue, IndicatorValue.area_code == AreaLink.child_code)
            .where(AreaLink.child_type == "lsoa", AreaLink.parent_type == area.area_type)
            .group_by(AreaLink.parent_code, IndicatorValue.indicator_id)
        ).all()
        for parent, ind, mean, n, period in rows:
            by_parent.setdefault(ind, {})[parent] = (mean, n, period)
        # this area's own mean uses only the LSOAs the user may see
        visible = session.execute(
            select(
                IndicatorValue.indicator_id,
                func.avg(IndicatorValue.value),
                func.count(IndicatorValue.value),
                func.max(IndicatorValue.period),
            )
            .join(AreaLink, AreaLink.child_code == IndicatorValue.area_code)
            .where(
                AreaLink.parent_code == area.area_code,
                AreaLink.child_type == "lsoa",
                scoped.visible(IndicatorValue.area_code),
            )
            .group_by(IndicatorValue.indicator_id)
        ).all()
        mine = {ind: (mean, n, period) for ind, mean, n, period in visible}
    else:
        peers = session.execute(
            select(IndicatorValue.indicator_id, IndicatorValue.area_code, IndicatorValue.value)
            .join(Area, Area.area_code == IndicatorValue.area_code)
            .where(Area.area_type == "lsoa")
        ).all()
        for ind, a, v in peers:
            by_parent.setdefault(ind, {})[a] = (v, 1, "")
        mine = {}
    county = dict(
        session.execute(
            select(IndicatorValue.indicator_id, func.avg(IndicatorValue.value))
            .join(Area, Area.area_code == IndicatorValue.area_code)
            .where(Area.area_type == "lsoa")
            .group_by(IndicatorValue.indicator_id)
        ).all()
    )
    england = {
        b.indicator_id: b.value
        for b in session.scalars(
            select(IndicatorBenchmark).where(IndicatorBenchmark.geography == "england")
        )
    }
    out: dict[str, list[Line]] = {}
    for ind in sorted(set(own) | set(mine)):
        if ind.endswith((".rank", "_rank", ".decile", "_decile")):
            continue  # shown as the decile column instead
        m = meta.get(ind)
        if ind in own:
            value, n, period = own[ind].value, None, own[ind].period
        else:
            value, n, period = mine[ind]
        peers = [p[0] for p in by_parent.get(ind, {}).values() if p[0] is not None]
        published = own.get(ind.removesuffix("_score") + "_decile") or own.get(
            ind.removesuffix(".score") + ".decile"
        )
        dec = (
            int(published.value)
            if published and published.value is not None
            else decile(value, peers)
        )
        out.setdefault(group_of(ind), []).append(
            Line(
                ind,
                m.title if m else ind,
                m.unit if m else "",
                str(period),
                value,
                n,
                dec,
                county.get(ind),
                england.get(ind),
            )
        )
    return out
