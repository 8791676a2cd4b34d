"""`lantern fetch` against a local HTTP server: verified download, refused mismatch, nothing half-written."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading

import httpx
import pytest

from lantern.cli import main
from lantern.errors import IntegrityError
from lantern.pipeline.fetch import download, plan
from lantern.sources import CHECKSUMS, get_source

LONELY = "loneliness/cls_loneliness_modelled_lsoa21_essex.csv"


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / 'www'`` on 127.0.0.1 (a mirror in the data layout)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: ANN002
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def publish(root, shared_data, relative, *, tamper=False):
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(shared_data / relative, target)
    if tamper:
        target.write_bytes(target.read_bytes().replace(b"E01015814", b"E01015815", 1))


def test_verified_download_is_kept(server, tmp_path, shared_data):
    root, url = server
    publish(root, shared_data, LONELY)
    cache = tmp_path / "cache"
    assert main(["fetch", "cls_loneliness", "--mirror", url, "--cache", str(cache)]) == 0
    got = cache / LONELY
    assert hashlib.sha256(got.read_bytes()).hexdigest() == CHECKSUMS[LONELY]
    # a second run finds it cached and downloads nothing
    root.joinpath(LONELY).unlink()
    assert main(["fetch", "cls_loneliness", "--mirror", url, "--cache", str(cache)]) == 0


def test_checksum_mismatch_is_refused_and_nothing_is_written(server, tmp_path, shared_data, capsys):
    root, url = server
    publish(root, shared_data, LONELY, tamper=True)
    cache = tmp_path / "cache"
    code = main(["fetch", "cls_loneliness", "--mirror", url, "--cache", str(cache)])
    assert code == IntegrityError.exit_code
    assert "checksum mismatch" in capsys.readouterr().err
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_download_function_leaves_no_part_file(server, tmp_path, shared_data):
    root, url = server
    publish(root, shared_data, LONELY, tamper=True)
    dest = tmp_path / "out" / "file.csv"
    with httpx.Client() as client, pytest.raises(IntegrityError):
        download(f"{url}/{LONELY}", dest, sha256=CHECKSUMS[LONELY], client=client)
    assert list(dest.parent.iterdir()) == []


def test_missing_file_on_the_server_is_an_error(server, tmp_path):
    _, url = server
    assert main(["fetch", "cls_loneliness", "--mirror", url, "--cache", str(tmp_path / "c")]) != 0


def test_plan_pins_every_file():
    items = plan(mirror="http://mirror.example")
    assert all(item.sha256 for item in items)
    assert {item.path for item in items} >= {
        get_source("qof1920").path,
        *get_source("qof1920").extra_paths,
    }
    publisher = {i.path: i.url for i in plan()}
    assert publisher[get_source("qof1920").path].startswith("https://")
