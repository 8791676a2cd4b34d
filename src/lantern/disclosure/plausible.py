"""Series a reader could take to be the same counts, whatever their names: linking by values.

Two published series (columns of tables, in any cohort) are *plausibly the same measure* when
their areas nest or coincide and every sum the geography implies between them is consistent
with what each publishes (intervals overlap). A reader who sees an MSOA column called ``n`` that
equals the sum of an LSOA column called ``count`` will treat them as one measure, so the gate
audits them together too. Consistency is necessary, not sufficient: linking two unrelated
measures that happen to agree can only make the audit stricter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from lantern.disclosure.areas import AreaSets
from lantern.disclosure.linked import Publication, build_linked
from lantern.disclosure.system import equation_violations

MAX_PAIRS = 400


def _renamed(pub: Publication, series: str, key: str) -> Publication:
    keep = np.asarray(pub.series, dtype=object) == series
    return replace(
        pub,
        series=np.full(int(keep.sum()), key, dtype=object),
        area=np.asarray(pub.area, dtype=object)[keep],
        value=np.asarray(pub.value, dtype=float)[keep],
        row=np.asarray(pub.row)[keep],
        column=np.asarray(pub.column, dtype=object)[keep],
    )


def series_of(pubs: Sequence[Publication]) -> dict[str, list[tuple[int, str]]]:
    """Series key -> ``(publication index, table)`` of every publication holding it."""
    out: dict[str, list[tuple[int, str]]] = {}
    for i, p in enumerate(pubs):
        for s in dict.fromkeys(np.asarray(p.series, dtype=object).tolist()):
            out.setdefault(s, []).append((i, p.table))
    return out


def value_links(pubs: Sequence[Publication], sets: AreaSets) -> list[tuple[str, str]]:
    """Pairs of differently named series from different tables that a reader could take for
    the same counts (see the module docstring)."""
    by_series = series_of(pubs)
    keys = sorted(by_series)
    pairs = []
    for i, a in enumerate(keys):
        tables_a = {t for _, t in by_series[a]}
        for b in keys[i + 1 :]:
            if tables_a & {t for _, t in by_series[b]}:
                continue  # two columns of one table: row totals are declared, not guessed
            pairs.append((a, b))
    out = []
    for a, b in pairs[:MAX_PAIRS]:
        merged = [_renamed(pubs[j], s, "~") for s in (a, b) for j, _ in by_series[s]]
        system, cells = build_linked(merged, sets)
        if not system.n_equations:
            continue
        pub_of_cell = cells["tables"].to_numpy()
        tables_a = {pubs[j].table for j, _ in by_series[a]}
        from_a = np.array([bool(set(t) & tables_a) for t in pub_of_cell])
        from_b = np.array([bool(set(t) - tables_a) for t in pub_of_cell])
        eq_a = np.zeros(system.n_equations, dtype=bool)
        eq_b = np.zeros(system.n_equations, dtype=bool)
        eq_a[system.eq[from_a[system.cell]]] = True
        eq_b[system.eq[from_b[system.cell]]] = True
        if not (eq_a & eq_b).any():
            continue
        lo = cells["lo"].to_numpy(dtype=float)
        hi = cells["hi"].to_numpy(dtype=float)
        if not equation_violations(system, lo, hi).any():
            out.append((a, b))
    return out


def merge_link(pubs: Sequence[Publication], a: str, b: str) -> list[Publication]:
    """The publications of series ``a`` and ``b`` as one series (named ``a``)."""
    out = []
    for p in pubs:
        series = np.asarray(p.series, dtype=object)
        for s in (a, b):
            if (series == s).any():
                out.append(_renamed(p, s, a))
    return out
