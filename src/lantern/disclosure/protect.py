"""``protect_table``: apply a policy to a table of counts and its higher-geography totals.

Steps: optional noise (OpenDP); primary suppression (the policy's small-count range, zeros and
100% cells where configured); rounding; then, when totals are published independently, secondary
suppression driven by the exact-recovery audit: while any withheld cell can be pinned down from the
published cells and totals (of this release and the previous one), withhold one more cell in an
equation that pins it — the smallest positive count available, so as little information as
possible is lost. With ``totals="derived"`` the totals are sums of the published cells and carry
no information about withheld cells, so no secondary suppression is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lantern.disclosure.hierarchy import Hierarchy
from lantern.disclosure.noise import noisy_counts
from lantern.disclosure.policy import Policy, policy_from
from lantern.disclosure.recovery import audit
from lantern.disclosure.rules import in_suppressed_range, publish_values, published_interval
from lantern.disclosure.system import (
    CellSystem,
    Layout,
    build_system,
    known_intervals,
    merge_systems,
)
from lantern.errors import ConfigError, DisclosureError, InputError

INF = np.inf

ROW_LEVEL = "row"


@dataclass
class Protected:
    """A protected table: what is published, and which cells were withheld and why.

    ``table``: the input frame with each count column replaced by its published value (nullable
    ``Int64``; withheld cells are ``<NA>``). ``totals``: per level, one row per parent area with
    the published totals. ``suppressed``: ``level, area, column, reason`` for every withheld cell
    (reasons: ``primary``, ``zero``, ``100%``, ``secondary``, ``previous release``) — internal, not
    for publication, since it tells primary from secondary suppressions.
    """

    table: pd.DataFrame
    totals: dict[str, pd.DataFrame]
    suppressed: pd.DataFrame
    policy: Policy
    hierarchy: Hierarchy
    count_columns: tuple[str, ...]
    noise: dict[str, Any] | None = None
    audit_cells: int = field(default=0)

    def layout(self) -> Layout:
        """The published values laid out for an audit (NaN = withheld)."""
        return published_layout(
            self.table,
            self.totals,
            hierarchy=self.hierarchy,
            count_columns=self.count_columns,
            policy=self.policy,
        )


def published_layout(
    table: pd.DataFrame,
    totals: Mapping[str, pd.DataFrame],
    *,
    hierarchy: Hierarchy,
    count_columns: Sequence[str],
    policy: Policy,
) -> Layout:
    """Lay out published frames (base rows and per-level totals) for an audit."""
    geo = hierarchy.geography

    def floats(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        index = pd.Index(frame[key].astype(str).to_numpy(), name=key)
        data = {
            c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for c in count_columns
        }
        return pd.DataFrame(data, index=index)

    base = floats(table, geo)
    parents = pd.DataFrame(
        {lv: table[lv].astype(str).to_numpy() for lv in hierarchy.levels}, index=base.index
    )
    protected = policy.totals == "protected"
    tot: dict[str, pd.DataFrame] = {}
    if protected:
        for level in hierarchy.levels:
            if level in totals:
                tot[level] = floats(totals[level], level)
    return Layout(
        base_level=geo,
        base=base,
        parents=parents,
        totals=tot,
        column_totals=hierarchy.column_totals if protected else {},
    )


def validate_counts(
    df: pd.DataFrame, count_columns: Sequence[str], *, file: str | None = None
) -> None:
    """Raise ``InputError`` naming the first cell that is not a whole number >= 0."""
    for col in count_columns:
        if col not in df.columns:
            raise InputError(f"count column {col!r} is missing", file=file, column=col)
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | (values < 0) | (values != np.floor(values))
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 2
            raise InputError("count must be a whole number >= 0", file=file, row=row, column=col)


def _full_cells(layout: Layout, lookup: pd.Series) -> np.ndarray:
    """Cells equal to their row total (100%), as system indices."""
    found = []
    frames = {layout.base_level: layout.base, **layout.totals}
    for level, frame in frames.items():
        for total, parts in layout.column_totals.items():
            for part in parts:
                mask = (frame[part] == frame[total]) & (frame[total] > 0)
                if mask.any():
                    areas = frame.index[mask]
                    idx = lookup.reindex(
                        pd.MultiIndex.from_arrays(
                            [[level] * len(areas), areas, [part] * len(areas)]
                        )
                    ).to_numpy()
                    found.append(idx[~pd.isna(idx)].astype(np.int64))
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _complements(
    system: CellSystem, pinned: np.ndarray, candidate: np.ndarray, value: np.ndarray
) -> pd.Series:
    """For each pinned cell, the smallest candidate cell sharing an equation with it."""
    is_p = np.isin(system.cell, pinned)
    hit_eq, hit_cell = system.eq[is_p], system.cell[is_p]
    is_c = candidate[system.cell]
    order = np.argsort(system.eq[is_c], kind="stable")
    c_eq, c_cell = system.eq[is_c][order], system.cell[is_c][order]
    starts = np.searchsorted(c_eq, hit_eq, side="left")
    lengths = np.searchsorted(c_eq, hit_eq, side="right") - starts
    if lengths.sum() == 0:
        return pd.Series(dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    idx = np.arange(lengths.sum()) - np.repeat(offsets, lengths) + np.repeat(starts, lengths)
    p_cell, cand = np.repeat(hit_cell, lengths), c_cell[idx]
    keep = p_cell != cand
    p_cell, cand = p_cell[keep], cand[keep]
    order = np.lexsort((cand, value[cand], p_cell))
    p_cell, cand = p_cell[order], cand[order]
    first = np.unique(p_cell, return_index=True)[1]
    return pd.Series(cand[first], index=p_cell[first])


def _binding_complements(
    system: CellSystem,
    failing: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    need: np.ndarray,
    candidate: np.ndarray,
    value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each failing cell, every equation that on its own bounds the cell too tightly (below
    ``need``, or to one value) gets its smallest candidate withheld. Returns the chosen cells and
    the failing cells no single equation explains (left to the nearest-candidate search)."""
    m = system.n_equations
    eq, cell, part = system.eq, system.cell, system.coef > 0
    fin = np.isfinite(hi[cell])
    s_lo = np.bincount(eq[part], weights=lo[cell][part], minlength=m)
    s_hi = np.bincount(eq[part & fin], weights=hi[cell][part & fin], minlength=m)
    s_inf = np.bincount(eq[part & ~fin], minlength=m)
    t_lo = np.full(m, -INF)
    t_hi = np.full(m, INF)
    t_lo[eq[~part]] = lo[cell[~part]]
    t_hi[eq[~part]] = hi[cell[~part]]
    is_f = np.isin(cell, failing)
    e, c, pa = eq[is_f], cell[is_f], part[is_f]
    c_inf = ~np.isfinite(hi[c])
    others_hi = np.where(
        s_inf[e] - (pa & c_inf) > 0, INF, s_hi[e] - np.where(pa & ~c_inf, hi[c], 0)
    )
    with np.errstate(invalid="ignore"):
        up = np.where(pa, t_hi[e] - (s_lo[e] - lo[c]), np.where(s_inf[e] > 0, INF, s_hi[e]))
        down = np.where(pa, t_lo[e] - others_hi, s_lo[e])
    binding = (up < need[c]) | (np.maximum(down, lo[c]) >= np.minimum(up, hi[c]))
    has_candidate = np.zeros(m, dtype=bool)
    has_candidate[eq[candidate[cell]]] = True
    useful = binding & has_candidate[e]
    explained = np.unique(c[useful])
    eqs = np.unique(e[useful])
    cand = candidate[cell] & np.isin(eq, eqs)
    ce, cc = eq[cand], cell[cand]
    order = np.lexsort((cc, value[cc], ce))
    ce, cc = ce[order], cc[order]
    first = np.unique(ce, return_index=True)[1]
    return np.unique(cc[first]), np.setdiff1d(failing, explained)


