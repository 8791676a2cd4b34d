"""``ingest``: build the project's DuckDB warehouse from the official files, atomically.

The new warehouse is written through ``Warehouse.rebuild``: a temporary file beside the target,
swapped in with ``os.replace`` only when every step has succeeded, under the writer lock. A
failed run leaves the previous warehouse byte-for-byte untouched. Every run, failed or not, is
appended to a hash-chained run log (``<warehouse>.runs.log``) and copied into the ``runs`` table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from lantern import benchmarks
from lantern.config import Config
from lantern.errors import ConfigError, InputError, Problem
from lantern.geography.boundaries import CODE_FIELD, NAME_FIELD, detect_field, read_boundaries
from lantern.geography.codes import first_invalid
from lantern.geography.crosswalk import load_crosswalk
from lantern.geography.hierarchy import CHAINS, areas_and_links, filter_chain, load_chain
from lantern.geography.postcodes import PostcodeLookup
from lantern.pipeline.progress import Progress, or_quiet
from lantern.sources import SOURCES, LoadContext, Source, load_source
from lantern.sources.model import IndicatorMeta, Loaded, WideRows
from lantern.warehouse.runs import run_log_path
from lantern.warehouse.schema import columns
from lantern.warehouse.store import Warehouse

__all__ = ["IngestResult", "geography", "ingest", "run_log_path"]

KNOWN_TYPES = ("lsoa", "msoa", "district")
# Boundary files per (area type, vintage): the first present that covers the wanted areas wins.
BOUNDARY_FILES: dict[tuple[str, int], list[str]] = {
    ("lsoa", 2011): ["boundaries/lsoa11_essex_bsc.geojson", "boundaries/lsoa11_ew_bsc.geojson"],
    ("lsoa", 2021): ["boundaries/lsoa21_essex_bsc.geojson", "boundaries/lsoa21_ew_bsc.geojson"],
    ("msoa", 2011): [
        "boundaries/msoa11_essex_simplified.geojson",
        "boundaries/msoa11_ew_simplified.geojson",
    ],
    ("msoa", 2021): ["boundaries/msoa21_essex_bsc.geojson", "boundaries/msoa21_ew_bsc.geojson"],
    ("district", 2011): ["boundaries/lad21_essex_bsc.geojson", "boundaries/lad21_uk_bsc.geojson"],
    ("district", 2021): ["boundaries/lad21_essex_bsc.geojson", "boundaries/lad21_uk_bsc.geojson"],
    ("county", 2011): ["boundaries/utla21_essex_bsc.geojson", "boundaries/utla21_uk_bsc.geojson"],
    ("county", 2021): ["boundaries/utla21_essex_bsc.geojson", "boundaries/utla21_uk_bsc.geojson"],
}


@dataclass(frozen=True)
class IngestResult:
    """What a successful ``ingest`` built."""

    run_id: str
    warehouse: Path
    areas: dict[str, int]
    indicators: int
    rows: int
    seconds: float


class Steps:
    """Counts the ingest's steps and reports each to a :class:`Progress`."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.completed = 0
        self.report = or_quiet(progress)

    def step(self, label: str) -> None:
        self.report(label, step=self.completed, of=self.total)

    def done(self) -> None:
        self.completed += 1

    def close(self) -> None:
        """Nothing to release (kept so callers can always close what they opened)."""


