"""Apportionment quality flags: hand-worked low coverage and dominant outlying practice."""

from __future__ import annotations

import pandas as pd
import pytest

from lantern.stats.apportionment import LOW, OUTLIER, apportionment_quality, practice_outliers


def _practices():
    # P1: 300/1000 = 30% diabetes (England 7%), the highest of 41 practices: an outlier.
    # P2: 70/1000 = 7%: not. Q*: 38 practices at 6-8%. P3 published no list: no QOF data.
    others = pd.DataFrame(
        {
            "practice_code": [f"Q{i}" for i in range(38)],
            "group": "DM",
            "register": [60.0 + (i % 20) for i in range(38)],
            "list": 1000.0,
        }
    )
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "practice_code": ["P1", "P2", "P3"],
                    "group": ["DM", "DM", "DM"],
                    "register": [300.0, 70.0, 0.0],
                    "list": [1000.0, 1000.0, 0.0],
                }
            ),
            others,
        ],
        ignore_index=True,
    )


def test_practice_outliers_are_extreme_and_significant():
    out = practice_outliers(_practices(), {"DM": 7.0}).set_index("practice_code")
    assert bool(out.loc["P1", "outlying"]) and not bool(out.loc["P2", "outlying"])
    assert out.loc["P1", "prevalence"] == pytest.approx(30.0)
    # the lowest practice is in the bottom tail but 6.0% is not significantly below 7%
    assert not bool(out.loc["Q0", "outlying"])
    # significant but not extreme: a practice at 9.9% with a huge list among many above it
    many = pd.concat(
        [_practices(), pd.DataFrame({"practice_code": [f"R{i}" for i in range(40)], "group": "DM",
                                     "register": 150.0, "list": 1000.0})],
        ignore_index=True,
    )  # fmt: skip
    many.loc[len(many)] = ["BIG", "DM", 9900.0, 100000.0]
    out = practice_outliers(many, {"DM": 7.0}).set_index("practice_code")
    assert not bool(out.loc["BIG", "outlying"])


def test_flags_hand_worked():
    patients = pd.DataFrame(
        {
            "practice_code": ["P1", "P2", "P1", "P2", "P3", "P2"],
            "area_code": ["A", "A", "B", "B", "C", "C"],
            "patients": [600, 100, 100, 600, 500, 100],
        }
    )
    residents = pd.Series({"A": 800.0, "B": 800.0, "C": 700.0})
    out = apportionment_quality(_practices(), patients, residents, {"DM": 7.0}).set_index(
        "area_code"
    )
    # A: 700 of 800 residents covered (87.5%); P1 supplies 6/7 and is an outlier → flagged
    assert out.loc["A", "coverage"] == pytest.approx(700 / 800)
    assert out.loc["A", "top_practice"] == "P1" and out.loc["A", "flag"] == OUTLIER
    # B: P2 dominates but records like England → no flag
    assert out.loc["B", "flag"] == ""
    # C: only 100 of 700 residents are with a practice that has QOF data → low coverage
    assert out.loc["C", "coverage"] == pytest.approx(100 / 700) and out.loc["C", "flag"] == LOW
