"""The IoD exponential transform, which stretches the most vulnerable tail.

``X = −23 · ln(1 − R · (1 − e^(−100/23)))`` maps R in [0, 1] onto 0…100, with R = 1 for the most
vulnerable area. Two conventions give R from a rank:

- ``iod``: ``R = (N + 1 − rank)/N`` with rank 1 = most deprived (IoD2019 Appendix F), i.e.
  ``R = a/N`` for the ascending rank ``a`` (1 = least vulnerable);
- ``unit``: ``R = (a − 1)/(N − 1)`` so R runs exactly 0…1 (British Red Cross vulnerability index).
"""

from __future__ import annotations

import numpy as np

from lantern.index.normalise import ascending_rank

TRANSFORMS = ("none", "exponential")
R_CONVENTIONS = ("iod", "unit")
_C = 1.0 - np.exp(-100.0 / 23.0)


def exponential_of_r(r: np.ndarray) -> np.ndarray:
    """``−23 · ln(1 − R(1 − e^(−100/23)))`` for R in [0, 1]."""
    return np.asarray(-23.0 * np.log(1.0 - np.asarray(r, dtype=float) * _C), dtype=float)


def r_from_ascending_rank(rank: np.ndarray, n: int, convention: str = "iod") -> np.ndarray:
    """R from an ascending rank (1 = least vulnerable) under the chosen convention."""
    a = np.asarray(rank, dtype=float)
    if convention == "iod":
        return a / n
    if convention == "unit":
        return (a - 1.0) / (n - 1.0) if n > 1 else np.zeros_like(a)
    raise ValueError(f"unknown R convention {convention!r}; choose iod or unit")


def exponential(
    values: np.ndarray, *, convention: str = "iod", ties: str = "average"
) -> np.ndarray:
    """Rank the values (higher = worse), turn ranks into R and apply the exponential transform."""
    a = ascending_rank(values, ties)
    n = int(np.sum(~np.isnan(a)))
    return exponential_of_r(r_from_ascending_rank(a, n, convention))


def transform(
    values: np.ndarray, method: str, *, convention: str = "iod", ties: str = "average"
) -> np.ndarray:
    """Apply one named transform (``none`` or ``exponential``)."""
    if method == "none":
        return np.asarray(values, dtype=float)
    if method == "exponential":
        return exponential(values, convention=convention, ties=ties)
    raise ValueError(f"unknown transform {method!r}; choose none or exponential")
