"""Aggregates officers may take away: counts of flagged households and of their latest contact
outcomes by area, for the user's own scope, through the disclosure gate.

Each table is counted at the finest geography the agreement permits (its base: LSOA where
allowed), with every coarser permitted level as totals, and the whole system is protected at
once by ``lantern.disclosure.protect_table`` (small counts withheld, the rest rounded, secondary
suppression so no withheld cell can be worked out from the totals) and then checked by
``lantern.disclosure.check_table``; a table the check does not pass is refused. Every level a
user can download comes from that one protected system, so no two downloads can be subtracted
to uncover a withheld cell. Only areas the user may see are counted, and a total is published
only for an area wholly inside the user's scope. Protection is deterministic, so the same data
always gives the same published table.

Each server process keeps the protected tables it has made (``build``), keyed by everything they
depend on: the user's exact scope, the agreement, the table, the protected levels, the policy
and a version of the agreement's households (count, highest id, latest import time), so a
narrowed scope or a new household list is never answered from an older table. ``prepare``
makes the tables of every active user's scope before a process serves (protection costs
60–90 ms a table, the rest of a read about 2 ms).
"""

from __future__ import annotations

import hashlib
import io
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from threading import Lock

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from lantern.disclosure import Hierarchy, Policy, check_table, protect_table
from lantern.errors import DisclosureError, GovernanceError, InputError
from lantern.portal import agreements as agreements_mod
from lantern.portal.csvsafe import SafeWriter
from lantern.portal.households import OUTCOMES
from lantern.portal.models import Area, AreaLink, ContactOutcome, Household, User, WebSession
from lantern.portal.scope import Scope, ScopedQueries

TABLES = {
    "households": "Flagged households",
    "outcomes": "Flagged households by latest contact outcome",
}
NOT_YET = "not_yet_contacted"
OUTCOME_COLUMNS = (*OUTCOMES, NOT_YET)
LEVELS = ("lsoa", "msoa", "ward", "district")
WITHHELD = "[c]"


# -- pure ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """The table's base geography and the coarser levels protected with it (all permitted)."""

    base: str
    levels: tuple[str, ...]

    @property
    def available(self) -> tuple[str, ...]:
        return (self.base, *self.levels)


def plan(permitted: Sequence[str], area_type: str) -> Plan:
    """Which system of tables serves ``area_type`` under an agreement's permitted outputs.

    LSOAs nest in MSOAs, wards and districts, so with LSOA outputs permitted every level is
    protected together. Wards and MSOAs do not nest in each other: without LSOA outputs only one
    of them can be the base (wards first), with districts above it.
    """
    allowed = [lvl for lvl in LEVELS if lvl in permitted]
    if area_type not in LEVELS:
        raise InputError(f"area type must be one of {', '.join(LEVELS)}")
    if area_type not in allowed:
        raise GovernanceError(
            f"the agreement permits outputs by {', '.join(allowed) or 'no area type'}, "
            f"not by {area_type}"
        )
    if "lsoa" in allowed:
        return Plan("lsoa", tuple(lvl for lvl in allowed if lvl != "lsoa"))
    base = "ward" if "ward" in allowed else ("msoa" if "msoa" in allowed else "district")
    levels = ("district",) if base != "district" and "district" in allowed else ()
    result = Plan(base, levels)
    if area_type not in result.available:
        raise GovernanceError(
            f"outputs by {area_type} cannot be protected together with outputs by {base} "
            "(they do not nest) unless the agreement permits LSOA outputs"
        )
    return result


def count_columns(table: str) -> tuple[str, ...]:
    return ("households",) if table == "households" else ("households", *OUTCOME_COLUMNS)


