"""Exact-recovery (differencing) audit: can a reader pin down a withheld cell from what is published?

Each cell's true count is known to lie in ``[lo, hi]`` (from its published value and the policy)
and every published total gives an equation. For each protected cell we find the smallest and
largest whole number it can take over all tables consistent with what is published; if they are
equal the cell is recoverable.

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
    """Result of the audit: feasible integer range of each audited cell (NaN where not audited)."""

    low: np.ndarray
    high: np.ndarray
    pinned: np.ndarray
    inconsistent: np.ndarray

    @property
    def ok(self) -> bool:
        return not (self.pinned.any() or self.inconsistent.any())


def _components(system: CellSystem) -> np.ndarray:
    n, m = system.size, system.n_equations
    if m == 0:
        return np.arange(n)
    rows = np.concatenate([system.cell, n + system.eq])
    cols = np.concatenate([n + system.eq, system.cell])
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels[:n])


def _tree_cells(system: CellSystem, labels: np.ndarray) -> np.ndarray:
    """Cells in components where every cell is a part of at most one equation and the total of at
    most one (a forest of sums)."""
    n = system.size
    part_count = np.bincount(system.cell[system.coef > 0], minlength=n)
    total_count = np.bincount(system.cell[system.coef < 0], minlength=n)
    bad_cell = (part_count > 1) | (total_count > 1)
    bad_label = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    bad_label[labels[bad_cell]] = True
    return np.asarray(~bad_label[labels], dtype=bool)


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
    has_children = np.zeros(n, dtype=bool)
    has_children[parent[parent >= 0]] = True

    f_lo, f_hi = lo.astype(float).copy(), hi.astype(float).copy()
    s_lo = np.zeros(n)
    s_hi = np.zeros(n)
    s_inf = np.zeros(n, dtype=np.int64)
    max_depth = int(depth.max()) if n else 0
    for k in range(max_depth, 0, -1):
        kids = np.flatnonzero((depth == k) & (parent >= 0))
        par = parent[kids]
        np.add.at(s_lo, par, f_lo[kids])
        finite = np.isfinite(f_hi[kids])
        np.add.at(s_hi, par[finite], f_hi[kids][finite])
        np.add.at(s_inf, par[~finite], 1)
        heads = np.unique(par)
        f_lo[heads] = np.maximum(f_lo[heads], s_lo[heads])
        f_hi[heads] = np.minimum(f_hi[heads], np.where(s_inf[heads] > 0, INF, s_hi[heads]))

    g_lo, g_hi = f_lo.copy(), f_hi.copy()
    for k in range(1, max_depth + 1):
        kids = np.flatnonzero((depth == k) & (parent >= 0))
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
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Integer ranges of ``targets`` (cell indices within ``cells``) over one component."""
    a = system.matrix()[:, cells]
    rows = np.flatnonzero(np.asarray(abs(a).sum(axis=1)).ravel() > 0)
    a = a[rows]
    constraints = [LinearConstraint(a, 0, 0)] if a.shape[0] else []
    # A finite cap far above any count keeps every solve bounded; a cell reaching it is not pinned.
    cap = CAP_FACTOR * (1.0 + np.nansum(np.where(np.isfinite(hi[cells]), hi[cells], lo[cells])))
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
        x = np.round(np.asarray(res.x, dtype=float))
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        return x

    if point is not None:
        seen_lo[:] = point[cells]
        seen_hi[:] = point[cells]
    try:
        c = np.zeros(len(cells))
        c[targets] = 1.0
        solve(c)
        if (seen_hi[targets] - seen_lo[targets] < 1).any():
            solve(-c)
        for j, t in enumerate(targets):
            if seen_hi[t] - seen_lo[t] >= 1:
                out_lo[j], out_hi[j] = seen_lo[t], seen_hi[t]
                continue
            c = np.zeros(len(cells))
            c[t] = 1.0
            low = solve(c)
            if low is not None and seen_hi[t] - seen_lo[t] >= 1:
                out_lo[j], out_hi[j] = seen_lo[t], seen_hi[t]
                continue
            high = solve(-c)
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
) -> Audit:
    """Feasible integer range of every protected cell; ``pinned`` where it is a single value.

    ``point``, when given, is one table known to be consistent with what is published (the true
    counts, at protection time); it saves solver calls and changes no result.
    """
    if point is not None and np.isnan(point).any():
        point = None
    n = system.size
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    protected = np.asarray(protected, dtype=bool)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    inconsistent = np.zeros(n, dtype=bool)
    if n == 0:
        return Audit(low, high, np.zeros(0, dtype=bool), inconsistent)
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
            c_lo, c_hi, bad = _milp_ranges(system, lo, hi, cells, targets, point)
            low[cells[targets]], high[cells[targets]] = c_lo, c_hi
            if bad:
                inconsistent[cells] = True
    pinned = protected & (low == high) & ~inconsistent
    return Audit(low, high, pinned, inconsistent)
