"""``check_table``: verify a published table against its policy, from the published values alone.

Rules (each failure names the cell and the rule):
  * ``suppressed-range`` — no published count lies in the policy's suppressed range;
  * ``rounding-base`` — every published count is a multiple of the rounding base (midpoint-6
    tables: every count is 0 or 3 + 6k);
  * ``totals`` — derived totals equal the sum of the published cells; independently protected
    totals are consistent with the cells they sum;
  * ``differencing`` — no withheld cell can be recovered exactly from the published cells and
    totals, of this release and every earlier release of the same table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lantern.disclosure.explain import explain_cell
from lantern.disclosure.hierarchy import Hierarchy
from lantern.disclosure.policy import Policy
from lantern.disclosure.protect import published_layout
from lantern.disclosure.recovery import audit
from lantern.disclosure.rules import is_midpoint6_value, is_multiple
from lantern.disclosure.system import (
    Layout,
    build_system,
    equation_violations,
    known_intervals,
    merge_systems,
)


@dataclass(frozen=True)
class Failure:
    """One rule broken by one cell."""

    table: str
    level: str
    area: str
    column: str
    rule: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"{self.table}"
        if self.row is not None:
            where += f" row {self.row}"
        return f"{where}, area {self.area} ({self.level}), column {self.column!r}: {self.message} (rule: {self.rule})"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Release:
    """An earlier publication of the same table, for the cross-release check."""

    layout: Layout
    policy: Policy


def _values(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The count columns as floats (NaN = withheld), one column per count."""
    return np.column_stack(
        [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    ) if len(columns) else np.zeros((len(frame), 0))  # fmt: skip


def _cell_failures(
    label: str,
    level: str,
    frame: pd.DataFrame,
    columns: list[str],
    bad: np.ndarray,
    rule: str,
    msg: str,
) -> list[Failure]:
    rows, cols = np.nonzero(bad)
    areas = frame[level].astype(str).to_numpy()
    return [
        Failure(label, level, areas[r], columns[c], rule, msg, int(r) + 2)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
    ]


def check_table(
    name: str,
    table: pd.DataFrame,
    *,
    count_columns: Sequence[str],
    policy: Policy,
    hierarchy: Hierarchy,
    totals: Mapping[str, pd.DataFrame] | None = None,
    history: Sequence[Release] = (),
    total_names: Mapping[str, str] | None = None,
) -> list[Failure]:
    """Every rule the published ``table`` (and its ``totals`` per level) breaks under ``policy``."""
    totals = dict(totals or {})
    total_names = dict(total_names or {})
    failures: list[Failure] = []
    if policy.method == "none":
        return failures
    frames = [(name, hierarchy.geography, table)] + [
        (total_names.get(level, f"{name} [{level} totals]"), level, frame)
        for level, frame in totals.items()
    ]
    derived = policy.totals == "derived"
    for label, level, frame in frames:
        if level != hierarchy.geography and derived:
            continue
        v = _values(frame, count_columns)
        columns = list(count_columns)
        if policy.suppresses:
            bad = (v >= policy.suppressed_low) & (v <= policy.threshold)
            msg = f"published count is in the suppressed range {policy.suppressed_low}..{policy.threshold}"
            failures += _cell_failures(label, level, frame, columns, bad, "suppressed-range", msg)
        if policy.method == "midpoint6":
            bad = ~is_midpoint6_value(v)
            msg = "published count is not a midpoint-6 value (0, 3, 9, 15, ...)"
        else:
            bad = ~is_multiple(v, policy.rounding_base)
            msg = f"published count is not a multiple of {policy.rounding_base}"
        failures += _cell_failures(label, level, frame, columns, bad, "rounding-base", msg)

    if derived:
        failures += _check_derived(
            name, table, totals, count_columns, hierarchy, total_names, policy
        )
        return failures

    layout = published_layout(
        table, totals, hierarchy=hierarchy, count_columns=count_columns, policy=policy
    )
    system = build_system(layout)
    lo, hi = known_intervals(system, policy)
    bad_eq = equation_violations(system, lo, hi)
    for eq in np.flatnonzero(bad_eq)[:50]:
        head = system.cell[(system.eq == eq) & (system.coef < 0)][0]
        k = system.keys.iloc[int(head)]
        failures.append(
            Failure(
                total_names.get(k["level"], name),
                k["level"],
                k["area"],
                k["column"],
                "totals",
                "total cannot equal the sum of the published cells it covers",
            )
        )
    if bad_eq.any():
        return failures

    systems = [system] + [build_system(r.layout) for r in history]
    merged, maps = merge_systems(systems)
    m_lo, m_hi = np.zeros(merged.size), np.full(merged.size, np.inf)
    withheld_before = np.zeros(merged.size, dtype=bool)
    for sys_, where in zip(systems[1:], maps[1:], strict=True):
        withheld_before[where[np.isnan(sys_.values)]] = True
    lo = np.where(withheld_before[maps[0]] & np.isnan(system.values), 0.0, lo)
    if system.implicit is not None:
        lo = np.where(system.implicit, 0.0, lo)
    m_lo[maps[0]], m_hi[maps[0]] = lo, hi
    for rel, sys_, where in zip(history, systems[1:], maps[1:], strict=True):
        r_lo, r_hi = known_intervals(sys_, rel.policy)
        m_lo[where] = np.maximum(m_lo[where], r_lo)
        m_hi[where] = np.minimum(m_hi[where], r_hi)
    target = np.zeros(merged.size, dtype=bool)
    for sys_, where in zip(systems[1:], maps[1:], strict=True):
        target[where] |= np.isnan(sys_.values)
    target[maps[0]] = np.isnan(system.values) | (
        (policy.method == "midpoint6") & (system.values == 3)
    )
    if history:
        # Cells earlier releases already pin down (with today's equations) are public already.
        e_lo, e_hi = np.zeros(merged.size), np.full(merged.size, np.inf)
        for rel, sys_, where in zip(history, systems[1:], maps[1:], strict=True):
            r_lo, r_hi = known_intervals(sys_, rel.policy)
            e_lo[where] = np.maximum(e_lo[where], r_lo)
            e_hi[where] = np.minimum(e_hi[where], r_hi)
        target &= ~audit(merged, e_lo, e_hi, target).pinned
    result = audit(
        merged,
        m_lo,
        m_hi,
        target,
        required=policy.required_high,
        low_rule=policy.suppressed_low,
    )
    keys = merged.keys
    published = np.full(merged.size, np.nan)
    for sys_, where in zip(systems[::-1], maps[::-1], strict=True):
        published[where] = np.where(np.isnan(sys_.values), published[where], sys_.values)

    def cell_name(i: int) -> str:
        k = keys.iloc[int(i)]
        return f"{k['area']} ({k['level']}, {k['column']})"

    for i in np.flatnonzero(result.inconsistent & target)[:50]:
        k = keys.iloc[int(i)]
        failures.append(
            Failure(
                total_names.get(k["level"], name),
                k["level"],
                k["area"],
                k["column"],
                "differencing",
                "published cells and totals (with earlier releases) contradict each other around this cell",
            )
        )
    across = " across releases" if history else ""
    for i in np.flatnonzero(result.failing):
        k = keys.iloc[int(i)]
        how = explain_cell(merged, int(i), published, result.low[i], result.high[i], cell_name)
        if result.pinned[i]:
            rule, what = "differencing", f"withheld cell can be recovered exactly{across}"
        else:
            rule = "protection"
            implicit = merged.implicit is not None and merged.implicit[i]
            cell = "the unpublished part of an area" if implicit else "withheld cell"
            what = (
                f"{cell} is not protected{across}: a reader can tell it is at most "
                f"{result.high[i]:g}, below the protection level {policy.required_high:g}"
            )
        failures.append(
            Failure(
                total_names.get(k["level"], name),
                k["level"],
                k["area"],
                k["column"],
                rule,
                f"{what}; {how}",
            )
        )
    return failures


def _check_derived(
    name: str,
    table: pd.DataFrame,
    totals: Mapping[str, pd.DataFrame],
    count_columns: Sequence[str],
    hierarchy: Hierarchy,
    total_names: Mapping[str, str],
    policy: Policy,
) -> list[Failure]:
    failures = []
    base = table[list(count_columns)].apply(pd.to_numeric, errors="coerce").fillna(0)
    for total, parts in hierarchy.column_totals.items():
        base[total] = base[list(parts)].sum(axis=1)

    def masked(frame: pd.DataFrame) -> pd.DataFrame:
        if not policy.suppresses:
            return frame
        return frame.mask((frame >= policy.suppressed_low) & (frame <= policy.threshold))

    for level, frame in totals.items():
        expected = masked(base.groupby(table[level].astype(str).to_numpy()).sum())
        got = frame.set_index(frame[level].astype(str))[list(count_columns)].apply(
            pd.to_numeric, errors="coerce"
        )
        got = got.reindex(expected.index)
        diff = got.fillna(-1) != expected.fillna(-1)
        for area, row in diff.iterrows():
            for col in row.index[row.to_numpy()]:
                failures.append(
                    Failure(
                        total_names.get(level, name),
                        level,
                        str(area),
                        col,
                        "totals",
                        "derived total is not the sum of the published cells",
                    )
                )
    for total in hierarchy.column_totals:
        expected = masked(base[[total]])[total]
        got = pd.to_numeric(table[total], errors="coerce")
        for i in np.flatnonzero((got.fillna(-1) != expected.fillna(-1)).to_numpy()):
            failures.append(
                Failure(
                    name,
                    hierarchy.geography,
                    str(table[hierarchy.geography].iloc[i]),
                    total,
                    "totals",
                    "derived row total is not the sum of the published cells",
                    int(i) + 2,
                )
            )
    return failures
