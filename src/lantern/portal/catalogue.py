"""Titles, units, kind and polarity of indicators the portal loads from files.

The warehouse carries ``indicator_meta`` for everything it ingests; a file loaded straight into
the portal (``lantern portal data indicators``) has only column names. For the indicators that
Lantern's own source loaders define (the English Indices of Deprivation 2019 and 2025, by the
same ids and titles as ``lantern.sources.iod``), the catalogue supplies what the warehouse
would; anything else falls back to what the loader is told, then to the id itself.
"""

from __future__ import annotations

from functools import cache

from lantern.sources.iod import DOMAINS, SUBDOMAINS


@cache
def known() -> dict[str, dict[str, str]]:
    """``{indicator_id: {title, unit, kind, polarity}}`` of the IoD indicators."""
    out: dict[str, dict[str, str]] = {}
    for prefix in ("iod2019", "iod2025"):
        for key, title, _stem, _col, _stem25, unit in DOMAINS:
            out[f"{prefix}.{key}_score"] = {
                "title": f"{title}: score",
                "unit": unit,
                "kind": "score",
                "polarity": "higher_worse",
            }
        names = [(k, t) for k, t, *_ in DOMAINS]
        if prefix == "iod2019":
            names += [(k, t) for k, t, _ in SUBDOMAINS]
        for key, title in names:
            out[f"{prefix}.{key}_rank"] = {
                "title": f"{title}: rank",
                "unit": "rank",
                "kind": "rank",
                "polarity": "higher_better",
            }
            out[f"{prefix}.{key}_decile"] = {
                "title": f"{title}: decile",
                "unit": "decile",
                "kind": "decile",
                "polarity": "higher_better",
            }
    return out


def describe(
    indicator_id: str, *, source: str, title: str | None = None, unit: str | None = None
) -> dict[str, str]:
    """An ``indicator_meta`` row: given title and unit first, then the catalogue, then the id."""
    found = known().get(indicator_id, {})
    return {
        "indicator_id": indicator_id,
        "title": title or found.get("title") or indicator_id,
        "unit": unit if unit is not None else found.get("unit", ""),
        "kind": found.get("kind", "score"),
        "polarity": found.get("polarity", "neutral"),
        "source": source,
    }