def config_sha256(config: Config) -> str:
    """Checksum of the settings that decide the warehouse contents."""
    settings = {
        "area_codes": config.area_codes,
        "data_dir": str(config.data_dir),
        "vintage": config.vintage,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def ingest(
    config: Config,
    *,
    progress: Progress | None = None,
    sources: Sequence[Source] | None = None,
    geometries: bool = True,
) -> IngestResult:
    """Validate and load every source for ``config``'s area into ``config.warehouse`` (atomic swap).

    ``sources`` defaults to the whole registry; ``geometries=False`` skips the boundary files
    (the ``geometries`` table is then empty: the map needs it, the index does not). Holds the
    warehouse's writer lock throughout, so a second ingest or build is refused.
    """
    target = Path(config.warehouse)
    sources = list(SOURCES if sources is None else sources)
    started = datetime.now(UTC)
    steps = Steps(
        total=6 + len(sources) + (len(BOUNDARY_FILES) if geometries else 0), progress=progress
    )
    try:
        with Warehouse.rebuild(target, command="ingest", config_sha256=config_sha256(config)) as wh:
            details = _build(wh, config, sources, steps, geometries=geometries)
            assert wh.run is not None
            wh.run.details.update(details)
            run_id = wh.run.run_id
    finally:
        steps.close()
    finished = datetime.now(UTC)
    return IngestResult(
        run_id=run_id,
        warehouse=target,
        areas=details["areas"],
        indicators=details["indicators"],
        rows=details["rows"],
        seconds=(finished - started).total_seconds(),
    )


def geography(
    data_dir: Path, area_codes: Sequence[str]
) -> tuple[dict[int, pd.DataFrame], dict[int, pd.DataFrame], LoadContext]:
    """Areas and links for both vintages inside ``area_codes``, and the loaders' context."""
    ctx = LoadContext(data_dir=Path(data_dir))
    areas, links, missing = {}, {}, {}
    for vintage in (2011, 2021):
        chain = load_chain(data_dir, vintage)
        code_columns = [level.code for level in CHAINS[vintage]]
        present = set(pd.unique(chain[code_columns].to_numpy().ravel()))
        missing[vintage] = [c for c in area_codes if c not in present]
        for level in CHAINS[vintage]:
            if level.area_type.value in KNOWN_TYPES:
                ctx.known[(level.area_type.value, vintage)] = pd.Index(
                    chain[level.code].dropna().unique()
                )
        table, link = areas_and_links(filter_chain(chain, vintage, area_codes), vintage)
        areas[vintage], links[vintage] = table, link
        for area_type in KNOWN_TYPES:
            ctx.wanted[(area_type, vintage)] = pd.Index(
                table.loc[table["area_type"] == area_type, "area_code"]
            )
    unknown = [c for c in area_codes if c in missing[2011] and c in missing[2021]]
    if unknown or any(len(a) == 0 for a in areas.values()):
        raise ConfigError(
            "Area of interest",
            [
                Problem(
                    f"{c!r} is not an area in the lookups of {data_dir}; give a district, county/UTLA, region or "
                    "country code (England-wide data are needed outside Essex)",
                    column="area_codes",
                )
                for c in unknown
            ]
            or ["no LSOAs found inside the given areas"],
        )
    return areas, links, ctx


def find_postcode_lookup(data_dir: Path) -> Path | None:
    """The first ONSPD/NSPL-format file in ``data_dir/postcodes`` (by name), if any."""
    folder = Path(data_dir) / "postcodes"
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        header = set(pd.read_csv(path, nrows=0).columns)
        if "pcds" in header and header & {"lsoa11", "lsoa21"}:
            return path
    return None


def postcode_rows(lookup: PostcodeLookup, ctx: LoadContext) -> pd.DataFrame:
    """Postcodes whose LSOA (either vintage) is inside the area of interest.

    ``approximate`` marks a derived lookup (one that records how each LSOA was assigned, as
    ``lantern geography postcodes`` does), not the ONS postcode directory itself.
    """
    table = lookup.table
    out = pd.DataFrame(
        {
            "postcode": table["pcds"].str.upper().to_numpy(),
            "lsoa11_code": table["lsoa11"].to_numpy() if "lsoa11" in table else None,
            "lsoa21_code": table["lsoa21"].to_numpy() if "lsoa21" in table else None,
            "approximate": lookup.derived,
        }
    )
    inside = out["lsoa11_code"].isin(ctx.wanted[("lsoa", 2011)]) | out["lsoa21_code"].isin(
        ctx.wanted[("lsoa", 2021)]
    )
    return out[inside].drop_duplicates("postcode").reset_index(drop=True)


def _prefetched(sources: list[Source], ctx: LoadContext) -> Iterator[tuple[Source, Loaded]]:
    """Load each source while the previous one is written (DuckDB releases the GIL)."""
    if not sources:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lantern-load") as pool:
        pending: Future[Loaded] = pool.submit(load_source, sources[0], ctx)
        try:
            for i, source in enumerate(sources):
                loaded = pending.result()
                if i + 1 < len(sources):
                    pending = pool.submit(load_source, sources[i + 1], ctx)
                yield source, loaded
        finally:
            pending.cancel()


def _periods(source: Source, loaded: Loaded) -> pd.DataFrame:
    """``indicator_periods`` rows: each indicator's period from this source, with its area count."""
    rows = loaded.rows if loaded.wide is None else None
    out = []
    for meta in loaded.meta:
        if rows is not None:
            part = rows[rows["indicator_id"] == meta.indicator_id]
            periods = part.groupby("period")["value"].count().to_dict() or {meta.period: 0}
        else:
            assert loaded.wide is not None
            j = (
                loaded.wide.ids.index(meta.indicator_id)
                if meta.indicator_id in loaded.wide.ids
                else -1
            )
            n = int(np.isfinite(loaded.wide.values[:, j]).sum()) if j >= 0 else 0
            periods = {loaded.wide.period: n}
        for position, period in enumerate(sorted(periods, key=str), start=1):
            out.append(
                {
                    "indicator_id": meta.indicator_id,
                    "period": str(period),
                    "position": position,
                    "source_id": source.source_id,
                    "areas": int(periods[period]),
                }
            )
    return pd.DataFrame(out, columns=columns("indicator_periods"))


def _insert_wide(wh: Warehouse, wide: WideRows) -> None:
    """Unnest area × indicator matrices into ``indicators`` inside DuckDB (no Python per value)."""
    k = len(wide.ids)
    names = [f"{p}{j}" for p in "vnd" for j in range(k)]
    frame = pd.DataFrame(
        np.hstack([wide.values, wide.numerators, wide.denominators]), columns=names
    )
    frame.insert(0, "area_code", wide.codes)
    lists = ", ".join(f"unnest([{', '.join(f'{p}{j}' for j in range(k))}])" for p in "vnd")
    wh.con.register("_wide", frame)
    try:
        wh.execute(
            "indicators",
            f"INSERT INTO indicators SELECT area_code, ?, unnest(?::VARCHAR[]), ?, {lists} FROM _wide",
            [wide.vintage, wide.ids, wide.period],
        )
    finally:
        wh.con.unregister("_wide")


def _build(
    wh: Warehouse,
    config: Config,
    sources: list[Source],
    steps: Steps,
    *,
    geometries: bool,
) -> dict[str, Any]:
    wh.create_tables()
    data_dir = Path(config.data_dir)
    steps.step("geography: hierarchy 2011 and 2021")
    areas, links, ctx = geography(data_dir, config.area_codes)
    for vintage in (2011, 2021):
        wh.insert("areas", areas[vintage][columns("areas")])
        wh.insert("area_links", links[vintage][columns("area_links")])
    steps.done()

    steps.step("geography: LSOA 2011 ↔ 2021 crosswalk")
    cross = load_crosswalk(data_dir)
    inside = cross["lsoa11_code"].isin(ctx.wanted[("lsoa", 2011)]) | cross["lsoa21_code"].isin(
        ctx.wanted[("lsoa", 2021)]
    )
    wh.insert("crosswalk", cross.loc[inside, columns("crosswalk")])
    steps.done()

    steps.step("geography: postcode lookup")
    lookup = find_postcode_lookup(data_dir)
    postcodes = 0
    if lookup is not None:
        rows = postcode_rows(PostcodeLookup.from_file(lookup), ctx)
        wh.insert("postcodes", rows)
        postcodes = len(rows)
    steps.done()

    loaded_at = datetime.now(UTC)
    seen: dict[str, str] = {}
    metas: list[IndicatorMeta] = []
    total_rows = 0
    for source, loaded in _prefetched(sources, ctx):
        steps.step(f"source: {source.source_id}")
        for meta in loaded.meta:
            if meta.indicator_id in seen:
                raise InputError(
                    f"indicator {meta.indicator_id} is produced by both {seen[meta.indicator_id]} "
                    f"and {source.source_id}",
                    file=source.path,
                )
            seen[meta.indicator_id] = source.source_id
        metas += loaded.meta
        if loaded.wide is not None:
            _insert_wide(wh, loaded.wide)
        else:
            wh.insert("indicators", loaded.rows)
        total_rows += len(loaded)
        wh.insert("indicator_meta", pd.DataFrame([m.__dict__ for m in loaded.meta]))
        wh.insert("indicator_periods", _periods(source, loaded))
        files = pd.DataFrame([f.__dict__ for f in loaded.files]).assign(
            publisher=source.publisher,
            dataset=source.dataset,
            licence=source.licence,
            vintage=source.vintage,
            url=source.url,
            loaded_at=loaded_at,
        )
        wh.insert("sources", files)
        steps.done()

    steps.step("benchmarks: England values")
    england = _load_england(wh, data_dir, sources, config.area_codes, metas)
    steps.done()
    geometry_counts = _load_geometries(wh, data_dir, areas, steps) if geometries else {}
    steps.step("finishing")
    counts = wh.query(
        "SELECT area_type || '_' || vintage AS k, count(*) AS n FROM areas GROUP BY ALL ORDER BY 1"
    )
    steps.done()
    return {
        "areas": dict(zip(counts["k"], counts["n"].astype(int), strict=True)),
        "indicators": len(seen),
        "rows": total_rows,
        "geometries": geometry_counts,
        "postcodes": postcodes,
        "england_benchmarks": england,
        "area_codes": list(config.area_codes),
        "data_dir": str(data_dir),
    }


def _load_england(
    wh: Warehouse,
    data_dir: Path,
    sources: list[Source],
    area_codes: Sequence[str],
    metas: list[IndicatorMeta],
) -> str:
    """England's value of every loaded rate (see ``lantern.benchmarks``): stored as indicator
    rows for E92000001 and, with their range and method, in ``benchmarks``."""
    frame, origin = benchmarks.for_ingest(
        data_dir,
        sources,
        area_codes,
        lambda: wh.query("SELECT * FROM indicators WHERE area_code LIKE 'E%'"),
        metas,
    )
    frame = frame[frame["indicator_id"].isin({m.indicator_id for m in metas})].assign(
        area_code=benchmarks.ENGLAND
    )
    if len(frame):
        wh.insert("indicators", frame[columns("indicators")])
        wh.insert("benchmarks", frame[["area_code", *benchmarks.COLUMNS]])
    return f"{len(frame)} values; {origin}"


def _load_geometries(
    wh: Warehouse, data_dir: Path, areas: dict[int, pd.DataFrame], steps: Steps
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (area_type, vintage), candidates in BOUNDARY_FILES.items():
        steps.step(f"boundaries: {area_type} {vintage}")
        table = areas[vintage]
        wanted = set(table.loc[table["area_type"] == area_type, "area_code"])
        if wanted:
            frame = _first_covering(data_dir, candidates, wanted)
            if frame is not None:
                frame = frame[frame["area_code"].isin(wanted)]
                out = pd.DataFrame(
                    {
                        "area_code": frame["area_code"].to_numpy(),
                        "area_type": area_type,
                        "vintage": vintage,
                        "geometry": shapely.to_wkb(frame.geometry.to_numpy()),
                    }
                )
                wh.insert("geometries", out)
                counts[f"{area_type}_{vintage}"] = len(out)
        steps.done()
    return counts


def _read_boundaries_ew(path: Path) -> Any:
    """``read_boundaries``; for UK-wide files (with S…/N… codes) only English and Welsh areas."""
    try:
        return read_boundaries(path)
    except InputError:
        info = pyogrio.read_info(path)
        fields = list(info["fields"])
        code = detect_field(fields, CODE_FIELD, "area code", path)
        name = detect_field(fields, NAME_FIELD, "area name", path)
        frame = gpd.read_file(path, engine="pyogrio", where=f"substr({code}, 1, 1) IN ('E', 'W')")
        first_invalid(frame[code].astype(str), file=path, column=code)
        return gpd.GeoDataFrame(
            {"area_code": frame[code].astype(str), "area_name": frame[name].astype(str)},
            geometry=frame.geometry.to_crs("EPSG:4326").to_numpy(),
            crs="EPSG:4326",
        )


def _first_covering(data_dir: Path, candidates: list[str], wanted: set[str]) -> Any:
    """The first boundary file present that holds every wanted area (else the fullest one)."""
    best: Any = None
    for relative in candidates:
        path = data_dir / relative
        if not path.exists():
            continue
        frame = _read_boundaries_ew(path)
        covered = frame["area_code"].isin(wanted).sum()
        if covered == len(wanted):
            return frame
        if best is None or covered > best[0]:
            best = (covered, frame)
    return None if best is None else best[1]
