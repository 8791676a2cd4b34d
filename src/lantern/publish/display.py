"""How each measure is shown to people (pure): its title with the unit written once, the decimals
its values need, and its map classes in words ("Most vulnerable 20%") with their ranges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Units that are already said by the title's own words, or are not units at all.
NOT_UNITS = {"", "score", "rank", "decile", "indicator", "index", "quintile", "percentile"}
WHOLE_UNITS = {"people", "persons", "households", "deaths", "cases", "rank", "decile", "count"}
WHOLE_KINDS = {"count", "rank", "decile"}


def title_with_unit(title: str, unit: str) -> str:
    """``title`` with its unit in brackets, unless the title already says it or it is no unit."""
    unit = (unit or "").strip()
    if unit.lower() in NOT_UNITS or _says_unit(title, unit):
        return title
    return f"{title} ({unit})"


def _says_unit(title: str, unit: str) -> bool:
    if unit == "%":
        return "%" in title or "per cent" in title.lower()
    low = title.lower()
    return f"({unit.lower()})" in low or f", {unit.lower()})" in low or f"({unit.lower()}," in low


def decimals_for(values: Sequence[float] | np.ndarray, unit: str = "", kind: str = "") -> int:
    """Decimal places that show a typical value of the measure to three significant figures.

    Whole-number measures (counts of people, ranks, deciles) get none; so does any measure whose
    values are all whole numbers. At most six.
    """
    arr = _floats(values)
    arr = arr[np.isfinite(arr)]
    if kind in WHOLE_KINDS or (unit or "").lower() in WHOLE_UNITS or arr.size == 0:
        return 0
    if np.all(arr == np.round(arr)):
        return 0
    nonzero = np.abs(arr[arr != 0])
    if nonzero.size == 0:
        return 0
    typical = float(np.median(nonzero))
    return int(min(6, max(0, 2 - math.floor(math.log10(typical)))))


def _floats(values: Sequence[float | None] | np.ndarray) -> np.ndarray:
    """``values`` as floats, None as NaN."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def rounded(values, decimals: int) -> list[float | int | None]:
    """Values rounded to the decimals the page shows them with (so the page never rounds
    twice); whole numbers when ``decimals`` is 0. Exactly Python's ``round`` (the nearest
    float to the correctly rounded decimal), done in NumPy for all but the values within a
    hair of a tie, which Python rounds."""
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    safe = np.where(finite, arr, 0.0)
    if decimals == 0:
        # rint rounds half to even on the exact value, as round() does
        if np.abs(safe).max(initial=0.0) >= 2.0**62:
            return [int(round(v)) if math.isfinite(v) else None for v in arr.tolist()]
        return with_none(np.rint(safe).astype(np.int64), finite)
    scale = 10.0**decimals
    scaled = safe * scale  # one rounding error, at most half an ulp of the product
    near_tie = np.abs(scaled - np.floor(scaled) - 0.5) <= np.abs(scaled) * 1e-12 + 1e-12
    slow = near_tie | (np.abs(scaled) >= 2.0**52) | (decimals > 22)
    # k / 10^d: the float nearest the decimal
    result: list[float | int | None] = with_none(np.rint(scaled) / scale, finite)
    for i in np.flatnonzero(slow & finite).tolist():
        result[i] = round(float(arr[i]), decimals)
    return result


def with_none(values: np.ndarray, keep: np.ndarray) -> list:
    """``values`` as a list of Python numbers, None where ``keep`` is false (the list built in
    NumPy: an object array's ``tolist`` rather than a comprehension over every value)."""
    if keep.all():
        return values.tolist()
    out = values.astype(object)
    out[~keep] = None
    return out.tolist()


def format_number(value: float | None, decimals: int) -> str:
    """``value`` with ``decimals`` places and thousands separators; "no data" when missing."""
    if value is None or not math.isfinite(value):
        return "no data"
    text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text


@dataclass(frozen=True)
class MapClass:
    """One colour class of the map, in the order a reader meets it (most vulnerable first)."""

    colour: str
    words: str  # "Most vulnerable 20%"
    share: float  # share of the areas with data, 0–1
    low: float | None  # smallest value in the class
    high: float | None  # largest value in the class
    rank_low: int | None = None  # best (smallest) rank in the class, for index and domains
    rank_high: int | None = None


def vulnerable_first(polarity: str) -> bool:
    """Whether the highest values come first (are the more vulnerable end) for this polarity."""
    return polarity != "higher_better"


def map_classes(
    values: Sequence[float | None],
    breaks: Sequence[float],
    colours: Sequence[str],
    *,
    polarity: str,
    vulnerability: bool,
    ranks: Sequence[float | None] | None = None,
) -> list[MapClass]:
    """The classes of a choropleth in words, most vulnerable (darkest) first.

    ``breaks`` are the upper bounds of the classes in ascending value order and ``colours`` their
    colours in the same order. ``vulnerability`` says the measure is itself a vulnerability scale
    (an index or a domain): its classes read "Most vulnerable 20%" … "Least vulnerable 20%";
    other measures read "Highest 20%" … "Lowest 20%" (or the reverse when lower is worse).
    Shares are of the areas with a value; ``ranks`` (index and domains) give each class's rank
    range.
    """
    vals = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    rks = None if ranks is None else np.asarray([np.nan if r is None else r for r in ranks], float)
    have = np.isfinite(vals)
    n = int(have.sum())
    if n == 0 or not breaks:
        return []
    cls = np.searchsorted(np.asarray(breaks, dtype=float), vals[have], side="left")
    cls = np.minimum(cls, len(breaks) - 1)
    order = list(range(len(breaks)))
    if vulnerable_first(polarity):
        order.reverse()
    out: list[MapClass] = []
    done = 0
    for position, k in enumerate(order):
        inside = cls == k
        count = int(inside.sum())
        lo_pct, hi_pct = _pct(done, n), _pct(done + count, n)
        done += count
        members = vals[have][inside]
        rank_lo = rank_hi = None
        if rks is not None:
            r = rks[have][inside]
            r = r[np.isfinite(r)]
            if r.size:
                rank_lo, rank_hi = int(r.min()), int(r.max())
        out.append(
            MapClass(
                colour=colours[k],
                words=_words(position, len(order), lo_pct, hi_pct, polarity, vulnerability),
                share=count / n,
                low=float(members.min()) if members.size else None,
                high=float(members.max()) if members.size else None,
                rank_low=rank_lo,
                rank_high=rank_hi,
            )
        )
    return out


def _pct(count: int, n: int) -> int:
    return int(round(100 * count / n))


def _words(position: int, total: int, lo: int, hi: int, polarity: str, vulnerability: bool) -> str:
    if total == 1:
        return "All areas"
    if vulnerability:
        first, last = "Most vulnerable", "Least vulnerable"
    elif polarity == "higher_better":
        first, last = "Lowest", "Highest"
    else:
        first, last = "Highest", "Lowest"
    size = hi - lo
    if position == 0:
        return f"{first} {_share_text(hi)}"
    if position == total - 1:
        return f"{last} {_share_text(100 - lo)}"
    if size <= 0:
        return f"Around {lo}%"
    return f"{lo}–{hi}%"


def _share_text(pct: int) -> str:
    return "<1%" if pct <= 0 else f"{pct}%"


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours."""
    la, lb = _luminance(a), _luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _luminance(colour: str) -> float:
    c = colour.lstrip("#")
    rgb = [int(c[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
