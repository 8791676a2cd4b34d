"""What a resident sees, at desktop (1280×800) and phone (390×844) sizes: every view is
screenshotted into tests/artifacts/ and checked for the layout facts that matter (the legend and
the map inside the first screen, the area's name on screen after a search, nothing wider than
the screen), and every measure is checked for how its numbers are written."""

from __future__ import annotations

import json
import re

import pytest
from site_helpers import open_page, wait_idle, wait_ready

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}

# Everything the layout checks need, measured in the page in one go.
FACTS = """() => {
  const rect = (sel) => { const n = document.querySelector(sel); if (!n) return null;
    const r = n.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
  const W = window.innerWidth, H = window.innerHeight;
  // elements poking out of the page to the right (inside a horizontal scroller is fine)
  const wide = [];
  for (const n of document.querySelectorAll('body *')) {
    const r = n.getBoundingClientRect();
    if (!r.width || r.right <= W + 1) continue;
    let scroller = false;
    for (let p = n.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && p.getBoundingClientRect().right <= W + 1) { scroller = true; break; }
    }
    if (!scroller) wide.push(n.tagName + (n.id ? '#' + n.id : '') + '.' + n.className);
  }
  const panel = document.querySelector('#panel');
  return {
    W, H, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 5),
    legend: rect('#legend'), legendItems: [...document.querySelectorAll('#legend-items li .words')].map(n => { const r = n.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, text: n.textContent}; }),
    map: rect('#map-column'), panel: rect('#panel'), title: rect('#panel-title'),
    panelOverflow: panel ? panel.scrollWidth - panel.clientWidth : 0,
    sheet: panel ? panel.dataset.sheet : null,
  };
}"""


# The phone's peeking sheet: where its name, summary and button are, and anything shown in it
# that is cut off by the sheet's edge.
PEEK = """() => {
  const box = (n) => { const r = n.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; };
  const p = document.querySelector('#panel').getBoundingClientRect();
  const cut = [];
  for (const n of document.querySelectorAll('#panel-title, #panel-summary *, #sheet-toggle')) {
    const r = n.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.top < p.top - 1 || r.bottom > p.bottom + 1) cut.push(n.className || n.id || n.tagName);
  }
  return {cut, title: box(document.querySelector('#panel-title')),
    summary: box(document.querySelector('#panel-summary')), button: box(document.querySelector('#sheet-toggle'))};
}"""

# Where a box [w, s, e, n] is drawn on the page, and the overlays around it.
PLACED = """(b) => {
  const m = window.lantern.map, c = m.getCanvas().getBoundingClientRect();
  const nw = m.project([b[0], b[3]]), se = m.project([b[2], b[1]]);
  const rect = (sel) => { const r = document.querySelector(sel).getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  return {box: {left: c.left + nw.x, top: c.top + nw.y, right: c.left + se.x, bottom: c.top + se.y},
    map: {left: c.left, top: c.top, right: c.right, bottom: c.bottom},
    legend: rect('#legend'), panel: rect('#panel')};
}"""


def apart(a: dict, b: dict) -> bool:
    """True when rectangles a and b do not overlap (a pixel of slack)."""
    return (
        a["right"] <= b["left"] + 1
        or b["right"] <= a["left"] + 1
        or a["bottom"] <= b["top"] + 1
        or b["bottom"] <= a["top"] + 1
    )


def inside(r: dict, f: dict) -> bool:
    return (
        r["left"] >= -1
        and r["top"] >= -1
        and r["right"] <= f["W"] + 1
        and r["bottom"] <= f["H"] + 1
    )


def no_overflow(f: dict) -> None:
    assert f["scrollWidth"] <= f["W"], f"page is {f['scrollWidth']} px wide on a {f['W']} px screen"
    assert f["wide"] == [], f"wider than the screen: {f['wide']}"
    assert f["panelOverflow"] <= 1, f"the panel overflows sideways by {f['panelOverflow']} px"


@pytest.fixture(scope="module", params=list(SIZES))
def sized(request, browser, essex_server):
    width, height = SIZES[request.param]
    context, page, guard, errors = open_page(browser, width=width, height=height)
    yield request.param, page
    context.close()
    assert guard.blocked == [] and errors == [], (guard.blocked, errors)


