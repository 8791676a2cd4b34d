"""The published Essex site in Chromium, served by ``lantern serve``'s app on 127.0.0.1."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from browser_helpers import (
    click_area,
    hash_params,
    hex_rgb,
    panel_domains,
    panel_values,
    pixel_at,
    text_number,
    to_float,
)
from site_helpers import open_page, wait_idle, wait_ready

from lantern.publish.classify import class_of
from lantern.publish.display import title_with_unit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def warehouse_frames(essex_warehouse):
    """The warehouse rows the panel must show: latest period of each LSOA indicator, index scores."""
    con = duckdb.connect(str(essex_warehouse), read_only=True)
    run = con.execute(
        "select index_id, reference from index_runs order by built_at desc limit 1"
    ).fetchone()
    out = {
        "indicators": con.execute(
            "select area_code, indicator_id, value from indicators i join areas a using (area_code)"
            " where a.area_type = 'lsoa' and i.period = (select max(period) from indicators j"
            " where j.indicator_id = i.indicator_id and j.vintage = i.vintage) and i.vintage = 2021"
        ).df(),
        "scores": con.execute(
            "select area_code, component, score, rank, decile from index_scores"
            " where index_id = ? and reference = ?",
            list(run),
        ).df(),
        "meta": con.execute("select distinct indicator_id, title from indicator_meta").df(),
        "components": con.execute(
            "select component, title from index_components where index_id = ?", [run[0]]
        ).df(),
        "aged65": con.execute(
            "select 100 * sum(numerator) / sum(denominator) from indicators i"
            " where indicator_id = 'census2021.aged_65_plus_pct' and vintage = 2021"
            " and area_code in (select area_code from index_scores)"
        ).fetchone()[0],
    }
    con.close()
    return out


def biggest_area(essex_data, district: str | None = None) -> tuple[str, float, float]:
    geo = essex_data.geometry.to_crs(27700)
    if district:
        geo = geo[essex_data.areas["district_code"].reindex(geo.index) == district]
    code = geo.area.idxmax()
    point = essex_data.geometry.loc[code].geometry.representative_point()
    return code, point.x, point.y


def test_click_an_area_and_the_panel_shows_the_warehouse_values(
    essex_server, page, essex_data, warehouse_frames, artifacts_dir
):
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    wait_idle(page)
    page.screenshot(path=str(artifacts_dir / "site-county-view.png"))
    code, lon, lat = biggest_area(essex_data)
    click_area(page, lon, lat)
    page.wait_for_function(
        "document.querySelector('#panel-title').textContent !== 'Choose an area'"
    )
    area = essex_data.areas.loc[code]
    assert page.text_content("#panel-title") == area["name"]
    panel = page.text_content("#panel")
    for key in ("msoa", "ward", "district"):
        assert area[f"{key}_code"] in panel and area[f"{key}_name"] in panel
    assert code in panel

    scores = warehouse_frames["scores"].set_index(["area_code", "component"])
    rank, decile = scores.loc[(code, "index"), ["rank", "decile"]]
    assert text_number(r"Rank (\d[\d,]*) of 1,111", panel) == rank
    assert text_number(r"Decile (\d+) of 10", panel) == decile

    shown = panel_values(page)
    meta = {m["id"]: m for m in page.evaluate("window.lantern.meta.measures")}
    inds = warehouse_frames["indicators"]
    rows = inds[inds["area_code"] == code].dropna(subset=["value"])
    assert len(rows) >= 20
    for _, row in rows.iterrows():
        m = meta[row["indicator_id"]]
        assert m["label"] == title_with_unit(m["title"], m["unit"])
        value = to_float(shown[m["label"]][0])
        # shown with the measure's decimals: equal to the warehouse value rounded to them
        assert abs(value - row["value"]) <= 0.5 * 10 ** -m["decimals"] + 1e-9, row["indicator_id"]
    comp_titles = dict(
        zip(
            warehouse_frames["components"]["component"],
            warehouse_frames["components"]["title"],
            strict=True,
        )
    )
    domains = panel_domains(page)
    for comp, title in comp_titles.items():
        # index and domains as decile and rank, never a raw score
        assert domains[title] == tuple(int(v) for v in scores.loc[(code, comp), ["decile", "rank"]])
    # the map's own value: people aged 65+ over all residents of the map's areas
    m = meta["census2021.aged_65_plus_pct"]
    local = to_float(shown[m["label"]][1])
    expected = warehouse_frames["aged65"]
    assert abs(local - expected) <= 0.5 * 10 ** -m["decimals"] + 1e-9
    assert "Sources" in panel and essex_data.sources[0].dataset in panel
    assert hash_params(page)["a"] == code
    page.screenshot(path=str(artifacts_dir / "site-area-panel.png"))


def test_search_by_name_selects_the_area(essex_server, page, essex_data):
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    name = essex_data.areas["name"].iloc[100]
    page.fill("#search", name)
    page.wait_for_selector("#search-results button")
    page.click(f"#search-results button:has-text('{name}')")
    page.wait_for_function(
        f"document.querySelector('#panel-title').textContent === {json.dumps(name)}"
    )
    assert hash_params(page)["a"] == essex_data.areas.index[100]
    # and by code
    code = essex_data.areas.index[5]
    page.fill("#search", code.lower())
    page.wait_for_selector(f"#search-results button:has-text('{code}')")


def test_search_by_postcode_selects_its_area_and_says_it_is_approximate(
    essex_server, page, essex_data
):
    pcs = essex_data.postcodes
    assert pcs is not None and len(pcs) > 10_000
    row = pcs.iloc[len(pcs) // 2]
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    page.fill("#search", row["postcode"].lower().replace(" ", ""))
    button = page.wait_for_selector("#search-results button:has-text('Postcode')")
    assert row["lsoa_code"] in button.text_content()
    assert "approximate" in button.text_content()
    button.click()
    page.wait_for_function(f"location.hash.includes({json.dumps(row['lsoa_code'])})")
    assert hash_params(page)["a"] == row["lsoa_code"]


def test_filter_to_a_district_zooms_and_limits_the_table(
    essex_server, page, essex_data, artifacts_dir
):
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    district = "E07000071"  # Colchester
    page.select_option("#district", district)
    n = int((essex_data.areas["district_code"] == district).sum())
    page.wait_for_function(
        f"document.querySelector('#table-count').textContent.startsWith('{n} of {n} areas')"
    )
    assert hash_params(page)["d"] == district
    rows = page.eval_on_selector_all(
        "#table-body tr td:nth-child(3)", "c => c.map(x => x.textContent)"
    )
    assert set(rows) == {"Colchester"} and len(rows) == min(n, 100)
    bounds = page.evaluate("window.lantern.map.getBounds().toArray()")
    geo = essex_data.geometry[essex_data.areas["district_code"] == district]
    cx, cy = geo.union_all().centroid.coords[0]
    assert bounds[0][0] < cx < bounds[1][0] and bounds[0][1] < cy < bounds[1][1]
    assert bounds[1][0] - bounds[0][0] < 1.0  # zoomed in from the county view
    wait_idle(page)
    page.screenshot(path=str(artifacts_dir / "site-district-filter.png"))
    page.select_option("#deciles", "1")
    page.wait_for_function(
        "!document.querySelector('#table-count').textContent.startsWith('" + f"{n} of" + "')"
    )
    deciles = page.eval_on_selector_all(
        "#table-body tr td:nth-child(5)", "c => c.map(x => x.textContent)"
    )
    assert deciles and set(deciles) == {"1"}


def _assert_drawn_in_its_class(page, essex_data, spec, values, code: str) -> None:
    """The pixel inside ``code`` has the colour of the class its value falls in (±3 per channel)."""
    pt = essex_data.geometry.loc[code].geometry.representative_point()
    expected = spec["colours"][class_of(float(values[code]), spec["breaks"])]
    got = pixel_at(page, pt.x, pt.y)
    assert max(abs(a - b) for a, b in zip(got, hex_rgb(expected), strict=True)) <= 3, (
        code,
        got,
        expected,
    )


def test_first_view_is_coloured_from_the_page_before_any_data_file(essex_server, page, essex_data):
    """The default view's classes are inlined in the page: the map is coloured (with the classes
    the warehouse values imply) before the area list or any value file is fetched, and those
    files still arrive afterwards for the table, search and tooltip."""
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    coloured = page.evaluate("window.lantern.colouredAt")
    fetched = page.evaluate(
        "performance.getEntriesByType('resource').map(r => [r.name, r.startTime])"
        ".filter(([n]) => /data\\/(areas|values)\\//.test(n))"
    )
    assert fetched, "the area list and values are never fetched"
    assert all(start >= coloured for _, start in fetched), (coloured, fetched)
    page.wait_for_selector("#table-view tbody tr")  # the table filled once they arrived
    meta = page.evaluate("window.lantern.meta")
    measure = meta["defaultMeasure"]
    spec = next(m for m in meta["measures"] if m["id"] == measure)["geos"]["lsoa"]
    values = essex_data.values[measure]
    geo = essex_data.geometry.to_crs(27700)
    for code in geo.area.sort_values(ascending=False).index[:6]:
        _assert_drawn_in_its_class(page, essex_data, spec, values, code)


def test_switch_measure_recolours_with_the_classes_the_values_imply(
    essex_server, page, essex_data, artifacts_dir
):
    measure = "census2021.aged_65_plus_pct"
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.select_option("#measure", measure)
    title = essex_data.measure(measure).title
    page.wait_for_function(
        f"document.querySelector('#legend-title').textContent.startsWith({json.dumps(title)})"
    )
    wait_idle(page)
    assert hash_params(page)["m"] == measure
    assert not [u for u in requests if u.endswith(".pmtiles")], "recolouring reloaded the geometry"
    page.screenshot(path=str(artifacts_dir / "site-measure-aged65.png"))

    meta = page.evaluate("window.lantern.meta")
    spec = next(m for m in meta["measures"] if m["id"] == measure)["geos"]["lsoa"]
    values = essex_data.values[measure]
    geo = essex_data.geometry.to_crs(27700)
    sample = geo.area.sort_values(ascending=False).index[::60][:8]
    for code in sample:
        page.evaluate(f"location.hash = 'm={measure}&a={code}'")
        page.wait_for_function(
            f"document.querySelector('#panel-title').textContent === {json.dumps(essex_data.areas.loc[code, 'name'])}"
        )
        page.evaluate(
            "for (const id of ['sel-lsoa', 'selcase-lsoa'])"
            " window.lantern.map.setFilter(id, ['==', ['get', 'code'], ''])"
        )
        _assert_drawn_in_its_class(page, essex_data, spec, values, code)


def test_download_the_csv(essex_server, page, essex_data):
    page.goto(f"{essex_server.url}/index.html")
    with page.expect_download() as info:
        page.click("a[href='downloads/lantern-lsoa.csv']")
    frame = pd.read_csv(info.value.path())
    assert sorted(frame["area_code"]) == sorted(essex_data.areas.index)
    assert "census2021.aged_65_plus_pct" in frame.columns and "index_decile" in frame.columns


def test_table_and_map_selection_stay_in_sync_and_the_url_restores_the_view(
    essex_server, page, essex_data, artifacts_dir
):
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    page.click("#table-body tr:nth-child(3) th button")
    code = page.get_attribute("#table-body tr:nth-child(3)", "data-code")
    page.wait_for_function(
        f"document.querySelector('#panel-title').textContent === {json.dumps(essex_data.areas.loc[code, 'name'])}"
    )
    assert page.evaluate("JSON.stringify(window.lantern.map.getFilter('sel-lsoa'))") == json.dumps(
        ["==", ["get", "code"], code]
    ).replace(" ", "")
    assert (
        page.get_attribute(f"#table-body tr[data-code='{code}'] button", "aria-pressed") == "true"
    )
    # sort by code, go to page 2, then reload the URL: the same view comes back
    page.click("#table-head button:has-text('Code')")
    page.click("#page-next")
    url = page.url
    assert hash_params(page)["p"] == "2"
    page.goto("about:blank")
    page.goto(url)
    wait_ready(page)
    page.wait_for_function(
        f"document.querySelector('#panel-title').textContent === {json.dumps(essex_data.areas.loc[code, 'name'])}"
    )
    wait_idle(page)
    page.screenshot(path=str(artifacts_dir / "site-table-page.png"), full_page=True)


def test_switch_geography_to_districts(essex_server, page):
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    page.select_option("#geography", "district")
    page.wait_for_function(
        "document.querySelector('#table-count').textContent === '14 of 14 areas'"
    )
    assert hash_params(page)["g"] == "district"
    page.click("#table-body tr:first-child th button")
    page.wait_for_selector("#panel-summary :text('Rank')")


def test_phone_width(essex_server, browser, artifacts_dir):
    context, pg, guard, errors = open_page(browser, width=390, height=844)
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    wait_idle(pg)
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    pg.screenshot(path=str(artifacts_dir / "site-phone.png"))
    pg.fill("#search", "Harlow 001")
    pg.click("#search-results button >> nth=0")
    pg.wait_for_selector("#panel-summary :text('Rank')")
    pg.locator("#panel").scroll_into_view_if_needed()
    pg.screenshot(path=str(artifacts_dir / "site-phone-panel.png"))
    context.close()
    assert guard.blocked == [] and errors == []
