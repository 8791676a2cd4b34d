"""The published Essex folder: complete geometry, downloads that match the warehouse, metadata."""

from __future__ import annotations

import json
import zipfile
from html import unescape

import duckdb
import geopandas as gpd
import pandas as pd
import pytest
from tiles_decode import codes_per_tile, header, index_pairs

from lantern.errors import ConfigError
from lantern.publish.reader import read_site_data
from lantern.publish.sitejson import read as read_data


def test_every_lsoa_is_in_the_tiles_exactly_once_at_the_highest_zoom(essex_site, essex_data):
    path = essex_site / "tiles" / "lsoa.pmtiles"
    maxzoom = header(path)["max_zoom"]
    tiles = codes_per_tile(path, maxzoom)
    assert tiles, "no tiles at the highest zoom"
    assert all(max(c.values()) == 1 for c in tiles), "an area appears twice in one tile"
    found = set().union(*tiles)
    assert found == set(essex_data.areas.index)
    # and at the lowest zoom, where tiny areas are most at risk of being dropped
    assert set().union(*codes_per_tile(path, header(path)["min_zoom"])) == found


def test_feature_positions_match_the_area_list(essex_site):
    areas = read_data(essex_site / "data/areas/lsoa.json.gz")
    path = essex_site / "tiles" / "lsoa.pmtiles"
    pairs = index_pairs(path, header(path)["max_zoom"])
    assert all(areas["codes"][i] == code for i, code in pairs)


def test_the_first_view_s_inlined_classes_are_the_default_measure_s(essex_site):
    """``meta.firstClasses`` (one character per area, in the area list's order) says exactly what
    the default measure's value file says, so the first view and a later repaint agree."""
    import re

    html = (essex_site / "index.html").read_text(encoding="utf-8")
    meta = json.loads(re.search(r'id="lantern-meta"[^>]*>(.*?)</script>', html, re.S)[1])
    values = read_data(essex_site / f"data/values/lsoa/{meta['defaultMeasure']}.json.gz")
    areas = read_data(essex_site / "data/areas/lsoa.json.gz")
    inline = meta["firstClasses"]
    assert len(inline) == len(areas["codes"]) == len(values["c"])
    assert [-1 if ch == "-" else int(ch) for ch in inline] == values["c"]


def test_higher_geographies_are_complete(essex_site, essex_data):
    for level, column in (
        ("district", "district_code"),
        ("msoa", "msoa_code"),
        ("ward", "ward_code"),
    ):
        path = essex_site / "tiles" / f"{level}.pmtiles"
        found = set().union(*codes_per_tile(path, header(path)["max_zoom"]))
        assert found == set(essex_data.areas[column]), level


def test_csv_holds_the_warehouse_values_for_every_area(essex_site, essex_warehouse):
    csv = pd.read_csv(essex_site / "downloads/lantern-lsoa.csv").set_index("area_code")
    con = duckdb.connect(str(essex_warehouse), read_only=True)
    wh = con.execute(
        "select area_code, value from indicators where indicator_id = 'census2021.aged_65_plus_pct'"
        " and vintage = 2021"
    ).df()
    scores = con.execute(
        "select area_code, score, rank, decile from index_scores where component = 'index'"
        " and reference = (select reference from index_runs limit 1)"
    ).df()
    con.close()
    assert len(csv) == 1111 and csv.index.is_unique
    wh = wh.set_index("area_code")["value"]
    assert (csv["census2021.aged_65_plus_pct"] - wh.reindex(csv.index)).abs().max() < 1e-8
    scores = scores.set_index("area_code").reindex(csv.index)
    assert (csv["index_rank"] == scores["rank"]).all() and (
        csv["index_decile"] == scores["decile"]
    ).all()
    assert (csv["index_score"] - scores["score"]).abs().max() < 1e-8
    assert csv["district_code"].str.match(r"^E0[67]\d{6}$").all()


def test_parquet_and_geojson_match_the_csv(essex_site, essex_data):
    csv = pd.read_csv(essex_site / "downloads/lantern-lsoa.csv")
    pq = pd.read_parquet(essex_site / "downloads/lantern-lsoa.parquet")
    assert list(pq.columns) == list(csv.columns)
    pd.testing.assert_series_equal(
        pq["index_score"].astype(float), csv["index_score"], check_names=False
    )
    archive = essex_site / "downloads/lantern-lsoa.geojson.zip"
    with zipfile.ZipFile(archive) as z:
        assert z.namelist() == ["lantern-lsoa.geojson"]
    gj = gpd.read_file(f"/vsizip/{archive}/lantern-lsoa.geojson")
    assert sorted(gj["area_code"]) == sorted(csv["area_code"])
    # codes, names and index results only: no indicator (so no count), and the release gate
    # reads it like every other download: the manifest declares it a table, exempting nothing
    indicators = {m.id for m in essex_data.measures if m.group == "indicator"}
    assert set(gj.columns.drop("geometry")) < set(csv.columns)
    assert not indicators & set(gj.columns), "an indicator column in the boundaries file"
    manifest = json.loads((essex_site / "downloads/disclosure-policy.json").read_text())
    assert "exempt" not in manifest
    assert "lantern-lsoa.geojson.zip" in [t["path"] for t in manifest["tables"]]
    assert gj.geometry.is_valid.mean() > 0.99 and gj.crs.to_epsg() == 4326


