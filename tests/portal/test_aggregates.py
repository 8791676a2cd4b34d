"""Officers' aggregate exports: only their own areas, through the disclosure gate.

The gate's result is checked independently here: every published count is rounded, no count
from 1 to 7 is ever published, and a linear program written in this test (not the gate's own
audit) cannot pin any withheld cell from everything a user can download. Scope is checked
against an oracle computed from the raw area tables, for random districts and wards.
"""

from __future__ import annotations

import csv
import io
import random
from itertools import count

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from sqlalchemy import text

from lantern.disclosure import PRESETS
from lantern.errors import GovernanceError
from lantern.portal import accounts, aggregates, audit_db, households
from lantern.portal.models import Role
from lantern.portal.synthetic import synthetic_nhs_number

from .conftest import PASSWORD, UNLIMITED, make_portal

POLICY = PRESETS["nhs_small_area"]
_users = count()
PURPOSE = "hub-outreach"


# -- an independent attacker -----------------------------------------------------------------
def published_range(value: int, policy=POLICY) -> tuple[float, float]:
    """What a published count tells a reader about the true count."""
    if value == 0:
        return 0.0, float(policy.base // 2)  # 0 is published for 0 (and rounds of 1-2 if any)
    half = policy.base // 2
    return max(value - half, policy.threshold + 1), value + half


def attack(
    raw: pd.DataFrame, published: dict[str, pd.DataFrame], parents: pd.DataFrame, table: str
) -> dict[tuple[str, str], tuple[float, float]]:
    """For every withheld base cell, the narrowest interval a reader can prove from every
    published cell and total (continuous LP relaxation, variables = the true base counts)."""
    columns = list(aggregates.count_columns(table))
    cells = [(a, c) for a in raw.index for c in columns]
    index = {cell: i for i, cell in enumerate(cells)}
    rows, lo, hi = [], [], []

    def constrain(members: list[tuple[str, str]], value) -> None:  # noqa: ANN001
        if pd.isna(value):
            return
        row = np.zeros(len(cells))
        for m in members:
            row[index[m]] = 1
        a, b = published_range(int(value))
        rows.append(row)
        lo.append(a)
        hi.append(b)

    for level, frame in published.items():
        for area, values in frame.iterrows():
            members = [area] if level == "base" else list(parents.index[parents[level] == area])
            for c in columns:
                constrain([(m, c) for m in members], values[c])
            if table == "outcomes":  # households is the row total of the outcome columns
                constrain(
                    [(m, c) for m in members for c in aggregates.OUTCOME_COLUMNS],
                    values["households"],
                )
    a_ub = np.vstack([np.array(rows), -np.array(rows)]) if rows else None
    b_ub = np.concatenate([hi, -np.array(lo)]) if rows else None
    out = {}
    base = published["base"]
    for cell in cells:
        if not pd.isna(base.loc[cell[0], cell[1]]):
            continue
        bounds = []
        for sense in (1, -1):
            objective = np.zeros(len(cells))
            objective[index[cell]] = sense
            res = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
            assert res.status in (0, 3), res.message  # 3: unbounded above
            # status 3: unbounded, which only a maximisation can be (every count is >= 0)
            bounds.append(sense * res.fun if res.status == 0 else float("inf"))
        out[cell] = (bounds[0], bounds[1])
    return out


@st.composite
def tables(draw):
    n = draw(st.integers(3, 10))
    wards = draw(st.integers(1, 4))
    areas = [f"E0100{i:04d}" for i in range(n)]
    parents = pd.DataFrame(
        {
            "ward": [f"E0500{draw(st.integers(0, wards - 1)):04d}" for _ in areas],
            "district": [f"E0700{draw(st.integers(0, 1)):04d}" for _ in areas],
        },
        index=areas,
    )
    table = draw(st.sampled_from(["households", "outcomes"]))
    small = st.one_of(st.integers(0, 9), st.integers(10, 40))
    counts = pd.DataFrame(index=areas)
    if table == "outcomes":
        for c in aggregates.OUTCOME_COLUMNS:
            counts[c] = [draw(small) // (3 if c != aggregates.NOT_YET else 1) for _ in areas]
        counts["households"] = counts[list(aggregates.OUTCOME_COLUMNS)].sum(axis=1)
    else:
        counts["households"] = [draw(small) for _ in areas]
    return counts, parents, table


@settings(max_examples=12, deadline=None, database=None)
@given(tables())
def test_the_gate_withholds_small_counts_and_no_withheld_cell_can_be_pinned(case):
    counts, parents, table = case
    published = aggregates.protect_counts(
        counts, parents, table=table, levels=("ward", "district"), policy=POLICY
    )
    truth = {
        "base": counts,
        "ward": counts.groupby(parents["ward"]).sum(),
        "district": counts.groupby(parents["district"]).sum(),
    }
    for level, frame in published.items():
        for area, values in frame.iterrows():
            for c in aggregates.count_columns(table):
                raw, shown = int(truth[level].loc[area, c]), values[c]
                if 1 <= raw <= POLICY.threshold:
                    assert pd.isna(shown), (level, area, c, raw)
                if not pd.isna(shown):
                    assert int(shown) % POLICY.base == 0 and abs(int(shown) - raw) <= 2
                    assert not (1 <= int(shown) <= POLICY.threshold)
    required = getattr(POLICY, "required_high", None)
    for cell, (low, high) in attack(counts, published, parents, table).items():
        raw = int(counts.loc[cell[0], cell[1]])
        assert high - low >= 1, (cell, raw, low, high)  # never pinned
        if required and 1 <= raw <= POLICY.threshold:
            assert high >= required, (cell, raw, high)


def test_plans_follow_the_agreements_permitted_outputs():
    assert aggregates.plan(["lsoa", "ward"], "ward") == aggregates.Plan("lsoa", ("ward",))
    assert aggregates.plan(["ward", "msoa", "district"], "district").base == "ward"
    with pytest.raises(GovernanceError, match="do not nest"):
        aggregates.plan(["ward", "msoa", "district"], "msoa")
    with pytest.raises(GovernanceError, match="permits outputs by lsoa, ward"):
        aggregates.plan(["lsoa", "ward"], "district")


# -- through the app, on both backends ----------------------------------------------------------
@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def busy(request, tmp_path_factory):
    """A portal whose agreement permits every level, with many households and outcomes in two
    districts (counts from 0 to 30 per LSOA)."""
    folder = tmp_path_factory.mktemp("agg")
    portal = make_portal(request.param, "portal_agg", folder, request, **UNLIMITED)
    w = portal.world
    from lantern.portal import agreements

    with portal.session() as s:
        doc = agreements.get(s, w.agreement).document
        agreements.store(
            s,
            {**doc, "permitted_outputs": ["lsoa", "msoa", "ward", "district"]},
            sha256="1" * 64,
            actor="test",
            source="test",
        )
        s.commit()
        lsoas = [
            c
            for (c,) in s.execute(
                text(
                    "select child_code from area_links where child_type = 'lsoa' and parent_code in (:a, :b)"
                ),
                {"a": w.district, "b": w.other_district},
            )
        ]
    rng = random.Random(8)
    path = folder / "busy.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["reference", "lsoa21_code", "reason", "contact_name", "nhs_number"])
        n = 0
        for lsoa in sorted(lsoas):
            for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8, 9, 12, 20, 30])):
                n += 1
                writer.writerow(
                    [f"SYN-B{n:05d}", lsoa, "x", "Synthetic", synthetic_nhs_number(rng)]
                )
    with portal.session() as s:
        households.import_csv(
            s,
            path,
            agreement_id=w.agreement,
            party="ecc-asc",
            key=portal.settings.key_bytes(),
            actor="t",
        )
        s.execute(text("update households set lsoa_code = lsoa_code"))
        s.commit()
    # outcomes for some households in the hub's ward
    hub = portal.sign_in("hub")
    token = hub.get("/api/me").json()["csrf_token"]
    listed = hub.get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
    for i, h in enumerate(listed.json()["households"][:40]):
        hub.post(
            f"/api/households/{h['reference']}/outcome",
            json={
                "agreement": w.agreement,
                "purpose": PURPOSE,
                "outcome": "declined" if i < 3 else "no_answer",
            },
            headers={"x-csrf-token": token},
        )
    return portal


