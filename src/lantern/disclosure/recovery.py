"""Differencing audit: how much can a reader learn about a withheld cell from what is published?

Each cell's true count is known to lie in ``[lo, hi]`` (from its published value and the policy)
and every published total gives an equation. For each protected cell we find the smallest and
largest whole number it can take over all tables consistent with what is published (the
attacker's feasible interval). A cell fails when the interval is a single value (recoverable) or
when it does not reach the protection level: by default a reader must not be able to tell that a
withheld count is at most the threshold (``high < required``) while knowing it is not zero
(``low >= low_rule``).

Independent pieces of the table (connected components of the equation graph) are solved apart.
A component whose equations form a tree (a nested hierarchy: LSOA in MSOA in district) is solved
exactly by interval propagation up and down the tree; any other component (overlapping
geographies, row totals across columns, several releases) by integer programming with SciPy's
HiGHS ``milp``, two solves per cell at most, skipping cells already seen to take two values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from lantern.disclosure.system import CellSystem

INF = np.inf
CAP_FACTOR = 10.0


@dataclass
class Audit:
    """Result of the audit: feasible integer range of each audited cell (NaN where not audited).

    ``pinned``: the range is one value. ``unprotected``: the range stays below the protection
    level (and above the bottom of the suppressed range), so a reader can tell the count is small.
    """

    low: np.ndarray
    high: np.ndarray
    pinned: np.ndarray
    inconsistent: np.ndarray
    unprotected: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.unprotected is None:
            self.unprotected = np.zeros(len(self.low), dtype=bool)

    @property
    def failing(self) -> np.ndarray:
        """Cells that fail the audit (recoverable or not protected)."""
        unprotected = self.unprotected if self.unprotected is not None else False
        out: np.ndarray = self.pinned | unprotected
        return out

    @property
    def ok(self) -> bool:
        return not (self.failing.any() or self.inconsistent.any())


def _components(system: CellSystem) -> np.ndarray:
    n, m = system.size, system.n_equations
    if m == 0:
        return np.arange(n)
    rows = np.concatenate([system.cell, n + system.eq])
    cols = np.concatenate([n + system.eq, system.cell])
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    out: np.ndarray = labels[:n]
    return out


def _tree_cells(system: CellSystem, labels: np.ndarray) -> np.ndarray:
    """Cells in components where every cell is a part of at most one equation and the total of at
    most one (a forest of sums)."""
    n = system.size
    part_count = np.bincount(system.cell[system.coef > 0], minlength=n)
    total_count = np.bincount(system.cell[system.coef < 0], minlength=n)
    bad_cell = (part_count > 1) | (total_count > 1)
    bad_label = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    bad_label[labels[bad_cell]] = True
    out: np.ndarray = ~bad_label[labels]
    return out


def _tree_ranges(
    system: CellSystem, lo: np.ndarray, hi: np.ndarray, in_tree: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact integer ranges for cells in tree components by propagation up then down."""
    n = system.size
    part = system.coef > 0
    eq_total = np.full(system.n_equations, -1, dtype=np.int64)
    eq_total[system.eq[~part]] = system.cell[~part]
    parent = np.full(n, -1, dtype=np.int64)
    parent[system.cell[part]] = eq_total[system.eq[part]]
    parent[~in_tree] = -1
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        new = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(new, depth):
            break
        depth = new
    f_lo, f_hi = lo.astype(float).copy(), hi.astype(float).copy()
    s_lo = np.zeros(n)
    s_hi = np.zeros(n)
    s_inf = np.zeros(n, dtype=np.int64)
    max_depth = int(depth.max()) if n else 0
    levels = [np.flatnonzero((depth == k) & (parent >= 0)) for k in range(max_depth + 1)]
    for k in range(max_depth, 0, -1):
        kids = levels[k]
        par = parent[kids]
        finite = np.isfinite(f_hi[kids])
        s_lo += np.bincount(par, weights=f_lo[kids], minlength=n)
        s_hi += np.bincount(par[finite], weights=f_hi[kids][finite], minlength=n)
        s_inf += np.bincount(par[~finite], minlength=n)
        heads = np.unique(par)
        f_lo[heads] = np.maximum(f_lo[heads], s_lo[heads])
        f_hi[heads] = np.minimum(f_hi[heads], np.where(s_inf[heads] > 0, INF, s_hi[heads]))

    g_lo, g_hi = f_lo.copy(), f_hi.copy()
    for k in range(1, max_depth + 1):
        kids = levels[k]
        par = parent[kids]
        kid_inf = ~np.isfinite(f_hi[kids])
        others_inf = s_inf[par] - kid_inf
        others_hi = np.where(others_inf > 0, INF, s_hi[par] - np.where(kid_inf, 0.0, f_hi[kids]))
        others_lo = s_lo[par] - f_lo[kids]
        with np.errstate(invalid="ignore"):
            low_bound = g_lo[par] - others_hi
            high_bound = g_hi[par] - others_lo
        low_bound = np.where(np.isnan(low_bound), -INF, low_bound)
        high_bound = np.where(np.isnan(high_bound), INF, high_bound)
        g_lo[kids] = np.maximum(f_lo[kids], low_bound)
        g_hi[kids] = np.minimum(f_hi[kids], high_bound)
    g_lo, g_hi = np.ceil(g_lo - 1e-9), np.floor(g_hi + 1e-9)
    inconsistent = g_lo > g_hi
    return g_lo, g_hi, inconsistent