def test_datapackage_describes_every_column_with_units_sources_and_licence(essex_site):
    pkg = json.loads((essex_site / "downloads/datapackage.json").read_text())
    assert pkg["licenses"][0]["name"] == "OGL-UK-3.0"
    assert pkg["sources"] and all(s["licence"] for s in pkg["sources"])
    csv_res = next(r for r in pkg["resources"] if r["format"] == "csv")
    header_row = (essex_site / "downloads" / csv_res["path"]).read_text().splitlines()[0].split(",")
    assert [f["name"] for f in csv_res["schema"]["fields"]] == header_row
    ind = next(f for f in csv_res["schema"]["fields"] if f["name"] == "census2021.aged_65_plus_pct")
    assert (
        ind["unit"] == "%"
        and "Census 2021" in ind["source"]
        and "Open Government" in ind["licence"]
    )
    import hashlib

    for res in pkg["resources"]:
        data = (essex_site / "downloads" / res["path"]).read_bytes()
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_pages_name_the_licence_and_every_source_and_load_nothing_from_outside(
    essex_site, essex_data
):
    html = (essex_site / "index.html").read_text()
    method = (essex_site / "method.html").read_text()
    for text in (html, method):
        assert "Open Government Licence v3.0" in text
        for s in essex_data.sources:
            assert s.dataset in unescape(text)
        assert "http://" not in text.replace("http://www.w3.org", "")
        for tag in ('<script src="http', '<link rel="stylesheet" href="http', "@import url(http"):
            assert tag not in text
    css = (essex_site / "assets/lantern.css").read_text()
    assert "url(http" not in css and "@font-face" not in css
    assert "December 2021" in html  # the boundary vintage is stated


def test_an_incomplete_warehouse_names_what_is_missing(tmp_path):
    wh = tmp_path / "empty.duckdb"
    duckdb.connect(str(wh)).execute("create table areas (area_code varchar)").close()
    with pytest.raises(ConfigError) as err:
        read_site_data(wh)
    for table in ("area_links", "indicators", "geometries"):
        assert table in str(err.value)
    with pytest.raises(ConfigError, match="warehouse not found"):
        read_site_data(tmp_path / "nope.duckdb")


def test_datapackage_is_a_valid_frictionless_package(essex_site):
    """Validated by the ``frictionless`` package itself: descriptor, every file's bytes and
    hash, and the CSV's rows against its table schema (types, primary key)."""
    from frictionless import validate

    report = validate(essex_site / "downloads" / "datapackage.json")
    problems = [e.message for e in report.errors] + [
        f"{t.name}: {e.message}" for t in report.tasks for e in t.errors
    ]
    assert report.valid, problems[:5]
    pkg = json.loads((essex_site / "downloads/datapackage.json").read_text())
    by_name = {r["name"]: r for r in pkg["resources"]}
    assert by_name["lantern-lsoa"]["profile"] == "tabular-data-resource"
    geo = by_name["lantern-lsoa-boundaries"]
    assert geo["compression"] == "zip" and geo["geometry"]["crs"] == "EPSG:4326"
    assert set(geo["geometry"]["types"]) <= {"Polygon", "MultiPolygon"}


def test_the_parquet_file_holds_the_schema_s_fields_and_types(essex_site):
    from frictionless import Resource, Schema

    pkg = json.loads((essex_site / "downloads/datapackage.json").read_text())
    schema = Schema.from_descriptor(pkg["resources"][0]["schema"])
    pq = pd.read_parquet(essex_site / "downloads/lantern-lsoa.parquet")
    assert list(pq.columns) == schema.field_names
    for field in schema.fields:
        kind = str(pq[field.name].dtype)
        expected = {
            "string": ("object", "string"),
            "integer": ("Int64", "int64"),
            "number": ("float64", "Float64"),
        }
        assert kind in expected[field.type], (field.name, kind, field.type)
    # and frictionless reads the Parquet file as that table
    report = Resource(
        path="lantern-lsoa.parquet", basepath=str(essex_site / "downloads"), schema=schema
    ).validate()
    assert report.valid, [e.message for t in report.tasks for e in t.errors][:5]


def test_every_documented_column_holds_data_and_every_column_is_documented(essex_site):
    pkg = json.loads((essex_site / "downloads/datapackage.json").read_text())
    fields = pkg["resources"][0]["schema"]["fields"]
    csv = pd.read_csv(essex_site / "downloads/lantern-lsoa.csv", dtype=str, keep_default_na=False)
    assert [f["name"] for f in fields] == list(csv.columns)
    empty = [c for c in csv.columns if (csv[c] == "").all()]
    assert empty == []
    for f in fields:
        assert f.get("title") and f.get("type") in ("string", "integer", "number"), f["name"]
        if f["type"] != "string":
            assert "unit" in f and f.get("description"), f["name"]
