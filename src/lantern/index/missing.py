"""Missing-value policies for indicator columns, each reporting what it did."""

from __future__ import annotations

import numpy as np
import pandas as pd


def apply_missing_policy(
    values: np.ndarray, policy: str, parents: pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fill gaps in an oriented column (higher = worse); returns ``(values, imputed_mask)``.

    - ``exclude``: leave gaps; the area gets no score for the domain (nor the index) and is
      left out of the ranking.
    - ``impute_parent_mean``: the mean of the same parent area (e.g. district), else the overall
      mean when the whole parent is missing.
    - ``rank_least``: the least vulnerable observed value, so the area ranks as least
      vulnerable on this indicator (the British Red Cross convention; it hides need).
    """
    x = np.asarray(values, dtype=float).copy()
    missing = np.isnan(x)
    if not missing.any() or policy == "exclude":
        return x, np.zeros_like(missing) if policy == "exclude" else missing
    if policy == "rank_least":
        x[missing] = np.nanmin(x)
    elif policy == "impute_parent_mean":
        if parents is None:
            raise ValueError("impute_parent_mean needs each area's parent area")
        groups = pd.Series(x).groupby(np.asarray(parents)).transform("mean").to_numpy()
        filled = np.where(np.isnan(groups), np.nanmean(x), groups)
        x[missing] = filled[missing]
    else:
        raise ValueError(f"unknown missing-value policy {policy!r}")
    return x, missing
