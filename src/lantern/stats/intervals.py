"""Confidence intervals for proportions, counts and rates (vectorised, NaN-propagating).

- Proportions ``p = O / n``: Wilson score limits (OHID's preferred method)::

      p_lower, p_upper = (2·O + z² ∓ z·√(z² + 4·O·q)) / (2·(n + z²)),   q = 1 − p

- Counts and rates ``r = O / n``: the limits of the count ``O`` divided by ``n``. Byar's
  approximation for ``O ≥ 10``::

      O_lower = O · (1 − 1/(9·O) − z/(3·√O))³
      O_upper = (O + 1) · (1 − 1/(9·(O + 1)) + z/(3·√(O + 1)))³

  and the exact (χ²) Poisson limits for ``O < 10``: ``O_lower = χ²(α/2; 2·O) / 2``,
  ``O_upper = χ²(1 − α/2; 2·O + 2) / 2``.

``z`` is the ``100·(1 − α/2)``th percentile of the standard normal distribution (1.959964 for
95%). Non-integer counts (e.g. apportioned registers) are accepted as they are. Missing or
invalid inputs (negative counts, a non-positive denominator, a proportion's numerator above its
denominator) give NaN limits rather than an exception, so a whole column can be passed at once;
``proportion_interval`` and ``rate_interval`` validate scalar inputs for callers that want errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri
from scipy.stats import chi2

EXACT_BELOW = 10  # OHID: the χ² exact method below 10 events, Byar's method from 10 up
Floats = NDArray[np.float64]
RATE_UNITS = {"per 1,000": 1_000.0, "per 10,000": 10_000.0, "per 100,000": 100_000.0}


def z_value(confidence: float = 0.95) -> float:
    """The two-sided normal quantile for ``confidence`` (0.95 or 95 both mean 95%)."""
    level = _level(confidence)
    return float(ndtri(1 - (1 - level) / 2))


def _level(confidence: float) -> float:
    level = confidence / 100 if confidence > 1 else confidence
    if not 0.5 <= level < 1:
        raise ValueError(f"confidence must be between 0.5 and 1 (or 50 and 100), not {confidence}")
    return float(level)


def _floats(x: ArrayLike) -> Floats:
    return np.asarray(x, dtype=float)


def wilson_limits(
    numerator: ArrayLike, denominator: ArrayLike, confidence: float = 0.95
) -> tuple[Floats, Floats]:
    """Wilson score limits of ``numerator / denominator`` as fractions in [0, 1]."""
    o, n = np.broadcast_arrays(_floats(numerator), _floats(denominator))
    z = z_value(confidence)
    valid = (o >= 0) & (n > 0) & (o <= n)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = 1 - o / n
        root = z * np.sqrt(np.maximum(z * z + 4 * o * q, 0.0))
        lower = (2 * o + z * z - root) / (2 * (n + z * z))
        upper = (2 * o + z * z + root) / (2 * (n + z * z))
    lower = np.where(valid, np.clip(lower, 0.0, 1.0), np.nan)
    upper = np.where(valid, np.clip(upper, 0.0, 1.0), np.nan)
    return lower, upper


def byar_limits(count: ArrayLike, confidence: float = 0.95) -> tuple[Floats, Floats]:
    """Byar's approximate Poisson limits of an observed count (0 has lower limit 0)."""
    o = _floats(count)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    lower = np.where(o == 0, 0.0, np.maximum(lower, 0.0))
    bad = ~(o >= 0)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def exact_poisson_limits(count: ArrayLike, confidence: float = 0.95) -> tuple[Floats, Floats]:
    """Exact (Garwood, χ²) Poisson limits of an observed count."""
    o = _floats(count)
    alpha = 1 - _level(confidence)
    bad = ~(o >= 0)
    safe = np.where(bad, 0.0, o)
    with np.errstate(invalid="ignore"):
        lower = np.where(safe > 0, chi2.ppf(alpha / 2, 2 * np.maximum(safe, 1e-300)) / 2, 0.0)
        upper = chi2.ppf(1 - alpha / 2, 2 * safe + 2) / 2
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def poisson_limits(count: ArrayLike, confidence: float = 0.95) -> tuple[Floats, Floats]:
    """Limits of an observed count as OHID computes them: exact below 10 events, else Byar's."""
    o = _floats(count)
    b_lo, b_hi = byar_limits(o, confidence)
    e_lo, e_hi = exact_poisson_limits(o, confidence)
    small = o < EXACT_BELOW
    return np.where(small, e_lo, b_lo), np.where(small, e_hi, b_hi)


@dataclass(frozen=True)
class Interval:
    """A statistic with its confidence limits, in the statistic's own units."""

    value: Floats
    lower: Floats
    upper: Floats
    method: str
    confidence: float


def _check(numerator: ArrayLike, denominator: ArrayLike, *, proportion: bool) -> None:
    o, n = np.broadcast_arrays(_floats(numerator), _floats(denominator))
    known = ~(np.isnan(o) | np.isnan(n))
    if np.any(o[known] < 0):
        raise ValueError("numerators must be zero or more")
    if np.any(n[known] <= 0):
        raise ValueError("denominators must be greater than zero")
    if proportion and np.any(o[known] > n[known]):
        raise ValueError("a proportion's numerator cannot exceed its denominator")


def proportion_interval(
    numerator: ArrayLike,
    denominator: ArrayLike,
    *,
    multiplier: float = 100.0,
    confidence: float = 0.95,
) -> Interval:
    """A proportion (×``multiplier``: 100 gives a percentage) with Wilson score limits."""
    _check(numerator, denominator, proportion=True)
    o, n = np.broadcast_arrays(_floats(numerator), _floats(denominator))
    lower, upper = wilson_limits(o, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = o / n * multiplier
    return Interval(
        value, lower * multiplier, upper * multiplier, "Wilson score", _level(confidence)
    )


def rate_interval(
    numerator: ArrayLike,
    denominator: ArrayLike,
    *,
    multiplier: float = 100_000.0,
    confidence: float = 0.95,
) -> Interval:
    """A crude rate per ``multiplier`` with Byar's limits (exact Poisson below 10 events)."""
    _check(numerator, denominator, proportion=False)
    o, n = np.broadcast_arrays(_floats(numerator), _floats(denominator))
    lower, upper = poisson_limits(o, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = multiplier / n
    return Interval(
        o * scale, lower * scale, upper * scale, "Byar (exact Poisson below 10)", _level(confidence)
    )


def interval_for(
    unit: str, numerator: ArrayLike, denominator: ArrayLike, confidence: float = 0.95
) -> Interval | None:
    """The interval that suits an indicator's unit: Wilson for ``%`` (a part of a whole),
    Byar for ``per 1,000``/``per 100,000`` rates; None for other units. Invalid rows give NaN."""
    o, n = np.broadcast_arrays(_floats(numerator), _floats(denominator))
    with np.errstate(invalid="ignore", divide="ignore"):
        if unit == "%":
            lower, upper = wilson_limits(o, n, confidence)
            ok = (o >= 0) & (n > 0) & (o <= n)
            value = np.where(ok, o / n * 100, np.nan)
            return Interval(value, lower * 100, upper * 100, "Wilson score", _level(confidence))
        if unit in RATE_UNITS:
            scale = np.where(n > 0, RATE_UNITS[unit] / n, np.nan)
            lower, upper = poisson_limits(o, confidence)
            return Interval(
                o * scale,
                lower * scale,
                upper * scale,
                "Byar (exact Poisson below 10)",
                _level(confidence),
            )
    return None
