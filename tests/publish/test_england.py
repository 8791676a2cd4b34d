"""The same site for all 33,755 English LSOA 2021s, built by the real pipeline from the
England-wide official files: init → ingest → build (essex-covid spec) → publish."""

from __future__ import annotations

import pytest
from site_helpers import LocalServer, open_page, wait_ready
from tiles_decode import codes_per_tile, header

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def england(shared_data, tmp_path_factory):
    from lantern.config import config_from_mapping
    from lantern.pipeline.build import build
    from lantern.pipeline.ingest import ingest
    from lantern.pipeline.publish import publish

    work = tmp_path_factory.mktemp("england")
    config = config_from_mapping(
        {
            "name": "england",
            "area_codes": ["E92000001"],
            "data_dir": str(shared_data),
            "vintage": 2021,
            "output_dir": str(work / "out"),
            "warehouse": str(work / "out" / "lantern.duckdb"),
        },
        root=work,
    )
    ingest(config)
    build(config, draws=100)
    return publish(config, site_dir=work / "site")


def test_every_english_lsoa_is_in_the_tiles_exactly_once_per_tile(england):
    path = england / "tiles" / "lsoa.pmtiles"
    h = header(path)
    tiles = codes_per_tile(path, h["max_zoom"])
    assert all(max(c.values()) == 1 for c in tiles)
    found = set().union(*tiles)
    assert len(found) == 33_755 and all(c.startswith("E01") for c in found)
    assert len(set().union(*codes_per_tile(path, h["min_zoom"]))) >= 33_755 - 40
    assert len(set().union(*codes_per_tile(path, h["min_zoom"] + 1))) == 33_755
    # every zoom the tileset claims, the phone-width view of England (zoom 4) included
    for zoom in range(h["min_zoom"], h["max_zoom"]):
        assert len(set().union(*codes_per_tile(path, zoom))) == 33_755, zoom


def test_downloads_hold_every_area(england):
    import pandas as pd

    csv = pd.read_csv(
        england / "downloads" / "lantern-lsoa.csv", usecols=["area_code", "index_decile"]
    )
    assert len(csv) == 33_755 and csv["area_code"].is_unique
    assert set(csv["index_decile"].value_counts()) <= {3375, 3376}


def test_the_site_fits_in_100_mb_and_every_download_is_compressed_or_tabular(england):
    files = [p for p in england.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 100_000_000
    geo = england / "downloads" / "lantern-lsoa.geojson.zip"
    assert geo.exists() and geo.stat().st_size < 20_000_000


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_england_map_loads_offline_titled_for_england(england, browser, artifacts_dir, size):
    width, height = size
    with LocalServer(england) as server:
        context, page, guard, errors = open_page(browser, width=width, height=height)
        page.goto(f"{server.url}/index.html")
        wait_ready(page, timeout=180_000)
        page.screenshot(path=str(artifacts_dir / f"site-england-{width}.png"))
        assert page.evaluate("window.lantern.meta.geographies[0].count") == 33_755
        # titled for England: no county wording, no other place's name
        visible = page.evaluate("document.body.innerText")
        assert "Neighbourhoods (LSOAs) of England" in visible
        for d in page.evaluate("window.lantern.meta.districts"):
            visible = visible.replace(d["name"], "")  # County Durham is a place, not wording
        assert "Essex" not in visible and "county" not in visible.lower()
        assert "England's 33,755 neighbourhoods" in page.evaluate("window.lantern.meta.rankNote")
        labels = page.evaluate("window.lantern.labels()")
        assert len(labels) >= 10
        # an area: one England column, the panel within the screen
        page.fill("#search", "Hartlepool 001A")
        page.click("#search-results button >> nth=0")
        page.wait_for_selector("#panel table.indicators", state="attached")
        if page.is_visible("#sheet-toggle"):  # a phone: the sheet peeks; open it to read all
            page.click("#sheet-toggle")
        page.wait_for_selector("#panel table.indicators")
        heads = page.eval_on_selector_all(
            "#panel table.indicators thead th", "t => t.map(x => x.textContent)"
        )
        assert heads.count("England") == 1 and "County" not in heads
        panel = page.evaluate(
            "(() => { const p = document.querySelector('#panel');"
            " return [p.scrollWidth - p.clientWidth, document.documentElement.scrollWidth]; })()"
        )
        assert panel[0] <= 1 and panel[1] <= width
        assert "Essex" not in page.evaluate("document.body.innerText")
        page.screenshot(path=str(artifacts_dir / f"site-england-area-{width}.png"))
        context.close()
    assert guard.blocked == [] and errors == []


def test_england_method_page_and_data_package_name_no_other_place(england):
    """Titles and descriptions on the method page and in the data package are England's own:
    an index defined for Essex (its title leads with "Essex") is not presented as Essex's."""
    import json
    import re
    from html import unescape

    page = (england / "method.html").read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S)))
    text = " ".join(text.split())
    assert "Essex" not in text.replace("essex-covid", "")
    assert "33,755 neighbourhoods" in text and "of England" in text
    assert "unchanged but for its headings" in text  # the Markdown download is the note as built
    note = (england / "method-note.md").read_text(encoding="utf-8")
    assert "Essex COVID-19" in note
    # ranked among England's areas, and said so: no county where there is none
    assert "Reference population for ranks: England (all 33,755 LSOAs" in text
    assert "Reference population for ranks: **England (all 33,755 LSOAs" in note
    assert "county" not in re.search(r"Reference population for ranks:[^\n]*", note)[0].lower()
    assert not re.search(r"\bCounty\b", text.replace("County Durham", ""))
    package = json.loads((england / "downloads" / "datapackage.json").read_text(encoding="utf-8"))
    described = json.dumps(
        [package["title"], package["description"]]
        + [f.get("description", "") for f in package["resources"][0]["schema"]["fields"]]
    )
    assert "Essex" not in described
