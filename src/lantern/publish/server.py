"""A local web server for a published site: static files with HTTP Range (206) for the tiles,
and the pre-compressed ``.gz`` copy of a file when the browser accepts gzip (JSON without one is
compressed on the fly); the data files, stored only compressed (``.json.gz``), are sent as
they are for the page to inflate."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from lantern.errors import ConfigError

ON_THE_FLY_MAX = 4_000_000  # bytes: JSON files up to this size are compressed per request


class SiteFiles(StaticFiles):
    """StaticFiles that serves ``name.gz`` with ``Content-Encoding: gzip`` when it exists and the
    request accepts gzip and asks for no byte range; a JSON file without one is compressed on
    the fly."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        if "gzip" in headers.get("accept-encoding", "") and "range" not in headers:
            full, stat = self.lookup_path(path + ".gz") if path and path != "." else ("", None)
            if stat is not None and full:
                response = self.file_response(full, stat, scope)
                response.headers["content-encoding"] = "gzip"
                response.headers["vary"] = "Accept-Encoding"
                media = _media_type(path)
                if media:
                    response.headers["content-type"] = media
                return response
            plain, stat = self.lookup_path(path) if path.endswith(".json") else ("", None)
            if stat is not None and plain and stat.st_size <= ON_THE_FLY_MAX:
                body = gzip.compress(Path(plain).read_bytes(), compresslevel=6)
                return Response(
                    body,
                    media_type="application/json",
                    headers={
                        "content-encoding": "gzip",
                        "vary": "Accept-Encoding",
                        "cache-control": "no-cache",
                    },
                )
        response = await super().get_response(path, scope)
        if path.endswith(".gz") and response.status_code in (200, 206):
            # a data file stored compressed (the page inflates it), not a JSON body to decode
            response.headers["content-type"] = "application/gzip"
        response.headers.setdefault("cache-control", "no-cache")
        return response


def _media_type(path: str) -> str | None:
    ext = os.path.splitext(path)[1]
    return {
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".json": "application/json",
        ".geojson": "application/geo+json",
        ".csv": "text/csv; charset=utf-8",
    }.get(ext)


def create_app(site_dir: Path) -> Starlette:
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").exists():
        raise ConfigError(
            "Cannot serve", [f"{site_dir} holds no published site; run `lantern publish` first"]
        )

    async def root(request):
        return RedirectResponse("/index.html")

    return Starlette(
        routes=[Route("/", root), Mount("/", app=SiteFiles(directory=str(site_dir), html=True))]
    )


def serve(site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(create_app(site_dir), host=host, port=port, log_level="warning")
