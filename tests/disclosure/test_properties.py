"""Hypothesis properties over random tables and hierarchies (about 3,850 tables in all).

For every random table, policy and hierarchy (one or two levels, nested or overlapping, with or
without a row total): no published cell lies in the suppressed range, every published count is a
multiple of the rounding base, the truth lies inside what each published value says, and an
independent integer-programming reader cannot recover any withheld cell exactly — within one
release, and across two releases of the same table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lantern.disclosure import Hierarchy, Policy, check_table, protect_table
from lantern.disclosure.protect import protect_cells
from lantern.disclosure.system import CellSystem

from .oracle import (
    RandomTable,
    base_form_equations,
    cell_keys,
    knowledge,
    newly_recoverable,
    recoverable,
    true_values,
)

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

policies = st.one_of(
    st.sampled_from(
        [
            Policy(name="nhs_small_area"),
            Policy(name="threshold_only", method="suppress", threshold=7, base=1),
            Policy(name="opensafely", method="redact_round", totals="derived"),
            Policy(name="midpoint6", method="midpoint6", threshold=0, base=1),
        ]
    ),
    st.builds(
        Policy,
        method=st.sampled_from(["suppress_round", "suppress"]),
        threshold=st.integers(1, 10),
        base=st.integers(1, 10),
        suppress_zeros=st.booleans(),
    ),
)


@st.composite
def tables(draw, max_areas: int = 9) -> RandomTable:
    n = draw(st.integers(2, max_areas))
    cols = draw(st.integers(1, 3))
    small = st.integers(0, 9)
    big = st.integers(0, 60)
    values = np.array(
        draw(st.lists(st.one_of(small, big), min_size=n * cols, max_size=n * cols))
    ).reshape(n, cols)
    row_total = cols >= 2 and draw(st.booleans())
    if row_total:
        values = np.column_stack([values, values.sum(axis=1)])
    n_levels = draw(st.integers(1, 2))
    g0 = draw(st.integers(1, min(4, n)))
    level0 = np.array(draw(st.lists(st.integers(0, g0 - 1), min_size=n, max_size=n)))
    levels = [level0]
    nested = True
    if n_levels == 2:
        nested = draw(st.booleans())
        if nested:
            up = {g: draw(st.integers(0, 1)) for g in sorted(set(level0.tolist()))}
            levels.append(np.array([up[g] for g in level0]))
        else:
            levels.append(np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))))
    return RandomTable(values=values, levels=levels, nested=nested, row_total=row_total)


def library_system(table: RandomTable, levels: set[int], policy: Policy) -> CellSystem:
    """The table as the library sees it: nested levels sum the level below (a tree)."""
    derived = policy.totals == "derived"
    keys = [
        k for k in cell_keys(table) if k[0] == "base" or (not derived and int(k[0][1:]) in levels)
    ]
    index = {k: i for i, k in enumerate(keys)}
    truth = true_values(table)
    eq, cell, coef = [], [], []

    def add(total, parts):
        e = (eq[-1] + 1) if eq else 0
        eq.extend([e] * (len(parts) + 1))
        cell.extend([index[total], *[index[p] for p in parts]])
        coef.extend([-1.0] + [1.0] * len(parts))

    if not derived:
        n, c = table.values.shape
        for k, labels in enumerate(table.levels):
            if k not in levels:
                continue
            for g in sorted(set(labels.tolist())):
                for j in range(c):
                    if k == 1 and table.nested and 0 in levels:
                        subs = sorted(set(table.levels[0][labels == g].tolist()))
                        parts = [("L0", f"g{s}", f"c{j}") for s in subs]
                    else:
                        parts = [("base", f"a{i}", f"c{j}") for i in np.flatnonzero(labels == g)]
                    add((f"L{k}", f"g{g}", f"c{j}"), parts)
        if table.row_total:
            rows = sorted({(k[0], k[1]) for k in keys})
            for level, area in rows:
                add((level, area, f"c{c - 1}"), [(level, area, f"c{j}") for j in range(c - 1)])
    return CellSystem(
        keys=pd.DataFrame(keys, columns=["level", "area", "column"]),
        values=np.array([truth[k] for k in keys], dtype=float),
        eq=np.array(eq, dtype=np.int64),
        cell=np.array(cell, dtype=np.int64),
        coef=np.array(coef, dtype=float),
    )


def published_by_key(system: CellSystem, published: np.ndarray) -> dict[tuple, float]:
    return {
        tuple(k): float(p)
        for k, p in zip(system.keys.itertuples(index=False), published, strict=True)
    }


def assert_cell_rules(system: CellSystem, published: np.ndarray, policy: Policy) -> None:
    truth = system.values
    for k, p, t in zip(system.keys.itertuples(index=False), published, truth, strict=True):
        if math.isnan(p):
            continue
        if policy.suppresses:
            low = 0 if (policy.suppress_zeros or policy.method == "redact_round") else 1
            assert not (low <= p <= policy.threshold), f"{k} published inside the suppressed range"
        if policy.method == "midpoint6":
            assert p == 0 or (p - 3) % 6 == 0, f"{k} is not a midpoint-6 value"
        else:
            assert p % policy.rounding_base == 0, f"{k} is not a multiple of {policy.rounding_base}"
        lo, hi = knowledge(p, policy)
        assert lo <= t <= hi, f"{k}: true count outside what its published value says"


def withheld_keys(system: CellSystem, published: np.ndarray) -> set[tuple]:
    return {
        tuple(k)
        for k, p in zip(system.keys.itertuples(index=False), published, strict=True)
        if math.isnan(p)
    }


def published_equations(table: RandomTable, levels: set[int], policy: Policy) -> list:
    return [] if policy.totals == "derived" else base_form_equations(table, levels)


@settings(FAST, max_examples=2500)
@given(table=tables(), policy=policies)
def test_within_one_release(table: RandomTable, policy: Policy) -> None:
    levels = set(range(len(table.levels)))
    system = library_system(table, levels, policy)
    out = protect_cells(system, policy)
    assert_cell_rules(system, out.published, policy)
    assert out.withheld[np.isnan(out.published)].all()
    pub = published_by_key(system, out.published)
    pinned = recoverable(
        [(pub, policy, published_equations(table, levels, policy))],
        withheld_keys(system, out.published),
    )
    assert not pinned, f"withheld cells recoverable: {pinned}"


@settings(FAST, max_examples=1200)
@given(table=tables(max_areas=7), first=policies, data=st.data())
def test_across_two_releases(table: RandomTable, first: Policy, data) -> None:
    """Two releases of one table under its agreement's policy; the second adds a level."""
    second = first
    all_levels = set(range(len(table.levels)))
    levels1 = data.draw(st.sampled_from([{0}, all_levels]))
    system1 = library_system(table, levels1, first)
    out1 = protect_cells(system1, first)
    published1 = out1.published
    previous = CellSystem(system1.keys, published1, system1.eq, system1.cell, system1.coef)
    system2 = library_system(table, all_levels, second)
    out2 = protect_cells(system2, second, previous=(previous, first))
    assert_cell_rules(system2, out2.published, second)
    pub1, pub2 = published_by_key(system1, published1), published_by_key(system2, out2.published)
    withheld1, withheld2 = (
        withheld_keys(system1, published1),
        withheld_keys(system2, out2.published),
    )
    truth = true_values(table)
    # Zeros withheld only under a policy that withholds zeros may be published under one that does not.
    freed = {k for k in withheld1 if truth[k] == 0 and second.suppressed_low == 1}
    assert (withheld1 & set(pub2)) - freed <= withheld2, (
        "a cell withheld in the first release was published"
    )
    targets = withheld2 | (withheld1 - set(pub2))
    pinned = newly_recoverable(
        [
            (pub1, first, published_equations(table, levels1, first)),
            (pub2, second, published_equations(table, all_levels, second)),
        ],
        targets,
    )
    assert not pinned, f"withheld cells recoverable across releases: {pinned}"


