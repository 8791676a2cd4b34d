"""How certain the map's ranks are beyond neighbourhoods: the 90% rank interval and decile
stability of every ward, MSOA and district (the Monte Carlo draws pooled to each area's
population-weighted average score), and the "most vulnerable 10%" filter read with its
uncertainty (how many areas are in the group over their whole rank interval)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from site_helpers import open_page, wait_idle, wait_ready

from lantern.publish.sitejson import read
from lantern.warehouse import Warehouse


@pytest.fixture(scope="module")
def bounds(essex_warehouse):
    with Warehouse(essex_warehouse) as wh:
        s = wh.index_summaries()
    s = s[s["component"] == "index"]
    return s.pivot_table(
        index=["area_type", "area_code"], columns="measure", values=["value", "rank"]
    )


@pytest.mark.parametrize("geo", ["msoa", "ward", "district"])
def test_higher_areas_carry_their_rank_interval(essex_site, bounds, geo):
    values = read(essex_site / f"data/values/{geo}/index.json.gz")
    codes = read(essex_site / f"data/areas/{geo}.json.gz")["codes"]
    mine = bounds.loc[geo].reindex(codes)
    assert values["p05"] == [int(v) for v in mine[("value", "rank_p05")]]
    assert values["p95"] == [int(v) for v in mine[("value", "rank_p95")]]
    rank = mine[("rank", "average_score")].to_numpy()
    lo, hi = mine[("value", "rank_p05")].to_numpy(), mine[("value", "rank_p95")].to_numpy()
    assert (lo <= hi).all() and ((lo <= rank) & (rank <= hi)).mean() >= 0.9
    seen = 0
    for path in (essex_site / f"data/detail/{geo}").glob("*.json.gz"):
        detail = read(path)
        for i, code in enumerate(detail["codes"]):
            row = bounds.loc[(geo, code)]
            assert detail["index"]["index"]["p05"][i] == row[("value", "rank_p05")]
            assert detail["index"]["index"]["p95"][i] == row[("value", "rank_p95")]
            stays = 1 - row[("value", "decile_change_share")]
            assert detail["stays"][i] == pytest.approx(stays, abs=0.001)
            seen += 1
    assert seen == len(codes)


@pytest.mark.browser
def test_ward_panel_shows_its_rank_interval(essex_server, page, bounds):
    code = bounds.loc["ward"].index[0]
    row = bounds.loc[("ward", code)]
    page.goto(f"{essex_server.url}/index.html#g=ward&a={code}")
    wait_ready(page)
    page.wait_for_function(
        "document.querySelector('#panel-title').textContent !== 'Choose an area'"
    )
    text = page.text_content("#panel-summary")
    lo, hi = int(row[("value", "rank_p05")]), int(row[("value", "rank_p95")])
    assert f"rank interval (90%) {lo:,} to {hi:,}" in text
    assert "sensitivity draws" in text


def _expected(index, k, total, keep):
    cut = math.floor(k * total / 10)
    rank, p05, p95 = (index[f"index.{c}"].to_numpy() for c in ("rank", "rank_p05", "rank_p95"))
    decile = index["index.decile"].to_numpy()
    inside = keep & (decile <= k)
    sure = inside & (p95 <= cut)
    outside = keep & ~(decile <= k) & (p05 <= cut)
    return int(inside.sum()), int(sure.sum()), int(inside.sum() - sure.sum()), int(outside.sum())


@pytest.mark.browser
@pytest.mark.parametrize(("k", "district"), [(1, ""), (2, "E07000076")])
def test_most_vulnerable_filter_says_how_many_areas_are_surely_in_it(
    essex_server, browser, essex_data, artifacts_dir, k, district
):
    index = essex_data.index.reindex(essex_data.areas.index)
    keep = (
        np.ones(len(index), bool)
        if not district
        else (essex_data.areas["district_code"] == district).to_numpy()
    )
    shown, sure, borderline, outside = _expected(index, k, len(index), keep)
    assert 0 < sure < shown
    context, pg, guard, errors = open_page(browser, width=1280, height=800)
    try:
        pg.goto(f"{essex_server.url}/index.html#dec={k}" + (f"&d={district}" if district else ""))
        wait_ready(pg)
        wait_idle(pg)
        text = " ".join(pg.text_content("#legend-certainty").split())
        assert (
            f"{shown:,} areas are in the most vulnerable {k}0% by the index's ranking. "
            f"{sure:,} of them stay in it across their whole 90% rank interval; "
            f"the other {borderline:,} are borderline" in text
        ), text
        assert re.search(rf"\b{outside:,} areas? just outside", text) or outside == 1
        assert "an estimate" in pg.text_content("#deciles option:checked")
        assert pg.is_visible("#legend-certainty")
        if not district:
            pg.screenshot(path=str(artifacts_dir / "site-filter-certainty.png"))
        pg.select_option("#deciles", "")
        assert not pg.is_visible("#legend-certainty")
    finally:
        context.close()
    assert guard.blocked == [] and errors == []
