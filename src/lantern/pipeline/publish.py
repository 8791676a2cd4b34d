"""``publish``: write the self-contained open site folder from the warehouse (``lantern.publish``
holds the pieces: reader, pages, tiles, downloads)."""

from __future__ import annotations

import gc
import gzip
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lantern.config import Config
from lantern.errors import ConfigError
from lantern.pipeline.progress import Progress, or_quiet
from lantern.publish import details, pages, sitejson, tiles
from lantern.publish import downloads as dl
from lantern.publish.reader import read_site_data
from lantern.publish.sitedata import SiteData
from lantern.release import gate, project_rules, write_manifest
from lantern.release.record import new_release_id, record_history
from lantern.release.stage import staged_folder

ASSETS = Path(__file__).resolve().parent.parent / "publish" / "assets"
BUNDLE = ("lantern.js", "preview.js", "tiles-worker.js", "lantern.css", "lantern.js.LEGAL.txt")
COMPRESS = (".html", ".js", ".css", ".json")


def assets_dir() -> Path:
    missing = [f for f in (*BUNDLE[:3], "index.html", "method.html") if not (ASSETS / f).exists()]
    if missing:
        raise ConfigError(
            "Cannot publish: the web front-end is not built",
            [
                f"{ASSETS / m} is missing; run `npm ci && npm run build` (or `make web`)"
                for m in missing
            ],
        )
    return ASSETS


def publish(
    config: Config,
    *,
    progress: Progress | None = None,
    site_dir: Path | None = None,
    warehouse: Path | None = None,
    index_id: str | None = None,
) -> Path:
    """Read the warehouse, write the site into a temporary folder, check the downloads with the
    release gate under the project's ``open_site`` rules from ``config`` (raises
    ``DisclosureError`` and leaves ``site_dir`` untouched on failure), then
    swap it into ``site_dir`` (default ``publish.site_dir``). Returns ``site_dir``."""
    with few_collections():
        return _publish(config, or_quiet(progress), site_dir, warehouse, index_id)


