"""Helpers for the open-site tests and the map benchmark: a local server and a guarded Chromium page."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """``lantern serve``'s app in a background thread."""

    def __init__(self, site: Path) -> None:
        import uvicorn

        from lantern.publish.server import create_app

        self.port = free_port()
        config = uvicorn.Config(
            create_app(site), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class OffsiteGuard:
    """Aborts every request to a host other than 127.0.0.1 and remembers it."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


def open_page(browser, *, width: int = 1280, height: int = 900, accept_downloads: bool = False):
    """A new context and page with the guard installed; returns (context, page, guard, errors)."""
    guard = OffsiteGuard()
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=accept_downloads
    )
    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, guard, errors


def wait_ready(pg, timeout: float = 60_000) -> None:
    """Wait for the first fully drawn, coloured map."""
    pg.wait_for_selector("body[data-ready=true]", timeout=timeout)


def wait_idle(pg) -> None:
    """Wait until MapLibre has drawn everything it has asked for."""
    pg.wait_for_function(
        "window.lantern && window.lantern.map.loaded() && window.lantern.map.areTilesLoaded()"
    )
    pg.evaluate(
        "new Promise(r => { const m = window.lantern.map; m.once('idle', r); m.triggerRepaint(); })"
    )