def _nearest_candidate(
    system: CellSystem, start: int, candidate: np.ndarray, value: np.ndarray
) -> int:
    """Breadth-first through withheld cells: the smallest candidate in the nearest equations
    linked to ``start`` (used when none of its own equations has a candidate). -1 if none."""
    seen_cells = {int(start)}
    frontier = [int(start)]
    seen_eqs: set[int] = set()
    while frontier:
        eqs = np.setdiff1d(np.unique(system.eq[np.isin(system.cell, frontier)]), list(seen_eqs))
        if not len(eqs):
            return -1
        seen_eqs.update(eqs.tolist())
        members = np.unique(system.cell[np.isin(system.eq, eqs)])
        found = members[candidate[members]]
        if len(found):
            return int(found[np.lexsort((found, value[found]))[0]])
        frontier = [int(c) for c in members if c not in seen_cells]
        seen_cells.update(frontier)
    return -1


def _describe(keys: pd.DataFrame, i: int) -> str:
    row = keys.iloc[int(i)]
    return f"area {row['area']} ({row['level']}), column {row['column']!r}"


def protect_table(
    df: pd.DataFrame,
    *,
    count_columns: Sequence[str],
    policy: Policy | str | Mapping[str, Any],
    hierarchy: Hierarchy | None = None,
    previous: Protected | None = None,
) -> Protected:
    """Protect a table of counts under ``policy``; see the module docstring for the steps.

    ``hierarchy`` names the base-area column and the higher levels whose totals are published;
    without one, rows are keyed by the frame's index and no totals are made. ``previous`` is the
    protected form of the same table (same period) published in an earlier release: cells withheld
    then stay withheld, and cells published then count as known to the reader.
    """
    policy = policy_from(policy)
    count_columns = tuple(count_columns)
    if hierarchy is None:
        df = df.copy()
        df[ROW_LEVEL] = df.index.astype(str)
        hierarchy = Hierarchy(geography=ROW_LEVEL)
    hierarchy.validate(df, count_columns)
    validate_counts(df, count_columns)
    geo = hierarchy.geography
    areas = df[geo].astype(str).to_numpy()
    base = pd.DataFrame(
        df[list(count_columns)].to_numpy(dtype=np.int64), index=areas, columns=list(count_columns)
    )
    parents = pd.DataFrame(
        {lvl: df[lvl].astype(str).to_numpy() for lvl in hierarchy.levels}, index=areas
    )

    noise_info: dict[str, Any] | None = None
    if policy.noise in ("laplace", "geometric"):
        res = noisy_counts(base.to_numpy(), policy)
        base = pd.DataFrame(res.values, index=base.index, columns=base.columns)
        noise_info = {
            "mechanism": res.mechanism,
            "epsilon": res.epsilon,
            "scale": res.scale,
            "sensitivity": policy.sensitivity,
        }
    elif policy.noise == "cell_key" and not df.attrs.get("cell_key_perturbed"):
        raise ConfigError(
            "Cell-key policy",
            [
                "counts must come from lantern.disclosure.cell_key_table (perturbation needs person-level record keys)"
            ],
        )

    protected_totals = policy.totals == "protected" and policy.method != "none"
    raw_totals = {lvl: base.groupby(parents[lvl]).sum() for lvl in hierarchy.levels}
    layout = Layout(
        base_level=geo,
        base=base,
        parents=parents,
        totals=raw_totals if protected_totals else {},
        column_totals=hierarchy.column_totals if protected_totals else {},
    )
    system = build_system(layout)
    v = system.values
    reason = np.full(system.size, "", dtype=object)
    supp = in_suppressed_range(v, policy)
    reason[supp] = np.where(v[supp] == 0, "zero", "primary")
    if policy.suppress_full and policy.suppresses:
        full_layout = Layout(
            geo, base, parents, raw_totals if protected_totals else {}, hierarchy.column_totals
        )
        lookup = pd.Series(np.arange(system.size), index=pd.MultiIndex.from_frame(system.keys))
        full = _full_cells(full_layout, lookup)
        new = full[~supp[full]]
        supp[new] = True
        reason[new] = "100%"

    prev = None if previous is None else (build_system(previous.layout()), previous.policy)
    cells = protect_cells(system, policy, primary=supp, reason=reason, previous=prev)
    return _assemble(
        df,
        system,
        cells.published,
        cells.withheld,
        cells.reason,
        policy,
        hierarchy,
        count_columns,
        protected_totals,
        noise_info,
        cells.audited,
    )