@contextmanager
def few_collections() -> Iterator[None]:
    """Inside the block the cyclic garbage collector walks only young objects, and less often.

    Writing England's site makes millions of small lists (a value per area, per period, per
    file) while holding the warehouse's frames; each full collection walked all of them, which
    took a third of the time of the detail files. Objects alive when the block starts, or when
    :func:`settle` is called, are frozen out of the collector's walks (``gc.freeze``); young
    objects are collected every 50,000 new ones instead of 700. Everything is as before after
    the block (nothing is leaked: unreachable cycles are still collected, later), and a
    process that had frozen objects of its own (a warmed server) keeps them frozen."""
    threshold = gc.get_threshold()
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    gc.set_threshold(50_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen_before:
            gc.unfreeze()


def settle() -> None:
    """Freeze what has been made so far (the site data just read) out of the collector's walks."""
    gc.freeze()


def _publish(
    config: Config,
    step: Progress,
    site_dir: Path | None,
    warehouse: Path | None,
    index_id: str | None,
) -> Path:
    warehouse = Path(warehouse or config.warehouse)
    site_dir = Path(site_dir or config.publish.site_dir)
    title = config.publish.title
    tile_url = config.publish.tile_url
    area_codes = config.area_codes
    vintage = str(config.vintage)
    assets = assets_dir()
    step("Reading the warehouse")
    data = read_site_data(
        warehouse,
        title=title,
        area_codes=area_codes,
        vintage=vintage,
        index_id=index_id,
        data_dir=Path(config.data_dir),
    )
    settle()
    site_dir = Path(site_dir)
    rules = project_rules(config)
    release_id = new_release_id()
    verified = dl.verified_columns(data)
    checked: list = []
    # Built in a temporary folder beside site_dir and swapped in only when the gate passes.
    with staged_folder(site_dir, prefix=".publish-") as tmp:

        def check() -> None:
            step("Checking the downloads against the disclosure rules")
            checked.append(
                gate(
                    tmp / "downloads",
                    rules=rules,
                    output="open_site",
                    release_id=release_id,
                    verified={t["name"]: verified for t in dl.release_tables(data)},
                    keep_history=False,
                )
            )

        write_site(
            data,
            tmp,
            assets=assets,
            tile_url=tile_url,
            components=_components(warehouse, index_id),
            note=_method_note(warehouse, index_id),
            step=step,
            then=check,
        )
    record_history(checked[0], release_id=release_id, rules=rules, folder=site_dir / "downloads")
    return site_dir


def write_site(
    data: SiteData,
    site: Path,
    *,
    assets: Path,
    tile_url: str | None = None,
    components: list[dict] | None = None,
    note: str = "",
    step: Progress | None = None,
    then: Callable[[], None] | None = None,
) -> dict:
    """Write every file of the site into ``site`` (an empty folder); return the page metadata.

    ``then`` (the release gate) runs once every file but the tiles is written, while tippecanoe
    may still be writing them."""
    step = or_quiet(step)
    step("Building boundary tiles")
    frames = sitejson.geography_frames(data)
    geoms: dict = {"lsoa": data.geometry}
    zooms = tiles.zoom_range(len(data.areas))
    jobs = []
    # District shapes are always built: their outlines are drawn over every map.
    for level in dict.fromkeys([*frames, "district"]):
        if level != "lsoa":
            geoms[level] = tiles.dissolve(data.geometry, data.areas[f"{level}_code"])
        geoms[f"{level}_zooms"] = zooms if level == "lsoa" else (max(0, zooms[0] - 1), zooms[1] - 1)
        codes = list(frames[level].index) if level in frames else list(geoms[level].index)
        jobs.append(
            tiles.Tileset(
                geoms[level], codes, site / "tiles" / f"{level}.pmtiles", geoms[f"{level}_zooms"]
            )
        )
    # tippecanoe runs in its own processes while the rest of the site is written
    with tiles.building(jobs) as tile_build:
        meta = _write_rest(data, site, frames, geoms, assets, tile_url, components, note, step)
        if then is not None:
            then()
        step("Finishing the boundary tiles")
        tile_build.wait()
    return meta


def _write_rest(
    data: SiteData,
    site: Path,
    frames: dict,
    geoms: dict,
    assets: Path,
    tile_url: str | None,
    components: list[dict] | None,
    note: str,
    step: Progress,
) -> dict:
    """Everything but the tiles: data files, area details, downloads, pages."""
    step("Writing the map data")
    with sitejson.background_writes():
        meta = sitejson.write_data_files(data, site, frames, geoms)
        for geo in meta["geographies"]:
            details.write_details(
                data, site, geo["id"], frames[geo["id"]], geo["measures"], geoms[geo["id"]]
            )
        meta["tileUrl"] = tile_url
        meta["preview"] = sitejson.write_preview(data, site)
        if data.cases is not None and "msoa" in frames:
            sitejson.dump(site / "data" / "cases" / "msoa.json.gz", data.cases)
            meta["cases"] = {
                "file": "data/cases/msoa.json.gz",
                "geography": "msoa",
                "weeks": data.cases["weeks"],
                "bivariate": "bivariate" in data.cases,
            }
    step("Writing the downloads")
    files = dl.write_downloads(data, site / "downloads")
    write_manifest(site / "downloads", dl.release_tables(data))
    step("Writing the pages")
    (site / "assets").mkdir(parents=True, exist_ok=True)
    for name in BUNDLE:
        if (assets / name).exists():
            shutil.copy2(assets / name, site / "assets" / name)
    (site / "index.html").write_text(
        pages.render_index(data, assets, meta, files), encoding="utf-8"
    )
    (site / "method.html").write_text(
        pages.render_method(data, assets, components or [], note=note), encoding="utf-8"
    )
    if note:  # the very note the build wrote, so every published score can be recomputed
        (site / "method-note.md").write_text(note, encoding="utf-8")
    step("Compressing")
    precompress(site)
    return meta


def precompress(site: Path) -> None:
    """Write ``name.gz`` beside each page, script, style sheet and JSON file so servers can send
    it compressed.

    Not for the downloads (served byte for byte as checked and listed) nor for the data files,
    which are written compressed (``.json.gz``) and only so: the page inflates them, so the
    site holds one copy of each on any static host.
    """
    for path in site.rglob("*"):
        parts = path.relative_to(site).parts
        if parts[0] in ("downloads", "tiles"):
            continue
        if path.is_file() and path.suffix in COMPRESS and path.stat().st_size > 1024:
            with (
                path.open("rb") as src,
                gzip.open(path.with_name(path.name + ".gz"), "wb", compresslevel=6) as out,
            ):
                shutil.copyfileobj(src, out)


def _method_note(warehouse: Path, index_id: str | None) -> str:
    """The method note ``lantern build`` wrote (validation section included), or ``""``."""
    from lantern.warehouse import Warehouse

    with Warehouse(warehouse) as wh:
        if not wh.has("index_runs"):
            return ""
        runs = wh.index_runs(index_id)
    if runs.empty or "method_note" not in runs.columns:
        return ""
    note = runs["method_note"].iloc[0]
    return note if isinstance(note, str) else ""


def _components(warehouse: Path, index_id: str | None) -> list[dict]:
    """The index's components for the method page (none when no index has been built)."""
    from lantern.warehouse import Warehouse

    with Warehouse(warehouse) as wh:
        frame = wh.index_components(index_id)
    rows = frame[["title", "weight", "description"]].itertuples(index=False)
    return [
        {"title": t, "weight": "" if w is None or w != w else f"{w:g}", "description": d or ""}
        for t, w, d in rows
    ]
