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
MAX_PROPAGATION = 200
BATCH_ROUNDS = 4


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
    """Connected component of each cell: every part joined to its equation's total."""
    n, m = system.size, system.n_equations
    if m == 0:
        return np.arange(n)
    part = system.coef > 0
    total_of = np.full(m, -1, dtype=np.int64)
    total_of[system.eq[~part]] = system.cell[~part]
    rows, cols = system.cell[part], total_of[system.eq[part]]
    ok = cols >= 0
    graph = sparse.coo_matrix(
        (np.ones(int(ok.sum()), dtype=np.int8), (rows[ok], cols[ok])), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=True, connection="weak")
    out: np.ndarray = labels
    return out


@dataclass
class _Shape:
    """How a system's components are solved (fixed by its equations, so computed once):
    ``forest`` — every cell a part of at most one sum and the total of at most one (rooted
    propagation); ``acyclic`` — any other component whose cell–equation graph has no cycle
    (bounds propagation to a fixpoint is exact there); anything else by integer programming."""

    labels: np.ndarray
    forest: np.ndarray
    acyclic: np.ndarray
    parent: np.ndarray
    levels: list[
        tuple[np.ndarray, np.ndarray, np.ndarray]
    ]  # cells, index of parent in heads, heads


def _shape(system: CellSystem) -> _Shape:
    if "shape" in system.cache:
        cached: _Shape = system.cache["shape"]
        return cached
    n = system.size
    labels = _components(system)
    n_lab = labels.max() + 1 if n else 0
    part = system.coef > 0
    part_count = np.bincount(system.cell[part], minlength=n)
    total_count = np.bincount(system.cell[~part], minlength=n)
    bad = np.zeros(n_lab, dtype=bool)
    bad[labels[(part_count > 1) | (total_count > 1)]] = True
    forest = ~bad[labels]
    eq_label = np.zeros(system.n_equations, dtype=np.int64)
    eq_label[system.eq] = labels[system.cell]
    edges = np.bincount(labels[system.cell], minlength=n_lab)
    vertices = np.bincount(labels, minlength=n_lab) + np.bincount(eq_label, minlength=n_lab)
    acyclic = (edges == vertices - 1)[labels] & ~forest
    eq_total = np.full(system.n_equations, -1, dtype=np.int64)
    eq_total[system.eq[~part]] = system.cell[~part]
    parent = np.full(n, -1, dtype=np.int64)
    parent[system.cell[part]] = eq_total[system.eq[part]]
    parent[~forest] = -1
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        new = np.where(parent >= 0, depth[np.maximum(parent, 0)] + 1, 0)
        if np.array_equal(new, depth):
            break
        depth = new
    max_depth = int(depth.max()) if n else 0
    has_parent = parent >= 0
    levels = [np.flatnonzero((depth == k) & has_parent) for k in range(max_depth + 1)]
    steps = []
    mark = np.zeros(n, dtype=bool)
    for lv in levels:  # heads and each kid's position among them, without sorting
        par = parent[lv]
        mark[par] = True
        heads = np.flatnonzero(mark)
        rank = np.cumsum(mark, dtype=np.int64) - 1
        steps.append((lv, rank[par], heads))
        mark[par] = False
    shape = _Shape(labels, forest, acyclic, parent, steps)
    system.cache["shape"] = shape
    return shape


BIG = float(2**50)  # stands for "no upper bound" inside sums (exact in float64 with the counts)