@dataclass
class CellProtection:
    """Published values (NaN = withheld), which cells are withheld and why."""

    published: np.ndarray
    withheld: np.ndarray
    reason: np.ndarray
    audited: int


def protect_cells(
    system: CellSystem,
    policy: Policy,
    *,
    primary: np.ndarray | None = None,
    reason: np.ndarray | None = None,
    previous: tuple[CellSystem, Policy] | None = None,
) -> CellProtection:
    """The array core of ``protect_table``: primary suppression, rounding, and secondary
    suppression until the audit finds no recoverable cell.

    ``system.values`` are the true counts. ``primary`` (default: the policy's suppressed range)
    and ``reason`` may carry extra primary suppressions (100% cells). ``previous`` is an earlier
    publication of the same table (its values are the published ones, NaN withheld).
    """
    v = system.values
    if primary is None:
        primary = in_suppressed_range(v, policy)
    supp = np.asarray(primary, dtype=bool).copy()
    if reason is None:
        reason = np.full(system.size, "", dtype=object)
        reason[supp] = np.where(v[supp] == 0, "zero", "primary")
    reason = reason.copy()
    # A count above the threshold whose rounded value falls inside the suppressed range (e.g. 8
    # rounded to base 6) is withheld too, so no published value sits in that range.
    rounds_in = ~supp & in_suppressed_range(publish_values(v, policy), policy)
    supp |= rounds_in
    reason[rounds_in] = "rounds into suppressed range"
    # Unpublished pieces (an MSOA's part inside one district) are never published: audited only.
    imp = system.implicit if system.implicit is not None else np.zeros(system.size, dtype=bool)
    supp[imp] = True
    reason[imp] = ""
    systems = [system] if previous is None else [system, previous[0]]
    merged, maps = merge_systems(systems)
    cur = maps[0]
    to_current = np.full(merged.size, -1, dtype=np.int64)
    to_current[cur] = np.arange(system.size)
    prev_lo = np.zeros(merged.size)
    prev_hi = np.full(merged.size, np.inf)
    known = np.zeros(system.size, dtype=bool)
    withheld_before = np.zeros(system.size, dtype=bool)
    if previous is not None:
        p_sys, p_policy = previous
        plo, phi = known_intervals(p_sys, p_policy)
        prev_lo[maps[1]], prev_hi[maps[1]] = plo, phi
        back = to_current[maps[1]]
        was_withheld = np.isnan(p_sys.values) & (back >= 0)
        sticky = back[was_withheld]
        withheld_before[sticky] = True
        newly = sticky[~supp[sticky]]
        supp[newly] = True
        reason[newly] = "previous release"
        # Cells the earlier release pins down (alone, with this release's equations) are public
        # already: they need no protection and are useless as complements.
        before = audit(merged, prev_lo, prev_hi, np.isin(np.arange(merged.size), cur))
        known[to_current[np.flatnonzero(before.pinned)]] = True

    # Cells withheld earlier that this release does not publish again stay protected too.
    earlier_only = np.zeros(merged.size, dtype=bool)
    if previous is not None:
        earlier_only[maps[1]] = np.isnan(previous[0].values)
        earlier_only[cur] = False

    audited = 0
    recheck: np.ndarray | None = None
    if policy.method != "none" and merged.n_equations:
        alone = previous is None  # the merged system is this one: no index mapping needed
        pub_all = publish_values(v, policy).astype(float)
        lo_c, hi_c = published_interval(np.where(supp, np.nan, pub_all), policy)
        truth = v.astype(float) if alone else np.full(merged.size, np.nan)
        if not alone:
            truth[cur] = v
        need = np.full(merged.size, policy.required_high)
        value = v.astype(float) if alone else np.full(merged.size, np.inf)
        if not alone:
            value[cur] = v
        changed: np.ndarray = np.zeros(0, dtype=np.int64)
        for _ in range(system.size + 1):
            if len(changed):  # only the cells whose status changed get a new interval
                lo_c[changed], hi_c[changed] = published_interval(
                    np.where(supp[changed], np.nan, pub_all[changed]), policy
                )
            # A cell withheld in the earlier release may be withheld now only for that reason,
            # so this release says nothing about its size (the earlier release still does).
            lo_c[withheld_before | imp] = 0.0
            if alone:
                lo, hi = lo_c, hi_c
            else:
                lo, hi = prev_lo.copy(), prev_hi.copy()
                lo[cur] = np.maximum(lo[cur], lo_c)
                hi[cur] = np.minimum(hi[cur], hi_c)
            sensitive = supp | ((policy.method == "midpoint6") & (v >= 1) & (v <= 6))
            if alone:
                target = sensitive & ~known
            else:
                target = earlier_only.copy()
                target[cur] = sensitive & ~known  # a cell published before is public already
            result = audit(
                merged,
                lo,
                hi,
                target,
                truth,
                required=policy.required_high,
                low_rule=policy.suppressed_low,
                recheck=recheck,
            )
            audited = int(target.sum())
            if result.inconsistent.any():
                raise DisclosureError(
                    "the previous release of this table does not agree with these counts; "
                    "publish changed data as a new table or period"
                )
            pinned = np.flatnonzero(result.failing)
            if not len(pinned):
                break
            here = pinned if alone else to_current[pinned]
            # A zero withheld only because an earlier policy withheld zeros is not disclosive under
            # this policy: publish it rather than withhold more.
            freed = here[
                (here >= 0)
                & (v[np.maximum(here, 0)] == 0)
                & (policy.suppressed_low > 0)
                & (reason[np.maximum(here, 0)] == "previous release")
            ]
            if len(freed):
                supp[freed] = False
                reason[freed] = ""
                withheld_before[freed] = False
                recheck = cur[freed]
                changed = freed
                continue
            exposed = here[(here >= 0) & ~supp[np.maximum(here, 0)]]
            supp[exposed] = True
            reason[exposed] = "recoverable"
            still = pinned[(here < 0) | (supp[np.maximum(here, 0)] & ~np.isin(here, exposed))]
            if not len(still):
                recheck = cur[exposed]
                changed = exposed
                continue
            candidate = np.zeros(merged.size, dtype=bool)
            candidate[cur] = ~supp & (v > 0) & ~known
            known_lo = np.where(np.isnan(result.low), lo, result.low)
            known_hi = np.where(np.isnan(result.high), hi, result.high)
            chosen_arr, unexplained = _binding_complements(
                merged, still, known_lo, known_hi, need, candidate, value
            )
            chosen = pd.Series(chosen_arr, dtype=np.int64)
            # Cells no single sum explains often pass once the others' complements are in:
            # search further only when this round would otherwise add nothing.
            if len(unexplained) and not len(chosen_arr):
                near = _complements(merged, unexplained, candidate, value)
                chosen = pd.concat([chosen, near])
                missing = np.setdiff1d(unexplained, near.index.to_numpy())
                extra = [
                    c
                    for c in (_nearest_candidate(merged, m, candidate, value) for m in missing)
                    if c >= 0
                ]
                chosen = pd.concat([chosen, pd.Series(extra, dtype=np.int64)])
            if len(chosen) == 0:
                raise DisclosureError(
                    f"{_describe(merged.keys, still[0])}: withheld cell can be recovered from the "
                    "totals and no other cell is available to withhold (rule: secondary suppression)"
                )
            add = to_current[np.unique(chosen.to_numpy())]
            supp[add] = True
            reason[add] = "secondary"
            recheck = np.concatenate([cur[add], cur[exposed], still])
            changed = np.concatenate([add, exposed])

    pub = publish_values(v, policy).astype(float) if policy.method != "none" else v.astype(float)
    pub[supp] = np.nan
    return CellProtection(published=pub, withheld=supp, reason=reason, audited=audited)


