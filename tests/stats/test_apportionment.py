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


# --- flags on LSOA 2021s: the inputs moved through the crosswalk (lantern.profile.quality) ---


def _moved_flags(patients, residents, cross):
    from lantern.profile.quality import to_2021

    moved, pop = to_2021(cross, patients, residents)
    return apportionment_quality(_practices(), moved, pop, {"DM": 7.0}).set_index("area_code")


def test_a_split_lsoa_gives_each_part_its_own_coverage_and_a_merge_is_judged_whole():
    # A (2011) splits into A1/A2 (60/40); B and C (2011) merge into BC; D is unchanged.
    cross = pd.DataFrame(
        {
            "lsoa11_code": ["A", "A", "B", "C", "D"],
            "lsoa21_code": ["A1", "A2", "BC", "BC", "D"],
            "weight": [0.6, 0.4, 1.0, 1.0, 1.0],
        }
    )
    patients = pd.DataFrame(
        {
            "practice_code": ["P2", "P2", "P1", "P2", "P1"],
            "area_code": ["A", "B", "C", "C", "D"],
            "patients": [500.0, 900.0, 100.0, 40.0, 950.0],
        }
    )
    residents = pd.Series({"A": 1000.0, "B": 1000.0, "C": 150.0, "D": 1000.0})
    flags = _moved_flags(patients, residents, cross)
    direct = apportionment_quality(_practices(), patients, residents, {"DM": 7.0})
    direct = direct.set_index("area_code")
    # a split keeps its parent's coverage (50%: low) in both parts
    assert flags.loc["A1", "coverage"] == pytest.approx(0.5)
    assert flags.loc["A2", "coverage"] == pytest.approx(0.5)
    assert flags.loc["A1", "flag"] == flags.loc["A2", "flag"] == LOW
    # C alone is mostly P1 (an outlier): flagged; merged with B, P2 dominates: not flagged
    assert direct.loc["C", "flag"] == OUTLIER
    assert flags.loc["BC", "coverage"] == pytest.approx(1040 / 1150)
    assert flags.loc["BC", "top_practice"] == "P2" and flags.loc["BC", "flag"] == ""
    # an unchanged LSOA has the same flag on both vintages
    assert flags.loc["D", "flag"] == direct.loc["D", "flag"] == OUTLIER


def test_unchanged_lsoas_keep_their_2011_flags_on_the_2021_map():
    """Essex: every LSOA whose boundary did not change has the same flags on both vintages."""
    from lantern.paths import BUNDLED_ESSEX
    from lantern.profile.quality import qof_flags

    pytest.importorskip("duckdb")
    import os
    import tempfile
    from pathlib import Path

    from lantern.cli import main
    from lantern.warehouse import Warehouse

    with tempfile.TemporaryDirectory() as tmp:
        here = Path.cwd()
        os.chdir(tmp)
        try:
            assert main(["init"]) == 0 and main(["ingest"]) == 0
        finally:
            os.chdir(here)
        with Warehouse(Path(tmp) / "out" / "lantern.duckdb") as wh:
            f11 = qof_flags(wh, BUNDLED_ESSEX, 2011)
            f21 = qof_flags(wh, BUNDLED_ESSEX, 2021)
            cross = wh.crosswalk()
    sizes11 = cross.groupby("lsoa11_code")["lsoa21_code"].transform("size")
    sizes21 = cross.groupby("lsoa21_code")["lsoa11_code"].transform("size")
    same = cross[(sizes11 == 1) & (sizes21 == 1) & (cross["lsoa11_code"] == cross["lsoa21_code"])]
    codes = set(same["lsoa21_code"])
    key = ["area_code", "indicator_id", "flag"]
    a = f11[f11["area_code"].isin(codes)][key].astype(str).sort_values(key).reset_index(drop=True)
    b = f21[f21["area_code"].isin(codes)][key].astype(str).sort_values(key).reset_index(drop=True)
    assert len(a) > 100
    pd.testing.assert_frame_equal(a, b)
