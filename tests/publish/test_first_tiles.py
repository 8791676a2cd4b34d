"""How the map gets its first tiles: described from the page's metadata instead of each archive's
header, read by MapLibre's tile workers (``assets/tiles-worker.js``), drawn once every tile of the
view is in, and still drawn when that script cannot be loaded."""

from __future__ import annotations

import json
import re

import pytest
from site_helpers import open_page, wait_ready

pytestmark = pytest.mark.browser


def page_meta(site) -> dict:
    html = (site / "index.html").read_text(encoding="utf-8")
    found = re.search(
        r'<script id="lantern-meta" type="application/json">(.*?)</script>', html, re.S
    )
    assert found, "index.html carries no page metadata"
    return json.loads(found.group(1).replace("<\\/", "</"))


def archive_header(path) -> dict:
    from pmtiles.reader import MmapSource, Reader

    with path.open("rb") as fh:
        return dict(Reader(MmapSource(fh)).header())


def test_every_archive_the_page_describes_says_the_same_in_its_own_header(essex_site):
    """The page asks for tiles by the zoom range and bounds in its metadata, not the archive's
    header: both must agree, or the map would ask for tiles the archive does not hold (or miss
    tiles it does)."""
    meta = page_meta(essex_site)
    west, south, east, north = meta["bounds"]
    described = [g for g in meta["geographies"] if g.get("tiles")]
    assert {g["id"] for g in described} >= {"lsoa"}
    for g in described:
        header = archive_header(essex_site / g["tiles"])
        assert (g["minzoom"], g["maxzoom"]) == (header["min_zoom"], header["max_zoom"]), g["id"]
        # the archive's bounds (1e-7 degrees) lie within the page's bounds (rounded to 1e-5)
        assert header["min_lon_e7"] / 1e7 >= west - 1e-5, g["id"]
        assert header["min_lat_e7"] / 1e7 >= south - 1e-5, g["id"]
        assert header["max_lon_e7"] / 1e7 <= east + 1e-5, g["id"]
        assert header["max_lat_e7"] / 1e7 <= north + 1e-5, g["id"]
    if meta.get("outlines"):
        assert (essex_site / meta["outlines"]).exists()


def drawn_areas(pg) -> int:
    return pg.evaluate(
        "new Set(window.lantern.map.querySourceFeatures('lsoa', {sourceLayer: 'areas'})"
        ".map(f => f.properties.code)).size"
    )


def page_thread_tile_fetches(pg) -> list[str]:
    return pg.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('.pmtiles'))"
    )


def test_the_tile_workers_read_the_first_views_tiles_themselves(browser, essex_server, essex_data):
    """Every area of the first view is drawn from tiles the workers fetched: the page's own thread
    fetched no tile bytes (its resource timings hold no archive), yet the archives were read, and
    the first frame left the drawing out so the workers could start."""
    context, pg, guard, errors = open_page(browser)
    tiles: list[str] = []
    pg.on("request", lambda r: tiles.append(r.url) if ".pmtiles" in r.url else None)
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    marks = pg.evaluate("performance.getEntriesByType('mark').map(m => m.name)")
    assert "lantern:tiles-asked" in marks
    assert "lantern:tiles-worker-failed" not in marks
    assert tiles, "no tile archive was read"
    assert page_thread_tile_fetches(pg) == []
    assert drawn_areas(pg) == len(essex_data.areas)
    assert pg.evaluate("window.lantern.map.isSourceLoaded('outlines')")
    assert not errors and not guard.blocked
    context.close()


def test_the_map_still_draws_every_area_when_the_worker_script_does_not_load(
    browser, essex_server, essex_data
):
    """Without ``tiles-worker.js`` (a failed request, a host that blocks it) the workers' tile
    requests come back to the page's own protocol: the same map is drawn."""
    context, pg, guard, errors = open_page(browser)
    pg.route("**/assets/tiles-worker.js", lambda route: route.abort())
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    marks = pg.evaluate("performance.getEntriesByType('mark').map(m => m.name)")
    assert "lantern:tiles-worker-failed" in marks
    assert page_thread_tile_fetches(pg), "the page's own thread should have read the tiles"
    assert drawn_areas(pg) == len(essex_data.areas)
    assert pg.evaluate("window.lantern.map.isSourceLoaded('outlines')")
    # the legend, table and recolour work as usual
    assert pg.locator("#legend-items li").count() > 0
    took = pg.evaluate("window.lantern.setMeasure('census2021.aged_65_plus_pct')")
    assert took > 0
    assert not errors and not guard.blocked
    context.close()


