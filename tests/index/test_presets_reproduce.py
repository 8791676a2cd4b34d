"""The iod2019 and cdc-svi presets reproduce the published figures from the real files."""

import numpy as np
import pandas as pd
import pytest

from lantern.index import compute_index, load_preset
from lantern.index.summaries import area_summaries


def test_iod2019_rank_and_decile_from_domain_ranks(iod_result, iod_ranks):
    idx = iod_result.components["index"]
    published = iod_ranks.loc[iod_result.areas]
    assert len(iod_result.areas) == 32844
    diff = np.abs(idx["rank"] - published["IMD_rank"].to_numpy())
    assert (diff == 0).mean() >= 0.999
    assert diff.max() <= 1
    assert (idx["decile"] == published["IMD_decile"].to_numpy()).all()


def test_iod2019_score_matches_published_score(iod_result, shared_data):
    scores = pd.read_csv(
        shared_data / "imd2019" / "imd2019_lsoa11_all_scores_england.csv"
    ).set_index("lsoa11_code")
    published = scores.loc[iod_result.areas, "imd_score"].to_numpy()
    # Published scores come from unrounded domain scores; domain ranks carry all but ~0.1 of it.
    assert np.abs(iod_result.components["index"]["score"] - published).max() < 0.1
    assert np.corrcoef(iod_result.components["index"]["score"], published)[0, 1] > 0.99999


def test_iod2019_district_summaries_match_published(iod_result, iod_ranks, shared_data):
    scores = pd.read_csv(
        shared_data / "imd2019" / "imd2019_lsoa11_all_scores_england.csv"
    ).set_index("lsoa11_code")
    idx = iod_result.components["index"]
    frame = pd.DataFrame(
        {
            "parent_code": iod_ranks.loc[iod_result.areas, "ltla19_code"].to_numpy(),
            "population": scores.loc[iod_result.areas, "pop_total_mid2015"].to_numpy(),
            "score": scores.loc[iod_result.areas, "imd_score"].to_numpy(),
            "rank": idx["rank"],
        }
    )
    mine = area_summaries(frame, n_total=32844).set_index("parent_code")
    published = pd.read_csv(
        shared_data / "imd2019" / "imd2019_lad19_summary_england.csv"
    ).set_index("ltla19_code")
    assert len(mine) == len(published) == 317
    published = published.loc[mine.index]
    tolerance = 5e-5 + 1e-12  # published to 4 dp
    assert (np.abs(mine["proportion"] - published["Proportion"]) <= tolerance).all()
    assert (np.abs(mine["extent"] - published["Extent"]) <= 6e-5).all()
    assert (np.abs(mine["average_score"] - published["Score"]) < 1e-3).all()


@pytest.mark.parametrize("year", ["2020"])
def test_cdc_svi_reproduces_every_published_column(shared_data, year):
    d = pd.read_csv(
        shared_data / "anchors" / f"svi{year}_pa_co.csv", encoding="utf-8-sig", dtype={"FIPS": str}
    ).set_index("FIPS")
    wide = compute_index(load_preset("cdc-svi"), d).wide()
    checked = 0
    for col in d.columns:
        if col.startswith("EPL_"):
            mine = wide[f"EP_{col[4:]}_normalised"]
        elif col == "SPL_THEMES":
            mine = wide["index_score"]
        elif col == "RPL_THEMES":
            mine = wide["index_prank"]
        elif col.startswith("SPL_THEME"):
            mine = wide[f"theme{col[-1]}_score"]
        elif col.startswith("RPL_THEME"):
            mine = wide[f"theme{col[-1]}_prank"]
        elif col == "F_TOTAL":
            mine = wide["index_flag_count"]
        elif col.startswith("F_THEME"):
            mine = wide[f"theme{col[-1]}_flag_count"]
        elif col.startswith("F_"):
            mine = wide[f"EP_{col[2:]}_flag"]
        else:
            continue
        checked += 1
        published = d[col].replace(-999, np.nan).to_numpy(float)
        np.testing.assert_array_equal(mine.to_numpy(float), published, err_msg=col)
    assert checked == 16 + 4 + 4 + 1 + 1 + 16 + 4 + 1
