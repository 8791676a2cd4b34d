"""Print profile HTML to PDF with Chromium (Playwright, Debian's /usr/bin/chromium)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lantern.errors import ConfigError

CHROMIUM = os.environ.get("LANTERN_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def browser() -> Iterator[Any]:
    """One headless Chromium for many documents."""
    if not Path(CHROMIUM).exists():
        raise ConfigError(
            "Cannot print profiles",
            [
                f"Chromium not found at {CHROMIUM}; install it (`make system-deps`) or set LANTERN_CHROMIUM"
            ],
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def print_pdf(html: str, out: Path, *, chromium: Any | None = None) -> Path:
    """Write ``html`` as an A4 PDF to ``out`` atomically (temporary file, then rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".pdf", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if chromium is None and _loop_running():
            # Playwright's sync API cannot start inside a running event loop (e.g. another sync
            # Playwright session in this thread): print from a thread of our own.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(_print_alone, html, tmp).result()
        elif chromium is None:
            _print_alone(html, tmp)
        else:
            _print(chromium, html, tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


# A4 less the @page margins (9 mm top and bottom, 10 mm each side) in CSS pixels.
PAGE_HEIGHT_PX = (297 - 18) / 25.4 * 96
PAGE_WIDTH_PX = (210 - 20) / 25.4 * 96
FIT = """(height) => {
  const out = [];
  for (const page of document.querySelectorAll('.page')) {
    const h = page.scrollHeight;
    if (h > height) page.style.zoom = String(Math.floor(1000 * height / h) / 1000);
    out.push(h);
  }
  return out;
}"""


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _print_alone(html: str, path: Path) -> None:
    with browser() as b:
        _print(b, html, path)


def _print(chromium: Any, html: str, path: Path) -> None:
    page = chromium.new_page(viewport={"width": int(PAGE_WIDTH_PX), "height": int(PAGE_HEIGHT_PX)})
    try:
        page.set_content(html, wait_until="load")
        page.emulate_media(media="print")
        page.evaluate(FIT, PAGE_HEIGHT_PX - 4)  # shrink a page that would spill onto a second
        page.pdf(path=str(path), format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        page.close()