# Records the time of every WebGL draw call the page makes (MapLibre's canvas is WebGL; the
# county preview is a 2D canvas).
COUNT_DRAWS = """(() => {
  window.__draws = [];
  for (const C of [WebGLRenderingContext, WebGL2RenderingContext])
    for (const name of ["drawElements", "drawArrays"]) {
      const original = C.prototype[name];
      C.prototype[name] = function (...args) {
        window.__draws.push(performance.now());
        return original.apply(this, args);
      };
    }
})();"""


def test_the_first_view_is_drawn_once_all_its_tiles_are_in(browser, essex_server, essex_data):
    """MapLibre draws nothing of the first view until every source has the view's tiles, then
    draws it whole: no WebGL draw call comes before the ``first-draw`` mark, which says no source
    was still waiting for a tile; every area and the outlines are drawn, in their classes'
    colours (``test_browser``)."""
    context, pg, guard, errors = open_page(browser)
    pg.add_init_script(COUNT_DRAWS)
    pg.goto(f"{essex_server.url}/index.html")
    wait_ready(pg)
    marks = pg.evaluate(
        "Object.fromEntries(performance.getEntriesByType('mark')"
        ".map(m => [m.name, [m.startTime, m.detail]]))"
    )
    asked, _ = marks["lantern:tiles-asked"]
    drawn, detail = marks["lantern:first-draw"]
    assert asked <= drawn
    assert detail == {"whole": True}
    draws = pg.evaluate("window.__draws")
    assert draws, "nothing was drawn"
    assert min(draws) >= drawn, "part of the first view was drawn before all its tiles were in"
    assert drawn_areas(pg) == len(essex_data.areas)
    assert pg.evaluate("window.lantern.map.isSourceLoaded('outlines')")
    assert not errors and not guard.blocked
    context.close()


def test_a_tile_that_never_arrives_holds_the_first_view_back_at_most_a_few_seconds(
    browser, essex_server, essex_data
):
    """The drawing waits for every tile of the first view, but not for ever: with the district
    outlines' archive never answering, the map draws what it has after the wait (``first-draw``
    says not every tile was in), every area in its class's colour."""
    from browser_helpers import hex_rgb, pixel_now

    from lantern.publish.classify import class_of

    context, pg, guard, errors = open_page(browser)
    stalled: list = []
    pg.route("**/tiles/district.pmtiles", lambda route: stalled.append(route))  # never answered
    pg.goto(f"{essex_server.url}/index.html")
    pg.wait_for_function(
        "performance.getEntriesByName('lantern:first-draw').length > 0", timeout=30_000
    )
    detail = pg.evaluate("performance.getEntriesByName('lantern:first-draw')[0].detail")
    assert detail == {"whole": False}
    assert stalled, "the outlines were never asked for"
    assert not pg.evaluate("window.lantern.map.isSourceLoaded('outlines')")
    meta = pg.evaluate("window.lantern.meta")
    spec = next(m for m in meta["measures"] if m["id"] == meta["defaultMeasure"])["geos"]["lsoa"]
    values = essex_data.values[meta["defaultMeasure"]]
    geo = essex_data.geometry.to_crs(27700)
    for code in geo.area.sort_values(ascending=False).index[:4]:
        pt = essex_data.geometry.loc[code].geometry.representative_point()
        got = pixel_now(pg, pt.x, pt.y)
        expected = hex_rgb(spec["colours"][class_of(float(values[code]), spec["breaks"])])
        assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 3, (code, got)
    for route in stalled:
        route.abort()
    assert not errors and not guard.blocked
    context.close()