def protect_counts(
    counts: pd.DataFrame,
    parents: pd.DataFrame,
    *,
    table: str,
    levels: Sequence[str],
    policy: Policy,
) -> dict[str, pd.DataFrame]:
    """Protect base-area counts with their totals at ``levels``; check the result.

    ``counts``: one row per base area (index: area code) with ``count_columns(table)``;
    ``parents``: the same index, one column per level (the area's parent code). Returns, per
    level (base included, under the name ``"base"``), a frame indexed by area code with the
    published counts (``<NA>`` where withheld). Raises ``DisclosureError`` if the gate's own check
    finds any rule broken.
    """
    columns = count_columns(table)
    frame = counts[list(columns)].astype("int64").copy()
    frame.index = frame.index.astype(str)
    frame.insert(0, "area", frame.index)
    for level in levels:
        frame[level] = parents.loc[frame.index, level].astype(str).to_numpy()
    totals = {"households": tuple(OUTCOME_COLUMNS)} if table == "outcomes" else {}
    hierarchy = Hierarchy(geography="area", levels=tuple(levels), column_totals=totals)
    protected = protect_table(
        frame.reset_index(drop=True), count_columns=columns, policy=policy, hierarchy=hierarchy
    )
    failures = check_table(
        table,
        protected.table,
        count_columns=columns,
        policy=policy,
        hierarchy=hierarchy,
        totals=protected.totals,
    )
    if failures:
        raise DisclosureError(
            f"the {table} table did not pass the disclosure check ({failures[0].rule}); "
            "nothing was released"
        )
    out = {"base": protected.table.set_index("area")[list(columns)]}
    for level, totals_frame in protected.totals.items():
        out[level] = totals_frame.set_index(level)[list(columns)]
    return out


# -- with the database ---------------------------------------------------------------------------
@dataclass
class AggregateTable:
    """A published aggregate: rows of the user's areas at one level, withheld cells ``None``."""

    table: str
    title: str
    agreement: str
    area_type: str
    columns: tuple[str, ...]
    rows: list[dict] = field(default_factory=list)
    policy: str = ""
    #: when the counts were taken
    as_of: datetime | None = None

    @property
    def withheld(self) -> int:
        return sum(1 for r in self.rows for c in self.columns if r[c] is None)


#: protected tables kept per process (by their exact inputs), and snapshots (by scope and version)
CACHE_SIZE = 1024
_CACHE: OrderedDict[str, dict[str, pd.DataFrame]] = OrderedDict()
_CACHE_LOCK = Lock()


def _protected(
    counts: pd.DataFrame, parents: pd.DataFrame, table: str, levels: tuple[str, ...], policy: Policy
) -> dict[str, pd.DataFrame]:
    """``protect_counts``, memoised on its exact inputs (protection is deterministic)."""
    digest = hashlib.sha256()
    digest.update(repr((table, levels, policy.to_dict())).encode())
    digest.update(pd.util.hash_pandas_object(counts.sort_index(), index=True).to_numpy().tobytes())
    digest.update(pd.util.hash_pandas_object(parents.sort_index(), index=True).to_numpy().tobytes())
    key = digest.hexdigest()
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    result = protect_counts(counts, parents, table=table, levels=levels, policy=policy)
    with _CACHE_LOCK:
        _CACHE[key] = result
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _household_counts(session: Session, scoped: ScopedQueries, agreement_id: str) -> pd.DataFrame:
    """Per visible LSOA: households of the agreement, and by latest contact outcome."""
    latest = (
        select(ContactOutcome.household_id, func.max(ContactOutcome.id).label("last"))
        .group_by(ContactOutcome.household_id)
        .subquery()
    )
    rows = session.execute(
        select(Household.lsoa_code, ContactOutcome.outcome)
        .join(latest, latest.c.household_id == Household.id, isouter=True)
        .join(ContactOutcome, ContactOutcome.id == latest.c.last, isouter=True)
        .where(Household.agreement_id == agreement_id, scoped.visible(Household.lsoa_code))
    ).all()
    frame = pd.DataFrame(rows, columns=["lsoa", "outcome"])
    frame["outcome"] = frame["outcome"].fillna(NOT_YET)
    wide = pd.crosstab(frame["lsoa"], frame["outcome"]) if len(frame) else pd.DataFrame()
    wide = wide.reindex(columns=list(OUTCOME_COLUMNS), fill_value=0)
    wide["households"] = wide[list(OUTCOME_COLUMNS)].sum(axis=1)
    return wide