def frame_of(table: RandomTable) -> tuple[pd.DataFrame, Hierarchy, list[str]]:
    n, c = table.values.shape
    cols = [f"c{j}" for j in range(c)]
    df = pd.DataFrame(table.values, columns=cols)
    df.insert(0, "area", [f"a{i}" for i in range(n)])
    level_cols = []
    for k, labels in enumerate(table.levels):
        df[f"L{k}"] = [f"g{g}" for g in labels]
        level_cols.append(f"L{k}")
    col_totals = {cols[-1]: tuple(cols[:-1])} if table.row_total else {}
    return df, Hierarchy("area", tuple(level_cols), col_totals), cols


@settings(FAST, max_examples=150)
@given(table=tables(max_areas=8), policy=policies)
@example(  # a straddling ward: its piece in one district is the sum of rounded cells (8+8 -> 20)
    table=RandomTable(
        values=np.array([[0], [0], [8], [8]]),
        levels=[np.array([0, 0, 0, 0]), np.array([0, 1, 0, 0])],
        nested=False,
        row_total=False,
    ),
    policy=Policy(name="nhs_small_area"),
)
def test_protect_table_frames_pass_the_checker(table: RandomTable, policy: Policy) -> None:
    """The frame API gives the same guarantees, and its output passes ``check_table``."""
    df, hierarchy, cols = frame_of(table)
    out = protect_table(df, count_columns=cols, policy=policy, hierarchy=hierarchy)
    published = out.table[cols].to_numpy(dtype=float, na_value=np.nan)
    if policy.suppresses:
        low = policy.suppressed_low
        assert not ((published >= low) & (published <= policy.threshold)).any()
    if policy.method != "midpoint6":
        assert np.all(np.isnan(published) | (published % policy.rounding_base == 0))
    failures = check_table(
        "t.csv",
        out.table,
        count_columns=cols,
        policy=policy,
        hierarchy=hierarchy,
        totals=out.totals,
    )
    assert failures == [], [str(f) for f in failures]
