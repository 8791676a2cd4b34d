"""The one place where what a user may see is decided and applied to queries.

Administrators and analysts see every area. District officers see their districts and
everything inside them; hub workers see their wards or LSOAs and everything inside them.
Every query about areas, indicators, aggregates or households goes through ``ScopedQueries``,
which adds the same ``visible`` filter; endpoints never filter by scope themselves.
Out-of-scope and non-existent areas raise the same ``NotVisible`` error, so nothing is revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from lantern.portal.models import (
    Area,
    AreaLink,
    Household,
    IndicatorMeta,
    IndicatorValue,
    Role,
    User,
)
from lantern.portal.sessions import SignedIn

AREA_TYPES = ("district", "ward", "msoa", "lsoa")


class NotVisible(LookupError):
    """An area or record that does not exist or lies outside the user's scope (same to callers)."""


@dataclass(frozen=True)
class Scope:
    """``codes is None`` means every area."""

    codes: frozenset[str] | None

    @classmethod
    def for_user(cls, user: User | SignedIn) -> Scope:
        if user.role in (Role.ADMINISTRATOR, Role.ANALYST):
            return cls(None)
        return cls(frozenset(s.area_code for s in user.scopes))

    @property
    def unrestricted(self) -> bool:
        return self.codes is None


class ScopedQueries:
    """Area, indicator and household queries filtered by one scope."""

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session = session
        self.scope = scope
        self._areas: dict[str, Area] = {}  # visible areas already looked up in this request

    # -- the filter ---------------------------------------------------------------------------
    def visible(self, column: Any) -> ColumnElement[bool]:
        """``column`` (an area code) is one of the scope's areas or lies inside one.

        The scope's own codes are few, so the statement's shape (and its compiled form, which
        SQLAlchemy caches) is the same for every user; the database finds the areas inside them
        through the ``area_links`` parent index."""
        if self.scope.codes is None:
            return column.is_not(None)
        codes = sorted(self.scope.codes)
        inside = select(AreaLink.child_code).where(AreaLink.parent_code.in_(codes))
        return or_(column.in_(codes), column.in_(inside))

    # -- areas --------------------------------------------------------------------------------
    def areas(
        self,
        *,
        area_type: str | None = None,
        q: str | None = None,
        within: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[Area]]:
        stmt = select(Area).where(self.visible(Area.area_code))
        if area_type:
            stmt = stmt.where(Area.area_type == area_type)
        if q:
            needle = f"%{q.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Area.area_name).like(needle), func.lower(Area.area_code).like(needle)
                )
            )
        if within:
            self.area(within)
            stmt = stmt.where(
                Area.area_code.in_(
                    select(AreaLink.child_code).where(AreaLink.parent_code == within)
                )
            )
        rows = list(
            self.session.scalars(
                stmt.order_by(Area.area_type, Area.area_code).limit(limit).offset(offset)
            )
        )
        if (offset == 0 or rows) and len(rows) < limit:
            return offset + len(rows), rows  # the whole remainder fits: no count needed
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        return total, rows

    def area(self, code: str) -> Area:
        key = code.upper()
        if key in self._areas:
            return self._areas[key]
        found = self.session.scalar(
            select(Area).where(Area.area_code == key, self.visible(Area.area_code))
        )
        if found is None:
            raise NotVisible(code)
        self._areas[key] = found
        return found

    def child_counts(self, code: str) -> dict[str, int]:
        """How many visible areas of each type lie inside a visible area (one query)."""
        area = self.area(code)
        rows = self.session.execute(
            select(AreaLink.child_type, func.count())
            .where(AreaLink.parent_code == area.area_code, self.visible(AreaLink.child_code))
            .group_by(AreaLink.child_type)
        ).all()
        return {str(t): int(n) for t, n in rows}

    def parents(self, code: str) -> list[Area]:
        """Ancestors of a visible area that are themselves visible (a hub worker sees no district)."""
        self.area(code)
        stmt = (
            select(Area)
            .join(AreaLink, AreaLink.parent_code == Area.area_code)
            .where(AreaLink.child_code == code.upper(), self.visible(Area.area_code))
            .order_by(Area.area_type)
        )
        return list(self.session.scalars(stmt))

    # -- indicators ---------------------------------------------------------------------------
    def indicators_for(self, code: str) -> list[tuple[IndicatorMeta | None, IndicatorValue]]:
        area = self.area(code)
        stmt = (
            select(IndicatorMeta, IndicatorValue)
            .join_from(
                IndicatorValue,
                IndicatorMeta,
                IndicatorMeta.indicator_id == IndicatorValue.indicator_id,
                isouter=True,
            )
            .where(
                IndicatorValue.area_code == area.area_code, self.visible(IndicatorValue.area_code)
            )
            .order_by(IndicatorValue.indicator_id, IndicatorValue.period)
        )
        return [(m, v) for m, v in self.session.execute(stmt).all()]

    def indicator_values(
        self,
        indicator_id: str,
        *,
        area_type: str = "lsoa",
        within: str | None = None,
        limit: int = 2000,
    ) -> list[tuple[Area, IndicatorValue]]:
        stmt = (
            select(Area, IndicatorValue)
            .join(IndicatorValue, IndicatorValue.area_code == Area.area_code)
            .where(
                IndicatorValue.indicator_id == indicator_id,
                Area.area_type == area_type,
                self.visible(Area.area_code),
            )
        )
        if within:
            self.area(within)
            stmt = stmt.where(
                Area.area_code.in_(
                    select(AreaLink.child_code).where(AreaLink.parent_code == within)
                )
            )
        return [
            (a, v)
            for a, v in self.session.execute(stmt.order_by(Area.area_code).limit(limit)).all()
        ]

    def aggregate(self, code: str, indicator_id: str) -> dict[str, Any]:
        """Summary of an LSOA indicator over the visible LSOAs inside ``code``.

        ``ratio`` is Σ numerator / Σ denominator when every LSOA has both (rates); otherwise
        ``None``. ``mean`` is the unweighted mean of LSOA values.
        """
        area = self.area(code)
        lsoas = select(AreaLink.child_code).where(
            AreaLink.parent_code == area.area_code, AreaLink.child_type == "lsoa"
        )
        stmt = select(
            func.count(IndicatorValue.value),
            func.avg(IndicatorValue.value),
            func.min(IndicatorValue.value),
            func.max(IndicatorValue.value),
            func.sum(IndicatorValue.numerator),
            func.sum(IndicatorValue.denominator),
            func.count(IndicatorValue.denominator),
        ).where(
            IndicatorValue.indicator_id == indicator_id,
            IndicatorValue.area_code.in_(lsoas),
            self.visible(IndicatorValue.area_code),
        )
        n, mean, lo, hi, num, den, n_den = self.session.execute(stmt).one()
        ratio = float(num) / float(den) if n and n_den == n and den else None
        return {
            "area_code": area.area_code,
            "indicator_id": indicator_id,
            "lsoas": int(n or 0),
            "mean": mean,
            "min": lo,
            "max": hi,
            "ratio": ratio,
        }

    def indicator_catalogue(self) -> list[IndicatorMeta]:
        return list(
            self.session.scalars(select(IndicatorMeta).order_by(IndicatorMeta.indicator_id))
        )

    # -- households ---------------------------------------------------------------------------
    def households(self, agreement_id: str) -> Select[Household]:
        return (
            select(Household)
            .where(Household.agreement_id == agreement_id, self.visible(Household.lsoa_code))
            .order_by(Household.lsoa_code, Household.reference)
        )

    def household(self, reference: str, agreement_id: str) -> Household:
        found = self.session.scalar(
            self.households(agreement_id).where(Household.reference == reference)
        )
        if found is None:
            raise NotVisible(reference)
        return found
