"""Confidence intervals against published worked values and independent oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.stats import poisson

from lantern.stats import (
    byar_limits,
    exact_poisson_limits,
    interval_for,
    poisson_limits,
    proportion_interval,
    rate_interval,
    wilson_limits,
    z_value,
)

# Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score), to 4 dp.
NEWCOMBE_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]
# Exact 95% Poisson limits for small counts as tabled in the OHID technical guidance's χ² exact
# method and standard references (e.g. Daly 1992, Table 2), to 3 dp.
EXACT_POISSON = [
    (0, 0.000, 3.689),
    (1, 0.025, 5.572),
    (2, 0.242, 7.225),
    (5, 1.623, 11.668),
    (9, 4.115, 17.085),
]


def test_z_values():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(95) == z_value(0.95)
    assert z_value(0.998) == pytest.approx(3.090232, abs=1e-6)
    with pytest.raises(ValueError):
        z_value(1.5)


@pytest.mark.parametrize(("o", "n", "lo", "hi"), NEWCOMBE_WILSON)
def test_wilson_reproduces_newcombe(o, n, lo, hi):
    lower, upper = wilson_limits(o, n)
    assert round(float(lower), 4) == lo
    assert round(float(upper), 4) == hi


@pytest.mark.parametrize(("o", "lo", "hi"), EXACT_POISSON)
def test_small_counts_use_exact_poisson(o, lo, hi):
    lower, upper = poisson_limits(o)
    assert round(float(lower), 3) == lo
    assert round(float(upper), 3) == hi


def test_byar_worked_formula():
    # OHID technical guidance, "Rates": Byar's limits for O = 65 events at 95%, written out.
    z = 1.959963984540054
    lower = 65 * (1 - 1 / (9 * 65) - z / (3 * math.sqrt(65))) ** 3
    upper = 66 * (1 - 1 / (9 * 66) + z / (3 * math.sqrt(66))) ** 3
    lo, hi = byar_limits(65)
    assert float(lo) == pytest.approx(lower, rel=1e-12)
    assert float(hi) == pytest.approx(upper, rel=1e-12)
    assert round(float(lo), 2) == 50.16 and round(float(hi), 2) == 82.85


def test_rate_per_100000():
    # 65 events in a population of 100,000: rate 65 with the count's limits.
    got = rate_interval(65, 100_000)
    assert float(got.value) == 65
    assert float(got.lower) == pytest.approx(float(byar_limits(65)[0][()]), rel=1e-12)
    # below 10 events the exact method is used
    small = rate_interval(5, 50_000)
    assert float(small.lower) == pytest.approx(1.623486 * 2, rel=1e-5)
    assert float(small.upper) == pytest.approx(11.668332 * 2, rel=1e-5)


def test_invalid_scalars_raise_and_columns_give_nan():
    with pytest.raises(ValueError, match="zero or more"):
        rate_interval(-1, 100)
    with pytest.raises(ValueError, match="greater than zero"):
        proportion_interval(1, 0)
    with pytest.raises(ValueError, match="exceed"):
        proportion_interval(5, 4)
    lower, upper = wilson_limits([5, -1, 3, np.nan], [4, 10, 0, 10])
    assert np.isnan(lower).all() and np.isnan(upper).all()
    lower, upper = poisson_limits([-3, np.nan])
    assert np.isnan(lower).all() and np.isnan(upper).all()


def test_interval_for_units():
    assert interval_for("%", 5, 10).method == "Wilson score"
    assert interval_for("per 100,000", 5, 10).method.startswith("Byar")
    assert interval_for("score", 5, 10) is None


# ----- properties -----------------------------------------------------------------------------
counts = st.integers(min_value=0, max_value=200_000)
levels = st.sampled_from([0.9, 0.95, 0.99, 0.998])


@settings(max_examples=200, deadline=None)
@given(o=counts, extra=st.integers(min_value=0, max_value=200_000), level=levels)
def test_wilson_contains_estimate_and_nests(o, extra, level):
    n = o + extra
    if n == 0:
        return
    p = o / n
    lo, hi = (float(v) for v in wilson_limits(o, n, level))
    assert 0 <= lo <= p + 1e-12 and p - 1e-12 <= hi <= 1
    lo_w, hi_w = (float(v) for v in wilson_limits(o, n, 0.999))
    assert lo_w <= lo + 1e-12 and hi <= hi_w + 1e-12


@settings(max_examples=60, deadline=None)
@given(o=st.integers(min_value=0, max_value=5000), extra=st.integers(min_value=1, max_value=5000))
def test_wilson_is_the_score_test_inversion(o, extra):
    """Independent oracle: the Wilson limits are the p where |p̂ − p| = z·√(p(1 − p)/n)."""
    n = o + extra
    p_hat, z = o / n, z_value(0.95)

    def score(p):
        return (p_hat - p) ** 2 - z * z * p * (1 - p) / n

    lo, hi = (float(v) for v in wilson_limits(o, n))
    want_lo = 0.0 if o == 0 else brentq(score, 1e-15, p_hat - 1e-12, xtol=1e-14)
    want_hi = brentq(score, p_hat + 1e-12, 1 - 1e-15, xtol=1e-14)
    assert lo == pytest.approx(want_lo, abs=1e-9)
    assert hi == pytest.approx(want_hi, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(o=st.integers(min_value=0, max_value=100_000), level=levels)
def test_poisson_limits_contain_count_and_nest(o, level):
    lo, hi = (float(v) for v in poisson_limits(o, level))
    assert 0 <= lo <= o <= hi
    lo_w, hi_w = (float(v) for v in poisson_limits(o, 0.999))
    assert lo_w <= lo + 1e-9 and hi <= hi_w + 1e-9


@settings(max_examples=40, deadline=None)
@given(o=st.integers(min_value=0, max_value=400))
def test_exact_limits_are_poisson_tail_quantiles(o):
    """Independent oracle: P(X ≥ o | lower) = α/2 and P(X ≤ o | upper) = α/2."""
    lo, hi = (float(v) for v in exact_poisson_limits(o))
    assert poisson.cdf(o, hi) == pytest.approx(0.025, abs=1e-9)
    if o > 0:
        assert poisson.sf(o - 1, lo) == pytest.approx(0.025, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(o=st.integers(min_value=10, max_value=1_000_000))
def test_byar_within_documented_accuracy_of_exact(o):
    """OHID technical guide: for 95% intervals Byar's method is within 0.2% of the exact value
    for numerators of 10 or more."""
    b_lo, b_hi = byar_limits(o)
    e_lo, e_hi = exact_poisson_limits(o)
    assert abs(float(b_lo) / float(e_lo) - 1) < 0.002
    assert abs(float(b_hi) / float(e_hi) - 1) < 0.002


@settings(max_examples=60, deadline=None)
@given(o=st.integers(min_value=0, max_value=10_000))
def test_limits_increase_with_the_count(o):
    lo1, hi1 = poisson_limits(o)
    lo2, hi2 = poisson_limits(o + 1)
    assert float(lo2) >= float(lo1) and float(hi2) > float(hi1)


def test_vectorised_equals_scalar():
    o = np.array([0, 3, 9, 10, 11, 250, 10_000])
    lo, hi = poisson_limits(o)
    for i, v in enumerate(o):
        s_lo, s_hi = poisson_limits(int(v))
        assert float(s_lo) == lo[i] and float(s_hi) == hi[i]
