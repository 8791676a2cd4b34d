"""The example specs under examples/specs/ reproduce published indices from ../shared/data/anchors,
run the way an analyst would: ``lantern index --spec examples/specs/<name>.toml``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lantern.cli import main

SPECS = Path(__file__).resolve().parents[2] / "examples" / "specs"
IMD_DOMAIN_RANKS = [
    "Income_rank",
    "Employment_rank",
    "Education_rank",
    "Health_rank",
    "Crime_rank",
    "Housing_and_Services_rank",
    "Environment_rank",
]


def _run(spec: str, data: Path, out: Path, *extra: str) -> pd.DataFrame:
    args = ["index", "--spec", str(SPECS / spec), "--data", str(data), "--out", str(out), *extra]
    assert main(args) == 0
    return pd.read_csv(out, float_precision="round_trip", dtype={"area_code": str}).set_index(
        "area_code"
    )


def test_cdc_svi_2018_every_published_column_exactly(shared_data, tmp_path):
    path = shared_data / "anchors" / "svi2018_pa_co.csv"
    published = pd.read_csv(path, encoding="utf-8-sig", dtype={"FIPS": str}).set_index("FIPS")
    mine = _run("cdc-svi-2018.toml", path, tmp_path / "svi.csv", "--area-column", "FIPS")
    mine = mine.reindex(published.index)
    checked = []
    for col in published.columns:
        if col.startswith("EPL_"):
            ours = mine[f"EP_{col[4:]}_normalised"]
        elif col == "SPL_THEMES":
            ours = mine["index_score"]
        elif col == "RPL_THEMES":
            ours = mine["index_prank"]
        elif col.startswith("SPL_THEME"):
            ours = mine[f"theme{col[-1]}_score"]
        elif col.startswith("RPL_THEME"):
            ours = mine[f"theme{col[-1]}_prank"]
        elif col == "F_TOTAL":
            ours = mine["index_flag_count"]
        elif col.startswith("F_THEME"):
            ours = mine[f"theme{col[-1]}_flag_count"]
        elif col.startswith("F_"):
            ours = mine[f"EP_{col[2:]}_flag"]
        else:
            continue
        expected = published[col].replace(-999, np.nan).to_numpy(float)
        np.testing.assert_array_equal(ours.to_numpy(float), expected, err_msg=col)
        checked.append(col)
    # 15 EPL, 4 SPL_THEME, 4 RPL_THEME, SPL_THEMES, RPL_THEMES, 15 F_, 4 F_THEME, F_TOTAL
    assert len(checked) == 15 + 4 + 4 + 1 + 1 + 15 + 4 + 1
    # per-capita income is inverted as 1 − prank(x), which differs from prank(−x) where incomes tie
    assert "EPL_PCI" in checked


def test_imd_2025_score_rank_and_decile_for_every_lsoa_2021(shared_data, tmp_path):
    path = shared_data / "anchors" / "imd2025_england_lsoa21.csv"
    published = pd.read_csv(path).set_index("lsoa21_code")
    mine = _run("imd2025.toml", path, tmp_path / "imd.csv", "--area-column", "lsoa21_code")
    mine = mine.reindex(published.index)
    assert len(mine) == 33755
    np.testing.assert_array_equal(mine["index_decile"], published["IMD_decile"])
    # Five pairs of LSOAs share a published domain rank: the domain scores tie at the published
    # precision, but the IMD was computed from the unrounded scores, whose order is not published.
    tied = set()
    for col in IMD_DOMAIN_RANKS:
        tied |= set(published.index[published[col].duplicated(keep=False)])
    assert len(tied) == 10
    score_off = published.index[mine["index_score"] != published["IMD_score"]]
    assert set(score_off) <= tied and len(score_off) <= 1
    rank_off = mine["index_rank"] != published["IMD_rank"]
    assert rank_off.sum() <= 4
    # every other difference is one place, next to a tied LSOA it was swapped with
    assert (abs(mine["index_rank"] - published["IMD_rank"])[rank_off] == 1).all()
    tied_ranks = set(published.loc[list(tied), "IMD_rank"])
    for code in published.index[rank_off]:
        assert code in tied or {published.at[code, "IMD_rank"] + d for d in (-1, 1)} & tied_ranks
    all_equal = (
        (mine["index_score"] == published["IMD_score"])
        & (mine["index_rank"] == published["IMD_rank"])
        & (mine["index_decile"] == published["IMD_decile"])
    )
    assert all_equal.sum() >= 33750  # the other five are tied or swapped with a tied LSOA


def test_imd_2025_weights_are_used_as_given(shared_data, tmp_path):
    """Rescaled to sum to one, every score would be 1.001× the published one."""
    text = (SPECS / "imd2025.toml").read_text()
    assert "rescale_weights = false" in text
    rescaled = tmp_path / "rescaled.toml"
    rescaled.write_text(text.replace("rescale_weights = false", "rescale_weights = true"))
    path = shared_data / "anchors" / "imd2025_england_lsoa21.csv"
    published = pd.read_csv(path).set_index("lsoa21_code")
    out = tmp_path / "r.csv"
    assert main(["index", "--spec", str(rescaled), "--data", str(path), "--out", str(out)]) == 0
    mine = pd.read_csv(out).set_index("area_code").reindex(published.index)
    assert (mine["index_score"] != published["IMD_score"]).mean() > 0.5


@pytest.fixture(scope="module")
def brc(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("brc")
    msoa = pd.read_csv(shared_data / "anchors" / "brc_msoa_eng.csv", float_precision="round_trip")
    pop = pd.read_csv(shared_data / "anchors" / "brc_pop.csv")
    data = msoa.merge(
        pop[["MSOA11CD", "LAD19CD", "pop_msoa11"]], left_on="Code", right_on="MSOA11CD"
    ).drop(columns=["MSOA11CD"])
    assert len(data) == 6791
    data.to_csv(folder / "brc.csv", index=False)
    extra = ["--area-column", "Code", "--parent-column", "LAD19CD"]
    mine = _run(
        "brc-vi.toml",
        folder / "brc.csv",
        folder / "out.csv",
        *extra,
        "--population-column",
        "pop_msoa11",
    )
    summaries = pd.read_csv(folder / "out-summaries.csv", float_precision="round_trip")
    return msoa.set_index("Code"), mine, summaries


def test_brc_vi_msoa_score_rank_and_decile(brc):
    published, mine, _ = brc
    mine = mine.reindex(published.index)
    np.testing.assert_array_equal(mine["index_rank"], published["Vulnerability rank"])
    np.testing.assert_array_equal(mine["index_decile"], published["Vulnerability decile"])
    # R's and NumPy's logarithms may differ in the last bit: equal to 12 significant digits
    np.testing.assert_allclose(
        mine["index_score"], published["Vulnerability score"], rtol=1e-12, atol=0
    )
    assert mine.loc[published["Vulnerability rank"] == 1, "index_decile"].item() == 1


def test_brc_vi_local_authority_proportion_and_population_weighted_score(shared_data, brc):
    _, _, summaries = brc
    la = pd.read_csv(shared_data / "anchors" / "brc_la.csv", float_precision="round_trip")
    la = la.set_index("Code")
    mine = summaries[summaries.component == "index"].set_index("parent_code")
    la = la.loc[la.index.isin(mine.index)]
    assert len(la) == 317
    np.testing.assert_array_equal(
        mine.loc[la.index, "proportion"], la["Proportion of neighbourhoods in 20% most vulnerable"]
    )
    np.testing.assert_allclose(
        mine.loc[la.index, "average_score"],
        la["Population-weighted vulnerability score"],
        rtol=1e-12,
        atol=0,
    )
