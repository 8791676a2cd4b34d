"""Weekly cases for the map: MSOA 2021 series from MSOA 2011 counts, suppression never zero."""

from __future__ import annotations

import numpy as np
import pytest

from lantern.profile.trends import weekly_cases
from lantern.publish.weekly import BREAKS, band, payload, weekly_matrix
from lantern.warehouse import Warehouse


@pytest.fixture(scope="module")
def wh(essex_warehouse):
    with Warehouse(essex_warehouse) as w:
        yield w


def test_site_series_match_the_profile_series(wh):
    codes = wh.area_codes("msoa", 2021)
    matrix = weekly_matrix(wh, codes, "msoa", 2021)
    assert matrix["rate"].shape == (len(codes), 37)
    series, _notes = weekly_cases(wh, codes[:25], "msoa", 2021)
    for i, code in enumerate(codes[:25]):
        assert np.allclose(series[code]["value"].to_numpy(), matrix["rate"][i], equal_nan=True)


def test_unchanged_msoas_carry_their_own_published_counts(wh):
    codes = wh.area_codes("msoa", 2021)
    matrix = weekly_matrix(wh, codes, "msoa", 2021)
    raw = wh.indicator_values(["phe_cases.weekly_rate"])
    same = [c for c in codes if c in set(raw["area_code"])]
    assert len(same) > 150  # most MSOA 2021s are MSOA 2011s unchanged
    for code in same[:40]:
        mine = raw[raw["area_code"] == code].sort_values("period")
        i = codes.index(code)
        want = mine["value"].to_numpy()
        assert np.allclose(matrix["rate"][i], want, equal_nan=True)
        # a suppressed week (numerator missing) is never a zero rate
        assert np.all(np.isnan(matrix["rate"][i][mine["numerator"].isna().to_numpy()]))


def test_bands_and_payload():
    rate = np.array([[5.0, np.nan, 450.0], [np.nan, 10.0, 50.0]])
    low = np.array([[False, True, False], [False, False, False]])
    assert band(rate, low).tolist() == [[0, 6, 5], [-1, 0, 1]]
    out = payload(
        {"weeks": ["a", "b", "c"], "rate": rate, "low": low, "england": np.array([1.0, 2, 3]),
         "englandMax": np.array([1.0, 2, 4])},
        np.array([0.1, 0.9]),
    )  # fmt: skip
    assert out["bands"][2] == [5, 1] and out["rates"][1] == [None, 10.0]
    assert len(out["bivariate"]["classes"]) == 2 and len(BREAKS) == len(out["legend"]["colours"])
