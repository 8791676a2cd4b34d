"""A table and its totals as a system of linear equations over cells, for differencing checks.

Every cell is keyed by ``(level, area, column)``: ``level`` is the base geography column (e.g.
``lsoa21_code``) or a parent level (``msoa21_code``); each protected total gives one equation
``total = sum(parts)``. Where a level nests inside the one below it, its equation sums the lower
level's totals instead of the base cells; where a lower area straddles two parents (an MSOA split
between districts), the parent sums the lower areas wholly inside it and the straddling area's
own base cells. A nested hierarchy is then acyclic and is solved exactly without linear
programming. Cells are laid out frame by frame (base, then each level), column-major within a
frame, so a cell's index is arithmetic: ``offset[level] + column * rows[level] + row``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from lantern.disclosure.policy import Policy
from lantern.disclosure.rules import published_interval


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
    list the non-zero entries of ``A``. ``implicit`` marks cells no table publishes (pieces a
    reader could work out), which are audited but never published or withheld.
    """

    keys: pd.DataFrame
    values: np.ndarray
    eq: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    implicit: np.ndarray | None = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.keys)

    @property
    def n_equations(self) -> int:
        if "n_eq" not in self.cache:
            self.cache["n_eq"] = int(self.eq.max()) + 1 if len(self.eq) else 0
        return int(self.cache["n_eq"])

    def matrix(self) -> sparse.csr_matrix:
        return sparse.csr_matrix(
            (self.coef, (self.eq, self.cell)), shape=(self.n_equations, self.size)
        )


EQ_COLUMNS = ["level", "parent", "part_level", "part"]


def area_equations(layout: Layout) -> pd.DataFrame:
    """Which areas sum to which published total: rows ``level, parent, part_level, part``.

    A level's total sums the totals of the level below for the lower areas wholly inside it;
    with no published level below, it sums the base areas directly. A lower area straddling two
    parents (an MSOA split between districts) is split into unpublished pieces, one per parent
    (level ``"<lower>∩<level>"``, area ``"<lower area>∩<parent>"``): the lower area sums its
    pieces, each parent sums the pieces inside it, each piece sums its base areas. The sums then
    form no cycle, so they are solved exactly by propagation.
    """
    rows = []
    levels = list(layout.parents.columns)
    parents = layout.parents
    base = layout.base_level
    split: list[tuple[str, str, pd.DataFrame]] = []
    for i, level in enumerate(levels):
        if level not in layout.totals:
            continue
        lower = next((lv for lv in reversed(levels[:i]) if lv in layout.totals), None)
        if lower is None:
            rows.append(pd.DataFrame({"level": level, "parent": parents[level].to_numpy(),
                                      "part_level": base, "part": parents.index.to_numpy()}))  # fmt: skip
            continue
        pairs = parents[[lower, level]].drop_duplicates()
        straddling = set(pairs[lower][pairs.duplicated(lower, keep=False)])
        whole = pairs[~pairs[lower].isin(straddling)]
        rows.append(pd.DataFrame({"level": level, "parent": whole[level].to_numpy(),
                                  "part_level": lower, "part": whole[lower].to_numpy()}))  # fmt: skip
        if straddling:
            split.append((lower, level, parents[parents[lower].isin(straddling)]))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=EQ_COLUMNS)
    for lower, level, direct in split:
        aux_level = f"{lower}∩{level}"
        pieces = pd.DataFrame({"lower": direct[lower].to_numpy(), "parent": direct[level].to_numpy(),
                               "base": direct.index.to_numpy()})  # fmt: skip
        pieces["aux"] = pieces["lower"].astype(str) + "∩" + pieces["parent"].astype(str)
        size = pieces.groupby("aux")["base"].transform("size")
        lower_rows = (out["level"] == lower) & out["parent"].isin(set(pieces["lower"]))
        nested_below = bool((out.loc[lower_rows, "part_level"] != base).any())
        one = pieces[(size == 1) | nested_below]
        many = pieces[(size > 1) & ~nested_below]
        add = [
            pd.DataFrame({"level": level, "parent": one["parent"], "part_level": base, "part": one["base"]}),
            pd.DataFrame({"level": level, "parent": many["parent"], "part_level": aux_level, "part": many["aux"]}),
            pd.DataFrame({"level": aux_level, "parent": many["aux"], "part_level": base, "part": many["base"]}),
            pd.DataFrame({"level": lower, "parent": many["lower"], "part_level": aux_level, "part": many["aux"]}),
        ]  # fmt: skip
        drop = lower_rows & out["part"].isin(set(many["base"])) & (out["part_level"] == base)
        out = pd.concat([out[~drop], *add], ignore_index=True).drop_duplicates(ignore_index=True)
    return out