def _tree_ranges(
    shape: _Shape, lo: np.ndarray, hi: np.ndarray, active: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact integer ranges for cells in forest components by propagation up then down.

    Each cell is the total of at most one sum, so a level's sums are kept for its heads only.
    An unbounded cell counts as ``BIG`` in a sum; any sum reaching ``BIG / 2`` is unbounded
    (sums are exact in float64 while they hold fewer than eight unbounded parts, and more than
    one unbounded part leaves every other part unbounded anyway)."""
    levels = shape.levels
    if active is not None:  # only some components: the others' results are not used
        levels = [(kids[m], inv[m], heads) for kids, inv, heads in levels for m in [active[kids]]]
    f_lo = lo.astype(float)
    f_hi = np.minimum(hi.astype(float), BIG)
    sums = {}
    for k in range(len(levels) - 1, 0, -1):
        kids, inv, heads = levels[k]
        s_lo = np.bincount(inv, weights=f_lo[kids], minlength=len(heads))
        s_hi = np.bincount(inv, weights=f_hi[kids], minlength=len(heads))
        sums[k] = (s_lo, s_hi)
        f_lo[heads] = np.maximum(f_lo[heads], s_lo)
        f_hi[heads] = np.minimum(f_hi[heads], np.minimum(s_hi, BIG))

    g_lo, g_hi = f_lo.copy(), f_hi.copy()
    for k in range(1, len(levels)):
        kids, inv, heads = levels[k]
        s_lo, s_hi = sums[k]
        k_lo, k_hi = f_lo[kids], f_hi[kids]
        others_hi = s_hi[inv] - k_hi
        others_hi[others_hi >= BIG * 0.5] = BIG
        g_lo[kids] = np.maximum(k_lo, g_lo[heads][inv] - others_hi)
        g_hi[kids] = np.minimum(k_hi, g_hi[heads][inv] - (s_lo[inv] - k_lo))
    g_hi[g_hi >= BIG * 0.5] = INF
    g_lo, g_hi = np.ceil(g_lo - 1e-9), np.floor(g_hi + 1e-9)
    inconsistent = g_lo > g_hi
    return g_lo, g_hi, inconsistent


def _acyclic_ranges(
    system: CellSystem, lo: np.ndarray, hi: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact integer ranges in components whose cell–equation graph is a tree, by tightening
    every cell's bounds from every sum it is in until nothing changes. Returns the ranges, the
    cells found inconsistent, and the cells where no fixpoint was reached (left to the solver)."""
    n, m = system.size, system.n_equations
    inc = mask[system.cell]
    e, c, part = system.eq[inc], system.cell[inc], system.coef[inc] > 0
    L, H = lo.astype(float).copy(), hi.astype(float).copy()
    bad = np.zeros(n, dtype=bool)
    if not len(e):
        return L, H, bad, np.zeros(n, dtype=bool)
    order = np.argsort(c, kind="stable")
    c_sorted = c[order]
    starts = np.flatnonzero(np.r_[True, c_sorted[1:] != c_sorted[:-1]])
    cells = c_sorted[starts]
    for _ in range(MAX_PROPAGATION):
        fin = np.isfinite(H[c])
        s_lo = np.bincount(e[part], weights=L[c][part], minlength=m)
        s_hi = np.bincount(e[part & fin], weights=H[c][part & fin], minlength=m)
        s_inf = np.bincount(e[part & ~fin], minlength=m)
        t_lo = np.full(m, -INF)
        t_hi = np.full(m, INF)
        t_lo[e[~part]] = L[c[~part]]
        t_hi[e[~part]] = H[c[~part]]
        others_hi = np.where(
            s_inf[e] - (part & ~fin) > 0, INF, s_hi[e] - np.where(part & fin, H[c], 0.0)
        )
        with np.errstate(invalid="ignore"):
            up = np.where(part, t_hi[e] - (s_lo[e] - L[c]), np.where(s_inf[e] > 0, INF, s_hi[e]))
            down = np.where(part, t_lo[e] - others_hi, s_lo[e])
        down = np.where(np.isnan(down), -INF, down)
        up = np.where(np.isnan(up), INF, up)
        new_lo = np.maximum(L[cells], np.ceil(np.maximum.reduceat(down[order], starts) - 1e-9))
        new_hi = np.minimum(H[cells], np.floor(np.minimum.reduceat(up[order], starts) + 1e-9))
        changed = (new_lo != L[cells]) | (new_hi != H[cells])
        L[cells], H[cells] = new_lo, new_hi
        if (new_lo > new_hi).any() or not changed.any():
            bad[cells[new_lo > new_hi]] = True
            return L, H, bad, np.zeros(n, dtype=bool)
    stuck = np.zeros(n, dtype=bool)
    stuck[cells] = True
    return L, H, bad, stuck


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
        # A few more solves pushing every unsettled target up at once settle most of them.
        for _ in range(BATCH_ROUNDS):
            open_ = [t for j, t in enumerate(targets) if not settled(t, j)]
            if len(open_) < 2:
                break
            c = np.zeros(len(cells))
            c[open_] = 1.0
            solve(-c)
            if sum(not settled(t, j) for j, t in enumerate(targets)) == len(open_):
                break
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
    recheck: np.ndarray | None = None,
    exact: bool = False,
) -> Audit:
    """Feasible integer range of every protected cell; which are pinned and which unprotected.

    Unpublished cells of the system (``system.implicit``: pieces no table publishes, such as the
    part of an MSOA inside one district) fail only by being a small non-zero count, not by
    being pinned. ``required`` (per cell or one value): the feasible maximum a protected cell
    must reach (the
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
    shape = _shape(system)
    labels = shape.labels
    active = np.ones(n, dtype=bool)
    if recheck is not None:
        touched = np.zeros(labels.max() + 1, dtype=bool)
        touched[labels[np.asarray(recheck, dtype=np.int64)]] = True
        active = touched[labels]
    in_tree = shape.forest & active
    t_lo, t_hi, t_bad = _tree_ranges(shape, lo, hi, None if recheck is None else active)
    low[in_tree], high[in_tree] = t_lo[in_tree], t_hi[in_tree]
    # An inconsistency anywhere in a tree component marks that component.
    bad_labels = np.unique(labels[in_tree & t_bad])
    inconsistent |= np.isin(labels, bad_labels) & in_tree
    acyclic = shape.acyclic & active
    if acyclic.any():
        a_lo, a_hi, a_bad, stuck = _acyclic_ranges(system, lo, hi, acyclic)
        done = acyclic & ~stuck
        low[done], high[done] = a_lo[done], a_hi[done]
        inconsistent |= np.isin(labels, np.unique(labels[a_bad])) & done
        in_tree = in_tree | done

    other = ~in_tree & ~shape.forest & active
    wanted = np.unique(labels[other & protected])
    if len(wanted):
        order = np.argsort(labels, kind="stable")
        starts = np.searchsorted(labels[order], wanted)
        ends = np.searchsorted(labels[order], wanted, side="right")
        for _label, s, e in zip(wanted, starts, ends, strict=True):
            cells = order[s:e]
            targets = np.flatnonzero(protected[cells])
            want = np.full(len(targets), INF) if exact else need[cells[targets]]
            c_lo, c_hi, bad = _milp_ranges(system, lo, hi, cells, targets, point, want)
            low[cells[targets]], high[cells[targets]] = c_lo, c_hi
            if bad:
                inconsistent[cells] = True
    implicit = system.implicit if system.implicit is not None else np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        pinned = protected & (low == high) & ~inconsistent & ~implicit
        unprotected = protected & (high < need) & (low >= floor) & ~inconsistent & ~pinned
    return Audit(low, high, pinned, inconsistent, unprotected)
