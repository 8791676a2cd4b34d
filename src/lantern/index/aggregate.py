"""Combine weighted columns into one score per area, and each column's share of it."""

from __future__ import annotations

import numpy as np

AGGREGATIONS = ("arithmetic", "geometric", "sum", "mean")


def aggregate(matrix: np.ndarray, weights: np.ndarray, method: str = "arithmetic") -> np.ndarray:
    """Weighted arithmetic mean ``Σ w x`` (weights sum to one), geometric mean ``Π x^w`` or plain
    sum ``Σ x`` (weights ignored, as the CDC SVI adds its percentile ranks), or plain mean
    ``Σ x / k`` (weights ignored; summed first, as R's ``rowMeans``, so published means match to
    the last bit). A missing input makes the area's score missing."""
    x = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    if method == "arithmetic":
        return np.asarray(x @ w, dtype=float)
    if method == "sum":
        return np.asarray(x.sum(axis=1), dtype=float)
    if method == "mean":
        return np.asarray(x.sum(axis=1) / x.shape[1], dtype=float)
    if method == "geometric":
        if np.nanmin(x) <= 0:
            raise ValueError(
                "the geometric mean needs positive values: use a normalisation such as rank "
                "or the exponential transform, not z-scores or min-max"
            )
        return np.asarray(np.exp(np.log(x) @ w), dtype=float)
    raise ValueError(f"unknown aggregation {method!r}; choose one of {', '.join(AGGREGATIONS)}")


def contributions(
    matrix: np.ndarray, weights: np.ndarray, method: str = "arithmetic"
) -> np.ndarray:
    """Each column's additive term in the score: ``w x`` (arithmetic), ``x`` (sum), or ``w ln x``
    for the geometric mean, whose log-score is the sum of these terms."""
    x = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    if method == "arithmetic":
        return np.asarray(x * w, dtype=float)
    if method == "sum":
        return x.copy()
    if method == "mean":
        return np.asarray(x / x.shape[1], dtype=float)
    if method == "geometric":
        return np.asarray(np.log(x) * w, dtype=float)
    raise ValueError(f"unknown aggregation {method!r}")
