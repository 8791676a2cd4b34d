"""An area's profile for its page: every indicator with value, unit, decile, and the county and
England values, grouped into the index, its domains and other indicators.

An area with its own value (an LSOA, or a published district figure) shows it; otherwise the
value is the mean of the LSOAs inside it (all of which a user who may see the area may see).
The decile ranks the area among all areas of its type held in the portal (1 = the highest
tenth; for deprivation scores, the most deprived); a published decile is shown where one is
held. The county value is the mean over every LSOA the portal holds; the England value is the
mean over every LSOA in England, where the loaded file covered England. Everything comes from
the summaries computed at load time (``lantern.portal.summaries``): one query per table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.portal.catalogue import known
from lantern.portal.models import AreaSummary, IndicatorBenchmark, IndicatorMeta
from lantern.portal.scope import ScopedQueries
from lantern.portal.summaries import COUNTY, decile

__all__ = ["Line", "decile", "group_of", "profile"]


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


def profile(session: Session, scoped: ScopedQueries, code: str) -> dict[str, list[Line]]:
    """Every indicator of a visible area, from the summaries computed at load time."""
    area = scoped.area(code)
    rows = list(session.scalars(select(AreaSummary).where(AreaSummary.area_code == area.area_code)))
    published = {r.indicator_id: r for r in rows if r.lsoas is None}
    ids = [r.indicator_id for r in rows]
    meta = {
        m.indicator_id: m
        for m in session.scalars(select(IndicatorMeta).where(IndicatorMeta.indicator_id.in_(ids)))
    }
    references: dict[tuple[str, str], dict[str, float | None]] = {}
    for b in session.scalars(
        select(IndicatorBenchmark).where(
            IndicatorBenchmark.geography.in_(("england", COUNTY)),
            IndicatorBenchmark.indicator_id.in_(ids),
        )
    ):
        references.setdefault((b.geography, b.indicator_id), {})[b.period] = b.value
    out: dict[str, list[Line]] = {}
    for r in sorted(rows, key=lambda r: r.indicator_id):
        ind = r.indicator_id
        if ind.endswith((".rank", "_rank", ".decile", "_decile")):
            continue  # shown as the decile column instead
        m = meta.get(ind)
        own_decile = published.get(ind.removesuffix("_score") + "_decile") or published.get(
            ind.removesuffix(".score") + ".decile"
        )
        dec = (
            int(own_decile.value)
            if own_decile is not None and own_decile.value is not None
            else r.decile
        )
        out.setdefault(group_of(ind), []).append(
            Line(
                ind,
                m.title if m else ind,
                m.unit if m else "",
                str(r.period),
                r.value,
                r.lsoas,
                dec,
                _reference(references.get((COUNTY, ind), {}), r.period),
                _reference(references.get(("england", ind), {}), r.period),
            )
        )
    order = {ind: i for i, ind in enumerate(known())}
    for lines in out.values():
        lines.sort(key=lambda line: (order.get(line.indicator_id, len(order)), line.title))
    return out


def _reference(by_period: dict[str, float | None], period: str) -> float | None:
    """The reference value of ``period``, else of the latest period held."""
    if period in by_period:
        return by_period[period]
    return by_period[max(by_period)] if by_period else None
