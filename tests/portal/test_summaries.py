"""Area summaries computed at load time: equal to an independent computation from the raw
tables, never stale after new data, and right for every scope (a user who may see an area may
see every LSOA inside it, so the area's whole mean is the mean they may see)."""

from __future__ import annotations

import csv
import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from lantern.portal import loaders, summaries
from lantern.portal.scope import Scope, ScopedQueries

from .test_area_pages import _row


@settings(max_examples=60, deadline=None, database=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 1))),
        min_size=1,
        max_size=40,
    ),
    groups=st.integers(1, 3),
)
def test_vectorised_deciles_equal_the_reference_definition(values, groups):
    frame = pd.DataFrame({"value": values, "group": [i % groups for i in range(len(values))]})
    got = summaries.deciles(frame["value"].astype(float), frame["group"])
    for i, (value, group) in enumerate(zip(frame["value"], frame["group"], strict=True)):
        peers = [
            v for v, g in zip(values, frame["group"], strict=True) if g == group and v is not None
        ]
        expected = summaries.decile(None if pd.isna(value) else value, peers)
        assert (None if pd.isna(got.iloc[i]) else int(got.iloc[i])) == expected


def _raw(portal):
    with portal.session() as s:
        areas = dict(s.execute(text("select area_code, area_type from areas")).all())
        links = s.execute(
            text("select child_code, parent_code from area_links where child_type = 'lsoa'")
        ).all()
        values = s.execute(
            text("select area_code, indicator_id, period, value from indicators")
        ).all()
    return areas, links, values


def test_summaries_equal_the_raw_tables(portal):
    """Every area's value and LSOA count, and every county value, from plain SQL rows."""
    areas, links, values = _raw(portal)
    latest: dict[str, str] = {}
    for code, ind, period, _ in values:
        if areas.get(code) == "lsoa":
            latest[ind] = max(latest.get(ind, ""), period)
    lsoa_value = {
        (code, ind): v
        for code, ind, period, v in values
        if areas.get(code) == "lsoa" and period == latest[ind]
    }
    with portal.session() as s:
        stored = {
            (a, i): (v, n)
            for a, i, v, n in s.execute(
                text("select area_code, indicator_id, value, lsoas from area_summaries")
            )
        }
        county = dict(
            s.execute(
                text(
                    "select indicator_id, value from indicator_benchmarks where geography = 'county'"
                )
            ).all()
        )
    children: dict[str, list[str]] = {}
    for child, parent in links:
        children.setdefault(parent, []).append(child)
    checked = 0
    for parent, kids in children.items():
        for ind in latest:
            got = [lsoa_value[(k, ind)] for k in kids if lsoa_value.get((k, ind)) is not None]
            if not got or (parent, ind) not in stored or stored[(parent, ind)][1] is None:
                continue
            value, n = stored[(parent, ind)]
            assert n == len(got) and value == pytest.approx(sum(got) / len(got))
            checked += 1
    assert checked > 100
    for ind in latest:
        got = [v for (c, i), v in lsoa_value.items() if i == ind and v is not None]
        assert county[ind] == pytest.approx(sum(got) / len(got))


def test_new_data_reaches_pages_at_once(portal, clients, tmp_path):
    """Loading new values rebuilds the summaries in the same transaction: the very next page
    shows them."""
    w = portal.world
    areas, links, _ = _raw(portal)
    in_district = sorted({c for c, p in links if p == w.district})
    rng = random.Random(11)
    new = {code: round(rng.uniform(0, 100), 3) for code, t in areas.items() if t == "lsoa"}
    path = tmp_path / "new.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["lsoa21_code", "v"])
        writer.writerows(new.items())
    officer = clients["officer"]
    before = officer.get(f"/areas/{w.district}").text
    assert 'data-indicator="test.fresh"' not in before
    for shift in (0.0, 10.0):
        if shift:
            path.write_text(
                "lsoa21_code,v\n" + "".join(f"{c},{v + shift}\n" for c, v in new.items())
            )
        with portal.session() as s:
            loaders.load_indicator_csv(
                s,
                path,
                code_column="lsoa21_code",
                columns={"v": "test.fresh"},
                period="2026",
                source="test",
                titles={"test.fresh": "A fresh test indicator"},
                units={"test.fresh": "per cent"},
            )
        cells = _row(officer.get(f"/areas/{w.district}").text, "test.fresh")
        expected = sum(new[c] + shift for c in in_district) / len(in_district)
        assert float(cells[2]) == pytest.approx(expected, abs=5e-4)
        assert cells[0].startswith("A fresh test indicator") and cells[3] == "per cent"


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_visible_area_has_all_its_lsoas_visible(portal, data):
    """The precondition for summaries that ignore scope, for random scopes of every kind."""
    areas, links, _ = _raw(portal)
    codes = sorted(areas)
    scope = data.draw(st.lists(st.sampled_from(codes), min_size=1, max_size=4, unique=True))
    with portal.session() as s:
        q = ScopedQueries(s, Scope(frozenset(scope)))
        _, visible = q.areas(limit=10_000)
    seen = {a.area_code for a in visible}
    for code in seen:
        inside = {c for c, p in links if p == code}
        assert inside <= seen, code
