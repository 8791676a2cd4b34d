"""Profile pages as one HTML document (one A4 page per area), ready to print."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lantern import __version__
from lantern.profile import charts, text
from lantern.profile.collect import LABEL, Profile
from lantern.stats import judgement

HERE = Path(__file__).resolve().parent
WEEKS_TITLE = "COVID-19 cases per 100,000, weekly (2020)"


def _fmt_int(v: Any) -> str:
    return "–" if v is None else f"{int(v):,}"


def short_title(title: str) -> str:
    """``Diabetes mellitus (17+): recorded prevalence (QOF 2019/20, %)`` → ``Diabetes mellitus
    (17+)``: the unit and period have their own columns."""
    head = title.split(": ")[0] if ": " in title else title
    if head.endswith(")") and ("%" in head[head.rfind("(") :] or "QOF" in head[head.rfind("(") :]):
        head = head[: head.rfind("(")].rstrip()
    return head


def _row(r: Any, dist: dict[str, list[float]]) -> dict[str, Any]:
    unit = str(r.unit)
    word = judgement(str(r.vs_england), str(r.polarity))
    count = "" if pd.isna(r.numerator) else f"{r.numerator:,.0f}"
    return {
        "title": short_title(str(r.title)),
        "quality": str(getattr(r, "quality", "") or ""),
        "period": str(r.period or "")[:7],
        "count": count,
        "value": text.number(r.value, unit),
        "ci": "" if pd.isna(r.lower95) else f"{text.number(r.lower95)}–{text.number(r.upper95)}",
        "county": text.number(r.county, unit),
        "england": text.number(r.england, unit),
        "word": str(r.vs_england),
        "judgement": word,
        "spine": charts.spine(
            value=r.value,
            lower=r.lower95,
            upper=r.upper95,
            england=r.england,
            county=r.county,
            dist=dist.get(str(r.indicator_id)),
            polarity=str(r.polarity),
            judgement=word,
        ),
    }


def page(p: Profile) -> dict[str, Any]:
    """The template's view of one profile."""
    idx = p.index or {}
    domains = []
    for d in p.domains:
        rows = p.indicators[p.indicators["domain"] == d["id"]]
        domains.append(
            {
                "title": d["title"],
                "score": text.number(d["score"]),
                "rank": _fmt_int(d["rank"]),
                "of": _fmt_int(d["of"]),
                "decile": d["decile"] or "–",
                "rows": [_row(r, p.dist) for r in rows.itertuples()],
            }
        )
    trends = []
    if p.cases is not None and len(p.cases):
        c = p.cases
        trends.append(
            {
                "title": WEEKS_TITLE,
                "svg": charts.trend(
                    list(c["period"].str.replace("2020-", "")),
                    c["value"],
                    c["lower95"].where(c["suppressed"] == 0),
                    c["upper95"].where(c["suppressed"] == 0),
                    england=c["england"],
                    low=c["low"].where(c["suppressed"] > 0),
                    high=c["high"].where(c["suppressed"] > 0),
                    label=WEEKS_TITLE,
                    height=72,
                ),
                "note": p.cases_note
                + " Blue: this area with its 95% band; dashed: England; grey bars: weeks with a "
                "suppressed count (0-2), the range the rate lies in.",
            }
        )
    titles = dict(zip(p.indicators["indicator_id"], p.indicators["title"], strict=False))
    for indicator_id, t in p.trends.items():
        t = t.sort_values("period")
        trends.append(
            {
                "title": titles.get(indicator_id, indicator_id),
                "svg": charts.trend(
                    list(t["period"]),
                    t["value"],
                    t["lower95"],
                    t["upper95"],
                    england=t["england"],
                    label=str(titles.get(indicator_id, indicator_id)),
                    height=72,
                ),
                "note": "Blue: this area with its 95% band; dashed: England.",
            }
        )
    stability = idx.get("stability")
    return {
        "code": p.code,
        "name": p.name,
        "label": LABEL[p.area_type],
        "parents": p.parents,
        "index_title": p.index_title,
        "inset": charts.inset(p.shape, p.context or []),
        "score": text.number(idx.get("score")),
        "rank": f"{_fmt_int(idx.get('rank'))} of {_fmt_int(idx.get('of'))}",
        "decile": idx.get("decile") or "–",
        "interval": "–"
        if idx.get("p05") is None
        else f"{_fmt_int(idx['p05'])}–{_fmt_int(idx['p95'])}",
        "stability": "–" if stability is None else f"{100 * stability:.0f}%",
        "index_text": text.index_sentence(p.name, p.area_type, p.county_name, idx, p.index_title),
        "compare_text": text.comparison_sentence(p.indicators),
        "cases_text": text.cases_sentence(p.cases),
        "domains": domains,
        "trends": trends,
        "county": p.county_name,
        "county_label": "County area",
        "plural": text.PLURAL[p.area_type],
        "flagged": bool("quality" in p.indicators and (p.indicators["quality"] != "").any()),
    }


def render(profiles: list[Profile], *, title: str, sources: str = "") -> str:
    env = Environment(loader=FileSystemLoader(str(HERE)), autoescape=select_autoescape(["html"]))
    boundary = (
        "LSOA/MSOA 2021 boundaries, wards May 2024"
        if profiles and profiles[0].vintage == 2021
        else "LSOA/MSOA 2011 boundaries"
    )
    return env.get_template("template.html").render(
        title=title,
        pages=[page(p) for p in profiles],
        boundary=boundary,
        sources=sources,
        built=datetime.now(UTC).strftime("%Y-%m-%d"),
        version=__version__,
        np=np,
    )
