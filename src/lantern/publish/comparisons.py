"""What the open site adds for analysts: 95% intervals and comparisons for every indicator with
counts, and the weekly cases series, read from the warehouse for the site's LSOAs and MSOAs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lantern.benchmarks import SCALES
from lantern.profile.compare import period_table
from lantern.publish.sitedata import Measure
from lantern.publish.weekly import site_cases
from lantern.warehouse import Warehouse

SUFFIXES = ("lower95", "upper95", "vs_county", "vs_england")


def interval_columns(
    wh: Warehouse,
    measures: Sequence[Measure],
    codes: pd.Index,
    vintage: str,
    area_codes: Sequence[str] | None,
    *,
    periods: dict[str, str] | None = None,
    yearly: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, dict[str, float | None]]]:
    """LSOA × ``<id>_lower95``, ``<id>_upper95``, ``<id>_vs_county``, ``<id>_vs_england`` for
    every indicator measure that is a rate with counts (others get no columns), in the period
    ``periods`` names for it (default: its latest); and for each such indicator the county's and
    England's value of that period. ``yearly``: the site's year-by-year table
    (``lantern.publish.trends.trend_table`` of the same LSOAs), whose rows are reused."""
    ids = [
        m.id for m in measures if m.group == "indicator" and m.kind == "rate" and m.unit in SCALES
    ]
    if not ids or not len(codes):
        return pd.DataFrame(index=codes), {}
    held = wh.periods(ids)
    held_pairs = set(zip(held["indicator_id"], held["period"], strict=True))
    wanted = {i: p for i, p in (periods or {}).items() if i in ids and (i, p) in held_pairs}
    shown = {i: wanted.get(i) or _latest(held, i) for i in ids}
    # an indicator's shown period already in the year-by-year table is taken from it (the same
    # rows: both are ``period_table``'s); the rest are moved and counted once, here
    known = _rows_of(yearly, shown)
    rest = [i for i in ids if i not in known]
    computed = pd.DataFrame()
    if rest:
        computed = period_table(
            wh,
            rest,
            vintage=int(vintage),
            codes=list(codes),
            county=list(area_codes or []),
            only={i: wanted.get(i) for i in rest},
        )
    done = dict(iter(computed.groupby("indicator_id", sort=False))) if len(computed) else {}
    parts = [known[i] if i in known else done[i] for i in ids if i in known or i in done]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SUFFIXES)
    columns: dict[str, Any] = {}
    bench: dict[str, dict[str, float | None]] = {}
    for indicator_id, part in table.groupby("indicator_id", sort=False):
        if part["lower95"].isna().all():
            continue
        first = part.iloc[0]
        bench[str(indicator_id)] = {
            k: None if pd.isna(first[k]) else float(first[k]) for k in ("county", "england")
        }
        part = part.set_index("area_code").reindex(codes)
        for suffix in SUFFIXES:
            columns[f"{indicator_id}_{suffix}"] = part[suffix].to_numpy()
    return pd.DataFrame(columns, index=codes), bench


def _latest(held: pd.DataFrame, indicator_id: str) -> str | None:
    """The indicator's latest period held (``period_table``'s pick when none is named)."""
    mine = held.loc[held["indicator_id"] == indicator_id, "period"]
    return str(mine.iloc[-1]) if len(mine) else None


def _rows_of(yearly: pd.DataFrame | None, shown: dict[str, str | None]) -> dict[str, pd.DataFrame]:
    """Per indicator whose shown period the year-by-year table holds: its rows of that period."""
    if yearly is None or yearly.empty:
        return {}
    out = {}
    for indicator_id, part in yearly.groupby("indicator_id", sort=False):
        when = shown.get(str(indicator_id))
        if when is not None:
            rows = part[part["period"].astype(str) == when]
            if len(rows):
                out[str(indicator_id)] = rows
    return out


def weekly_cases(
    wh: Warehouse, summaries: dict[str, pd.DataFrame], areas: pd.DataFrame, vintage: str
) -> dict[str, Any] | None:
    """The week slider's data for the MSOA geography (codes in the site's MSOA order)."""
    frame = summaries.get("msoa")
    if frame is None:
        codes = sorted({c for c in areas["msoa_code"] if c})
        frame = pd.DataFrame(index=pd.Index(codes))
    payload = site_cases(wh, frame, "msoa", int(vintage))
    if payload is not None:
        payload["codes"] = [str(c) for c in frame.index]
    return payload
