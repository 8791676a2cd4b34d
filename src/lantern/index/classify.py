"""Classes from scores: ranks (1 = most vulnerable), deciles, quintiles, percentiles, breaks, flags."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from lantern.index.normalise import ascending_rank, descending_rank, percentile_rank
from lantern.index.rounding import round_to

BREAK_METHODS = ("quantile", "jenks", "equal_interval")


def ntile(rank: np.ndarray, groups: int, method: str = "proportional") -> np.ndarray:
    """Group of each rank: ``proportional`` = ``ceil(groups · rank / N)`` (group 1 holds rank 1);
    ``equal_count`` = ``min(groups, floor((rank − 1) / floor(N / groups)) + 1)``."""
    r = np.asarray(rank, dtype=float)
    n = int(np.sum(~np.isnan(r)))
    if method == "equal_count":
        size = max(n // groups, 1)
        return np.minimum(groups, np.floor((r - 1.0) / size) + 1.0)
    return np.ceil(groups * r / n)


def deciles(rank: np.ndarray, method: str = "proportional") -> np.ndarray:
    return ntile(rank, 10, method)


def quintiles(rank: np.ndarray, method: str = "proportional") -> np.ndarray:
    return ntile(rank, 5, method)


def percentiles(rank: np.ndarray, method: str = "proportional") -> np.ndarray:
    return ntile(rank, 100, method)


def breaks(scores: np.ndarray, method: str, k: int) -> np.ndarray:
    """Map classes 1…k with class 1 = highest scores (most vulnerable), via mapclassify."""
    import warnings

    import mapclassify

    x = np.asarray(scores, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not enough unique values": fewer classes is the answer
        classifier = _classifier(mapclassify, method, x[ok], k)
    out[ok] = classifier.k - np.asarray(classifier.yb)
    return out


def _classifier(mapclassify: ModuleType, method: str, x: np.ndarray, k: int) -> Any:
    if method == "quantile":
        return mapclassify.Quantiles(x, k=k)
    if method == "jenks":
        return mapclassify.FisherJenks(x, k=k)
    if method == "equal_interval":
        return mapclassify.EqualInterval(x, k=k)
    raise ValueError(f"unknown breaks method {method!r}; choose one of {', '.join(BREAK_METHODS)}")


def flags(values: np.ndarray, threshold: float) -> np.ndarray:
    """1 where ``value ≥ threshold`` (e.g. a percentile rank ≥ 0.90), 0 otherwise, NaN if missing."""
    x = np.asarray(values, dtype=float)
    return np.where(np.isnan(x), np.nan, (x >= threshold).astype(float))


def classify(
    scores: np.ndarray,
    *,
    ties: str = "average",
    score_digits: int | None = None,
    prank_digits: int | None = None,
    rounding: str = "half_up",
    least_first: bool = False,
    ntiles: str = "proportional",
    rank_by: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Rank, decile, quintile, percentile and percentile rank of (optionally rounded) scores.

    Rank 1 is the highest score (most vulnerable), or the lowest with ``least_first``; classes
    follow the rank (decile 1 holds rank 1). ``rank_by`` ranks other values than the (rounded)
    scores shown, e.g. the unrounded scores when only the published score is rounded.
    """
    s = round_to(scores, score_digits, rounding)
    r = s if rank_by is None else np.asarray(rank_by, dtype=float)
    rank = ascending_rank(r, ties) if least_first else descending_rank(r, ties)
    return {
        "score": s,
        "rank": rank,
        "decile": deciles(rank, ntiles),
        "quintile": quintiles(rank, ntiles),
        "percentile": percentiles(rank, ntiles),
        "prank": round_to(percentile_rank(s), prank_digits, rounding),
    }
