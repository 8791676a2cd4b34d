"""``profile``: the use case behind ``lantern profile AREA --out FILE.pdf``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lantern.pipeline.progress import Progress, or_quiet
from lantern.profile.collect import profiles, resolve
from lantern.profile.pdf import browser, print_pdf
from lantern.profile.quality import qof_flags
from lantern.profile.render import render
from lantern.warehouse import Warehouse


@dataclass(frozen=True)
class ProfileResult:
    out: Path
    pages: int
    area_type: str
    codes: list[str]


def _sources(wh: Warehouse) -> str:
    frame = wh.sources()
    return "; ".join(dict.fromkeys(str(p) for p in frame["publisher"] if p))


def page_codes(wh: Warehouse, area: str, vintage: int) -> tuple[str, list[str]]:
    """The area type and codes of the pages: the area itself, or a district's wards (its MSOAs
    on 2011 boundaries, which have no wards)."""
    kind = resolve(wh, area, vintage)
    if kind != "district":
        return kind, [area]
    child = "ward" if vintage == 2021 else "msoa"
    return child, wh.area_codes(child, vintage, [area])


def profile(
    config: Any,
    *,
    area: str,
    out: Path,
    html: Path | None = None,
    progress: Progress | None = None,
    chromium: Any | None = None,
) -> ProfileResult:
    """Write ``area``'s profile (a district: one page per ward) as a PDF, and optionally HTML."""
    say = or_quiet(progress)
    with Warehouse.from_config(config) as wh:
        runs = wh.index_runs()
        vintage = int(runs["vintage"].iloc[0]) if len(runs) else int(config.vintage)
        kind, codes = page_codes(wh, area, vintage)
        say(f"Reading {len(codes)} area(s)")
        flags = qof_flags(wh, Path(config.data_dir), vintage)
        pages = profiles(wh, codes, kind, county=list(config.area_codes), quality=flags)
        sources = _sources(wh)
    say("Rendering")
    title = pages[0].name if len(pages) == 1 else f"{area}: {len(pages)} area profiles"
    document = render(pages, title=title, sources=sources)
    if html is not None:
        Path(html).parent.mkdir(parents=True, exist_ok=True)
        Path(html).write_text(document, encoding="utf-8")
    say("Printing the PDF")
    print_pdf(document, Path(out), chromium=chromium)
    return ProfileResult(Path(out), len(pages), kind, codes)


def set_profile_pdf(
    config: Any,
    *,
    csv: Path | None = None,
    geojson: Path | None = None,
    name: str | None = None,
    out: Path,
    html: Path | None = None,
    progress: Progress | None = None,
) -> ProfileResult:
    """A custom area set's profile (one page): its LSOAs totalled as one area."""
    from lantern.areasets import from_file
    from lantern.profile.custom import set_profile

    say = or_quiet(progress)
    with Warehouse.from_config(config) as wh:
        area_set = from_file(wh, csv=csv, geojson=geojson, name=name)
        say(f"Reading {len(area_set.codes)} LSOAs")
        page = set_profile(wh, area_set, county=list(config.area_codes))
        sources = _sources(wh)
    document = render([page], title=area_set.name, sources=sources)
    if html is not None:
        Path(html).parent.mkdir(parents=True, exist_ok=True)
        Path(html).write_text(document, encoding="utf-8")
    say("Printing the PDF")
    print_pdf(document, Path(out))
    return ProfileResult(Path(out), 1, "set", list(area_set.codes))


def district_profiles(
    config: Any, districts: list[str], folder: Path, *, progress: Progress | None = None
) -> list[ProfileResult]:
    """One PDF per district (one page per ward) in ``folder``: every ward of every district is
    read from the warehouse in one pass, then each district is printed with one shared Chromium."""
    say = or_quiet(progress)
    with Warehouse.from_config(config) as wh:
        runs = wh.index_runs()
        vintage = int(runs["vintage"].iloc[0]) if len(runs) else int(config.vintage)
        plan = {code: page_codes(wh, code, vintage) for code in districts}
        kinds = {kind for kind, _ in plan.values()}
        flags = qof_flags(wh, Path(config.data_dir), vintage)
        say(f"Reading {sum(len(c) for _, c in plan.values())} areas")
        pages = {
            p.code: p
            for kind in kinds
            for p in profiles(
                wh,
                [c for k, codes in plan.values() if k == kind for c in codes],
                kind,
                county=list(config.area_codes),
                quality=flags,
            )
        }
        sources = _sources(wh)
    out = []
    with browser() as chromium:
        for n, (code, (kind, codes)) in enumerate(plan.items()):
            say(code, step=n, of=len(plan))
            document = render([pages[c] for c in codes], title=code, sources=sources)
            path = print_pdf(document, Path(folder) / f"{code}.pdf", chromium=chromium)
            out.append(ProfileResult(path, len(codes), kind, codes))
    return out
