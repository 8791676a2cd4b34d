"""The local server: HTTP Range for the tiles, pre-compressed text files, clear errors."""

from __future__ import annotations

import gzip

import pytest
from starlette.testclient import TestClient

from lantern.errors import ConfigError
from lantern.publish.server import create_app


@pytest.fixture
def site(tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>" + "x" * 2000)
    with gzip.open(tmp_path / "index.html.gz", "wt") as fh:
        fh.write((tmp_path / "index.html").read_text())
    (tmp_path / "tiles").mkdir()
    (tmp_path / "tiles" / "a.pmtiles").write_bytes(bytes(range(256)) * 4)
    return tmp_path


def test_range_requests_answer_206_with_the_bytes_asked_for(site):
    client = TestClient(create_app(site))
    r = client.get("/tiles/a.pmtiles", headers={"Range": "bytes=10-19"})
    assert r.status_code == 206
    assert r.content == bytes(range(10, 20))
    assert r.headers["content-range"] == "bytes 10-19/1024"


def test_gzip_copy_is_sent_when_accepted(site):
    client = TestClient(create_app(site))
    r = client.get("/index.html", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.startswith("<!doctype html>")  # httpx decodes it
    plain = client.get("/index.html", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_root_goes_to_the_map(site):
    r = TestClient(create_app(site)).get("/", follow_redirects=False)
    assert r.status_code in (302, 307) and r.headers["location"] == "/index.html"


def test_serving_an_unpublished_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="lantern publish"):
        create_app(tmp_path)


def test_json_without_a_gz_copy_is_compressed_on_the_fly(site):
    (site / "data").mkdir()
    payload = '{"codes": [' + ",".join(f'"E0{i}"' for i in range(500)) + "]}"
    (site / "data" / "d.json").write_text(payload)
    client = TestClient(create_app(site))
    r = client.get("/data/d.json", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and r.json()["codes"][499] == "E0499"
    assert int(r.headers["content-length"]) < len(payload) / 3
    plain = client.get("/data/d.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == payload
