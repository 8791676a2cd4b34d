"""The linked audit: every published table of a release (and earlier releases of the same cohort
and period) as one system of cells and sums, joined by geography whatever the tables declare.

A *series* is one measure of one cohort in one period (e.g. ``frailty@2021 / count``); each
publication contributes cells ``(series, area code)`` with what its value tells a reader (its
interval under the table's policy). The same cell published twice is one unknown (intervals
intersect). Within a series, areas are joined by ``lantern.disclosure.areas.structure``: nested
areas sum (LSOA → MSOA → district), overlapping ones share unpublished pieces, and pieces no table
publishes (the rest of an MSOA, the part of a ward outside an MSOA) become cells of their own that
a reader could work out. Row totals add sums across series.

Every withheld cell and every unpublished piece is audited (``lantern.disclosure.recovery``): a
withheld cell fails when a reader can pin it down or tell it is at most the threshold; a piece
fails when a reader can tell it is a small non-zero count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lantern.disclosure.areas import AreaSets, Structure, structure
from lantern.disclosure.explain import explain_cell
from lantern.disclosure.policy import Policy
from lantern.disclosure.recovery import Audit, audit
from lantern.disclosure.rules import published_interval
from lantern.disclosure.system import CellSystem


@dataclass
class Publication:
    """One published table's count cells: series key, area code, value (NaN = withheld), and
    for messages the row number and column. ``earlier`` marks a publication of an earlier
    release (same cohort and period); its withheld cells must stay protected."""

    table: str
    policy: Policy
    series: np.ndarray
    area: np.ndarray
    value: np.ndarray
    row: np.ndarray
    column: np.ndarray
    earlier: bool = False
    cohort: str = ""
    period: str = ""


@dataclass(frozen=True)
class RowTotal:
    """Within one table, ``total`` series = sum of ``parts`` series in every area."""

    total: str
    parts: tuple[str, ...]


@dataclass
class LinkedFinding:
    """One failing cell (or contradiction) of the linked audit."""

    rule: str
    series: str
    area: str
    tables: tuple[str, ...]
    rows: tuple[int, ...]
    column: str
    message: str


@dataclass
class LinkedAudit:
    system: CellSystem
    cells: pd.DataFrame
    result: Audit
    findings: list[LinkedFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _cells(pubs: Sequence[Publication]) -> pd.DataFrame:
    frames = []
    for i, p in enumerate(pubs):
        lo, hi = published_interval(np.asarray(p.value, dtype=float), p.policy)
        frames.append(
            pd.DataFrame(
                {
                    "pub": i,
                    "series": np.asarray(p.series, dtype=object),
                    "area": np.asarray(p.area, dtype=object).astype(str),
                    "value": np.asarray(p.value, dtype=float),
                    "lo": lo,
                    "hi": hi,
                    "row": np.asarray(p.row, dtype=np.int64),
                    "column": np.asarray(p.column, dtype=object),
                    "required": p.policy.required_high,
                    "low_rule": float(p.policy.suppressed_low),
                    "earlier": p.earlier,
                }
            )
        )
    long = pd.concat(frames, ignore_index=True)
    long["withheld"] = np.isnan(long["value"].to_numpy())
    earlier = long["earlier"].to_numpy(dtype=bool)
    if earlier.any():
        # A cell withheld before may be withheld now only for that reason (a writer keeps it
        # withheld): its being withheld now says nothing about its size.
        key = long["series"].astype(str) + "\x1f" + long["area"]
        before = set(key[earlier & long["withheld"].to_numpy()])
        sticky = ~earlier & long["withheld"].to_numpy() & key.isin(before).to_numpy()
        long.loc[sticky, "lo"] = 0.0
    long["current"] = ~earlier
    long["withheld_now"] = long["withheld"] & ~earlier
    return long


def _implicit_name(kind: str, codes: tuple[str, ...]) -> str:
    if kind == "rest":
        parent, *children = codes
        shown = ", ".join(children[:4]) + (" …" if len(children) > 4 else "")
        return f"the rest of {parent} (outside {shown})"
    return "the part shared only by " + " & ".join(codes[:4]) + (" …" if len(codes) > 4 else "")


def build_linked(
    pubs: Sequence[Publication], sets: AreaSets, row_totals: Sequence[RowTotal] = ()
) -> tuple[CellSystem, pd.DataFrame]:
    """The cell system of every publication joined by geography; ``cells`` has one row per cell
    (``series, area, lo, hi, value, target, required, low_rule, implicit, tables, rows, column``)."""
    long = _cells(pubs)
    grouped = long.groupby(["series", "area"], sort=False)
    cells = grouped.agg(
        lo=("lo", "max"),
        hi=("hi", "min"),
        value=("value", "max"),
        withheld=("withheld", "any"),
        current=("current", "any"),
        withheld_now=("withheld_now", "any"),
        required=("required", "max"),
        low_rule=("low_rule", "min"),
        column=("column", "first"),
    ).reset_index()
    tables = long.assign(t=long["pub"].map(lambda i: pubs[i].table)).groupby(
        ["series", "area"], sort=False
    )
    cells["tables"] = tables["t"].agg(lambda s: tuple(dict.fromkeys(s))).to_numpy()
    cells["rows"] = tables["row"].agg(tuple).to_numpy()
    cells["implicit"] = False
    # Protected: cells withheld now, and cells withheld before that this release does not publish.
    cells["target"] = cells["withheld_now"].to_numpy() | (
        cells["withheld"].to_numpy() & ~cells["current"].to_numpy()
    )

    cache: dict[tuple[Any, ...], Structure] = {}
    eqs, cs, coefs = [], [], []
    n_eq = 0
    implicit_rows = []
    next_cell = len(cells)
    for series, idx in cells.groupby("series", sort=False).indices.items():
        areas = cells["area"].to_numpy()[idx]
        key = tuple(sorted(areas))
        st = cache.get(key)
        if st is None:
            st = cache[key] = structure(np.asarray(key, dtype=object), sets)
        if not len(st.total):
            continue
        pos = pd.Index(st.codes).get_indexer(areas)
        node_cell = np.empty(st.n_nodes, dtype=np.int64)
        node_cell[pos] = idx
        k = len(st.implicit)
        node_cell[len(st.codes) :] = next_cell + np.arange(k)
        first = idx[0]
        for kind, codes in st.implicit:
            implicit_rows.append(
                {
                    "series": series,
                    "area": _implicit_name(kind, codes),
                    "lo": 0.0,
                    "hi": np.inf,
                    "value": np.nan,
                    "withheld": True,
                    "current": True,
                    "withheld_now": True,
                    "required": cells["required"].iat[first],
                    "low_rule": cells["low_rule"].iat[first],
                    "column": cells["column"].iat[first],
                    "tables": (),
                    "rows": (),
                    "implicit": True,
                    "target": True,
                }
            )
        next_cell += k
        lengths = np.diff(st.ptr)
        eq_ids = n_eq + np.arange(len(st.total))
        eqs += [eq_ids, np.repeat(eq_ids, lengths)]
        cs += [node_cell[st.total], node_cell[st.parts]]
        coefs += [-np.ones(len(st.total)), np.ones(len(st.parts))]
        n_eq += len(st.total)
    if implicit_rows:
        cells = pd.concat([cells, pd.DataFrame(implicit_rows)], ignore_index=True)
    if row_totals:
        lookup = pd.Series(
            np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[["series", "area"]])
        )
        for rt in row_totals:
            heads = cells.index[(cells["series"] == rt.total) & ~cells["implicit"]].to_numpy()
            areas = cells["area"].to_numpy()[heads]
            found = []
            for part in rt.parts:
                ix = lookup.reindex(pd.MultiIndex.from_arrays([[part] * len(areas), areas]))
                found.append(ix.to_numpy(dtype=float))
            found_arr = np.vstack(found) if found else np.zeros((0, len(heads)))
            ok = ~np.isnan(found_arr).any(axis=0)
            for h, col in zip(heads[ok], found_arr[:, ok].T, strict=True):
                eqs += [np.array([n_eq]), np.full(len(col), n_eq)]
                cs += [np.array([h]), col.astype(np.int64)]
                coefs += [np.array([-1.0]), np.ones(len(col))]
                n_eq += 1

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    system = CellSystem(
        keys=cells[["series", "area", "column"]],
        values=cells["value"].to_numpy(dtype=float),
        eq=cat(eqs, np.int64),
        cell=cat(cs, np.int64),
        coef=cat(coefs, float),
        implicit=cells["implicit"].to_numpy(dtype=bool),
    )
    return system, cells


def linked_audit(
    pubs: Sequence[Publication], sets: AreaSets, row_totals: Sequence[RowTotal] = ()
) -> LinkedAudit:
    """Build the linked system and audit every withheld cell and unpublished piece."""
    system, cells = build_linked(pubs, sets, row_totals)
    lo = cells["lo"].to_numpy(dtype=float)
    hi = cells["hi"].to_numpy(dtype=float)
    target = cells["target"].to_numpy(dtype=bool)
    result = audit(
        system,
        lo,
        hi,
        target,
        required=cells["required"].to_numpy(dtype=float),
        low_rule=cells["low_rule"].to_numpy(dtype=float),
    )
    out = LinkedAudit(system, cells, result)
    published = cells["value"].to_numpy(dtype=float)
    series = cells["series"].to_numpy()
    areas = cells["area"].to_numpy()

    def name(i: int) -> str:
        where = cells["tables"].iat[i]
        label = f"{areas[i]}" if cells["implicit"].iat[i] else f"{areas[i]} [{', '.join(where)}]"
        return f"{label} {cells['column'].iat[i]}"

    bad = result.inconsistent
    if bad.any():
        seen_eq = set()
        for i in np.flatnonzero(bad & ~cells["implicit"].to_numpy()):
            eq = system.eq[system.cell == i]
            key = tuple(sorted(eq.tolist()))
            if key in seen_eq or len(out.findings) >= 50:
                continue
            seen_eq.add(key)
            out.findings.append(
                LinkedFinding(
                    "totals",
                    str(series[i]),
                    str(areas[i]),
                    tuple(cells["tables"].iat[i]),
                    tuple(cells["rows"].iat[i]),
                    str(cells["column"].iat[i]),
                    "published values contradict each other: no counts can give all of them "
                    "(areas summed by geography across the release and earlier releases)",
                )
            )
    for i in np.flatnonzero(result.failing):
        how = explain_cell(system, int(i), published, result.low[i], result.high[i], name)
        implicit = bool(cells["implicit"].iat[i])
        if result.low[i] == result.high[i]:
            rule = "differencing"
            what = (
                "an unpublished area" if implicit else "withheld cell"
            ) + " can be recovered exactly"
        else:
            rule = "protection"
            what = (
                f"{'an unpublished area' if implicit else 'withheld cell'} is not protected: a reader "
                f"can tell it is between {result.low[i]:g} and {result.high[i]:g}, below the "
                f"protection level {cells['required'].iat[i]:g}"
            )
        out.findings.append(
            LinkedFinding(
                rule,
                str(series[i]),
                str(areas[i]),
                tuple(cells["tables"].iat[i]),
                tuple(cells["rows"].iat[i]),
                str(cells["column"].iat[i]),
                f"{what}; {how}",
            )
        )
    return out
