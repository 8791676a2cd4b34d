"""The audit's fast paths (rooted propagation, propagation on acyclic sums, integer programming
with early settling) against brute-force integer programming written here, on random tables with
nested, straddling and overlapping levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from lantern.disclosure import Hierarchy, protect_table
from lantern.disclosure.recovery import audit
from lantern.disclosure.system import Layout, build_system

BIGGEST = 1000  # anything above counts as unbounded


def brute_range(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, i: int) -> tuple[float, float]:
    bounds = Bounds(lo, np.minimum(hi, 1e4))
    cons = [LinearConstraint(a, 0, 0)]
    c = np.zeros(len(lo))
    c[i] = 1
    low = milp(c, constraints=cons, bounds=bounds, integrality=np.ones(len(lo)))
    high = milp(-c, constraints=cons, bounds=bounds, integrality=np.ones(len(lo)))
    top = round(-high.fun)
    return round(low.fun), (np.inf if top >= BIGGEST else top)


def random_system(rng):
    n = int(rng.integers(3, 10))
    base = pd.DataFrame(
        rng.integers(0, 20, (n, 2)).astype(float),
        index=[f"a{i}" for i in range(n)],
        columns=["x", "y"],
    )
    m = rng.integers(0, 3, n)
    d = np.where(rng.random(n) < 0.3, rng.integers(0, 2, n), m % 2)  # some MSOAs straddle
    parents = pd.DataFrame({"M": [f"m{v}" for v in m], "D": [f"d{v}" for v in d]}, index=base.index)
    totals = {lv: base.groupby(parents[lv]).sum() for lv in ("M", "D") if rng.random() < 0.85}
    return build_system(Layout("B", base, parents, totals, {}))


def test_fast_paths_match_brute_force_integer_programming():
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(120):
        system = random_system(rng)
        if not system.n_equations:
            continue
        v = system.values
        kind = rng.integers(0, 3, len(v))
        lo = np.where(
            kind == 0,
            v,
            np.where(kind == 1, np.maximum(v - rng.integers(0, 3, len(v)), 0), 1.0 * (v > 0)),
        )
        hi = np.where(kind == 0, v, np.where(kind == 1, v + rng.integers(0, 3, len(v)), np.inf))
        lo = np.minimum(lo, v)
        implicit = system.implicit if system.implicit is not None else np.zeros(len(v), bool)
        lo, hi = np.where(implicit, 0.0, lo), np.where(implicit, np.inf, hi)
        target = (kind == 2) | implicit
        need = float(rng.integers(2, 12))
        exact = audit(system, lo, hi, target, exact=True)
        fast = audit(system, lo, hi, target, required=need, low_rule=1.0)
        a = system.matrix().toarray()
        for i in np.flatnonzero(target):
            low, high = brute_range(a, lo, hi, i)
            got_high = exact.high[i] if exact.high[i] < BIGGEST else np.inf
            assert (exact.low[i], got_high) == (low, high)
            fails = (low == high and not implicit[i]) or (high < need and low >= 1)
            assert bool(fast.failing[i]) == fails
            checked += 1
    assert checked > 500


def test_an_msoa_split_between_districts_is_protected_in_pieces():
    """MSOA m0 straddles districts d0 and d1: its part in each district is an unpublished piece
    the audit checks, and the sums stay acyclic (no solver needed)."""
    df = pd.DataFrame(
        {
            "lsoa": list("abcdefg"),
            "msoa": ["m0", "m0", "m0", "m1", "m1", "m2", "m2"],
            "lad": ["d0", "d0", "d1", "d0", "d0", "d1", "d1"],
            "n": [2, 3, 30, 20, 25, 40, 35],
        }
    )
    out = protect_table(
        df,
        count_columns=["n"],
        policy="threshold_only",
        hierarchy=Hierarchy("lsoa", ("msoa", "lad")),
    )
    published = out.table.set_index("lsoa")["n"]
    assert published[["a", "b"]].isna().all()
    # a + b (the part of m0 in d0) = 5 must not be recoverable from d0 - m1: d0 or m1 withheld too
    d0 = out.totals["lad"].set_index("lad")["n"]
    m1 = out.totals["msoa"].set_index("msoa")["n"]
    assert pd.isna(d0["d0"]) or pd.isna(m1["m1"]) or published[["d", "e"]].isna().any()
    assert set(out.suppressed["level"]) <= {"lsoa", "msoa", "lad"}
