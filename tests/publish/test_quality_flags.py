"""QOF apportionment quality flags on the 2021 map: the index's QOF values are on the map (moved
through the LSOA crosswalk, in the year the index used), each with its flag where the estimate is
weak, in the panel's detail files, on the page and in the downloads — the same flags
``lantern.profile.quality.qof_flags`` computes for the profiles."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from site_helpers import open_page, wait_ready

from lantern.benchmarks import ENGLAND
from lantern.paths import BUNDLED_ESSEX
from lantern.profile.quality import PERIOD, qof_flags
from lantern.publish.sitejson import read
from lantern.warehouse import Warehouse

LETTER = {"low_coverage": "c", "dominant_outlier": "o"}


def _meta(site) -> dict:
    text = (site / "index.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'id="lantern-meta"[^>]*>(.*?)</script>', text, re.S)[1])


@pytest.fixture(scope="module")
def flags(essex_warehouse, essex_data) -> pd.DataFrame:
    with Warehouse(essex_warehouse) as wh:
        out = qof_flags(wh, BUNDLED_ESSEX, int(essex_data.vintage))
    return out.astype({"area_code": str, "indicator_id": str, "flag": str})


def test_the_index_qof_values_are_on_the_2021_map_in_the_index_year(essex_site, essex_warehouse):
    meta = _meta(essex_site)
    assert meta["vintage"] == "2021"
    qof = {m["id"]: m for m in meta["measures"] if m["id"].startswith("qof.")}
    assert "qof.dm_prevalence" in qof and qof["qof.dm_prevalence"]["period"] == PERIOD
    with Warehouse(essex_warehouse) as wh:
        bench = wh.query(
            "SELECT value FROM benchmarks WHERE indicator_id = ? AND area_code = ? AND period = ?",
            ["qof.dm_prevalence", ENGLAND, PERIOD],
            table="benchmarks",
        )["value"]
        used = wh.query(
            "SELECT area_code, value FROM index_indicator_values WHERE indicator_id = ?",
            ["qof.dm_prevalence"],
        ).set_index("area_code")["value"]
    assert qof["qof.dm_prevalence"]["england"] == pytest.approx(float(bench.iloc[0]), rel=1e-4)
    # the panel's values are the very values the index was computed from
    seen = 0
    for path in (essex_site / "data/detail/lsoa").glob("*.json.gz"):
        detail = read(path)
        for code, v in zip(detail["codes"], detail["values"]["qof.dm_prevalence"], strict=True):
            assert v == pytest.approx(used[code], abs=0.006)
            seen += 1
        assert "qof.dm_prevalence" in detail["ci"]
    assert seen == len(used)


def test_detail_files_and_downloads_carry_the_flags(essex_site, essex_data, flags):
    shown = {m.id for m in essex_data.measures if m.id.startswith("qof.")}
    expected = flags[flags["indicator_id"].isin(shown)]
    assert len(expected) > 50
    got = []
    for path in (essex_site / "data/detail/lsoa").glob("*.json.gz"):
        detail = read(path)
        for indicator_id, col in detail.get("flags", {}).items():
            got += [(c, indicator_id, f) for c, f in zip(detail["codes"], col, strict=True) if f]
    want = {(r.area_code, r.indicator_id, LETTER[r.flag]) for r in expected.itertuples()}
    assert set(got) == want
    csv = pd.read_csv(essex_site / "downloads" / "lantern-lsoa.csv", keep_default_na=False)
    for indicator_id in shown:
        mine = expected[expected["indicator_id"] == indicator_id].set_index("area_code")["flag"]
        col = csv.set_index("area_code")[f"{indicator_id}_quality"]
        assert (col.reindex(mine.index) == mine).all()
        assert (col.drop(mine.index) == "").all()


@pytest.mark.browser
def test_panel_flags_a_weak_qof_estimate(essex_server, browser, essex_data, flags, artifacts_dir):
    shown = {m.id for m in essex_data.measures if m.id.startswith("qof.")}
    row = flags[flags["indicator_id"].isin(shown)].iloc[0]
    context, pg, guard, errors = open_page(browser, width=1280, height=800)
    try:
        pg.goto(f"{essex_server.url}/index.html#a={row.area_code}")
        wait_ready(pg)
        pg.wait_for_function(
            "document.querySelector('#panel-title').textContent !== 'Choose an area'"
        )
        label = essex_data.measure(row.indicator_id).title.split(":")[0]
        line = pg.locator("table.indicators tr", has_text=label).first
        assert "⚑" in line.inner_text() and "caution" in line.text_content()
        assert "Read with care" in pg.text_content("#panel")
        line.scroll_into_view_if_needed()
        pg.screenshot(path=str(artifacts_dir / "site-panel-qof-flag.png"))
    finally:
        context.close()
    assert guard.blocked == [] and errors == []
