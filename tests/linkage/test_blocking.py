"""Blocking pair counts equal a brute-force count; the budget keeps coarse rules out."""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.linkage.blocking import (
    SWAPPED_NAMES,
    Candidate,
    budget_for,
    choose,
    count_pairs,
    rule_pairs,
    same,
)

COLUMNS = ["given_name", "family_name", "dob"]
values = st.one_of(st.none(), st.integers(0, 3))
frames = st.lists(
    st.lists(st.tuples(values, values, values), min_size=0, max_size=12), min_size=1, max_size=3
)


def _frame(rows):
    return pd.DataFrame(rows, columns=COLUMNS, dtype="Int32")


def _brute(dfs, rule, link_type):
    records = [(i, r) for i, df in enumerate(dfs) for r in df.to_dict("records")]
    count = 0
    for (fa, a), (fb, b) in itertools.combinations(records, 2):
        if link_type == "link_only" and fa == fb:
            continue
        if link_type == "dedupe_only" and fa != fb:
            continue
        if all(pd.notna(a[x]) and pd.notna(b[y]) and a[x] == b[y] for x, y in rule):
            count += 1
    return count


@settings(max_examples=150, deadline=None)
@given(
    frames,
    st.sampled_from([same("dob"), same("given_name", "family_name"), SWAPPED_NAMES]),
    st.sampled_from(["link_only", "link_and_dedupe", "dedupe_only"]),
)
def test_count_pairs_matches_brute_force(rows, rule, link_type):
    dfs = [_frame(r) for r in rows]
    if link_type == "dedupe_only":
        dfs = dfs[:1]
    assert count_pairs(dfs, rule, link_type) == _brute(dfs, rule, link_type)


def test_choose_drops_a_coarse_rule_and_skips_implied_ones():
    n = 20_000
    frame = pd.DataFrame(
        {
            "state": [i % 4 for i in range(n)],
            "id": range(n),
            "street": [i % 5000 for i in range(n)],
        },
        dtype="Int32",
    )
    cands = [
        Candidate(same("id"), True),
        Candidate(same("state"), False),
        Candidate(same("id", "street"), False),
        Candidate(same("street"), False),
    ]
    out = {c.rule: c for c in choose([frame], cands, "dedupe_only")}
    assert out[same("id")].status == "kept" and out[same("id")].pairs == 0
    assert out[same("state")].status == "over budget"
    assert out[same("state")].pairs > budget_for(n)
    assert out[same("id", "street")].status == "implied by a kept rule"
    assert out[same("street")].status == "kept" and out[same("street")].pairs == 5000 * 6


@settings(max_examples=100, deadline=None)
@given(
    frames,
    st.lists(
        st.sampled_from([same("dob"), same("given_name", "family_name"), SWAPPED_NAMES]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    st.sampled_from(["link_only", "link_and_dedupe", "dedupe_only"]),
)
def test_rule_pairs_are_exactly_the_pairs_meeting_a_rule(rows, rules, link_type):
    dfs = [_frame(r) for r in rows]
    if link_type == "dedupe_only":
        dfs = dfs[:1]
    offset = 0
    for df in dfs:
        df.insert(0, "id", range(offset, offset + len(df)))
        offset += len(df)
    got = {tuple(p) for p in rule_pairs(dfs, rules, link_type, "id").itertuples(index=False)}
    records = [(i, r) for i, df in enumerate(dfs) for r in df.to_dict("records")]
    want = set()
    for (fa, a), (fb, b) in itertools.combinations(records, 2):
        if (link_type == "link_only" and fa == fb) or (link_type == "dedupe_only" and fa != fb):
            continue
        if any(
            all(pd.notna(a[x]) and pd.notna(b[y]) and a[x] == b[y] for x, y in r) for r in rules
        ):
            want.add((min(a["id"], b["id"]), max(a["id"], b["id"])))
    assert got == want
