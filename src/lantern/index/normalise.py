"""Normalisations: every method returns values on a scale where higher means more vulnerable.

Inputs are already oriented (higher = worse). Missing values (NaN) stay NaN and are left out of
ranks and of the statistics that scale the others.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, rankdata

TIE_METHODS = ("average", "min", "first", "max", "dense")
NORMALISATIONS = (
    "none",
    "rank",
    "percentile_rank",
    "inverse_normal",
    "zscore",
    "minmax",
    "distance_to_reference",
)


# Values closer than this share of the column's largest magnitude (or of 1, when every value is
# smaller than 1 in size) rank as ties. Sums, means and
# the LSOA 2011 → 2021 split carry noise in the 15th–17th significant digit (two LSOA 2021s split
# from one LSOA 2011 must tie but may differ by 1e-16); without a tolerance those ties would
# break by chance, and the same index would rank differently from a CSV export of its inputs.
RANK_TOLERANCE = 1e-12


def tie_groups(values: np.ndarray, tolerance: float = RANK_TOLERANCE) -> np.ndarray:
    """Each non-missing value replaced by the index of its tie group in ascending order.

    Sorted values start a new group where the gap to the previous value exceeds ``tolerance`` ×
    max(largest absolute value in ``values``, 1); NaN stays NaN.
    """
    x = np.asarray(values, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    v = x[ok]
    if v.size == 0:
        return out
    order = np.argsort(v, kind="stable")
    s = v[order]
    scale = max(float(np.max(np.abs(s))), 1.0)
    gap = np.diff(s) > tolerance * scale
    groups = np.empty(v.size)
    groups[order] = np.concatenate(([0], np.cumsum(gap)))
    out[ok] = groups
    return out


def ascending_rank(values: np.ndarray, ties: str = "average") -> np.ndarray:
    """Rank 1 = smallest value (least vulnerable); NaN stays NaN; ``first`` breaks ties by position.

    Values within :data:`RANK_TOLERANCE` of each other (relative to the largest magnitude) tie.
    ``first`` gives every area its own rank (values in order, equal values by position), so it is
    the one setting that can still follow floating-point noise.
    """
    x = np.asarray(values, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    if ties == "first":
        out[ok] = rankdata(x[ok], method="ordinal")
        return out
    out[ok] = rankdata(tie_groups(x[ok]), method=ties)
    return out


def descending_rank(values: np.ndarray, ties: str = "average") -> np.ndarray:
    """Rank 1 = largest value (most vulnerable); NaN stays NaN."""
    x = np.asarray(values, dtype=float)
    return ascending_rank(np.where(np.isnan(x), np.nan, -x), ties)


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """``(rank_min − 1)/(n − 1)`` over non-missing values (Excel PERCENTRANK.INC, CDC SVI)."""
    r = ascending_rank(values, "min")
    n = int(np.sum(~np.isnan(r)))
    return (r - 1.0) / (n - 1.0) if n > 1 else np.where(np.isnan(r), np.nan, 0.0)


def inverse_normal(values: np.ndarray, ties: str = "average") -> np.ndarray:
    """Normal scores ``Φ⁻¹((r − 0.5)/n)`` of the ascending rank (IoD indicators within domains)."""
    r = ascending_rank(values, ties)
    n = int(np.sum(~np.isnan(r)))
    return np.asarray(norm.ppf((r - 0.5) / n), dtype=float)


def zscore(values: np.ndarray) -> np.ndarray:
    """``(x − mean)/sd`` with the population standard deviation over non-missing values."""
    x = np.asarray(values, dtype=float)
    sd = np.nanstd(x)
    return (x - np.nanmean(x)) / sd if sd > 0 else np.where(np.isnan(x), np.nan, 0.0)


def minmax(values: np.ndarray) -> np.ndarray:
    """``(x − min)/(max − min)`` onto 0…1."""
    x = np.asarray(values, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    return (x - lo) / (hi - lo) if hi > lo else np.where(np.isnan(x), np.nan, 0.0)


def distance_to_reference(values: np.ndarray, reference: float) -> np.ndarray:
    """``x / reference`` (e.g. the England value): 1 = same as the reference, 2 = twice as high."""
    if reference == 0 or np.isnan(reference):
        raise ValueError("the reference value for distance_to_reference must be non-zero")
    return np.asarray(values, dtype=float) / float(reference)


def normalise(
    values: np.ndarray,
    method: str,
    *,
    ties: str = "average",
    reference: float | None = None,
) -> np.ndarray:
    """Apply one named normalisation (see ``NORMALISATIONS``)."""
    if method == "none":
        return np.asarray(values, dtype=float)
    if method == "rank":
        return ascending_rank(values, ties)
    if method == "percentile_rank":
        return percentile_rank(values)
    if method == "inverse_normal":
        return inverse_normal(values, ties)
    if method == "zscore":
        return zscore(values)
    if method == "minmax":
        return minmax(values)
    if method == "distance_to_reference":
        if reference is None:
            raise ValueError("distance_to_reference needs a reference value")
        return distance_to_reference(values, reference)
    raise ValueError(f"unknown normalisation {method!r}; choose one of {', '.join(NORMALISATIONS)}")
