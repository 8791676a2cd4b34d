"""Helpers for driving the published map in Chromium (test helper)."""

from __future__ import annotations

import re

from site_helpers import wait_idle


def to_float(text: str) -> float | None:
    text = text.strip().replace(",", "").rstrip("%")
    return None if text in ("no data", "–", "") else float(text)


def panel_values(page) -> dict[str, tuple[str, ...]]:
    """Rows of the panel's indicator table: indicator label → (this area, map average[,
    England]) texts."""
    rows = page.eval_on_selector_all(
        "#panel table.indicators tbody tr",
        "rows => rows.map(r => [...r.children].slice(0, -1).map(c => c.textContent))",
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def panel_domains(page) -> dict[str, tuple[int | None, int]]:
    """Rows of the panel's index-and-domains table: title → (decile, rank)."""
    rows = page.eval_on_selector_all(
        "#panel table.domains tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent))",
    )
    return {r[0]: (None if r[1] == "–" else int(r[1]), int(r[2].replace(",", ""))) for r in rows}


def click_area(page, lon: float, lat: float) -> None:
    """Click the map where (lon, lat) is drawn."""
    point = page.evaluate("([lon, lat]) => window.lantern.map.project([lon, lat])", [lon, lat])
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def pixel_at(page, lon: float, lat: float) -> tuple[int, int, int]:
    """The colour MapLibre drew at (lon, lat) once the map is idle, read from the WebGL canvas."""
    wait_idle(page)
    return pixel_now(page, lon, lat)


def pixel_now(page, lon: float, lat: float) -> tuple[int, int, int]:
    """The colour MapLibre draws at (lon, lat) now (the map may still be loading)."""
    return tuple(
        page.evaluate(
            """([lon, lat]) => {
                const map = window.lantern.map;
                const p = map.project([lon, lat]);
                const gl = map.painter.context.gl;
                const ratio = window.devicePixelRatio || 1;
                map.redraw();
                const px = new Uint8Array(4);
                gl.readPixels(Math.round(p.x * ratio), Math.round(gl.drawingBufferHeight - p.y * ratio), 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
                return [px[0], px[1], px[2]];
            }""",
            [lon, lat],
        )
    )


def hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def hash_params(page) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlparse

    return dict(parse_qsl(urlparse(page.url).fragment))


def text_number(pattern: str, text: str) -> int:
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in {text!r}"
    return int(m.group(1).replace(",", ""))