def test_first_view(sized, essex_server, artifacts_dir):
    size, page = sized
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    wait_idle(page)
    page.screenshot(path=str(artifacts_dir / f"layout-{size}-first-view.png"))
    f = page.evaluate(FACTS)
    no_overflow(f)
    assert inside(f["legend"], f), f"legend off screen: {f['legend']}"
    assert len(f["legendItems"]) >= 5 and all(
        i["top"] >= 0 and i["bottom"] <= f["H"] for i in f["legendItems"]
    )
    assert f["legendItems"][0]["text"].startswith("Most vulnerable")
    # the map fills the rest of the first screen
    assert f["map"]["bottom"] <= f["H"] + 1 and f["map"]["height"] >= 0.45 * f["H"]
    # no neighbourhood hidden under the legend: the whole build is fitted clear of it, on the map
    box = page.evaluate(
        "(() => { const m = window.lantern.map, b = window.lantern.meta.bounds;"
        " const c = m.getCanvas().getBoundingClientRect();"
        " const nw = m.project([b[0], b[3]]), se = m.project([b[2], b[1]]);"
        " return {left: c.left + nw.x, top: c.top + nw.y, right: c.left + se.x,"
        " bottom: c.top + se.y, mapLeft: c.left, mapRight: c.right}; })()"
    )
    lg = f["legend"]
    assert (
        lg["right"] <= box["left"] + 1
        or box["right"] <= lg["left"] + 1
        or lg["bottom"] <= box["top"] + 1
        or box["bottom"] <= lg["top"] + 1
    ), f"the legend {lg} covers part of the build {box}"
    assert box["mapLeft"] - 1 <= box["left"] and box["right"] <= box["mapRight"] + 1, box
    labels = page.evaluate(
        "[...document.querySelectorAll('.place-label')].map(n => { const r = n.getBoundingClientRect();"
        " return [n.textContent, r.left, r.top, r.right, r.bottom, n.className]; })"
    )
    districts = [lb for lb in labels if "place-district" in lb[5]]
    assert len(districts) >= (5 if size == "phone" else 8), [lb[0] for lb in labels]
    for i, a in enumerate(labels):
        assert f["map"]["left"] <= a[1] and a[3] <= f["map"]["right"], a
        for b in labels[i + 1 :]:
            assert a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2], (a, b)
    # district outlines are drawn above the choropleth
    layers = page.evaluate("window.lantern.map.getStyle().layers.map(l => l.id)")
    assert layers.index("outline") > layers.index("fill-lsoa")
    assert page.evaluate("window.lantern.map.isSourceLoaded('outlines')")


def test_an_area_after_a_search(sized, essex_server, essex_data, artifacts_dir):
    size, page = sized
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    code = essex_data.areas.index[321]
    name = essex_data.areas.loc[code, "name"]
    page.fill("#search", name)
    page.click(f"#search-results button:has-text('{name}')")
    page.wait_for_function(
        f"document.querySelector('#panel-title').textContent === {json.dumps(name)}"
    )
    wait_idle(page)
    page.screenshot(path=str(artifacts_dir / f"layout-{size}-area.png"))
    f = page.evaluate(FACTS)
    no_overflow(f)
    assert inside(f["title"], f), f"the area's name is off screen: {f['title']}"
    summary = page.text_content("#panel-summary")
    assert re.search(r"Decile \d+ of 10", summary) and re.search(r"Rank [\d,]+ of 1,111", summary)
    # one direction for "worse" on every chart: the worse (more vulnerable) end on the left
    directions = page.eval_on_selector_all(
        "#panel svg.chart", "n => n.map(x => x.dataset.direction)"
    )
    assert directions and set(directions) <= {"left-worse", "left-most-vulnerable"}
    rank = int(essex_data.index.at[code, "index.rank"])
    cx = page.eval_on_selector(
        "#panel table.domains tbody tr:first-child circle", "c => +c.getAttribute('cx')"
    )
    assert abs(cx - min(97, max(3, 100 * (rank - 1) / 1110))) < 0.5
    # the selected area is in the part of the map left free, with room around it
    box = page.evaluate(
        """(bbox) => { const m = window.lantern.map; const a = m.project([bbox[0], bbox[3]]);
           const b = m.project([bbox[2], bbox[1]]); const c = m.getCanvas().getBoundingClientRect();
           return {left: c.left + a.x, top: c.top + a.y, right: c.left + b.x, bottom: c.top + b.y}; }""",
        list(essex_data.geometry.loc[code].geometry.bounds),
    )
    free_top = f["map"]["top"]
    free_bottom = f["map"]["bottom"]
    if size == "phone":
        assert f["sheet"] == "peek"
        # the peek reads top to bottom: the name, the decile and rank, then the button to read
        # more, all whole (nothing cut off at the sheet's edge or the screen's)
        peek = page.evaluate(PEEK)
        assert peek["cut"] == [], f"cut off in the peeking sheet: {peek['cut']}"
        assert peek["title"]["bottom"] <= peek["summary"]["top"] + 1, peek
        assert peek["summary"]["bottom"] <= peek["button"]["top"] + 1, peek
        assert peek["button"]["bottom"] <= f["H"], peek
        free_bottom = f["panel"]["top"]
        free_top = max(free_top, f["legend"]["bottom"])
        assert free_bottom - f["map"]["top"] >= 0.25 * f["H"], "the map is hidden by the sheet"
    assert f["map"]["left"] <= box["left"] and box["right"] <= f["map"]["right"], box
    assert free_top <= box["top"] and box["bottom"] <= free_bottom, (box, free_top, free_bottom)
    assert box["right"] - box["left"] <= 0.6 * (f["map"]["right"] - f["map"]["left"])
    assert box["bottom"] - box["top"] <= 0.6 * (free_bottom - free_top)
    if size == "phone":
        page.click("#sheet-toggle")
        page.wait_for_function("document.querySelector('#panel').dataset.sheet === 'open'")
        page.screenshot(path=str(artifacts_dir / f"layout-{size}-area-details.png"))
        f = page.evaluate(FACTS)
        no_overflow(f)
        assert f["panel"]["top"] > f["map"]["top"], "the open sheet leaves the top of the map"
        assert page.is_visible("#panel table.indicators")


