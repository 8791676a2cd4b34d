"""Render the page templates (built from ``web/`` into ``assets/``) for a site."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from lantern import __version__
from lantern.publish.place import join_names, strip_place
from lantern.publish.sitedata import SiteData

POLARITY_TEXT = {"higher_worse": "worse", "higher_better": "better", "neutral": "neither"}


def _env(assets: Path) -> Environment:
    return Environment(loader=FileSystemLoader(str(assets)), autoescape=select_autoescape(["html"]))


def place_name(data: SiteData) -> str:
    """What the build covers ("England", "Essex, Southend-on-Sea and Thurrock")."""
    if data.place:
        return data.place
    districts = sorted({d for d in data.areas["district_name"] if d})
    return join_names(districts)


def render_index(data: SiteData, assets: Path, meta: dict, downloads: list[dict]) -> str:
    # "</" must not end the inline JSON early.
    meta_json = json.dumps(meta, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    return (
        _env(assets)
        .get_template("index.html")
        .render(
            title=data.title,
            place=place_name(data),
            boundary_note=data.boundary_note,
            meta_json=meta_json,
            downloads=downloads,
            sources=data.sources,
            has_postcodes=meta["hasPostcodes"],
            built_at=datetime.now(UTC).strftime("%Y-%m-%d"),
            version=__version__,
        )
    )


def note_html(note: str) -> str:
    """The method note (Markdown, tables included) as HTML; raw HTML in it is not passed through."""
    from markdown_it import MarkdownIt

    text = note.replace("<!-- validation -->", "").replace("<!-- /validation -->", "")
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    for level in (4, 3, 2, 1):  # under the page's own h2 "How the index is built"
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return html


def render_method(data: SiteData, assets: Path, components: list[dict], note: str = "") -> str:
    sources = {s.source_id: s for s in data.sources}
    indicators = [
        {
            "id": m.id,
            "title": m.title,
            "unit": m.unit,
            "period": m.period,
            "polarity_text": POLARITY_TEXT.get(m.polarity, m.polarity),
            "source": f"{sources[m.source_id].publisher}: {sources[m.source_id].dataset}"
            if m.source_id in sources
            else "",
        }
        for m in data.measures
        if m.group == "indicator"
    ]
    place = place_name(data)

    def own(title: str) -> str:  # no other place's name leading a title ("Essex … index")
        return strip_place(title, data.other_places, keep=data.place_names)

    components = [{**c, "title": own(c["title"])} for c in components]
    lines = note.splitlines()
    for k, line in enumerate(lines):
        heading = line.lstrip("#").strip()
        if line.startswith("#") and own(heading) != heading:
            lines[k] = line[: len(line) - len(line.lstrip("#"))] + " " + own(heading)
    retitled = "\n".join(lines) if lines != note.splitlines() else note
    reference = (
        "within England"
        if data.national_reference or place == "England"
        else f"among the neighbourhoods of {place}"
    )
    return (
        _env(assets)
        .get_template("method.html")
        .render(
            title=data.title,
            index_title=own(data.index_title),
            n_areas=f"{len(data.areas):,}",
            place=place,
            boundary_note=data.boundary_note,
            reference_text=reference,
            components=components,
            indicators=indicators,
            sources=data.sources,
            note_html=Markup(note_html(retitled)) if note else "",
            retitled=retitled is not note,
        )
    )
