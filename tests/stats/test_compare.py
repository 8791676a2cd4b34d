"""Benchmark comparison: the interval-contains-benchmark rule, Fingertips-style."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.stats import HIGHER, LOWER, NOT_COMPARED, SIMILAR, compare_with_benchmark, judgement
from lantern.stats.intervals import proportion_interval


def test_rule():
    got = compare_with_benchmark([1, 1, 1, np.nan, 1], [2, 2, 2, 2, 2], [0.5, 1.5, 2.5, 1, np.nan])
    assert list(got) == [HIGHER, SIMILAR, LOWER, NOT_COMPARED, NOT_COMPARED]
    # a limit equal to the benchmark counts as containing it
    assert list(compare_with_benchmark([1, 1], [2, 2], [1, 2])) == [SIMILAR, SIMILAR]


def test_judgement_uses_polarity():
    assert judgement(HIGHER, "higher_worse") == "worse"
    assert judgement(LOWER, "higher_worse") == "better"
    assert judgement(HIGHER, "higher_better") == "better"
    assert judgement(SIMILAR, "higher_better") == SIMILAR
    assert judgement(HIGHER, "neutral") == HIGHER
    assert judgement(NOT_COMPARED, "higher_worse") == NOT_COMPARED


def test_worked_example_proportion_against_england():
    # 81 of 263 (30.8%, Wilson 25.5% to 36.6%): higher than 20%, similar to 30%, lower than 40%.
    ci = proportion_interval(81, 263)
    got = compare_with_benchmark(ci.lower, ci.upper, [20.0, 30.0, 40.0])
    assert list(got) == [HIGHER, SIMILAR, LOWER]


@settings(max_examples=200, deadline=None)
@given(
    o=st.integers(min_value=0, max_value=10_000),
    extra=st.integers(min_value=1, max_value=10_000),
    b=st.floats(min_value=0, max_value=100),
)
def test_own_value_is_always_similar_and_mirror_swaps(o, extra, b):
    ci = proportion_interval(o, o + extra)
    assert compare_with_benchmark(ci.lower, ci.upper, ci.value)[()] == SIMILAR
    forward = compare_with_benchmark(ci.lower, ci.upper, b)[()]
    mirrored = compare_with_benchmark(-ci.upper, -ci.lower, -b)[()]
    swap = {HIGHER: LOWER, LOWER: HIGHER, SIMILAR: SIMILAR}
    assert mirrored == swap[forward]


def test_benchmark_known_only_within_a_range():
    # England's weekly cases lie between 100 and 120 (suppressed cells): an area is higher only
    # above 120 and lower only below 100.
    got = compare_with_benchmark([121, 101, 90, 80], [130, 119, 110, 99], 100, 120)
    assert list(got) == [HIGHER, SIMILAR, SIMILAR, LOWER]
