"""Plain-words explanations of audit failures: which published values bound a withheld cell.

A checker reading a refusal needs the cell, its feasible interval and the sums that produced it,
e.g. ``E02000001 total 25 = E01000001 (withheld) + E01000002 10 + E01000003 12``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lantern.disclosure.system import CellSystem

MAX_EQUATIONS = 2
MAX_PARTS = 8


def _value(v: float) -> str:
    return "withheld" if np.isnan(v) else f"{v:g}"


def equations_of(system: CellSystem, cell: int) -> np.ndarray:
    """Equations the cell takes part in (as a part or as the total)."""
    return np.unique(system.eq[system.cell == cell])


def describe_equation(
    system: CellSystem, eq: int, published: np.ndarray, name: Callable[[int], str]
) -> str:
    """``total v = part v + part v + …`` with published values (``withheld`` for missing)."""
    rows = system.eq == eq
    cells, coefs = system.cell[rows], system.coef[rows]
    heads = cells[coefs < 0]
    parts = cells[coefs > 0]
    left = " + ".join(f"{name(int(h))} {_value(published[h])}" for h in heads) or "0"
    shown = [f"{name(int(p))} {_value(published[p])}" for p in parts[:MAX_PARTS]]
    if len(parts) > MAX_PARTS:
        shown.append(f"… {len(parts) - MAX_PARTS} more")
    return f"{left} = {' + '.join(shown)}"


def explain_cell(
    system: CellSystem,
    cell: int,
    published: np.ndarray,
    low: float,
    high: float,
    name: Callable[[int], str],
) -> str:
    """``a reader can bound it to lo..hi from: <equations>``."""
    hi_text = "∞" if not np.isfinite(high) else f"{high:g}"
    interval = f"{low:g}" if low == high else f"{low:g}..{hi_text}"
    eqs = equations_of(system, cell)[:MAX_EQUATIONS]
    sums = "; ".join(describe_equation(system, int(e), published, name) for e in eqs)
    return f"a reader can bound it to {interval} from {sums}" if sums else interval
