"""Indicators over the years: every period of the QOF prevalences (2018/19–2021/22) and the
population shares for each neighbourhood, with 95% limits where the period has counts, in the
site data, the panel's detail files, the page, and the downloads.

The oracle for the limits is independent of the publishing code: for an LSOA that did not change
between the 2011 and 2021 boundaries, the warehouse's own numerator and denominator of the 2011
LSOA, through ``lantern.stats.wilson_limits`` (itself checked against the published worked
examples in tests/stats).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from site_helpers import open_page, wait_ready

from lantern.benchmarks import ENGLAND
from lantern.publish.sitejson import read
from lantern.stats import wilson_limits
from lantern.warehouse import Warehouse

QOF = "qof.dm_prevalence"
YEARS = ["2018/19", "2019/20", "2020/21", "2021/22"]


@pytest.fixture(scope="module")
def unchanged(essex_warehouse, essex_data) -> list[str]:
    """LSOAs whose 2011 and 2021 boundaries are the same (code unchanged)."""
    with Warehouse(essex_warehouse) as wh:
        cross = wh.crosswalk()
    one = cross.groupby("lsoa21_code")["lsoa11_code"].transform("size") == 1
    same = cross[one & (cross["lsoa11_code"] == cross["lsoa21_code"])]
    same = same[same.groupby("lsoa11_code")["lsoa21_code"].transform("size") == 1]
    codes = [c for c in same["lsoa21_code"] if c in essex_data.areas.index]
    assert len(codes) > 900
    return codes


def test_every_period_of_every_trend_indicator_for_every_lsoa(essex_data):
    table = essex_data.yearly
    assert set(table["indicator_id"]) == set(essex_data.trends)
    for indicator_id, frame in essex_data.trends.items():
        part = table[table["indicator_id"] == indicator_id]
        assert list(dict.fromkeys(part["period"])) == list(frame.columns)  # oldest first
        wide = part.pivot(index="area_code", columns="period", values="value")
        wide = wide.reindex(index=frame.index, columns=frame.columns)
        assert np.allclose(wide.to_numpy(float), frame.to_numpy(float), equal_nan=True)


def test_limits_are_wilson_from_the_areas_own_counts(essex_data, essex_warehouse, unchanged):
    table = essex_data.yearly.set_index(["area_code", "indicator_id", "period"])
    with Warehouse(essex_warehouse) as wh:
        raw = wh.indicator_values([QOF])
        bench = wh.query(
            "SELECT period, value FROM benchmarks WHERE indicator_id = ? AND area_code = ?",
            [QOF, ENGLAND],
            table="benchmarks",
        ).set_index("period")["value"]
    raw = raw[raw["area_code"].isin(unchanged)].set_index(["area_code", "period"])
    for period in YEARS[:3]:
        rows = raw.xs(period, level="period")
        lo, hi = wilson_limits(rows["numerator"].to_numpy(), rows["denominator"].to_numpy())
        got = table.xs((QOF, period), level=("indicator_id", "period")).reindex(rows.index)
        assert np.allclose(got["lower95"], 100 * lo) and np.allclose(got["upper95"], 100 * hi)
        assert np.allclose(got["england"], bench[period])
        below, above = bench[period] < 100 * lo, bench[period] > 100 * hi
        expected = np.where(below, "higher", np.where(above, "lower", "similar"))
        assert (got["vs_england"].to_numpy() == expected).all()
    # 2021/22 is published as rates only: a value, no interval, no England total
    last = table.xs((QOF, YEARS[3]), level=("indicator_id", "period"))
    assert last["value"].notna().all() and last["lower95"].isna().all()
    assert last["england"].isna().all()


def test_detail_files_and_page_metadata_carry_the_years(essex_site, essex_data):
    meta_text = (essex_site / "index.html").read_text(encoding="utf-8")
    meta = json.loads(re.search(r'id="lantern-meta"[^>]*>(.*?)</script>', meta_text, re.S)[1])
    spec = meta["yearTrends"][QOF]
    assert spec["periods"] == YEARS and "prevalence" in spec["label"].lower()
    table = essex_data.yearly
    first = table[table["indicator_id"] == QOF].drop_duplicates("period")
    assert spec["england"][:3] == pytest.approx(list(first["england"])[:3], abs=1e-4)
    assert spec["england"][3] is None
    seen = 0
    for path in (essex_site / "data/detail/lsoa").glob("*.json.gz"):
        detail = read(path)
        trend = detail["trend"][QOF]
        rows = table[table["indicator_id"] == QOF]
        for i, code in enumerate(detail["codes"]):
            mine = rows[rows["area_code"] == code].set_index("period").reindex(YEARS)
            places = spec["decimals"]
            assert trend["v"][i] == pytest.approx(list(mine["value"].round(places)), abs=1e-9)
            assert trend["lo"][i][:3] == pytest.approx(
                list(mine["lower95"].round(places))[:3], abs=1e-9
            )
            assert trend["lo"][i][3] is None and trend["hi"][i][3] is None
            seen += 1
    assert seen == len(essex_data.areas)


def test_downloads_carry_the_years_with_limits(essex_site, essex_data):
    csv = pd.read_csv(essex_site / "downloads" / "lantern-lsoa-trends.csv")
    pq = pd.read_parquet(essex_site / "downloads" / "lantern-lsoa-trends.parquet")
    assert len(csv) == len(pq) == len(essex_data.yearly)
    assert not csv.duplicated(["area_code", "indicator_id", "period"]).any()
    for col in ("value", "lower95", "upper95", "england", "vs_england", "vs_county"):
        assert col in csv.columns
    mine = csv[(csv["indicator_id"] == QOF) & (csv["period"] == "2019/20")].set_index("area_code")
    truth = essex_data.yearly
    truth = truth[(truth["indicator_id"] == QOF) & (truth["period"] == "2019/20")]
    truth = truth.set_index("area_code").reindex(mine.index)
    assert np.allclose(mine["value"], truth["value"], rtol=1e-3)
    assert np.allclose(mine["lower95"], truth["lower95"], atol=0.006)
    assert (mine["vs_england"] == truth["vs_england"]).all()
    package = json.loads((essex_site / "downloads" / "datapackage.json").read_text())
    names = {r["name"] for r in package["resources"]}
    assert {"lantern-lsoa-trends", "lantern-lsoa-trends-parquet"} <= names


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_panel_shows_each_year_with_its_interval(
    essex_server, browser, essex_data, artifacts_dir, unchanged, size
):
    code = unchanged[0]
    width, height = size
    context, pg, guard, errors = open_page(browser, width=width, height=height)
    try:
        pg.goto(f"{essex_server.url}/index.html#a={code}")
        wait_ready(pg)
        pg.wait_for_function(
            "document.querySelector('#panel-title').textContent !== 'Choose an area'"
        )
        if width < 600 and pg.is_visible("#sheet-toggle"):
            pg.click("#sheet-toggle")  # a phone shows the panel as a bottom sheet
        group = pg.locator(f"table.years tbody[data-indicator='{QOF}']")
        assert group.count() == 1
        head = [t.strip() for t in group.locator("xpath=../thead//th").all_inner_texts()]
        assert head == YEARS
        cells = group.locator("tr").nth(1).locator("td").all_inner_texts()
        rows = essex_data.yearly
        mine = rows[(rows["indicator_id"] == QOF) & (rows["area_code"] == code)]
        mine = mine.set_index("period").reindex(YEARS)
        meta = pg.evaluate("window.lantern.meta.yearTrends")[QOF]
        places = meta["decimals"]
        for period, cell in zip(YEARS, cells, strict=True):
            r = mine.loc[period]
            assert f"{r['value']:.{places}f}" in cell
            if period != "2021/22":
                assert f"{r['lower95']:.{places}f}–{r['upper95']:.{places}f}" in cell
            else:
                assert "–" not in cell  # no counts that year: no interval
        england = group.locator("tr.year-bench td").all_inner_texts()
        assert england[0] == f"{mine.loc['2018/19', 'england']:.{places}f}"
        assert "no interval" in pg.text_content("#panel")
        assert pg.evaluate("document.documentElement.scrollWidth") <= width
        group.scroll_into_view_if_needed()
        tag = "desktop" if width > 600 else "phone"
        pg.screenshot(path=str(artifacts_dir / f"site-panel-years-{tag}.png"))
    finally:
        context.close()
    assert guard.blocked == [] and errors == []


def test_a_national_build_keeps_its_downloads_lean(essex_data, monkeypatch):
    """England (over 30,000 LSOAs) leaves the trends table and the indicators moved from the other
    boundary vintage out of the downloads, so the site stays small; the panel keeps them."""
    from lantern.publish import downloads as dl
    from lantern.publish import sitedata

    assert not essex_data.national and essex_data.moved
    assert {"qof.dm_prevalence", "pop.aged_70_plus_pct"} <= set(essex_data.moved)
    assert "census2021.overcrowded_pct" not in essex_data.moved
    full = dl.area_table(essex_data)
    assert "qof.dm_prevalence" in full.columns and len(dl.trends_table(essex_data))
    monkeypatch.setattr(sitedata, "LEAN_AREAS", 100)
    assert essex_data.national
    lean = dl.area_table(essex_data)
    assert not any(c.split("_lower95")[0] in essex_data.moved for c in lean.columns)
    assert "qof.dm_prevalence" not in lean.columns and "census2021.overcrowded_pct" in lean.columns
    assert dl.trends_table(essex_data).empty
    assert {t["path"] for t in dl.release_tables(essex_data)} == {
        f"{dl.BASENAME}.{ext}" for ext in ("csv", "parquet", "geojson.zip")
    }


def test_the_years_are_the_one_period_tables_of_the_area_profiles(essex_data, essex_warehouse):
    """All periods moved together (``period_table``) give the rows the area profiles'
    one-period ``indicator_table`` gives period by period: values, counts, limits, the county's
    and England's value and both comparisons (floats to 1e-12: the warehouse returns rows in
    no set order, so sums may differ in their last bit)."""
    from lantern.config import ESSEX_AREA_CODES
    from lantern.profile.compare import indicator_table, period_table

    codes = list(essex_data.areas.index)
    ids = sorted(essex_data.trends)
    with Warehouse(essex_warehouse) as wh:
        fast = period_table(wh, ids, vintage=2021, codes=codes, county=ESSEX_AREA_CODES)
        held = wh.periods(ids)
        slow = pd.concat(
            [
                indicator_table(
                    wh,
                    [i],
                    vintage=2021,
                    area_type="lsoa",
                    codes=codes,
                    county=ESSEX_AREA_CODES,
                    period=str(p),
                )
                for i, p in zip(held["indicator_id"], held["period"], strict=True)
            ],
            ignore_index=True,
        )
    assert len(fast) == len(codes) * len(held)
    assert fast["lower95"].notna().any() and fast["county"].notna().any()
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=1e-12, atol=0)


def test_the_maps_intervals_are_the_one_period_tables_of_the_period_shown(
    essex_data, essex_warehouse
):
    """The map's limits and comparisons (each indicator's period shown, moved and counted once
    with the others) equal the area profiles' ``indicator_table`` for that period."""
    from lantern.config import ESSEX_AREA_CODES
    from lantern.profile.compare import indicator_table
    from lantern.publish.comparisons import interval_columns

    codes = essex_data.areas.index
    measures = [m for m in essex_data.measures if m.group == "indicator"]
    shown = {m.id: m.period for m in measures if m.period}
    with Warehouse(essex_warehouse) as wh:
        columns, bench = interval_columns(
            wh, measures, codes, "2021", ESSEX_AREA_CODES, periods=shown
        )
        ids = sorted({c.rsplit("_", 1)[0] for c in columns.columns if c.endswith("_lower95")})
        assert any(i.startswith("qof.") for i in ids) and len(ids) >= 5
        for i in ids:
            table = (
                indicator_table(
                    wh,
                    [i],
                    vintage=2021,
                    area_type="lsoa",
                    codes=list(codes),
                    county=ESSEX_AREA_CODES,
                    period=shown.get(i),
                )
                .set_index("area_code")
                .reindex(codes)
            )
            for suffix in ("lower95", "upper95"):
                got, want = columns[f"{i}_{suffix}"].to_numpy(float), table[suffix].to_numpy(float)
                assert np.allclose(got, want, rtol=1e-12, atol=0, equal_nan=True), (i, suffix)
            for suffix in ("vs_county", "vs_england"):
                assert list(columns[f"{i}_{suffix}"]) == list(table[suffix]), (i, suffix)
            assert bench[i]["county"] == pytest.approx(table["county"].iloc[0], rel=1e-12)


