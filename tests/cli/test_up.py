"""The README's first command: ``make up`` runs ``lantern up``, which writes an Essex project on
the bundled open data, ingests, builds, validates and publishes it, and serves the map. Run here
as a resident would, in an empty folder, as its own process, and read back over HTTP."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LANTERN = Path(sys.executable).parent / "lantern"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        assert response.status == 200, url
        return response.read()


def test_lantern_up_builds_essex_from_the_bundled_data_and_serves_the_map(tmp_path):
    port = _free_port()
    log = tmp_path / "up.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(LANTERN), "up", "--port", str(port)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "200"},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 300
            page = b""
            while time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()[-2000:]
                try:
                    page = _get(f"{base}/index.html")
                    break
                except OSError:
                    time.sleep(0.5)
            assert page, f"the map was not served within 300 s:\n{log.read_text()[-2000:]}"
            text = page.decode()
            assert (
                "<title>Lantern: COVID-19 risk and vulnerability by neighbourhood</title>" in text
            )
            meta = json.loads(
                text.split('id="lantern-meta" type="application/json">')[1].split("</script>")[0]
            )
            lsoa = next(g for g in meta["geographies"] if g["id"] == "lsoa")
            assert lsoa["count"] == 1111  # Essex, Southend-on-Sea and Thurrock, 2021 LSOAs
            # every file the page names is served, and the downloads hold every neighbourhood
            _get(f"{base}/method.html")
            _get(f"{base}/tiles/lsoa.pmtiles")
            package = json.loads(_get(f"{base}/downloads/datapackage.json"))
            assert package["resources"] and all(
                "licenses" in package or "licenses" in r for r in package["resources"]
            )
            rows = list(
                csv.DictReader(io.StringIO(_get(f"{base}/downloads/lantern-lsoa.csv").decode()))
            )
            assert len(rows) == 1111 and len({r["area_code"] for r in rows}) == 1111
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    written = log.read_text()
    assert "Traceback" not in written
    assert "index essex-covid built" in written and f"http://127.0.0.1:{port}/" in written
    settings = (tmp_path / "lantern.toml").read_text()
    assert "E10000012" in settings and "E06000033" in settings and "E06000034" in settings
