"""A table and its totals as a system of linear equations over cells, for differencing checks.

Every cell is keyed by ``(level, area, column)``: ``level`` is the base geography column (e.g.
``lsoa21_code``) or a parent level (``msoa21_code``); each protected total gives one equation
``total = sum(parts)``. Where a level nests inside the one below it, its equation sums the lower
level's totals instead of the base cells, so a nested hierarchy is a tree and can be solved exactly
without linear programming.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, DTypeLike
from scipy import sparse


@dataclass(frozen=True)
class Layout:
    """One table laid out for the audit (true, published or noisy values).

    ``base``: one row per base area (index = area code), one column per count.
    ``parents``: same index, one column per higher level (lowest first) naming the parent area.
    ``totals``: for each level whose totals are published independently, a frame indexed by the
    parent code with the same count columns. Levels absent here add no equations.
    ``column_totals``: a count column that is the sum of other count columns in the same row.
    """

    base_level: str
    base: pd.DataFrame
    parents: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    column_totals: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass
class CellSystem:
    """Cells (``keys``: level, area, column; ``values``) and equations ``A @ x == 0``.

    Each equation has one total (coefficient -1) and its parts (+1); ``eq``, ``cell`` and ``coef``
    list the non-zero entries of ``A``.
    """

    keys: pd.DataFrame
    values: np.ndarray
    eq: np.ndarray
    cell: np.ndarray
    coef: np.ndarray

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def n_equations(self) -> int:
        return int(self.eq.max()) + 1 if len(self.eq) else 0

    def matrix(self) -> sparse.csr_matrix:
        return sparse.csr_matrix(
            (self.coef, (self.eq, self.cell)), shape=(self.n_equations, self.size)
        )


def _long(level: str, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    sub = frame.reindex(columns=list(columns))
    n = len(sub)
    return pd.DataFrame(
        {
            "level": np.repeat(level, n * len(columns)),
            "area": np.tile(sub.index.to_numpy(dtype=object), len(columns)),
            "column": np.repeat(np.asarray(columns, dtype=object), n),
            "value": sub.to_numpy(dtype=float).T.reshape(-1),
        }
    )


def area_equations(layout: Layout) -> pd.DataFrame:
    """Which areas sum to which published total: rows ``level, parent, part_level, part``.

    A level's total sums the level below when every area of the level below lies wholly inside
    it (a tree); otherwise it sums the base areas directly.
    """
    rows = []
    levels = list(layout.parents.columns)
    parents = layout.parents
    for i, level in enumerate(levels):
        if level not in layout.totals:
            continue
        lower = levels[i - 1] if i > 0 else None
        if lower is not None and lower in layout.totals:
            pairs = parents[[lower, level]].drop_duplicates()
            straddling = pairs[lower][pairs.duplicated(lower, keep=False)]
            bad = set(pairs.loc[pairs[lower].isin(straddling), level])
            good = pairs[~pairs[level].isin(bad)]
            rows.append(
                pd.DataFrame(
                    {
                        "level": level,
                        "parent": good[level].to_numpy(),
                        "part_level": lower,
                        "part": good[lower].to_numpy(),
                    }
                )
            )
            direct = parents[parents[level].isin(bad)]
        else:
            direct = parents
        rows.append(
            pd.DataFrame(
                {
                    "level": level,
                    "parent": direct[level].to_numpy(),
                    "part_level": layout.base_level,
                    "part": direct.index.to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["level", "parent", "part_level", "part"])
    return pd.concat(rows, ignore_index=True)


def build_system(layout: Layout) -> CellSystem:
    """Lay a table out as cells and equations (one per published total and per column total)."""
    columns = list(layout.base.columns)
    frames = [_long(layout.base_level, layout.base, columns)]
    frames += [_long(level, frame, columns) for level, frame in layout.totals.items()]
    keys = pd.concat(frames, ignore_index=True)
    index = pd.MultiIndex.from_frame(keys[["level", "area", "column"]])
    if index.has_duplicates:
        raise ValueError("duplicate cells in the table layout (an area code is repeated)")
    lookup = pd.Series(np.arange(len(keys)), index=index)

    def find(levels: ArrayLike, areas: ArrayLike, cols: ArrayLike) -> np.ndarray:
        found = lookup.reindex(pd.MultiIndex.from_arrays([levels, areas, cols]))
        return np.asarray(found.to_numpy())

    eqs: list[np.ndarray] = []
    cells: list[np.ndarray] = []
    coefs: list[np.ndarray] = []
    n_eq = 0
    area_eq = area_equations(layout)
    if len(area_eq):
        # One equation per (level, parent, column).
        heads = area_eq[["level", "parent"]].drop_duplicates().reset_index(drop=True)
        head_id = pd.Series(np.arange(len(heads)), index=pd.MultiIndex.from_frame(heads))
        member_head = head_id.reindex(
            pd.MultiIndex.from_frame(area_eq[["level", "parent"]])
        ).to_numpy()
        for c, column in enumerate(columns):
            col = np.repeat(column, len(area_eq))
            part_cell = find(area_eq["part_level"].to_numpy(), area_eq["part"].to_numpy(), col)
            eq_ids = n_eq + c * len(heads) + member_head
            keep = ~np.isnan(part_cell.astype(float))
            eqs.append(eq_ids[keep])
            cells.append(part_cell[keep].astype(np.int64))
            coefs.append(np.ones(int(keep.sum())))
            head_cell = find(
                heads["level"].to_numpy(), heads["parent"].to_numpy(), np.repeat(column, len(heads))
            )
            eqs.append(n_eq + c * len(heads) + np.arange(len(heads)))
            cells.append(head_cell.astype(np.int64))
            coefs.append(-np.ones(len(heads)))
        n_eq += len(columns) * len(heads)

    for total_col, part_cols in layout.column_totals.items():
        rows = keys[keys["column"] == total_col]
        t_idx = rows.index.to_numpy()
        eq_ids = n_eq + np.arange(len(rows))
        eqs.append(eq_ids)
        cells.append(t_idx)
        coefs.append(-np.ones(len(rows)))
        for part in part_cols:
            p_idx = find(
                rows["level"].to_numpy(), rows["area"].to_numpy(), np.repeat(part, len(rows))
            )
            eqs.append(eq_ids)
            cells.append(p_idx.astype(np.int64))
            coefs.append(np.ones(len(rows)))
        n_eq += len(rows)

    return CellSystem(
        keys=keys[["level", "area", "column"]],
        values=keys["value"].to_numpy(dtype=float),
        eq=_concat(eqs, np.int64),
        cell=_concat(cells, np.int64),
        coef=_concat(coefs, float),
    )


def _concat(parts: list[np.ndarray], dtype: DTypeLike) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def merge_systems(systems: Sequence[CellSystem]) -> tuple[CellSystem, list[np.ndarray]]:
    """Union of several publications of the same table (cells matched by key, equations
    de-duplicated); also returns, for each input, where its cells went in the union."""
    if len(systems) == 1:
        return systems[0], [np.arange(systems[0].size)]
    keys = pd.concat([s.keys for s in systems], ignore_index=True)
    codes, uniques = pd.MultiIndex.from_frame(keys).factorize()
    merged_keys = uniques.to_frame(index=False)
    maps, offset = [], 0
    for s in systems:
        maps.append(codes[offset : offset + s.size])
        offset += s.size
    seen: set[tuple[tuple[int, float], ...]] = set()
    eqs: list[np.ndarray] = []
    cells: list[np.ndarray] = []
    coefs: list[np.ndarray] = []
    n_eq = 0
    for s, where in zip(systems, maps, strict=True):
        if not len(s.eq):
            continue
        order = np.argsort(s.eq, kind="stable")
        eq_sorted = s.eq[order]
        bounds = np.flatnonzero(np.diff(eq_sorted)) + 1
        for chunk in np.split(order, bounds):
            cell = where[s.cell[chunk]]
            sig = tuple(sorted(zip(cell.tolist(), s.coef[chunk].tolist(), strict=True)))
            if sig in seen:
                continue
            seen.add(sig)
            eqs.append(np.full(len(chunk), n_eq))
            cells.append(cell)
            coefs.append(s.coef[chunk])
            n_eq += 1
    values = np.full(len(merged_keys), np.nan)
    for s, where in zip(systems, maps, strict=True):
        values[where] = np.where(np.isnan(values[where]), s.values, values[where])

    merged = CellSystem(
        keys=merged_keys.rename(
            columns=dict(zip(merged_keys.columns, ["level", "area", "column"], strict=True))
        ),
        values=values,
        eq=_concat(eqs, np.int64),
        cell=_concat(cells, np.int64),
        coef=_concat(coefs, float),
    )
    return merged, maps


def equation_violations(system: CellSystem, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Equations that no true values inside the cells' intervals can satisfy (inconsistent totals)."""
    m = system.n_equations
    if m == 0:
        return np.zeros(0, dtype=bool)
    part = system.coef > 0
    lo_c, hi_c = lo[system.cell], hi[system.cell]
    parts_lo = np.bincount(system.eq[part], weights=lo_c[part], minlength=m)
    fin = part & np.isfinite(hi_c)
    parts_hi = np.bincount(system.eq[fin], weights=hi_c[fin], minlength=m)
    parts_inf = np.bincount(system.eq[part & ~np.isfinite(hi_c)], minlength=m) > 0
    parts_hi = np.where(parts_inf, np.inf, parts_hi)
    tot_lo = np.full(m, -np.inf)
    tot_hi = np.full(m, np.inf)
    tot_lo[system.eq[~part]] = lo_c[~part]
    tot_hi[system.eq[~part]] = hi_c[~part]
    return (parts_lo > tot_hi) | (parts_hi < tot_lo)