def test_a_legend_that_changes_size_never_covers_the_fitted_district(
    sized, essex_server, artifacts_dir
):
    """A district is fitted beside the legend of the measure shown; choosing another measure
    (or filter) changes the legend's size, and the district is fitted again around it."""
    size, page = sized
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    meta = page.evaluate(
        "(() => { const m = window.lantern.meta; return {measures: m.measures.map(x => [x.id,"
        " x.group]), districts: m.districts.map(d => [d.code, d.bbox])}; })()"
    )
    indicator = next(i for i, g in meta["measures"] if g == "indicator")
    others = [i for i, g in meta["measures"] if g != "indicator"]
    # the widest district (it fills the map's width) and the tallest
    wide = max(meta["districts"], key=lambda d: (d[1][2] - d[1][0]) / (d[1][3] - d[1][1]))
    tall = min(meta["districts"], key=lambda d: (d[1][2] - d[1][0]) / (d[1][3] - d[1][1]))
    for code, bbox in (wide, tall):
        page.evaluate(f"window.lantern.setMeasure({json.dumps(indicator)})")
        page.evaluate(
            "(code) => { const s = document.querySelector('#district'); s.value = code;"
            " s.dispatchEvent(new Event('change')); }",
            code,
        )
        for measure in [indicator, *others[:3], indicator]:
            page.evaluate(f"window.lantern.setMeasure({json.dumps(measure)})")
            wait_idle(page)
            p = page.evaluate(PLACED, bbox)
            box, lg = p["box"], p["legend"]
            where = (code, measure, box, lg)
            assert p["map"]["left"] - 1 <= box["left"] and box["right"] <= p["map"]["right"] + 1, (
                where
            )
            assert p["map"]["top"] - 1 <= box["top"] and box["bottom"] <= p["map"]["bottom"] + 1, (
                where
            )
            assert apart(box, lg), f"the legend covers the district: {where}"
            if size == "phone":
                assert box["bottom"] <= p["panel"]["top"] + 1, f"the sheet covers it: {where}"
    page.screenshot(path=str(artifacts_dir / f"layout-{size}-district.png"))
    # a reader who moves the map keeps their view when the legend changes size
    page.evaluate("window.lantern.map.jumpTo({center: [0.5, 51.6], zoom: 11})")
    page.evaluate(f"window.lantern.setMeasure({json.dumps(others[0])})")
    wait_idle(page)
    centre = page.evaluate(
        "(() => { const c = window.lantern.map.getCenter(); return [c.lng, c.lat, window.lantern.map.getZoom()]; })()"
    )
    assert (
        abs(centre[0] - 0.5) < 1e-6 and abs(centre[1] - 51.6) < 1e-6 and abs(centre[2] - 11) < 1e-6
    )


def test_table_view(sized, essex_server, artifacts_dir):
    size, page = sized
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    page.click("#nav-table")
    page.wait_for_function("document.querySelector('#table-view').getBoundingClientRect().top < 50")
    page.screenshot(path=str(artifacts_dir / f"layout-{size}-table.png"))
    f = page.evaluate(FACTS)
    no_overflow(f)
    head = page.evaluate(
        "(() => { const r = document.querySelector('#table-head').getBoundingClientRect();"
        " return [r.top, r.bottom]; })()"
    )
    assert head[0] >= 0 and head[1] <= f["H"]
    assert page.locator("#table-body tr").count() == 100


def test_method_page(sized, essex_server, artifacts_dir):
    size, page = sized
    page.goto(f"{essex_server.url}/method.html")
    page.screenshot(path=str(artifacts_dir / f"layout-{size}-method.png"))
    f = page.evaluate(FACTS)
    no_overflow(f)
    assert page.is_visible("h1")


DOUBLED = re.compile(r"\(([^()]+)\)\s*\(\1\)")
WORDS = re.compile(
    r"^(Most vulnerable|Least vulnerable|Highest|Lowest) (<1|\d+)%$|^\d+–\d+%$|^Around \d+%$|^All areas$"
)


