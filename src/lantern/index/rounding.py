"""Rounding as published indices do it: half away from zero, after clearing float noise."""

from __future__ import annotations

import numpy as np

# Sums of values held to 4 dp carry noise in the 12th+ decimal place (0.1 + 0.2 = 0.30000000000000004);
# clearing it first makes 0.12345 round to 0.1235, as a spreadsheet or SAS would.
_NOISE_DIGITS = 9


def round_half_up(values: np.ndarray | float, digits: int) -> np.ndarray:
    """Round to ``digits`` decimal places, halves away from zero (NaN stays NaN)."""
    x = np.asarray(values, dtype=float)
    cleaned = np.round(x, digits + _NOISE_DIGITS)
    scale = 10.0**digits
    return np.sign(cleaned) * np.floor(np.abs(cleaned) * scale + 0.5) / scale


def round_to(values: np.ndarray, digits: int | None, mode: str = "half_up") -> np.ndarray:
    """Round with the spec's mode (``half_up`` or numpy's ``half_even``); ``None`` leaves values alone."""
    if digits is None:
        return np.asarray(values, dtype=float)
    if mode == "half_even":
        return np.round(np.asarray(values, dtype=float), digits)
    return round_half_up(values, digits)
