"""Cell-level rules over arrays: rounding, midpoint-6, the suppressed range, and what a published
value tells a reader about the true count (its interval)."""

from __future__ import annotations

import numpy as np

from lantern.disclosure.policy import Policy

INF = np.inf


def round_half_up(values: np.ndarray, base: int) -> np.ndarray:
    """Round non-negative integer counts to the nearest multiple of ``base`` (halves go up)."""
    values = np.asarray(values, dtype=np.int64)
    if base == 1:
        return values.copy()
    return ((values + base // 2) // base) * base


def midpoint6(values: np.ndarray) -> np.ndarray:
    """Midpoint-6 rounding: ``ceil(x/6)*6 - 3*(x != 0)`` (1..6 -> 3, 7..12 -> 9, 0 -> 0)."""
    values = np.asarray(values, dtype=np.int64)
    return np.asarray(((values + 5) // 6) * 6 - 3 * (values != 0), dtype=np.int64)


def in_suppressed_range(values: np.ndarray, policy: Policy) -> np.ndarray:
    """Cells the policy withholds because of their own size (primary suppression)."""
    values = np.asarray(values)
    if not policy.suppresses:
        return np.zeros(values.shape, dtype=bool)
    return (values >= policy.suppressed_low) & (values <= policy.threshold)


def publish_values(values: np.ndarray, policy: Policy) -> np.ndarray:
    """Published form of cells that are not suppressed (rounded, midpoint-6 or unchanged)."""
    if policy.method == "midpoint6":
        return midpoint6(values)
    return round_half_up(values, policy.rounding_base)


def published_interval(published: np.ndarray, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each true count from its published value: ``lo <= x <= hi``.

    Suppressed cells are NaN and known only to be at least the bottom of the suppressed range
    (a reader cannot tell a primary from a secondary suppression).
    """
    p = np.asarray(published, dtype=float)
    suppressed = np.isnan(p)
    q = np.where(suppressed, 0.0, p)
    if policy.method == "midpoint6":
        lo = np.where(q > 0, q - 2, 0.0)
        hi = np.where(q > 0, q + 3, 0.0)
    elif policy.method == "none" or policy.rounding_base == 1:
        lo, hi = q.copy(), q.copy()
    else:
        b = policy.rounding_base
        lo = np.maximum(np.ceil(q - b / 2), 0.0)
        hi = np.ceil(q + b / 2) - 1
    if policy.suppresses:
        # A published cell lies outside the suppressed range [suppressed_low, threshold].
        above = float(policy.threshold + 1)
        positive = q > 0
        lo = np.where(positive, np.maximum(lo, above), lo)
        if policy.suppressed_low == 0:
            lo = np.where(q == 0, np.maximum(lo, above), lo)
        else:
            hi = np.where((q == 0) & (hi < above), 0.0, hi)
    lo = np.where(suppressed, float(policy.suppressed_low), lo)
    hi = np.where(suppressed, INF, hi)
    return lo, hi


def is_multiple(published: np.ndarray, base: int) -> np.ndarray:
    """Which published (non-NaN) values are whole multiples of ``base``."""
    p = np.asarray(published, dtype=float)
    return np.asarray(np.isnan(p) | ((np.mod(p, base) == 0) & (p == np.floor(p))), dtype=bool)


def is_midpoint6_value(published: np.ndarray) -> np.ndarray:
    """Which published values can come out of midpoint-6 rounding (0, 3, 9, 15, ...)."""
    p = np.asarray(published, dtype=float)
    return np.asarray(np.isnan(p) | (p == 0) | ((p > 0) & (np.mod(p - 3, 6) == 0)), dtype=bool)