def _system(
    session: Session, scoped: ScopedQueries, agreement_id: str, table: str, chosen: Plan
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Base-area counts and parents for the user's scope (None when they hold no base area)."""
    _, base_areas = scoped.areas(area_type=chosen.base, limit=1_000_000)
    if not base_areas:
        return None
    codes = [a.area_code for a in base_areas]
    parents = pd.DataFrame(index=pd.Index(codes, dtype=object))
    if chosen.levels:
        links = pd.DataFrame(
            session.execute(
                select(AreaLink.child_code, AreaLink.parent_code, AreaLink.parent_type).where(
                    AreaLink.child_type == chosen.base,
                    AreaLink.parent_type.in_(chosen.levels),
                    scoped.visible(AreaLink.child_code),
                )
            ).all(),
            columns=["child", "parent", "parent_type"],
        )
        parents = (
            links.pivot_table(
                index="child", columns="parent_type", values="parent", aggfunc="first"
            )
            .reindex(index=codes, columns=list(chosen.levels))
            .fillna("(none)")
        )
    by_lsoa = _household_counts(session, scoped, agreement_id)
    if chosen.base == "lsoa":
        counts = by_lsoa.reindex(codes, fill_value=0)
    else:
        to_base = dict(
            session.execute(
                select(AreaLink.child_code, AreaLink.parent_code).where(
                    AreaLink.child_type == "lsoa", AreaLink.parent_type == chosen.base
                )
            ).all()
        )
        counts = by_lsoa.groupby(by_lsoa.index.map(to_base)).sum().reindex(codes, fill_value=0)
    return counts.reindex(columns=list(count_columns(table)), fill_value=0), parents


@dataclass
class _Snapshot:
    at: datetime
    published: dict[str, pd.DataFrame] | None
    #: the rows shown at each area type (filled on first use; the key fixes everything they
    #: depend on but the area names and links, which change only with a new geography)
    rows: dict[str, list[dict]] = field(default_factory=dict)


_SNAPSHOTS: OrderedDict[tuple, _Snapshot] = OrderedDict()
#: one lock per snapshot key being made, so requests arriving together protect a table once
_MAKING: dict[tuple, Lock] = {}


def _fresh(key: tuple, now: datetime, refresh: timedelta) -> _Snapshot | None:
    with _CACHE_LOCK:
        snapshot = _SNAPSHOTS.get(key)
        if snapshot is not None:
            _SNAPSHOTS.move_to_end(key)
    return snapshot if snapshot is not None and now - snapshot.at <= refresh else None


def households_version(session: Session, agreement_id: str) -> tuple:
    """What changes whenever the agreement's households do: their count (an objection or a
    purge removes some), highest id and latest import time (a new list, even one of the same
    size whose ids a database reused)."""
    return tuple(
        session.execute(
            select(func.count(), func.max(Household.id), func.max(Household.imported_at)).where(
                Household.agreement_id == agreement_id
            )
        ).one()
    )


def _shown_rows(
    session: Session,
    scoped: ScopedQueries,
    frame: pd.DataFrame,
    area_type: str,
    columns: tuple[str, ...],
) -> list[dict]:
    names = dict(
        session.execute(
            select(Area.area_code, Area.area_name).where(Area.area_code.in_(list(frame.index)))
        ).all()
    )
    # an area of a coarser level is shown only if the user may see it, and then every LSOA
    # inside it is theirs too (scope runs downwards): a total over part of an area is protected
    # with the rest but never shown
    shown = {a.area_code for a in scoped.areas(area_type=area_type, limit=1_000_000)[1]}
    rows = []
    ordered = frame.sort_index()
    values = ordered[list(columns)].astype(object).where(ordered[list(columns)].notna(), None)
    for code, cells in zip(ordered.index, values.itertuples(index=False), strict=True):
        if code not in names or code not in shown:
            continue
        rows.append(
            {
                "area_code": code,
                "area_name": names[code],
                **{c: None if v is None else int(v) for c, v in zip(columns, cells, strict=True)},
            }
        )
    return rows


def build(
    session: Session,
    scoped: ScopedQueries,
    *,
    agreement_id: str,
    table: str,
    area_type: str,
    policy: Policy,
    today: date,
    refresh: timedelta = timedelta(0),
) -> AggregateTable:
    """The protected table for the user's scope (see the module docstring).

    Outcome counts are taken as a snapshot at most ``refresh`` old (0: always now), so officers'
    reads do not re-run the protection after every outcome a hub worker records; any change to
    the agreement's households (an import, an objection, a purge) takes a new snapshot at once.
    """
    if table not in TABLES:
        raise InputError(f"table must be one of {', '.join(TABLES)}")
    agreement = agreements_mod.get(session, agreement_id)
    if not agreement.is_active(today):
        raise GovernanceError(f"agreement {agreement.id} is not in force today")
    chosen = plan(agreement.permitted_outputs, area_type)
    columns = count_columns(table)
    key = (
        str(session.get_bind().engine.url),
        None if scoped.scope.codes is None else tuple(sorted(scoped.scope.codes)),
        agreement.id,
        table,
        chosen,
        repr(policy.to_dict()),
        households_version(session, agreement.id),
    )
    now = datetime.now(UTC)
    snapshot = _fresh(key, now, refresh)
    if snapshot is None:
        with _CACHE_LOCK:
            making = _MAKING.setdefault(key, Lock())
        with making:  # another request may be making this very table: wait for it
            snapshot = _fresh(key, now, refresh)
            if snapshot is None:
                system = _system(session, scoped, agreement.id, table, chosen)
                published = (
                    None if system is None else _protected(*system, table, chosen.levels, policy)
                )
                snapshot = _Snapshot(now, published)
                with _CACHE_LOCK:
                    _SNAPSHOTS[key] = snapshot
                    while len(_SNAPSHOTS) > CACHE_SIZE:
                        _SNAPSHOTS.popitem(last=False)
        with _CACHE_LOCK:
            _MAKING.pop(key, None)
    result = AggregateTable(
        table,
        TABLES[table],
        agreement.id,
        area_type,
        columns,
        policy=policy.describe(),
        as_of=snapshot.at,
    )
    if snapshot.published is None:
        return result
    rows = snapshot.rows.get(area_type)
    if rows is None:
        frame = snapshot.published["base" if area_type == chosen.base else area_type]
        rows = _shown_rows(session, scoped, frame, area_type, columns)
        with _CACHE_LOCK:
            snapshot.rows[area_type] = rows
    result.rows = [dict(r) for r in rows]
    return result


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` made: distinct scopes and tables (one per scope, agreement, table and
    area type), and whether it stopped at its time limit."""

    scopes: int
    tables: int
    complete: bool


def prepare(
    factory: sessionmaker[Session],
    *,
    policy: Policy,
    today: date,
    seconds: float,
) -> Prepared:
    """Make the protected tables of every active user's scope, for every agreement in force and
    every level it permits, as their first read would (``build``), most recently active users
    first, for at most ``seconds``. Reads only; nothing is audited, as nothing is shown."""
    deadline = time.monotonic() + seconds
    with factory() as session:
        last_seen = (
            select(WebSession.user_id, func.max(WebSession.last_seen_at).label("seen"))
            .group_by(WebSession.user_id)
            .subquery()
        )
        users = session.scalars(
            select(User)
            .options(selectinload(User.scopes))
            .join(last_seen, last_seen.c.user_id == User.id, isouter=True)
            .where(User.active.is_(True))
            .order_by(last_seen.c.seen.desc().nulls_last(), User.id)
        ).all()
        scopes = list(dict.fromkeys(Scope.for_user(u) for u in users))
        agreements = [
            a
            for a in agreements_mod.all_agreements(session)
            if a.is_active(today) and set(a.permitted_outputs) & set(LEVELS)
        ]
        made = 0
        for scope in scopes:
            scoped = ScopedQueries(session, scope)
            for agreement in agreements:
                for table in TABLES:
                    for level in (lvl for lvl in LEVELS if lvl in agreement.permitted_outputs):
                        if time.monotonic() > deadline or made >= CACHE_SIZE // 2:
                            return Prepared(len(scopes), made, complete=False)
                        try:
                            build(
                                session,
                                scoped,
                                agreement_id=agreement.id,
                                table=table,
                                area_type=level,
                                policy=policy,
                                today=today,
                                refresh=timedelta(days=1),
                            )
                        except GovernanceError:  # a level this agreement cannot protect
                            continue
                        made += 1
            session.rollback()
    return Prepared(len(scopes), made, complete=True)


def csv_text(result: AggregateTable, *, header: str) -> str:
    """The published table as formula-safe CSV; withheld cells read ``[c]``."""
    out = io.StringIO()
    out.write(header + "\n")
    writer = SafeWriter(out)
    writer.writerow(["area_code", "area_name", "area_type", *result.columns])
    for row in result.rows:
        writer.writerow(
            [
                row["area_code"],
                row["area_name"],
                result.area_type,
                *(WITHHELD if row[c] is None else row[c] for c in result.columns),
            ]
        )
    return out.getvalue()
