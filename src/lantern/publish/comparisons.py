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
) -> tuple[pd.DataFrame, dict[str, dict[str, float | None]]]:
    """LSOA × ``<id>_lower95``, ``<id>_upper95``, ``<id>_vs_county``, ``<id>_vs_england`` for
    every indicator measure that is a rate with counts (others get no columns), in the period
    ``periods`` names for it (default: its latest); and for each such indicator the county's and
    England's value of that period."""
    ids = [
        m.id for m in measures if m.group == "indicator" and m.kind == "rate" and m.unit in SCALES
    ]
    if not ids or not len(codes):
        return pd.DataFrame(index=codes), {}
    held = wh.periods(ids)
    held_pairs = set(zip(held["indicator_id"], held["period"], strict=True))
    wanted = {i: p for i, p in (periods or {}).items() if i in ids and (i, p) in held_pairs}
    # the period shown (the one named, else the latest), every indicator moved and counted once
    table = period_table(
        wh,
        ids,
        vintage=int(vintage),
        codes=list(codes),
        county=list(area_codes or []),
        only={i: wanted.get(i) for i in ids},
    )
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
