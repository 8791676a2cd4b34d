"""Value rules for the columns of official files (pure: arrays in, the first offending row out).

Each rule says what a column may hold — counts ≥ 0, populations > 0, percentages 0–100,
proportions 0–1, deciles 1–10, ranks 1–N — and ``PartsOf`` says a set of columns may not add up
to more than their total. The registry attaches rules to columns (see ``docs/sources.md``);
``lantern.sources.reading`` applies them and names the file, row, column and rule of the first
value that breaks one. Missing values (blank, NA) pass every rule: missingness is checked
separately, by completeness.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Rule:
    """Values must lie in ``[low, high]`` (either end open when None), whole numbers if ``whole``."""

    name: str
    low: float | None = None
    high: float | None = None
    whole: bool = False
    low_open: bool = False
    markers: tuple[float, ...] = ()  # published codes for "suppressed" (e.g. -99), allowed as is

    def bad(self, values: np.ndarray) -> np.ndarray:
        """Mask of values breaking the rule (NaN and the rule's markers never do)."""
        with np.errstate(invalid="ignore"):
            out = np.zeros(values.shape, dtype=bool)
            if self.low is not None:
                out |= values <= self.low if self.low_open else values < self.low
            if self.high is not None:
                out |= values > self.high
            if self.whole:
                out |= np.isfinite(values) & (values != np.round(values))
            out |= np.isinf(values)
            for marker in self.markers:
                out &= values != marker
        return out

    def violation(self) -> str:
        """A value that breaks this rule (tests write it into files)."""
        if self.low is None and self.high is None:
            return "inf"
        if self.low is not None:
            return str(int(self.low) - 5001)
        assert self.high is not None
        return str(int(self.high) * 3 + 7)


COUNT = Rule("count ≥ 0", low=0)
WHOLE_COUNT = Rule("whole count ≥ 0", low=0, whole=True)
POSITIVE = Rule("population > 0", low=0, low_open=True)
PERCENT = Rule("percentage 0–100", low=0, high=100)
PROPORTION = Rule("proportion 0–1", low=0, high=1)
DECILE = Rule("decile 1–10", low=1, high=10, whole=True)
NON_NEGATIVE = Rule("value ≥ 0", low=0)
# Standardised scores (mean 0, standard deviation 1 across England): beyond ±20 is a unit error.
STANDARDISED = Rule("standardised score −20 to 20", low=-20, high=20)
# A modelled value the publisher gives no bound for: only a finite number (declared, so every
# numeric column of every file carries a rule).
FINITE = Rule("a finite number (no published bound)")


def rank(n: int, what: str) -> Rule:
    """Ranks 1…n (``n`` areas in the national ranking); tied ranks may be halves."""
    return Rule(f"rank 1–{n:,} ({what})", low=1, high=n)


def bounded(low: float, high: float, what: str) -> Rule:
    return Rule(f"{what} {low:g}–{high:g}", low=low, high=high)


@dataclass(frozen=True)
class PartsOf:
    """``parts`` may not add up to more than ``total`` (a count within its total).

    ``slack`` allows published rounding or perturbation (absolute, in the file's units).
    """

    parts: tuple[str, ...]
    total: str
    slack: float = 0.0

    @property
    def name(self) -> str:
        shown = " + ".join(self.parts) if len(self.parts) <= 3 else f"{len(self.parts)} parts"
        return f"parts ≤ total ({shown} ≤ {self.total})"

    def bad(self, parts: np.ndarray, total: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return parts > total + self.slack


def rules_for(column: str, rules: Iterable[tuple[str, Rule]]) -> list[Rule]:
    """The rules whose pattern (an exact name or a shell glob like ``age_*``) matches ``column``."""
    return list(_rules_for(column, tuple(rules)))


@lru_cache(maxsize=4096)
def _rules_for(column: str, rules: tuple[tuple[str, Rule], ...]) -> tuple[Rule, ...]:
    return tuple(
        r
        for pattern, r in rules
        if pattern == column or (_GLOB.search(pattern) and fnmatch.fnmatchcase(column, pattern))
    )


_GLOB = re.compile(r"[*?\[]")  # a pattern without these matches only its own name


def first_bad(mask: np.ndarray, allowed: np.ndarray | None = None) -> int | None:
    """Position of the first True in ``mask`` not excused by ``allowed``, or None."""
    if allowed is not None:
        mask = mask & ~allowed
    if not mask.any():
        return None
    return int(mask.argmax())


def summed(frame_values: Sequence[np.ndarray]) -> np.ndarray:
    """Sum of columns where NaN counts as 0 unless every part is NaN."""
    stack = np.vstack(frame_values)
    total = np.nansum(stack, axis=0)
    total[np.isnan(stack).all(axis=0)] = np.nan
    return total
