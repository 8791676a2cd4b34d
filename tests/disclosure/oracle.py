"""An independent reader's-eye check for the property tests.

Builds equations straight from a random table's group labels (every total as a sum of base cells,
never the library's nested form) and asks SciPy's integer programming solver, cell by cell, for the
smallest and largest value each withheld cell can take given only what was published.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from lantern.disclosure import Policy

CAP = 1e6


@dataclass
class RandomTable:
    """Base cells ``values[area, column]``, group labels per level, optional row total."""

    values: np.ndarray
    levels: list[np.ndarray]
    nested: bool
    row_total: bool
    keys: list[tuple[str, str, str]] = field(default_factory=list)


def knowledge(published: float, policy: Policy) -> tuple[float, float]:
    """The interval of true counts consistent with one published value under ``policy``."""
    low = 0 if (policy.suppress_zeros or policy.method == "redact_round") else 1
    if math.isnan(published):
        return float(low), math.inf
    p = published
    if policy.method == "midpoint6":
        return (0.0, 0.0) if p == 0 else (p - 2, p + 3)
    b = policy.base if policy.method in ("suppress_round", "redact_round") else 1
    lo, hi = max(0.0, math.ceil(p - b / 2)), math.ceil(p + b / 2) - 1.0
    if b == 1:
        lo = hi = p
    if policy.method in ("suppress_round", "redact_round", "suppress"):
        if p > 0 or low == 0:
            lo = max(lo, policy.threshold + 1.0)
        elif hi < policy.threshold + 1:
            hi = 0.0
    return lo, hi


def cell_keys(table: RandomTable) -> list[tuple[str, str, str]]:
    n, c = table.values.shape
    keys = [("base", f"a{i}", f"c{j}") for j in range(c) for i in range(n)]
    for k, labels in enumerate(table.levels):
        keys += [
            (f"L{k}", f"g{g}", f"c{j}") for j in range(c) for g in sorted(set(labels.tolist()))
        ]
    return keys


def true_values(table: RandomTable) -> dict[tuple[str, str, str], int]:
    n, c = table.values.shape
    out = {("base", f"a{i}", f"c{j}"): int(table.values[i, j]) for j in range(c) for i in range(n)}
    for k, labels in enumerate(table.levels):
        for g in set(labels.tolist()):
            for j in range(c):
                out[(f"L{k}", f"g{g}", f"c{j}")] = int(table.values[labels == g, j].sum())
    return out


def base_form_equations(
    table: RandomTable, with_levels: set[int]
) -> list[tuple[tuple, list[tuple]]]:
    """``(total key, part keys)`` for every published total: sums of base cells only."""
    n, c = table.values.shape
    eqs = []
    for k, labels in enumerate(table.levels):
        if k not in with_levels:
            continue
        for g in set(labels.tolist()):
            for j in range(c):
                parts = [("base", f"a{i}", f"c{j}") for i in np.flatnonzero(labels == g)]
                eqs.append(((f"L{k}", f"g{g}", f"c{j}"), parts))
    if table.row_total:
        last = c - 1
        rows = [("base", f"a{i}") for i in range(n)]
        rows += [
            (f"L{k}", f"g{g}")
            for k, labels in enumerate(table.levels)
            if k in with_levels
            for g in set(labels.tolist())
        ]
        for level, area in rows:
            eqs.append(((level, area, f"c{last}"), [(level, area, f"c{j}") for j in range(last)]))
    return eqs


def recoverable(
    publications: list[tuple[dict[tuple, float], Policy, list]], targets: set[tuple]
) -> list[tuple]:
    """Withheld cells (``targets``) whose value is fixed by all ``publications`` together.

    Each publication is ``(published values by key, policy, equations)``.
    """
    keys = {k for pub, _, _ in publications for k in pub}
    keys |= {k for _, _, eqs in publications for total, parts in eqs for k in (total, *parts)}
    keys = sorted(keys)
    index = {k: i for i, k in enumerate(keys)}
    lo = np.zeros(len(keys))
    hi = np.full(len(keys), np.inf)
    rows = []
    withheld_before: set[tuple] = set()
    for pub, policy, eqs in publications:
        for k, p in pub.items():
            a, b = knowledge(p, policy)
            if math.isnan(p) and k in withheld_before:
                a = 0.0  # may be withheld now only because it was withheld before
            lo[index[k]] = max(lo[index[k]], a)
            hi[index[k]] = min(hi[index[k]], b)
        withheld_before |= {k for k, p in pub.items() if math.isnan(p)}
        for total, parts in eqs:
            row = np.zeros(len(keys))
            row[index[total]] -= 1
            for p in parts:
                row[index[p]] += 1
            rows.append(row)
    wanted = [index[t] for t in targets if t in index]
    if not wanted or not rows:
        return []
    cons = LinearConstraint(np.array(rows), 0, 0)
    # A finite cap far above any count keeps every solve bounded without pinning anything.
    bounds = Bounds(lo, np.minimum(hi, CAP))
    integ = np.ones(len(keys))
    seen_lo = np.full(len(keys), np.inf)
    seen_hi = np.full(len(keys), -np.inf)

    def solve(c):
        res = milp(c, constraints=cons, bounds=bounds, integrality=integ)
        if not res.success:
            feasible = milp(np.zeros(len(keys)), constraints=cons, bounds=bounds, integrality=integ)
            assert feasible.success, f"published values admit no table at all: {res.message}"
            return None  # unbounded in this direction
        x = np.round(res.x)
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        return x

    c = np.zeros(len(keys))
    c[wanted] = 1
    solve(c)
    solve(-c)
    pinned = []
    for i in wanted:
        if seen_hi[i] > seen_lo[i]:
            continue
        c = np.zeros(len(keys))
        c[i] = 1
        low, high = solve(c), solve(-c)
        if low is not None and high is not None and low[i] == high[i]:
            pinned.append(keys[i])
    return pinned


def newly_recoverable(
    publications: list[tuple[dict, Policy, list]], targets: set[tuple]
) -> list[tuple]:
    """Cells recoverable from all publications but not from the earlier ones alone (with the
    latest equations): what the latest release gives away."""
    now = recoverable(publications, targets)
    if not now or len(publications) == 1:
        return now
    latest_eqs = [(dict(), publications[-1][1], publications[-1][2])]
    before = set(recoverable(publications[:-1] + latest_eqs, set(now)))
    return [k for k in now if k not in before]


# --- An attacker for whole release folders, written from the ONS lookup alone ---------------

LOOKUP_2021 = "lookups/lsoa21_msoa21_ward24_lad24_ew.csv"


def lsoa_sets(data_dir) -> dict[str, frozenset[str]]:
    """Every LSOA 2021, MSOA 2021, ward and district code as the set of LSOAs it covers, read
    straight from the ONS best-fit lookup (not from Lantern)."""
    import pandas as pd

    lk = pd.read_csv(f"{data_dir}/{LOOKUP_2021}", dtype=str)
    out: dict[str, frozenset[str]] = {c: frozenset([c]) for c in lk["lsoa21_code"]}
    for col in ("msoa21_code", "ward24_code", "ltla24_code"):
        for code, group in lk.groupby(col)["lsoa21_code"]:
            out[code] = frozenset(group)
    return out


def attacker_ranges(
    cells: list[tuple[frozenset[str], float, Policy]], targets: list[frozenset[str]]
) -> list[tuple[float, float]]:
    """Smallest and largest whole-number total of each target set of LSOAs over every table of
    LSOA counts consistent with the published ``cells`` (LSOA set, value — NaN if withheld —
    and the policy it was published under)."""
    lsoas = sorted(
        {lsoa for s, _, _ in cells for lsoa in s} | {lsoa for t in targets for lsoa in t}
    )
    index = {lsoa: i for i, lsoa in enumerate(lsoas)}
    rows, lo, hi = [], [], []
    for s, value, policy in cells:
        row = np.zeros(len(lsoas))
        row[[index[x] for x in s]] = 1
        a, b = knowledge(value, policy)
        rows.append(row)
        lo.append(a)
        hi.append(min(b, CAP))
    cons = [LinearConstraint(np.array(rows), lo, hi)] if rows else []
    bounds = Bounds(np.zeros(len(lsoas)), np.full(len(lsoas), CAP))
    integ = np.ones(len(lsoas))
    out = []
    for t in targets:
        c = np.zeros(len(lsoas))
        c[[index[x] for x in t]] = 1
        low = milp(c, constraints=cons, bounds=bounds, integrality=integ)
        high = milp(-c, constraints=cons, bounds=bounds, integrality=integ)
        assert low.success and high.success, "published values admit no table at all"
        out.append((round(low.fun), round(-high.fun)))
    return out
