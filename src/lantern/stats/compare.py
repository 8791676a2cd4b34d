"""Compare an area with a benchmark the way Fingertips does.

An area is *significantly higher* than the benchmark when its whole confidence interval lies
above the benchmark value, *significantly lower* when it lies wholly below, and *similar* when
the interval contains the benchmark value. Nothing is judged where the interval or the
benchmark is missing. ``judgement`` turns that into better/worse using the indicator's polarity.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

HIGHER, SIMILAR, LOWER, NOT_COMPARED = "higher", "similar", "lower", ""
WORDS = {
    (HIGHER, "higher_worse"): "worse",
    (LOWER, "higher_worse"): "better",
    (HIGHER, "higher_better"): "better",
    (LOWER, "higher_better"): "worse",
}


def compare_with_benchmark(
    lower: ArrayLike,
    upper: ArrayLike,
    benchmark: ArrayLike,
    benchmark_max: ArrayLike | None = None,
) -> NDArray[np.str_]:
    """``"higher"``, ``"similar"``, ``"lower"`` or ``""`` (not compared) for each area.

    ``benchmark_max`` is for a benchmark known only within a range (``benchmark`` to
    ``benchmark_max``): higher means above the whole range, lower below it.
    """
    top = benchmark if benchmark_max is None else benchmark_max
    lo, hi, b, b_max = np.broadcast_arrays(
        np.asarray(lower, dtype=float),
        np.asarray(upper, dtype=float),
        np.asarray(benchmark, dtype=float),
        np.asarray(top, dtype=float),
    )
    out = np.full(lo.shape, NOT_COMPARED, dtype="<U7")
    known = ~(np.isnan(lo) | np.isnan(hi) | np.isnan(b) | np.isnan(b_max))
    out[known] = SIMILAR
    out[known & (lo > b_max)] = HIGHER
    out[known & (hi < b)] = LOWER
    return out


def judgement(comparison: str, polarity: str) -> str:
    """``"worse"``, ``"better"``, ``"similar"`` or ``""`` for a comparison and a polarity
    (``higher_worse``/``higher_better``); a neutral indicator is only ever higher or lower."""
    if comparison == SIMILAR:
        return SIMILAR
    return WORDS.get((comparison, polarity), comparison)
