"""Class breaks, classes and palettes."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from lantern.publish.classify import PALETTES, class_of, colours_for, quantile_breaks
from lantern.publish.sitejson import sig


def test_quintile_breaks_put_equal_numbers_in_each_class():
    values = list(range(1, 101))
    breaks = quantile_breaks(values)
    assert len(breaks) == 5 and breaks[-1] == 100
    counts = [sum(class_of(v, breaks) == c for v in values) for c in range(5)]
    assert counts == [20, 20, 20, 20, 20]


def test_missing_values_have_no_class_and_repeated_breaks_collapse():
    assert class_of(None, [1.0]) == -1
    assert class_of(float("nan"), [1.0]) == -1
    assert quantile_breaks([3, 3, 3, 3, None]) == [3.0]
    assert quantile_breaks([]) == []


def test_dark_means_vulnerable_whatever_the_polarity():
    worse = colours_for("YlOrRd", 5, "higher_worse")
    better = colours_for("YlOrRd", 5, "higher_better")
    assert worse == PALETTES["YlOrRd"] and better == worse[::-1]
    assert len(colours_for("PuBu", 3, "neutral")) == 3


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200))
def test_every_value_gets_a_class_in_order(values):
    breaks = quantile_breaks(values)
    assert breaks == sorted(set(breaks))
    classes = [class_of(v, breaks) for v in values]
    assert all(0 <= c < len(breaks) for c in classes)
    ordered = [class_of(v, breaks) for v in sorted(values)]
    assert ordered == sorted(ordered)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_sig_keeps_six_significant_figures(value):
    rounded = sig(value)
    assert rounded is not None
    if value != 0 and math.isfinite(rounded):
        assert abs(rounded - value) <= abs(value) * 1e-5