def _raw_counts(portal) -> tuple[dict[str, int], dict[str, set[str]], dict[str, str]]:
    with portal.session() as s:
        per_lsoa = dict(
            s.execute(
                text(
                    "select lsoa_code, count(*) from households where agreement_id = :a group by lsoa_code"
                ),
                {"a": portal.world.agreement},
            ).all()
        )
        links = s.execute(text("select child_code, parent_code from area_links")).all()
        types = dict(s.execute(text("select area_code, area_type from areas")).all())
    inside: dict[str, set[str]] = {}
    for child, parent in links:
        inside.setdefault(parent, set()).add(child)
    return per_lsoa, inside, types


def _user(portal, role: Role, scope: list[str]) -> object:
    name = f"agg{next(_users)}"
    with portal.session() as s:
        accounts.create_user(
            s, username=name, role=role, password=PASSWORD, scope=scope, organisation="x", actor="t"
        )
        s.commit()
    return portal.sign_in(name)


@settings(
    max_examples=4,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_aggregates_cover_exactly_the_users_areas(busy, data):
    per_lsoa, inside, types = _raw_counts(busy)
    w = busy.world
    wards = sorted(c for c in inside.get(w.district, ()) if types.get(c) == "ward")
    role, scope = data.draw(
        st.one_of(
            st.tuples(
                st.just(Role.DISTRICT_OFFICER),
                st.sampled_from([[w.district], [w.other_district], [w.district, w.other_district]]),
            ),
            st.tuples(
                st.just(Role.HUB_WORKER),
                st.lists(st.sampled_from(wards), min_size=1, max_size=2, unique=True),
            ),
        )
    )
    visible = set(scope) | {c for s in scope for c in inside.get(s, ())}
    client = _user(busy, role, scope)
    area_type = data.draw(st.sampled_from(["lsoa", "msoa", "ward", "district"]))
    response = client.get(
        "/api/aggregates",
        params={"agreement": w.agreement, "table": "households", "area_type": area_type},
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    expected = {c for c in visible if types[c] == area_type}
    assert {r["area_code"] for r in rows} == expected  # every area of theirs, nothing else
    for r in rows:
        lsoas = (
            {r["area_code"]}
            if area_type == "lsoa"
            else {c for c in inside[r["area_code"]] if types[c] == "lsoa"}
        )
        assert lsoas <= visible
        raw = sum(per_lsoa.get(c, 0) for c in lsoas)
        if 1 <= raw <= POLICY.threshold:
            assert r["households"] is None
        if r["households"] is not None:
            assert abs(r["households"] - raw) <= 2 and r["households"] % 5 == 0


def test_exports_are_csv_audited_and_marked(busy):
    w = busy.world
    officer = busy.sign_in("officer")
    response = officer.get(
        "/api/aggregates/export",
        params={"agreement": w.agreement, "table": "outcomes", "area_type": "ward"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    first, rest = response.text.split("\n", 1)
    assert first.startswith("# Flagged households by latest contact outcome by ward")
    export_id = next(p for p in first.split(" - ") if p.startswith("AGG-"))
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert rows and {r["area_type"] for r in rows} == {"ward"}
    assert any("[c]" in r.values() for r in rows)
    assert {r["area_code"] for r in rows} <= _codes_in(busy, w.district)
    with busy.session() as s:
        entry = audit_db.search(s, event="aggregates.exported", limit=1)[0].details
    assert entry["export"] == export_id and entry["actor"] == "officer"
    assert entry["table"] == "outcomes" and entry["rows"] == len(rows)
    # the page shows the same table, and says how it was protected
    page = officer.get(
        "/aggregates", params={"agreement": w.agreement, "table": "outcomes", "area_type": "ward"}
    )
    assert page.status_code == 200 and "counts 1..7 suppressed" in page.text
    assert 'id="aggregate"' in page.text and "[c]" in page.text


def _codes_in(portal, parent: str) -> set[str]:
    with portal.session() as s:
        return {
            c
            for (c,) in s.execute(
                text("select child_code from area_links where parent_code = :p"), {"p": parent}
            )
        }


def test_refusals(busy):
    w = busy.world
    hub = busy.sign_in("hub")
    with busy.session() as s:  # an agreement that permits ward outputs only
        from lantern.portal import agreements

        doc = agreements.get(s, w.agreement).document
        agreements.store(
            s,
            {**doc, "id": "AGG-WARDS-ONLY", "permitted_outputs": ["ward"]},
            sha256="2" * 64,
            actor="test",
            source="test",
        )
        s.commit()
    params = {"agreement": "AGG-WARDS-ONLY", "area_type": "lsoa"}
    refused = hub.get("/api/aggregates", params=params)
    assert refused.status_code == 403 and "permits outputs by ward, not by lsoa" in refused.text
    assert hub.get("/api/aggregates", params={**params, "area_type": "ward"}).status_code == 200
    missing = {"agreement": "NO-SUCH", "area_type": "ward"}
    assert hub.get("/api/aggregates", params=missing).status_code == 400
    expired = {"agreement": w.expired_agreement, "area_type": "ward"}
    assert hub.get("/api/aggregates", params=expired).status_code == 403
    assert (
        busy.client().get("/api/aggregates", params={"agreement": w.agreement}).status_code == 401
    )
    with busy.session() as s:
        entry = audit_db.search(s, event="access.refused", limit=1)[0].details
    assert entry["path"] == "/api/aggregates" and entry["status"] == 401


def test_outcome_counts_are_a_snapshot_but_household_changes_show_at_once(busy):
    """Officers' reads reuse outcome counts up to the refresh interval; an objection or import
    (a change to the agreement's households) is reflected at once."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from lantern.portal.models import Household, User
    from lantern.portal.scope import Scope, ScopedQueries

    w = busy.world

    def table(refresh: timedelta) -> tuple[object, dict]:
        with busy.session() as s:
            user = s.scalar(select(User).where(User.username == "hub"))
            result = aggregates.build(
                s,
                ScopedQueries(s, Scope.for_user(user)),
                agreement_id=w.agreement,
                table="outcomes",
                area_type="ward",
                policy=POLICY,
                today=date.today(),
                refresh=refresh,
            )
        return result.as_of, {r["area_code"]: r for r in result.rows}[w.hub_ward]

    def moved_in_ward() -> int:
        """The truth, by plain SQL: the ward's households whose latest outcome is 'moved'."""
        lsoas = _raw_counts(busy)[1].get(w.hub_ward, set())
        with busy.session() as s:
            latest = s.execute(
                text(
                    "select h.lsoa_code, o.outcome from households h join contact_outcomes o "
                    "on o.household_id = h.id where h.agreement_id = :a and o.id = "
                    "(select max(id) from contact_outcomes where household_id = h.id)"
                ),
                {"a": w.agreement},
            ).all()
        return sum(1 for lsoa, outcome in latest if lsoa in lsoas and outcome == "moved_or_unknown")

    def shows(published: object, truth: int) -> bool:
        """A published count is withheld, or the truth rounded (never off by more than 2)."""
        return published is None or (published % POLICY.base == 0 and abs(published - truth) <= 2)

    hour = timedelta(hours=1)
    taken, before = table(hour)
    hub = busy.sign_in("hub")
    token = hub.get("/api/me").json()["csrf_token"]
    listed = hub.get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
    untouched = [h for h in listed.json()["households"] if h["last_outcome"] != "moved_or_unknown"][
        :12
    ]
    assert len(untouched) == 12
    moved_before = moved_in_ward()
    for h in untouched:
        saved = hub.post(
            f"/api/households/{h['reference']}/outcome",
            json={"agreement": w.agreement, "purpose": PURPOSE, "outcome": "moved_or_unknown"},
            headers={"x-csrf-token": token},
        )
        assert saved.status_code == 200, saved.text
    assert moved_in_ward() == moved_before + 12
    assert table(hour) == (taken, before)  # the snapshot is reused, counts and time alike
    fresh_at, fresh = table(timedelta(0))
    assert fresh_at > taken and fresh != before
    assert shows(fresh["moved_or_unknown"], moved_before + 12)
    # an objection removes a household: the next read, however soon, is a new snapshot without it
    with busy.session() as s:
        doomed = s.scalar(select(Household).where(Household.reference == untouched[0]["reference"]))
        s.delete(doomed)
        s.commit()
    after_at, after = table(hour)
    assert after_at > fresh_at
    assert shows(after["moved_or_unknown"], moved_before + 11)
    assert table(hour) == (after_at, after)