def test_intervals_taken_from_the_year_by_year_table_equal_those_computed(
    essex_data, essex_warehouse
):
    """``read_site_data`` hands the year-by-year table to ``interval_columns``, which takes the
    shown period's rows from it instead of moving and counting those indicators again: the
    columns and benchmarks are those computed without it, to the bit, in the same order (with
    and without a county to compare with, with and without a period named)."""
    from lantern.config import ESSEX_AREA_CODES
    from lantern.publish.comparisons import interval_columns
    from lantern.publish.trends import trend_table

    codes = essex_data.areas.index
    measures = [m for m in essex_data.measures if m.group == "indicator"]
    shown = {m.id: m.period for m in measures if m.period}
    ids = sorted(set(essex_data.yearly["indicator_id"]))
    assert any(i.startswith("qof.") for i in ids) and set(ids) <= {m.id for m in measures}
    with Warehouse(essex_warehouse) as wh:
        for county in (ESSEX_AREA_CODES, None):
            yearly = trend_table(wh, ids, codes, "2021", county)
            for periods in (shown, None):
                alone = interval_columns(wh, measures, codes, "2021", county, periods=periods)
                helped = interval_columns(
                    wh, measures, codes, "2021", county, periods=periods, yearly=yearly
                )
                assert list(alone[0].columns) == list(helped[0].columns)
                pd.testing.assert_frame_equal(alone[0], helped[0], check_exact=True)
                assert list(alone[1].items()) == list(helped[1].items())
                if county is None and periods is shown:
                    assert essex_data.intervals.equals(helped[0])
