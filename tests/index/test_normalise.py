import numpy as np
import pytest
from scipy.stats import norm

from lantern.index.normalise import (
    ascending_rank,
    descending_rank,
    distance_to_reference,
    inverse_normal,
    minmax,
    normalise,
    percentile_rank,
    zscore,
)
from lantern.index.rounding import round_half_up, round_to
from lantern.index.transform import exponential, exponential_of_r, r_from_ascending_rank


def test_tie_methods():
    x = np.array([10.0, 20.0, 20.0, 30.0])
    assert ascending_rank(x, "average").tolist() == [1, 2.5, 2.5, 4]
    assert ascending_rank(x, "min").tolist() == [1, 2, 2, 4]
    assert ascending_rank(x, "first").tolist() == [1, 2, 3, 4]
    assert descending_rank(x, "min").tolist() == [4, 2, 2, 1]


def test_missing_values_are_not_ranked():
    r = ascending_rank(np.array([3.0, np.nan, 1.0]))
    assert r[0] == 2 and np.isnan(r[1]) and r[2] == 1


def test_percentile_rank_uses_min_ties_over_non_missing():
    x = np.array([5.0, 1.0, 5.0, np.nan, 9.0])
    # rank_min: 2, 1, 2, -, 4 → (r − 1)/(n − 1) with n = 4
    np.testing.assert_allclose(percentile_rank(x)[[0, 1, 2, 4]], [1 / 3, 0, 1 / 3, 1])


def test_inverse_normal_of_rank():
    x = np.array([3.0, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(inverse_normal(x), norm.ppf((np.array([3, 1, 2, 4]) - 0.5) / 4))


def test_zscore_minmax_and_distance():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(zscore(x), [-np.sqrt(1.5), 0, np.sqrt(1.5)])
    np.testing.assert_allclose(minmax(x), [0, 0.5, 1])
    np.testing.assert_allclose(distance_to_reference(x, 2.0), [0.5, 1, 1.5])
    with pytest.raises(ValueError):
        normalise(x, "distance_to_reference")


def test_exponential_transform_end_points_and_conventions():
    assert exponential_of_r(np.array([1.0]))[0] == pytest.approx(100.0)
    assert exponential_of_r(np.array([0.0]))[0] == pytest.approx(0.0)
    # IoD: R = (N + 1 − rank)/N with rank 1 = most deprived; ascending rank a = N + 1 − rank.
    assert r_from_ascending_rank(np.array([4.0]), 4, "iod")[0] == 1.0
    assert r_from_ascending_rank(np.array([1.0]), 4, "iod")[0] == 0.25
    # Unit: (a − 1)/(N − 1) runs exactly 0…1.
    np.testing.assert_allclose(r_from_ascending_rank(np.array([1.0, 4.0]), 4, "unit"), [0, 1])
    x = exponential(np.array([0.2, 0.9, 0.5]), convention="unit")
    assert x[1] == pytest.approx(100.0) and x[0] == pytest.approx(0.0)


def test_exponential_matches_the_iod_formula():
    n = 32844
    rank = np.array([1, 100, 16422, 32844])
    expected = -23 * np.log(1 - (n + 1 - rank) / n * (1 - np.exp(-100 / 23)))
    np.testing.assert_allclose(
        exponential_of_r(r_from_ascending_rank(n + 1 - rank, n, "iod")), expected
    )


def test_round_half_up_clears_float_noise():
    assert round_half_up(0.12345, 4) == pytest.approx(0.1235)
    assert round_half_up(2.5, 0) == 3 and round_half_up(-2.5, 0) == -3
    assert round_half_up(0.1 + 0.2, 1) == pytest.approx(0.3)
    assert round_half_up(1.00005, 4) == pytest.approx(1.0001)
    assert round_to(np.array([2.5]), 0, "half_even")[0] == 2
    assert np.isnan(round_half_up(np.nan, 2))
