"""Appendix N area summaries on small examples that can be checked by hand."""

import numpy as np
import pandas as pd
import pytest

from lantern.index.summaries import area_summaries, extent_weight, summaries_long

N = 1000  # small areas in the reference population


def _frame():
    # District A: 4 LSOAs; district B: 2 LSOAs.
    return pd.DataFrame(
        {
            "parent_code": ["A", "A", "A", "A", "B", "B"],
            "population": [1000, 1000, 2000, 6000, 500, 1500],
            "score": [60.0, 40.0, 20.0, 10.0, 30.0, 5.0],
            "rank": [50, 105, 300, 700, 150, 900],
        }
    )


def test_extent_weights_follow_the_sliding_scale():
    np.testing.assert_allclose(
        extent_weight(np.array([1, 10, 11, 12, 30, 31, 100])),
        [1, 1, 0.95, 0.95 - 0.9 / 19, 0.05, 0, 0],
    )


def test_each_measure_by_hand():
    s = area_summaries(_frame(), n_total=N).set_index("parent_code")
    a = s.loc["A"]
    assert a["population"] == 10000 and a["n_areas"] == 4
    # Average score: (1000·60 + 1000·40 + 2000·20 + 6000·10) / 10000
    assert a["average_score"] == pytest.approx(20.0)
    # Average rank of reversed ranks N + 1 − rank: (951 + 896 + 2·701 + 6·301) / 10
    assert a["average_rank"] == pytest.approx(
        (951 * 1000 + 896 * 1000 + 701 * 2000 + 301 * 6000) / 10000
    )
    # Proportion: LSOAs with ceil(10·rank/N) = 1, i.e. rank ≤ 100: one of four.
    assert a["proportion"] == 0.25
    # Extent: percentiles 5 → 1, 11 → 0.95, 30 → 0.05, 70 → 0.
    assert a["extent"] == pytest.approx((1000 * 1 + 1000 * 0.95 + 2000 * 0.05) / 10000)
    # Local concentration: 10% of 10,000 = 1,000 people = exactly the most deprived LSOA.
    assert a["local_concentration"] == pytest.approx(951)
    b = s.loc["B"]
    # 10% of 2,000 = 200 people, all from the rank-150 LSOA.
    assert b["local_concentration"] == pytest.approx(851)
    assert b["extent"] == pytest.approx(500 * (0.95 - 0.9 / 19 * 4) / 2000)


def test_local_concentration_takes_part_of_the_crossing_area():
    f = pd.DataFrame(
        {
            "parent_code": ["C"] * 3,
            "population": [300, 300, 400],
            "score": [3.0, 2.0, 1.0],
            "rank": [10, 20, 30],
        }
    )
    c = area_summaries(f, n_total=N).iloc[0]
    # 100 people needed: all from the first LSOA (300 available).
    assert c["local_concentration"] == pytest.approx(991)
    f["population"] = [60, 300, 640]
    c = area_summaries(f, n_total=N).iloc[0]
    # 60 people at reversed rank 991 and 40 at 981.
    assert c["local_concentration"] == pytest.approx((60 * 991 + 40 * 981) / 100)


def test_summaries_are_ranked_with_one_most_deprived():
    s = area_summaries(_frame(), n_total=N).set_index("parent_code")
    assert s.loc["A", "average_score_rank"] == 1 and s.loc["B", "average_score_rank"] == 2
    long = summaries_long(s.reset_index())
    assert set(long["measure"]) >= {"average_score", "extent", "local_concentration", "population"}
    assert len(long) == 2 * 7
