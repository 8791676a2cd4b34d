"""Plain-language sentences for a profile page (pure)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from lantern.stats import judgement

PLURAL = {
    "lsoa": "neighbourhoods",
    "msoa": "MSOAs",
    "ward": "wards",
    "district": "districts",
    "set": "districts and this set",
}


def number(v: Any, unit: str = "") -> str:
    """A value for reading: 3 significant figures, thousands separators, unit where short."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    v = float(v)
    if v == 0:
        text = "0"
    elif abs(v) >= 100:
        text = f"{v:,.0f}"
    else:
        digits = max(0, 2 - int(math.floor(math.log10(abs(v)))))
        text = f"{v:,.{digits}f}"
    return text + ("%" if unit == "%" else "")


def index_sentence(name: str, area_type: str, county: str, idx: dict[str, Any], title: str) -> str:
    if not idx or idx.get("rank") is None:
        return f"{name} has no index result."
    text = (
        f"{name} ranks {idx['rank']:,} of {idx['of']:,} {PLURAL[area_type]} in {county} on the "
        f"{title} (1 = most vulnerable)"
        + (f", in decile {idx['decile']}." if idx.get("decile") else ".")
    )
    if idx.get("p05") is not None and idx.get("p95") is not None:
        text += (
            f" Re-running the index with other reasonable weights and choices, its rank lay between "
            f"{idx['p05']:,} and {idx['p95']:,} in 90% of runs"
        )
        if idx.get("stability") is not None:
            text += f", and it stayed in decile {idx['decile']} in {100 * idx['stability']:.0f}% of them"
        text += "."
    if idx.get("extent") is not None and area_type != "lsoa":
        text += (
            f" Its score is the population-weighted average of its neighbourhoods; "
            f"{100 * float(idx.get('proportion') or 0):.0f}% of its residents live in the county's "
            "most vulnerable 10% of neighbourhoods."
        )
    return text


def comparison_sentence(table: pd.DataFrame) -> str:
    """Which indicators point to significantly more or less vulnerability than England (95%
    intervals, read with each indicator's polarity)."""
    worse, better = [], []
    for row in table.itertuples():
        word = judgement(str(row.vs_england), str(row.polarity))
        if word == "worse":
            worse.append(str(row.title))
        elif word == "better":
            better.append(str(row.title))
    compared = int((table["vs_england"] != "").sum())
    if not compared:
        return "No indicator here has the counts needed to compare it with England."
    parts = [f"Of {compared} indicators compared with England (95% confidence intervals),"]
    parts.append(
        f"{len(worse)} point to significantly more vulnerability ({_list(worse)})"
        if worse
        else "none points to significantly more vulnerability"
    )
    parts.append(
        f"and {len(better)} to significantly less ({_list(better)})."
        if better
        else "and none to significantly less."
    )
    return " ".join(parts)


def cases_sentence(frame: pd.DataFrame) -> str:
    if frame is None or frame.empty:
        return ""
    last = frame.iloc[-1]
    week = str(last["period"]).replace("2020-W", "week ")
    if last["suppressed"] > 0:
        return (
            f"In the latest week ({week} of 2020) between {number(last['low'])} and "
            f"{number(last['high'])} cases per 100,000 residents were recorded (some counts of 0-2 "
            f"are suppressed); England: {number(last['england'])} to {number(last['england_max'])}."
        )
    lo, hi, e_lo, e_hi = last["lower95"], last["upper95"], last["england"], last["england_max"]
    where = "higher than" if lo > e_hi else "lower than" if hi < e_lo else "similar to"
    return (
        f"In the latest week ({week} of 2020) {int(last['cases']):,} cases were recorded: "
        f"{number(last['value'])} per 100,000 residents (95% CI {number(lo)} to {number(hi)}), "
        f"{where} England ({number(e_lo)} to {number(e_hi)})."
    )


def _list(items: list[str], limit: int = 4) -> str:
    shown = [i.split(":")[0].split(" (")[0].lower() for i in items[:limit]]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more
