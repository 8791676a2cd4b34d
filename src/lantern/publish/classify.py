"""Class breaks and colour-blind-safe sequential palettes for the choropleth (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# ColorBrewer sequential schemes flagged colour-blind safe (Brewer, colorbrewer2.org), light → dark.
PALETTES: dict[str, list[str]] = {
    "YlOrRd": ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    "PuBu": ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"],
    "YlGnBu": ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
}
NO_DATA = "#d9d9d9"
# Areas without a value and areas outside the filter are hatched, never a flat colour that could
# pass for the lightest class: (background, line) of each pattern. The lines contrast at least
# 3:1 with the lightest colour of every palette.
NO_DATA_PATTERN = ("#d9d9d9", "#525252")
FILTERED_PATTERN = ("#ffffff", "#808080")
N_CLASSES = 5


def quantile_breaks(values: Sequence[float], n_classes: int = N_CLASSES) -> list[float]:
    """Upper bounds of ``n_classes`` quantile classes (the last is the maximum).

    Missing values are ignored; repeated breaks are dropped so every class is non-empty.
    """
    try:
        arr = np.asarray(values, dtype=float)  # None becomes NaN
        arr = arr[~np.isnan(arr)]
    except (TypeError, ValueError):
        arr = np.asarray([v for v in values if v is not None and not _isnan(v)], dtype=float)
    if arr.size == 0:
        return []
    qs = np.quantile(arr, np.linspace(0, 1, n_classes + 1)[1:], method="linear")
    breaks: list[float] = []
    for q in qs:
        q = float(q)
        if not breaks or q > breaks[-1]:
            breaks.append(q)
    return breaks


def class_of(value: float | None, breaks: Sequence[float]) -> int:
    """The class (0-based) whose upper bound is the first break ≥ value; -1 when missing."""
    if value is None or _isnan(value) or not breaks:
        return -1
    for i, upper in enumerate(breaks):
        if value <= upper:
            return i
    return len(breaks) - 1


def colours_for(palette: str, n_classes: int, polarity: str) -> list[str]:
    """Light → dark colours for ``n_classes``; dark always means more vulnerable.

    For ``higher_better`` measures low values are the vulnerable ones, so the ramp is reversed.
    """
    ramp = PALETTES[palette]
    idx = np.linspace(0, len(ramp) - 1, n_classes).round().astype(int) if n_classes > 1 else [-1]
    colours = [ramp[i] for i in idx]
    return colours[::-1] if polarity == "higher_better" else colours


def palette_for(group: str) -> str:
    return "YlOrRd" if group in ("index", "domain") else "PuBu"


def _isnan(value: float) -> bool:
    try:
        return math.isnan(value)
    except TypeError:
        return False
