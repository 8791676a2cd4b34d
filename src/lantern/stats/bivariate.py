"""A 3×3 bivariate classification: where one measure meets another (pure).

Each measure is cut into thirds (tertiles of the areas with a value); the class is
``3·row + column`` with ``row`` the tertile of ``y`` (vulnerability) and ``column`` the tertile
of ``x`` (cases), so 0 is low–low and 8 high–high; missing on either side is −1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Joshua Stevens' blue–pink scheme: columns = x low→high, rows = y low→high.
COLOURS = (
    "#e8e8e8", "#e4acac", "#c85a5a",
    "#b0d5df", "#ad9ea5", "#985356",
    "#64acbe", "#627f8c", "#574249",
)  # fmt: skip
WORDS = ("low", "middle", "high")


def tertile_breaks(values: ArrayLike) -> tuple[float, float]:
    """The two cut points between thirds of the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return (float("nan"), float("nan"))
    a, b = np.quantile(v, [1 / 3, 2 / 3])
    return float(a), float(b)


def tertile(values: ArrayLike, breaks: tuple[float, float]) -> NDArray[np.int8]:
    """0, 1 or 2 for each value (≤ first break, ≤ second, above); −1 where missing."""
    v = np.asarray(values, dtype=float)
    out = np.where(v <= breaks[0], 0, np.where(v <= breaks[1], 1, 2)).astype(np.int8)
    return np.where(np.isfinite(v), out, -1).astype(np.int8)


def bivariate_classes(
    x: ArrayLike, y: ArrayLike
) -> tuple[NDArray[np.int8], tuple[float, float], tuple[float, float]]:
    """Classes 0–8 (−1 missing) and the tertile breaks of ``x`` and ``y``."""
    bx, by = tertile_breaks(x), tertile_breaks(y)
    tx, ty = tertile(x, bx), tertile(y, by)
    out = np.where((tx < 0) | (ty < 0), -1, 3 * ty + tx).astype(np.int8)
    return out, bx, by


def label(cls: int, x_name: str = "cases", y_name: str = "vulnerability") -> str:
    """``"high cases, high vulnerability"`` for class 8."""
    if cls < 0:
        return "no data"
    return f"{WORDS[cls % 3]} {x_name}, {WORDS[cls // 3]} {y_name}"
