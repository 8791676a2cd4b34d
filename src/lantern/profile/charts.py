"""SVG charts for profile pages (pure: numbers in, markup out).

- ``spine``: Fingertips-style spine chart: England is the centre line; the grey bar spans the
  areas of the same type in the county (darker: the middle half); the dot is this area with its
  95% interval, filled by its comparison with England; the tick is the county value. Worse is
  always to the left (for indicators where lower is worse the axis is reversed).
- ``trend``: a line over periods with its 95% band and England's line; weeks whose value is only
  known within a range (suppressed counts) are drawn as a vertical bar spanning that range.
- ``inset``: the area filled dark among its district's neighbourhoods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any, TypeGuard

import numpy as np

FILL = {"worse": "#c2410c", "better": "#1d4ed8", "similar": "#f2c14e", "": "#ffffff"}
SPINE_W, SPINE_H = 150.0, 14.0


def _ok(v: object) -> TypeGuard[float]:
    """A finite number (not None, not NaN)."""
    return v is not None and isinstance(v, (int, float, np.floating)) and math.isfinite(float(v))


def spine(
    *,
    value: float | None,
    lower: float | None,
    upper: float | None,
    england: float | None,
    county: float | None,
    dist: Sequence[float] | None,
    polarity: str,
    judgement: str,
) -> str:
    """One spine chart row as an inline SVG (empty string when there is no England value)."""
    e = float(england) if _ok(england) else None
    if e is None or not _ok(value):
        return ""
    points = [float(v) for v in (value, lower, upper, county, *(dist or ())) if _ok(v)]
    half = max((abs(p - e) for p in points), default=0.0) or max(abs(e) * 0.1, 1e-9)
    flip = (
        polarity == "higher_better"
    )  # worse on the left: lower values left only if higher is better

    def x(v: float) -> float:
        t = (v - e) / (2 * half)
        return SPINE_W / 2 + (-t if not flip else t) * (SPINE_W - 12)

    parts = [
        f'<svg class="spine" viewBox="0 0 {SPINE_W:.0f} {SPINE_H:.0f}" width="{SPINE_W:.0f}" '
        f'height="{SPINE_H:.0f}" role="img" aria-label="spine chart">'
    ]
    if dist is not None and len(dist) == 5 and all(_ok(v) for v in dist):
        lo, q1, _med, q3, hi = (float(v) for v in dist)
        a, b = sorted((x(lo), x(hi)))
        parts.append(f'<rect x="{a:.1f}" y="5" width="{b - a:.1f}" height="6" fill="#e5e7eb"/>')
        a, b = sorted((x(q1), x(q3)))
        parts.append(
            f'<rect x="{a:.1f}" y="5" width="{max(b - a, 0.8):.1f}" height="6" fill="#9ca3af"/>'
        )
    parts.append(
        f'<line x1="{SPINE_W / 2}" x2="{SPINE_W / 2}" y1="0" y2="14" stroke="#111" stroke-width="1.2"/>'
    )
    if _ok(county):
        c = x(float(county))
        parts.append(
            f'<line x1="{c:.1f}" x2="{c:.1f}" y1="3" y2="13" stroke="#2563eb" stroke-width="1.6"/>'
        )
    if _ok(lower) and _ok(upper):
        a, b = sorted((x(float(lower)), x(float(upper))))
        parts.append(
            f'<line x1="{a:.1f}" x2="{b:.1f}" y1="8" y2="8" stroke="#111" stroke-width="1"/>'
        )
    v = x(float(value))
    fill = FILL.get(judgement, "#ffffff")
    parts.append(
        f'<circle cx="{v:.1f}" cy="8" r="3.6" fill="{fill}" stroke="#111" stroke-width="0.8"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def trend(
    periods: Sequence[str],
    value: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    england: Sequence[float] | None = None,
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    width: float = 330,
    height: float = 90,
    label: str = "",
) -> str:
    """A trend line with its 95% band, England's line and labelled first/last periods."""
    n = len(periods)
    if n == 0:
        return ""
    series = [np.asarray(s, dtype=float) for s in (value, lower, upper)]
    extra = [np.asarray(s, dtype=float) for s in (england, low, high) if s is not None]
    everything = np.concatenate([*series, *extra])
    top = float(np.nanmax(everything)) if np.isfinite(everything).any() else 1.0
    top = top * 1.08 or 1.0
    left, bottom, right, up = 34.0, height - 14, width - 4, 6.0

    def px(i: int) -> float:
        return left + (right - left) * (i / max(n - 1, 1))

    def py(v: float) -> float:
        return bottom - (bottom - up) * (v / top)

    out = [
        f'<svg class="trend" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="{escape(label)}">',
        f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#9ca3af"/>',
        f'<text x="{left - 3}" y="{py(top / 1.08) + 3:.1f}" text-anchor="end" class="axis">'
        f"{_short(top / 1.08)}</text>",
        f'<text x="{left - 3}" y="{bottom + 3:.1f}" text-anchor="end" class="axis">0</text>',
    ]
    val, lo, hi = series
    runs: list[list[tuple[float, float, float]]] = [[]]
    for i in range(n):
        if np.isfinite(lo[i]) and np.isfinite(hi[i]):
            runs[-1].append((px(i), py(lo[i]), py(hi[i])))
        elif runs[-1]:
            runs.append([])
    for band in runs:
        if len(band) < 2:
            continue
        pts = (
            " ".join(f"{x:.1f},{a:.1f}" for x, a, _ in band)
            + " "
            + " ".join(f"{x:.1f},{b:.1f}" for x, _, b in reversed(band))
        )
        out.append(f'<polygon points="{pts}" fill="#bfdbfe" opacity="0.8"/>')
    if low is not None and high is not None:
        lw, hg = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
        for i in range(n):
            if np.isfinite(lw[i]) and np.isfinite(hg[i]) and hg[i] > lw[i]:
                out.append(
                    f'<line x1="{px(i):.1f}" x2="{px(i):.1f}" y1="{py(lw[i]):.1f}" '
                    f'y2="{py(hg[i]):.1f}" stroke="#6b7280" stroke-width="2"/>'
                )
    if england is not None:
        out.append(
            _polyline(
                [(px(i), py(v)) for i, v in enumerate(np.asarray(england, dtype=float))],
                "#111",
                dash="3 2",
            )
        )
    out.append(_polyline([(px(i), py(v)) for i, v in enumerate(val)], "#1d4ed8", width=1.6))
    for i in range(n):
        if np.isfinite(val[i]) and n <= 8:
            out.append(f'<circle cx="{px(i):.1f}" cy="{py(val[i]):.1f}" r="2.2" fill="#1d4ed8"/>')
    out.append(f'<text x="{left}" y="{height - 2}" class="axis">{escape(periods[0])}</text>')
    out.append(
        f'<text x="{right}" y="{height - 2}" text-anchor="end" class="axis">{escape(periods[-1])}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def _polyline(
    points: list[tuple[float, float]], colour: str, *, width: float = 1.0, dash: str = ""
) -> str:
    """Line segments through consecutive finite points (gaps where a value is missing)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if math.isfinite(y):
            runs[-1].append((x, y))
        elif runs[-1]:
            runs.append([])
    style = f' stroke-dasharray="{dash}"' if dash else ""
    return "".join(
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" fill="none" '
        f'stroke="{colour}" stroke-width="{width}"{style}/>'
        for run in runs
        if len(run) > 1
    )


def _short(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:.1f}"


def inset(shape: Any, context: Sequence[Any], *, size: float = 125) -> str:
    """The area (dark) among its district's LSOAs (light), equirectangular at its latitude."""
    if shape is None:
        return ""
    geoms = [g for g in context if g is not None] or [shape]
    xs0, ys0, xs1, ys1 = zip(*(g.bounds for g in [*geoms, shape]), strict=True)
    minx, miny, maxx, maxy = min(xs0), min(ys0), max(xs1), max(ys1)
    k = math.cos(math.radians((miny + maxy) / 2))
    w, h = (maxx - minx) * k, maxy - miny
    scale = (size - 4) / max(w, h, 1e-9)

    def path(g: Any) -> str:
        polys = getattr(g, "geoms", [g])
        d = []
        for p in polys:
            for ring in [p.exterior, *p.interiors]:
                coords = np.asarray(ring.coords)
                xs = 2 + (coords[:, 0] - minx) * k * scale
                ys = 2 + (maxy - coords[:, 1]) * scale
                d.append(
                    "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True)) + "Z"
                )
        return "".join(d)

    out = [
        f'<svg class="inset" viewBox="0 0 {w * scale + 4:.0f} {h * scale + 4:.0f}" '
        f'width="{w * scale + 4:.0f}" height="{h * scale + 4:.0f}" role="img" aria-label="map">'
    ]
    out += [
        f'<path d="{path(g)}" fill="#f3f4f6" stroke="#9ca3af" stroke-width="0.4"/>' for g in geoms
    ]
    out.append(f'<path d="{path(shape)}" fill="#1e3a8a" stroke="#111" stroke-width="0.8"/>')
    out.append("</svg>")
    return "".join(out)