def _assemble(
    df: pd.DataFrame,
    system: CellSystem,
    pub: np.ndarray,
    supp: np.ndarray,
    reason: np.ndarray,
    policy: Policy,
    hierarchy: Hierarchy,
    count_columns: Sequence[str],
    protected_totals: bool,
    noise_info: dict[str, Any] | None,
    audited: int,
) -> Protected:
    keys = system.keys
    geo = hierarchy.geography
    blocks = system.cache["blocks"]
    n_col = len(count_columns)

    def block(level: str) -> tuple[np.ndarray, pd.Index]:
        off, rows, index = blocks[level]
        return pub[off : off + rows * n_col].reshape(n_col, rows), index

    def whole(values: np.ndarray) -> pd.arrays.IntegerArray:
        missing = np.isnan(values)
        return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)

    base_vals, _ = block(geo)  # rows in the order of df
    published = {c: whole(base_vals[j]) for j, c in enumerate(count_columns)}
    table = pd.DataFrame(
        {c: (published[c] if c in published else df[c].to_numpy()) for c in df.columns},
        index=df.index,
    )
    if not protected_totals and hierarchy.column_totals:
        for total, parts in hierarchy.column_totals.items():
            table[total] = table[list(parts)].fillna(0).sum(axis=1).astype("Int64")
    derived_raw = table.copy()
    totals: dict[str, pd.DataFrame] = {}
    for level in hierarchy.levels:
        if protected_totals:
            vals, index = block(level)
            frame = pd.DataFrame(
                {c: whole(vals[j]) for j, c in enumerate(count_columns)}, index=index
            )
        else:
            frame = _mask_in_range(
                derived_raw.groupby(df[level].astype(str))[list(count_columns)].sum(min_count=0),
                policy,
            ).astype("Int64")
        frame.index.name = level
        totals[level] = frame.reset_index()
    if not protected_totals:
        for total in hierarchy.column_totals:
            table[total] = _mask_in_range(table[[total]], policy)[total].astype("Int64")
    if hierarchy.geography == ROW_LEVEL:
        table = table.drop(columns=[ROW_LEVEL])
    shown = supp & (system.implicit if system.implicit is not None else False)
    listed = supp & ~shown
    suppressed = keys[listed].assign(reason=reason[listed]).reset_index(drop=True)
    return Protected(
        table=table,
        totals=totals,
        suppressed=suppressed,
        policy=policy,
        hierarchy=hierarchy,
        count_columns=tuple(count_columns),
        noise=noise_info,
        audit_cells=audited,
    )


def _mask_in_range(frame: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Derived totals that land in the suppressed range (e.g. 0 when zeros are redacted) are withheld."""
    values = frame.astype("Float64")
    if not policy.suppresses:
        return values
    return values.mask((values >= policy.suppressed_low) & (values <= policy.threshold))


def published_rate(numerator: Any, denominator: Any, *, per: float = 1.0) -> Any:
    """A rate from the published (rounded) numerator and denominator, never the raw ones.

    Withheld (missing) numerators or denominators, and zero denominators, give a missing rate.
    Works on scalars, arrays and Series.
    """
    num = pd.to_numeric(pd.Series(np.atleast_1d(numerator), dtype="Float64"), errors="coerce")
    den = pd.to_numeric(pd.Series(np.atleast_1d(denominator), dtype="Float64"), errors="coerce")
    den = den.where(den != 0)
    rate = (num / den * per).astype("Float64")
    if isinstance(numerator, pd.Series):
        rate.index = numerator.index
        return rate
    if np.ndim(numerator) == 0 and np.ndim(denominator) == 0:
        value = rate.iloc[0]
        return None if pd.isna(value) else float(value)
    return rate.to_numpy(dtype=float, na_value=np.nan)