def _milp_ranges(
    system: CellSystem,
    lo: np.ndarray,
    hi: np.ndarray,
    cells: np.ndarray,
    targets: np.ndarray,
    point: np.ndarray | None = None,
    required: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer ranges of ``targets`` (cell indices within ``cells``) over one component.

    With ``required`` (per target), a target is settled as soon as two solutions show it takes
    two values, one of them at least ``required``: its exact range is then not needed to pass it.
    Targets not settled get their exact minimum and maximum.
    """
    a = system.matrix()[:, cells]
    rows = np.flatnonzero(np.asarray(abs(a).sum(axis=1)).ravel() > 0)
    a = a[rows]
    constraints = [LinearConstraint(a, 0, 0)] if a.shape[0] else []
    # A finite cap far above any count keeps every solve bounded; a cell reaching it is not pinned.
    need = np.full(len(targets), -INF) if required is None else np.asarray(required, dtype=float)
    cap = CAP_FACTOR * (1.0 + np.nansum(np.where(np.isfinite(hi[cells]), hi[cells], lo[cells])))
    if len(need):
        cap = max(cap, CAP_FACTOR * (1.0 + float(np.max(need))))
    bounds = Bounds(lo[cells], np.minimum(hi[cells], cap))
    integrality = np.ones(len(cells))
    seen_lo = np.full(len(cells), INF)
    seen_hi = np.full(len(cells), -INF)
    out_lo = np.full(len(targets), np.nan)
    out_hi = np.full(len(targets), np.nan)

    def solve(c: np.ndarray) -> np.ndarray | None:
        res = milp(c, constraints=constraints, bounds=bounds, integrality=integrality)
        if not res.success:
            zero = np.zeros(len(cells))
            if milp(zero, constraints=constraints, bounds=bounds, integrality=integrality).success:
                return None  # unbounded in this direction
            raise _Infeasible
        x: np.ndarray = np.round(res.x)
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        return x

    def settled(t: int, j: int) -> bool:
        return bool(seen_hi[t] - seen_lo[t] >= 1 and seen_hi[t] >= need[j])

    if point is not None:
        seen_lo[:] = point[cells]
        seen_hi[:] = point[cells]
    try:
        c = np.zeros(len(cells))
        c[targets] = 1.0
        solve(-c)
        if not all(settled(t, j) for j, t in enumerate(targets)):
            solve(c)
        for j, t in enumerate(targets):
            if settled(t, j):
                out_lo[j], out_hi[j] = seen_lo[t], seen_hi[t]
                continue
            c = np.zeros(len(cells))
            c[t] = 1.0
            high = solve(-c)
            if high is not None and settled(t, j):
                out_lo[j], out_hi[j] = seen_lo[t], seen_hi[t]
                continue
            low = solve(c)
            out_lo[j] = low[t] if low is not None else -INF
            out_hi[j] = high[t] if high is not None else INF
    except _Infeasible:
        return out_lo, out_hi, True
    return out_lo, out_hi, False


class _Infeasible(Exception):
    pass


def audit(
    system: CellSystem,
    lo: np.ndarray,
    hi: np.ndarray,
    protected: np.ndarray,
    point: np.ndarray | None = None,
    *,
    required: np.ndarray | float | None = None,
    low_rule: np.ndarray | float | None = None,
) -> Audit:
    """Feasible integer range of every protected cell; which are pinned and which unprotected.

    ``required`` (per cell or one value): the feasible maximum a protected cell must reach (the
    protection level, e.g. threshold + 1); ``low_rule``: the bottom of the suppressed range. A
    cell is unprotected when its maximum is below ``required`` and its minimum at least
    ``low_rule`` (a reader can tell it is a small non-zero count). Without ``required`` only exact
    recovery fails. ``point``, when given, is one table known to be consistent with what is
    published (the true counts, at protection time); it saves solver calls and changes no result.
    """
    if point is not None and np.isnan(point).any():
        point = None
    n = system.size
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    protected = np.asarray(protected, dtype=bool)
    need = (
        np.full(n, -INF)
        if required is None
        else np.broadcast_to(np.asarray(required, dtype=float), (n,)).astype(float)
    )
    floor = (
        np.full(n, INF)
        if low_rule is None
        else np.broadcast_to(np.asarray(low_rule, dtype=float), (n,)).astype(float)
    )
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    inconsistent = np.zeros(n, dtype=bool)
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return Audit(low, high, empty, inconsistent, empty)
    labels = _components(system)
    in_tree = _tree_cells(system, labels)
    t_lo, t_hi, t_bad = _tree_ranges(system, lo, hi, in_tree)
    low[in_tree], high[in_tree] = t_lo[in_tree], t_hi[in_tree]
    # An inconsistency anywhere in a tree component marks that component.
    bad_labels = np.unique(labels[in_tree & t_bad])
    inconsistent |= np.isin(labels, bad_labels) & in_tree

    other = ~in_tree
    wanted = np.unique(labels[other & protected])
    if len(wanted):
        order = np.argsort(labels, kind="stable")
        starts = np.searchsorted(labels[order], wanted)
        ends = np.searchsorted(labels[order], wanted, side="right")
        for _label, s, e in zip(wanted, starts, ends, strict=True):
            cells = order[s:e]
            targets = np.flatnonzero(protected[cells])
            c_lo, c_hi, bad = _milp_ranges(
                system, lo, hi, cells, targets, point, need[cells[targets]]
            )
            low[cells[targets]], high[cells[targets]] = c_lo, c_hi
            if bad:
                inconsistent[cells] = True
    with np.errstate(invalid="ignore"):
        pinned = protected & (low == high) & ~inconsistent
        unprotected = protected & (high < need) & (low >= floor) & ~inconsistent & ~pinned
    return Audit(low, high, pinned, inconsistent, unprotected)
