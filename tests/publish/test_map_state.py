"""The map's state in the URL: the view (zoom and centre) comes back from a shared link, Back and
Forward step through selections, and a link that contradicts itself is put right and says so."""

from __future__ import annotations

import json

import pytest
from browser_helpers import hash_params
from site_helpers import wait_idle, wait_ready

pytestmark = pytest.mark.browser


def title_is(page, name: str) -> None:
    page.wait_for_function(
        f"document.querySelector('#panel-title').textContent === {json.dumps(name)}"
    )


def test_a_shared_link_restores_the_view(essex_server, page):
    page.goto(f"{essex_server.url}/index.html#v=10.50/51.88000/0.90000")
    wait_ready(page)
    zoom, lat, lon = page.evaluate(
        "(() => { const m = window.lantern.map; const c = m.getCenter();"
        " return [m.getZoom(), c.lat, c.lng]; })()"
    )
    assert abs(zoom - 10.5) < 0.01 and abs(lat - 51.88) < 1e-4 and abs(lon - 0.9) < 1e-4
    # moving the map writes the new view into the address, without a new history entry
    length = page.evaluate("history.length")
    page.evaluate("window.lantern.map.jumpTo({center: [0.7, 51.75], zoom: 9.25})")
    page.wait_for_function("location.hash.includes('v=9.25/51.75000/0.70000')")
    assert page.evaluate("history.length") == length
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    wait_ready(page)
    assert abs(page.evaluate("window.lantern.map.getZoom()") - 9.25) < 0.01


def test_back_and_forward_step_through_selections(essex_server, page, essex_data):
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    first, second = essex_data.areas.index[10], essex_data.areas.index[500]
    for code in (first, second):
        page.fill("#search", code.lower())
        page.click(f"#search-results button:has-text('{code}')")
        title_is(page, essex_data.areas.loc[code, "name"])
    page.select_option("#measure", "census2021.aged_65_plus_pct")
    page.wait_for_function("location.hash.includes('m=census2021.aged_65_plus_pct')")
    page.go_back()
    page.wait_for_function("!location.hash.includes('aged_65')")
    title_is(page, essex_data.areas.loc[second, "name"])
    assert page.evaluate("window.lantern.state().measure") == "index"
    page.go_back()
    title_is(page, essex_data.areas.loc[first, "name"])
    assert hash_params(page)["a"] == first
    page.go_back()
    title_is(page, "Choose an area")
    assert "a" not in hash_params(page)
    page.go_forward()
    title_is(page, essex_data.areas.loc[first, "name"])
    page.go_forward()
    title_is(page, essex_data.areas.loc[second, "name"])
    # the map follows: the selected area is outlined
    assert json.dumps(["==", ["get", "code"], second]).replace(" ", "") == page.evaluate(
        "JSON.stringify(window.lantern.map.getFilter('sel-lsoa'))"
    )


def test_a_link_whose_area_is_outside_its_filter_is_reconciled(essex_server, page, essex_data):
    colchester = "E07000071"
    tendring = essex_data.areas[essex_data.areas["district_code"] == "E07000076"]
    code = tendring.index[0]
    decile = int(essex_data.index.at[code, "index.decile"])
    page.goto(f"{essex_server.url}/index.html#d={colchester}&dec=1&a={code}")
    wait_ready(page)
    title_is(page, essex_data.areas.loc[code, "name"])
    notice = page.text_content("#panel-notice")
    assert "Tendring" in notice
    state = page.evaluate("window.lantern.state()")
    assert state["district"] == "E07000076"
    if decile > 1:
        assert state["deciles"] == "" and "most vulnerable 10%" in notice
    page.wait_for_function("location.hash.includes('d=E07000076')")
    # the selected area is drawn in its colour, not hatched as outside the filter
    wait_idle(page)
    hatched = page.evaluate(
        "(code) => window.lantern.map.queryRenderedFeatures({layers: ['hatch-lsoa']})"
        ".filter(f => f.properties.code === code).length",
        code,
    )
    assert hatched == 0


@pytest.mark.parametrize(
    "fragment, expected",
    [
        ("m=no.such.measure", {"measure": "index"}),
        ("g=county", {"geography": "lsoa"}),
        ("d=E07999999", {"district": ""}),
        ("dec=7", {"deciles": ""}),
        ("g=district&m=census2021.aged_65_plus_pct", {"geography": "district", "measure": "index"}),
    ],
)
def test_a_link_naming_what_the_map_does_not_have_falls_back_and_says_so(
    essex_server, page, fragment, expected
):
    page.goto(f"{essex_server.url}/index.html#{fragment}")
    wait_ready(page)
    state = page.evaluate("window.lantern.state()")
    for key, value in expected.items():
        assert state[key] == value, (fragment, state)
    assert page.is_visible("#panel-notice")
