"""The published site carries every period of multi-year indicators and the imputed shares.

``data/trends/lsoa/<indicator>.json.gz`` holds one list of values per period, in the order of
``data/areas/lsoa.json``; ``values/lsoa/index.json`` has ``imputed`` (each area's share of index
weight resting on imputed values) and each area's detail has ``imputedShare``.
"""

from __future__ import annotations

import numpy as np

from lantern.publish.sitejson import read as read_data
from lantern.warehouse import Warehouse


def test_site_data_holds_every_period_on_the_sites_lsoas(essex_data, essex_warehouse):
    trends = essex_data.trends
    assert list(trends["qof.dm_prevalence"].columns) == ["2018/19", "2019/20", "2020/21", "2021/22"]
    assert list(trends["pop.aged_70_plus_pct"].columns) == ["2019-06-30", "2020-06-30"]
    assert "pop.total" not in trends  # counts are left out of the site's trends
    frame = trends["qof.dm_prevalence"]
    assert list(frame.index) == list(essex_data.areas.index)
    with Warehouse(essex_warehouse) as wh:
        one = wh.indicator_frame(
            ["qof.dm_prevalence"], vintage=int(essex_data.vintage), period="2019/20"
        )["qof.dm_prevalence"]
    assert np.allclose(frame["2019/20"], one.reindex(frame.index))


def test_published_files_carry_trends_and_imputed_shares(essex_site, essex_data):
    meta_text = (essex_site / "index.html").read_text(encoding="utf-8")
    assert '"trends"' in meta_text and '"mostlyImputed"' in meta_text
    codes = read_data(essex_site / "data/areas/lsoa.json.gz")["codes"]
    trend = read_data(essex_site / "data/trends/lsoa/qof.dm_prevalence.json.gz")
    assert trend["periods"] == ["2018/19", "2019/20", "2020/21", "2021/22"]
    assert all(len(v) == len(codes) for v in trend["v"])
    expected = essex_data.trends["qof.dm_prevalence"].reindex(codes)["2018/19"].to_numpy()
    assert np.allclose(np.array(trend["v"][0], dtype=float), expected, rtol=1e-3)
    index = read_data(essex_site / "data/values/lsoa/index.json.gz")
    assert len(index["imputed"]) == len(codes)
    assert all(0 <= v <= 1 for v in index["imputed"] if v is not None)
    shares = essex_data.index["index.imputed_share"].reindex(codes).to_numpy()
    assert np.allclose(np.array(index["imputed"], dtype=float), shares, atol=0.01)


def test_details_carry_the_imputed_share(essex_site, essex_data):
    paths = sorted((essex_site / "data/detail/lsoa").glob("*.json.gz"))
    assert paths
    for path in paths:
        detail = read_data(path)
        assert len(detail["imputed"]) == len(detail["codes"])
        shares = essex_data.index["index.imputed_share"].reindex(detail["codes"]).to_numpy()
        assert np.allclose(np.array(detail["imputed"], dtype=float), shares, atol=0.01)
