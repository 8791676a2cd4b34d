"""WCAG 2.2 AA checks with axe-core on the main views, and a keyboard-only run."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from site_helpers import wait_idle, wait_ready

pytestmark = pytest.mark.browser

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def violations(page) -> list[dict]:
    result = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5], "help": v["help"]}
        for v in result.response["violations"]
    ]


@pytest.fixture(scope="module")
def axe_page(browser, essex_server):
    from site_helpers import open_page

    context, pg, guard, errors = open_page(browser)
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    wait_idle(pg)
    yield pg
    context.close()
    assert guard.blocked == [] and errors == []


def test_county_view(axe_page, artifacts_dir):
    found = violations(axe_page)
    (artifacts_dir / "axe-county.json").write_text(json.dumps(found, indent=1))
    assert found == []


def test_search_results(axe_page):
    axe_page.fill("#search", "Basildon 00")
    axe_page.wait_for_selector("#search-results button")
    assert violations(axe_page) == []


def test_area_panel(axe_page, essex_data):
    code = essex_data.areas.index[42]
    axe_page.evaluate(f"location.hash = 'a={code}'")
    axe_page.wait_for_selector("#panel-body table.values")
    assert violations(axe_page) == []


def test_first_table_page(axe_page):
    axe_page.locator("#table-view").scroll_into_view_if_needed()
    assert axe_page.locator("#table-body tr").count() == 100
    assert violations(axe_page) == []


def test_error_state(axe_page, artifacts_dir):
    axe_page.evaluate("location.hash = 'a=E01999999'")
    axe_page.wait_for_selector("#error:not([hidden])")
    assert "No area with code E01999999" in axe_page.text_content("#error")
    axe_page.screenshot(path=str(artifacts_dir / "site-error-state.png"))
    assert violations(axe_page) == []


def test_keyboard_reaches_search_selects_an_area_and_hears_its_decile(
    browser, essex_server, essex_data
):
    from site_helpers import open_page

    context, pg, guard, errors = open_page(browser)
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "skip-link"
    pg.keyboard.press("Enter")  # follows the skip link to the search box
    assert pg.evaluate("document.activeElement.id") == "search"
    code = essex_data.areas.index[7]
    name = essex_data.areas.loc[code, "name"]
    pg.keyboard.type(name)
    pg.keyboard.press("Enter")  # runs the search and moves to the first result
    pg.wait_for_function("document.activeElement.classList.contains('result')")
    assert name in pg.evaluate("document.activeElement.textContent")
    pg.keyboard.press("Enter")
    pg.wait_for_function("document.querySelector('#live').textContent.includes('decile')")
    heard = pg.text_content("#live")
    assert (
        f"Selected {name}, {code}: decile {int(essex_data.index.at[code, 'index.decile'])} of 10"
        in heard
    )
    assert pg.evaluate("document.activeElement.id") == "panel"
    context.close()
    assert guard.blocked == [] and errors == []


def test_phone_views(browser, essex_server, essex_data, artifacts_dir):
    """At 390×844: the first view, the bottom sheet part-way open and fully open."""
    from site_helpers import open_page

    context, pg, guard, errors = open_page(browser, width=390, height=844)
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    wait_idle(pg)
    found = violations(pg)
    code = essex_data.areas.index[42]
    pg.evaluate(f"window.lantern.select({json.dumps(code)}, 'table')")
    pg.wait_for_function("document.querySelector('#panel').dataset.sheet === 'peek'")
    found += violations(pg)
    pg.click("#sheet-toggle")
    pg.wait_for_function("document.querySelector('#panel').dataset.sheet === 'open'")
    found += violations(pg)
    (artifacts_dir / "axe-phone.json").write_text(json.dumps(found, indent=1))
    context.close()
    assert found == []
    assert guard.blocked == [] and errors == []
