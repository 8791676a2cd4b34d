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


# The worked examples of the IoD 2019 technical report, Appendix N (N = 32,844 LSOAs), with the
# inputs given in the report (see ../shared/notes/index-methods.md).
N_2019 = 32844


def _district(pops, ranks, scores=None):
    return pd.DataFrame(
        {
            "parent_code": "D",
            "population": pops,
            "rank": ranks,
            "score": scores if scores is not None else [0.0] * len(pops),
        }
    )


def test_appendix_n_average_rank_and_average_score():
    f = _district(
        [1200, 1800, 1400, 1500, 1700],
        [3000, 10000, 500, 1000, 20000],
        [45.90, 26.51, 65.67, 59.14, 13.64],
    )
    s = area_summaries(f, n_total=N_2019).iloc[0]
    assert round(s["average_rank"]) == 25240
    assert round(s["average_score"], 2) == 40.35


def test_appendix_n_extent():
    # 1,400 + 1,500 + 1,200 people in the most deprived 10% (weight 1); 1,800 at rank 9,000
    # (percentile 28, weight 0.95 − (0.9/19)(28 − 11)); the rest of the 70,000 outside the 30%.
    f = _district([1400, 1500, 1200, 1800, 64100], [500, 1000, 3000, 9000, 20000])
    s = area_summaries(f, n_total=N_2019).iloc[0]
    assert s["extent"] == pytest.approx(0.062293, abs=5e-7)  # 0.062292 with the weight rounded
    rounded_weight = round(0.95 - (0.9 / 19) * (28 - 11), 4)
    assert rounded_weight == 0.1447
    assert (1400 + 1500 + 1200 + rounded_weight * 1800) / 70000 == pytest.approx(0.062292, abs=5e-7)


def test_appendix_n_local_concentration():
    # District of 70,000: the most deprived LSOAs holding 7,000 people (the one at rank 20,000
    # counts with the 1,100 people needed); the rest of the district at rank 30,000.
    f = _district([1400, 1500, 1200, 1800, 1100, 63000], [500, 1000, 3000, 10000, 20000, 30000])
    s = area_summaries(f, n_total=N_2019).iloc[0]
    assert round(s["local_concentration"], 2) == 26302.14


def test_proportion_counts_the_most_vulnerable_share():
    f = _district([1] * 10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert area_summaries(f, n_total=10).iloc[0]["proportion"] == 0.1
    assert area_summaries(f, n_total=10, proportion=0.2).iloc[0]["proportion"] == 0.2
    f["top"] = [True] * 3 + [False] * 7
    assert area_summaries(f, n_total=10, top="top").iloc[0]["proportion"] == 0.3
