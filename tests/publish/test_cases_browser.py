"""The week slider recolours the map; cases meet vulnerability; the panel shows CIs and trends."""

from __future__ import annotations

import pytest
from browser_helpers import pixel_at
from site_helpers import open_page, wait_idle, wait_ready

from lantern.publish.sitejson import read as read_data

pytestmark = pytest.mark.browser


def _msoa_point(essex_data, code: str) -> tuple[float, float]:
    members = essex_data.areas[essex_data.areas["msoa_code"] == code].index
    shape = essex_data.geometry.loc[members].geometry.union_all()
    p = shape.representative_point()
    return p.x, p.y


def test_week_slider_recolours_the_map(essex_server, essex_site, page, essex_data, artifacts_dir):
    cases = read_data(essex_site / "data" / "cases" / "msoa.json.gz")
    weeks = cases["weeks"]
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    page.select_option("#cases-view", "weekly")
    page.wait_for_function("document.querySelector('#map canvas').dataset.casesWeek === '2020-W41'")
    wait_idle(page)
    assert page.evaluate("window.lantern.state().geography") == "msoa"
    # an MSOA whose colour band differs between week 14 and week 41
    w14, w41 = weeks.index("2020-W14"), weeks.index("2020-W41")
    i = next(
        k for k, (a, b) in enumerate(zip(cases["bands"][w14], cases["bands"][w41], strict=True))
        if a >= 0 and b >= 0 and a != b
    )  # fmt: skip
    lon, lat = _msoa_point(essex_data, cases["codes"][i])
    colours = cases["legend"]["colours"]
    hexrgb = lambda h: tuple(int(h[k : k + 2], 16) for k in (1, 3, 5))  # noqa: E731

    def close(px, hx):
        return all(abs(a - b) <= 12 for a, b in zip(px, hexrgb(hx), strict=True))

    assert close(pixel_at(page, lon, lat), colours[cases["bands"][w41][i]])
    page.screenshot(path=str(artifacts_dir / "site-cases-week41.png"))
    # move the slider: keyboard on the range input, to week 14
    page.focus("#cases-week")
    for _ in range(w41 - w14):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("document.querySelector('#map canvas').dataset.casesWeek === '2020-W14'")
    wait_idle(page)
    assert close(pixel_at(page, lon, lat), colours[cases["bands"][w14][i]])
    assert "Week 14" in page.text_content("#cases-week-label")
    assert "Week 14" in page.text_content("#legend-title") and "England" in page.text_content(
        "#legend-note"
    )
    page.screenshot(path=str(artifacts_dir / "site-cases-week14.png"))
    # the recolour is timed the way bench/cases.py times it
    ms = page.evaluate("window.lantern.cases.setWeek(20)")
    assert ms > 0
    # play advances the week
    page.click("#cases-play")
    page.wait_for_function("parseInt(document.querySelector('#cases-week').value, 10) > 21")
    page.click("#cases-play")


def test_where_cases_meet_vulnerability(essex_server, essex_site, page, essex_data, artifacts_dir):
    cases = read_data(essex_site / "data" / "cases" / "msoa.json.gz")
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    page.select_option("#cases-view", "bivariate")
    page.wait_for_function(
        "document.querySelector('#map canvas').dataset.casesWeek === 'bivariate'"
    )
    wait_idle(page)
    biv = cases["bivariate"]
    i = biv["classes"].index(8)
    lon, lat = _msoa_point(essex_data, cases["codes"][i])
    want = tuple(int(biv["colours"][8][k : k + 2], 16) for k in (1, 3, 5))
    got = pixel_at(page, lon, lat)
    assert all(abs(a - b) <= 12 for a, b in zip(got, want, strict=True))
    legend = page.text_content("#legend")
    assert "against vulnerability" in legend and "cases" in legend and "high" in legend
    page.screenshot(path=str(artifacts_dir / "site-cases-bivariate.png"))
    # back to the index view restores the measure's colours
    page.select_option("#cases-view", "")
    page.wait_for_function(
        "document.querySelector('#legend-title').textContent.indexOf('cases') < 0"
    )
    wait_idle(page)
    # the measure's own colours and hatching are back (not every area hatched as "no data")
    assert page.evaluate("window.lantern.map.getFilter('hatch-msoa')") is not None
    assert page.evaluate("window.lantern.map.getPaintProperty('hatch-msoa', 'fill-opacity')") == 1


def test_panel_shows_intervals_england_and_the_weekly_trend(
    essex_server, page, essex_data, artifacts_dir
):
    code = essex_data.intervals.dropna(how="all").index[0]
    page.goto(f"{essex_server.url}/index.html#a={code}")
    wait_ready(page)
    page.wait_for_function(
        "document.querySelector('#panel-title').textContent !== 'Choose an area'"
    )
    panel = page.text_content("#panel")
    assert "Compared with England" in panel and "95% CI" in panel
    assert "COVID-19 cases by week, 2020" in panel and "suppressed" in panel
    col = next(c for c in essex_data.intervals.columns if c.endswith("_vs_england"))
    vs = essex_data.intervals.loc[code, col]
    assert f"{vs} than England" in panel or "similar to England" in panel
    assert page.locator("svg.chart[data-centre='england']").count() > 0
    page.locator("#indicators-title").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "site-panel-ci.png"))
    page.locator("#trend-title").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "site-panel-trend.png"))


def test_phone_cases_controls(essex_server, browser, artifacts_dir):
    context, pg, guard, errors = open_page(browser, width=390, height=844)
    try:
        pg.goto(f"{essex_server.url}/index.html")
        wait_ready(pg)
        if pg.is_visible("#options-toggle"):
            pg.click("#options-toggle")
        pg.select_option("#cases-view", "weekly")
        pg.wait_for_function(
            "document.querySelector('#map canvas').dataset.casesWeek === '2020-W41'"
        )
        wait_idle(pg)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        pg.screenshot(path=str(artifacts_dir / "site-cases-phone.png"))
    finally:
        context.close()
    assert guard.blocked == [] and errors == []