def test_every_measure_reads_in_words_with_its_unit_once_and_no_raw_scores(
    browser, essex_server, essex_data
):
    context, page, guard, errors = open_page(browser, width=1280, height=800)
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    measures = page.evaluate("window.lantern.meta.measures")
    code = essex_data.areas.index[77]
    page.evaluate(f"window.lantern.select({json.dumps(code)}, 'table')")
    page.wait_for_selector("#panel table.domains")
    scores = [
        float(essex_data.index.at[code, c])
        for c in essex_data.index.columns
        if c.endswith(".score")
    ]
    for m in measures:
        page.evaluate(f"window.lantern.setMeasure({json.dumps(m['id'])})")
        title = page.text_content("#legend-title")
        assert title == m["label"] and not DOUBLED.search(title), title
        if m["unit"] and m["unit"] != "%":
            assert title.count(f"({m['unit']})") <= 1, title
        if m["unit"] == "%":
            assert title.count("%") == 1, title
        rows = page.eval_on_selector_all(
            "#legend-items li:not(.special)",
            "r => r.map(li => [...li.children].map(c => c.textContent))",
        )
        assert rows, m["id"]
        for _, words, rng in rows:
            assert WORDS.match(words), (m["id"], words)
            if m["group"] != "indicator":
                assert re.fullmatch(r"ranks? [\d,]+(–[\d,]+)?", rng), (m["id"], rng)
            else:
                for number in re.findall(r"-?[\d,]+(?:\.\d+)?", rng):
                    decimals = len(number.split(".")[1]) if "." in number else 0
                    assert decimals == m["decimals"], (m["id"], rng)
        values = page.eval_on_selector_all(
            "#table-body td.num:nth-child(4)", "c => c.map(x => x.textContent)"
        )
        if m["group"] != "indicator":
            assert all(re.fullmatch(r"[\d,]+|–", v) for v in values), (m["id"], values[:5])
        # where the index and domains are shown: legend, the panel's summary and domain table,
        # and the table column when one of them colours the map
        shown = (
            # an indicator's legend shows that indicator's values, which may equal a score
            (page.text_content("#legend") if m["group"] != "indicator" else "")
            # (so may the summary's line for an indicator colouring the map, e.g. the IMD score,
            # the one indicator of the deprivation domain)
            + (
                page.text_content("#panel-summary")
                if m["group"] != "indicator"
                else page.evaluate(
                    "() => [...document.querySelectorAll("
                    "'#panel-summary > div > :not(.summary-measure)')]"
                    ".map(n => n.textContent).join(' ')"
                )
            )
            + page.text_content("#panel table.domains")
            + (" ".join(values) if m["group"] != "indicator" else "")
        )
        for s in scores:
            for text in {f"{s:.{d}f}" for d in range(1, 5)} | {f"{s:.{d}g}" for d in range(2, 7)}:
                if "." in text and text.strip("-0.") and text not in ("0.0", "-0.0"):
                    # as a number of its own, not as the start of another (0.1 in "0.19–1.36")
                    alone = rf"(?<![\d.]){re.escape(text)}(?![\d])"
                    assert not re.search(alone, shown), (m["id"], text)
    context.close()
    assert guard.blocked == [] and errors == []


def test_hover_and_keyboard_focus_describe_the_area(
    browser, essex_server, essex_data, artifacts_dir
):
    context, page, guard, errors = open_page(browser, width=1280, height=800)
    page.goto(f"{essex_server.url}/index.html")
    wait_ready(page)
    wait_idle(page)
    geo = essex_data.geometry.to_crs(27700)
    code = geo.area.idxmax()
    pt = essex_data.geometry.loc[code].geometry.representative_point()
    xy = page.evaluate("([x, y]) => window.lantern.map.project([x, y])", [pt.x, pt.y])
    canvas = page.locator("#map canvas").bounding_box()
    page.mouse.move(canvas["x"] + xy["x"], canvas["y"] + xy["y"])
    page.wait_for_selector("#map-tooltip:not([hidden])")
    text = page.text_content("#map-tooltip")
    decile = int(essex_data.index.at[code, "index.decile"])
    assert essex_data.areas.loc[code, "name"] in text
    assert f"Index decile {decile} of 10" in text and "rank" in text
    page.screenshot(path=str(artifacts_dir / "layout-desktop-tooltip.png"))
    # keyboard: tab to the map, the cross-hair's area is described and Enter selects it
    page.mouse.move(0, 0)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('maplibregl-canvas')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('maplibregl-canvas')")
    page.wait_for_selector("#map-tooltip:not([hidden])")
    described = page.text_content("#map-tooltip strong")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelector('#panel-title').textContent === {json.dumps(described.split(',')[0])}"
    )
    context.close()
    assert guard.blocked == [] and errors == []