def _pieces(layout: Layout, area_eq: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Frames of the unpublished pieces (values: the sum of their base cells, NaN if any is)."""
    out = []
    for level in area_eq["level"].unique():
        if "∩" not in str(level):
            continue
        members = area_eq[area_eq["level"] == level]
        values = layout.base.reindex(members["part"].to_numpy())
        values.index = members["parent"].to_numpy()
        sums = values.groupby(level=0, sort=False).sum(min_count=1)
        known = values.notna().groupby(level=0, sort=False).all()
        out.append((level, sums.where(known)))
    return out


def build_system(layout: Layout) -> CellSystem:
    """Lay a table out as cells and equations (one per published total and per column total)."""
    columns = list(layout.base.columns)
    n_col = len(columns)
    area_eq = area_equations(layout)
    pieces = _pieces(layout, area_eq)
    frames = [(layout.base_level, layout.base), *layout.totals.items(), *pieces]
    offset, rows_of, index_of = {}, {}, {}
    at = 0
    for level, frame in frames:
        if frame.index.has_duplicates:
            raise ValueError("duplicate cells in the table layout (an area code is repeated)")
        offset[level], rows_of[level], index_of[level] = at, len(frame), pd.Index(frame.index)
        at += len(frame) * n_col
    values = np.concatenate(
        [f.reindex(columns=columns).to_numpy(dtype=float).T.reshape(-1) for _, f in frames]
    ) if frames else np.zeros(0)  # fmt: skip
    # Keys as categoricals: integer codes laid out like the cells, one copy of each name.
    areas = pd.Index(np.concatenate([f.index.to_numpy(dtype=object) for _, f in frames])).unique()
    level_names = pd.Index([lv for lv, _ in frames])
    keys = pd.DataFrame(
        {
            "level": pd.Categorical.from_codes(
                np.repeat(np.arange(len(frames)), [len(f) * n_col for _, f in frames]), level_names
            ),
            "area": pd.Categorical.from_codes(
                np.concatenate([np.tile(areas.get_indexer(f.index), n_col) for _, f in frames]),
                areas,
            ),
            "column": pd.Categorical.from_codes(
                np.concatenate([np.repeat(np.arange(n_col), len(f)) for _, f in frames]),
                pd.Index(columns),
            ),
        }
    )

    eqs, cells, coefs = [], [], []
    n_eq = 0
    if len(area_eq):
        heads = area_eq[["level", "parent"]].drop_duplicates().reset_index(drop=True)
        head_id = pd.MultiIndex.from_frame(heads).get_indexer(
            pd.MultiIndex.from_frame(area_eq[["level", "parent"]])
        )
        head_cell = np.full(len(heads), -1, dtype=np.int64)
        for level, idx in heads.groupby("level").indices.items():
            pos = index_of[level].get_indexer(heads["parent"].to_numpy()[idx])
            head_cell[idx] = np.where(pos >= 0, offset[level] + pos, -1)
        part_cell = np.full(len(area_eq), -1, dtype=np.int64)
        part_rows = np.ones(len(area_eq), dtype=np.int64)
        for level, idx in area_eq.groupby("part_level").indices.items():
            pos = index_of[level].get_indexer(area_eq["part"].to_numpy()[idx])
            part_cell[idx] = np.where(pos >= 0, offset[level] + pos, -1)
            part_rows[idx] = rows_of[level]
        head_rows = heads["level"].map(rows_of).to_numpy(dtype=np.int64)
        keep_h = head_cell >= 0
        keep_p = (part_cell >= 0) & keep_h[head_id]
        h_ids = np.flatnonzero(keep_h)
        j_h = np.repeat(np.arange(n_col), len(h_ids))
        j_p = np.repeat(np.arange(n_col), int(keep_p.sum()))
        eqs += [
            j_h * len(heads) + np.tile(h_ids, n_col),
            j_p * len(heads) + np.tile(head_id[keep_p], n_col),
        ]
        cells += [np.tile(head_cell[h_ids], n_col) + j_h * np.tile(head_rows[h_ids], n_col),
                  np.tile(part_cell[keep_p], n_col) + j_p * np.tile(part_rows[keep_p], n_col)]  # fmt: skip
        coefs += [-np.ones(len(j_h)), np.ones(len(j_p))]
        n_eq += n_col * len(heads)

    col_index = {c: j for j, c in enumerate(columns)}
    for total_col, part_cols in layout.column_totals.items():
        for level, _frame in frames[: len(frames) - len(pieces)]:
            r = np.arange(rows_of[level])
            eq_ids = n_eq + r
            t = col_index[total_col]
            eqs.append(eq_ids)
            cells.append(offset[level] + t * rows_of[level] + r)
            coefs.append(-np.ones(len(r)))
            for part in part_cols:
                eqs.append(eq_ids)
                cells.append(offset[level] + col_index[part] * rows_of[level] + r)
                coefs.append(np.ones(len(r)))
            n_eq += len(r)

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    eq = cat(eqs, np.int64)
    if len(eq):  # equation ids may skip unpublished heads: renumber densely
        _, eq = np.unique(eq, return_inverse=True)
    implicit = np.zeros(len(values), dtype=bool)
    for level, _frame in pieces:
        implicit[offset[level] : offset[level] + rows_of[level] * n_col] = True
    system = CellSystem(
        keys=keys,
        values=values,
        eq=eq.astype(np.int64),
        cell=cat(cells, np.int64),
        coef=cat(coefs, float),
        implicit=implicit if pieces else None,
    )
    system.cache["blocks"] = {lv: (offset[lv], rows_of[lv], index_of[lv]) for lv in offset}
    return system


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
    seen: set[tuple[Any, ...]] = set()
    eqs, cells, coefs = [], [], []
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

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    implicit = np.zeros(len(merged_keys), dtype=bool)
    for s, where in zip(systems, maps, strict=True):
        if s.implicit is not None:
            implicit[where] |= s.implicit
    merged = CellSystem(
        implicit=implicit if implicit.any() else None,
        keys=merged_keys.rename(
            columns=dict(zip(merged_keys.columns, ["level", "area", "column"], strict=True))
        ),
        values=values,
        eq=cat(eqs, np.int64),
        cell=cat(cells, np.int64),
        coef=cat(coefs, float),
    )
    return merged, maps


def known_intervals(system: CellSystem, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each cell from the published values alone: ``lo <= x <= hi``.

    Unpublished pieces (``system.implicit``) carry the sum of their published parts, which is not
    itself a published value: a reader knows them only through the equations (``0 <= x``).
    """
    lo, hi = published_interval(system.values, policy)
    if system.implicit is not None:
        lo = np.where(system.implicit, 0.0, lo)
        hi = np.where(system.implicit, np.inf, hi)
    return lo, hi


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
