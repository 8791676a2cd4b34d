"""``ingest``: build the project's DuckDB warehouse from the official files, atomically.

The new warehouse is written through ``Warehouse.rebuild``: a temporary file beside the target,
swapped in with ``os.replace`` only when every step has succeeded, under the writer lock. A
failed run leaves the previous warehouse byte-for-byte untouched. Every run, failed or not, is
appended to a hash-chained run log (``<warehouse>.runs.log``) and copied into the ``runs`` table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern import benchmarks
from lantern.config import Config
from lantern.errors import ConfigError, InputError, Problem
from lantern.geography.crosswalk import load_crosswalk
from lantern.geography.hierarchy import (
    CHAINS,
    Lookups,
    chain_areas,
    chain_links,
    filter_chain,
    read_lookups,
)
from lantern.geography.postcodes import PostcodeLookup, postcode_spec
from lantern.geography.tables import BOUNDARIES, LOOKUP_CROSSWALK, boundary_rows
from lantern.pipeline.progress import Progress, or_quiet
from lantern.sources import SOURCES, LoadContext, Source, load_source
from lantern.sources.checked import GapFound, Table, parse_ahead, read_table
from lantern.sources.manifest import Manifest
from lantern.sources.model import IndicatorMeta, Loaded, WideRows
from lantern.sources.reading import header_of
from lantern.warehouse.runs import run_log_path
from lantern.warehouse.schema import columns
from lantern.warehouse.store import Warehouse

__all__ = ["IngestResult", "geography", "ingest", "run_log_path"]

KNOWN_TYPES = ("lsoa", "msoa", "district")


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
        total=6 + len(sources) + (len(BOUNDARIES) if geometries else 0), progress=progress
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
    areas, chains, ctx = area_context(data_dir, area_codes)
    links = {v: chain_links(chains[v], v, areas[v]) for v in areas}
    return areas, links, ctx


def new_context(data_dir: Path) -> LoadContext:
    """A loaders' context knowing only the data folder and its manifest (no areas yet)."""
    return LoadContext(data_dir=Path(data_dir), manifest=Manifest.for_data_dir(Path(data_dir)))


def area_context(
    data_dir: Path, area_codes: Sequence[str], ctx: LoadContext | None = None
) -> tuple[dict[int, pd.DataFrame], dict[int, pd.DataFrame], LoadContext]:
    """Areas and lookup chains for both vintages inside ``area_codes``, and the loaders' context
    (``ctx`` filled in, or a new one; the links, which the loaders do not need, are left to
    :func:`chain_links`)."""
    ctx = new_context(data_dir) if ctx is None else ctx
    lookups = read_lookups(Path(data_dir))
    # checked once here; the crosswalk's weights use the same table (see ``crosswalk_lookup``)
    ctx.tables[CROSSWALK_READ] = lookups.tables[LOOKUP_CROSSWALK]
    ctx.chains = lookups.chains
    ctx.universe = universe(lookups)
    areas, chains, missing = {}, {}, {}
    for vintage in (2011, 2021):
        chain = lookups.chains[vintage]
        code_columns = [level.code for level in CHAINS[vintage]]
        present = set(pd.unique(chain[code_columns].to_numpy().ravel()))
        missing[vintage] = [c for c in area_codes if c not in present]
        for level in CHAINS[vintage]:
            if level.area_type.value in KNOWN_TYPES:
                ctx.known[(level.area_type.value, vintage)] = pd.Index(
                    chain[level.code].dropna().unique()
                )
        chains[vintage] = filter_chain(chain, vintage, area_codes)
        areas[vintage] = table = chain_areas(chains[vintage], vintage)
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
    return areas, chains, ctx


CROSSWALK_READ = ("lookup", LOOKUP_CROSSWALK)  # the crosswalk lookup read by ``area_context``


def crosswalk_lookup(ctx: LoadContext) -> Table | None:
    """The crosswalk lookup ``area_context`` read and checked (taken out: its weights are built
    once), or None when it was not read in this run."""
    table = ctx.tables.pop(CROSSWALK_READ, None)
    return table if isinstance(table, Table) else None


def universe(lookups: Lookups) -> dict[str, pd.Index]:
    """Every code of each area type in any lookup column (a code outside these is unknown)."""
    columns = {
        "lsoa": [(2011, "lsoa11_code"), (2021, "lsoa21_code")],
        "msoa": [(2011, "msoa11_code"), (2021, "msoa21_code")],
        "ward": [(2021, "ward24_code")],
        "district": [(2011, "ltla21_code"), (2011, "ltla19_code"), (2021, "ltla24_code")],
        "county": [(2011, "utla21_code"), (2021, "utla21_code")],
        "region": [(2011, "region21_code"), (2021, "region21_code")],
    }
    out = {}
    for area_type, where in columns.items():
        parts = [lookups.chains[v][c].dropna() for v, c in where if c in lookups.chains[v]]
        out[area_type] = pd.Index(pd.unique(pd.concat(parts).to_numpy()))
    # an upper tier (county or unitary) column: any code of any type
    out[""] = pd.Index(pd.unique(pd.concat([pd.Series(i) for i in out.values()]).to_numpy()))
    return out


def find_postcode_lookup(data_dir: Path) -> Path | None:
    """The first ONSPD/NSPL-format file in ``data_dir/postcodes`` (by name), if any."""
    folder = Path(data_dir) / "postcodes"
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        header = set(header_of(path))
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


LOAD_AHEAD = 6  # sources loaded ahead of the writer (bounds the memory held by loaded sources)


class Loads:
    """The sources loaded in a second thread, up to ``ahead`` of them before the writer needs
    them; iterate for ``(source, loaded)`` in registry order.

    ``parse_first`` reads and parses the first files while the lookups are still being read
    (the checks need the lookups; reading and parsing do not). ``start`` starts the loads, so
    they overlap whatever the caller writes before iterating (DuckDB and the Arrow CSV reader
    release the GIL); loading never waits for a write while fewer than ``ahead`` loaded sources
    are waiting. An error a load met is raised only when its source is reached, so errors come
    in the order of the steps. ``close`` cancels the loads not started and waits for the one
    running. ``while_waiting``, if set, runs once in the writer's thread the first time the next
    source is not loaded yet (work the writer would otherwise do at the end).
    """

    def __init__(self, sources: list[Source], ctx: LoadContext, ahead: int = LOAD_AHEAD) -> None:
        self.sources, self.ctx, self.ahead = sources, ctx, ahead
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lantern-load")
        self.pending: dict[int, Future[Any]] = {}
        self.early: list[Future[bool]] = []
        self.submitted = 0
        self.while_waiting: Callable[[], None] | None = None

    def parse_first(self) -> None:
        for source in self.sources[: self.ahead]:
            for spec in _described_tables(source):
                self.early.append(self.pool.submit(parse_ahead, spec, self.ctx))

    def start(self) -> None:
        self._submit(self.ahead)
        # what later sources share or parse (the QOF years' GP registrations and practice
        # files), read while the loading thread would otherwise wait for the writer
        for source in self.sources[self.ahead :]:
            prepare = getattr(source.loader, "prepare", None)
            if prepare is not None:
                self.early.append(self.pool.submit(prepare, source, self.ctx))

    def _submit(self, upto: int) -> None:
        while self.submitted < min(upto, len(self.sources)):
            source = self.sources[self.submitted]
            self.pending[self.submitted] = self.pool.submit(load_source, source, self.ctx)
            self.submitted += 1

    def __iter__(self) -> Iterator[tuple[Source, Loaded]]:
        for i, source in enumerate(self.sources):
            self._submit(i + 1 + self.ahead)
            future = self.pending.pop(i)
            if not future.done() and self.while_waiting is not None:
                task, self.while_waiting = self.while_waiting, None
                task()  # the first time the writer would wait for a load
            yield source, future.result()

    def close(self) -> None:
        for future in [*self.early, *self.pending.values()]:
            future.cancel()
        self.pool.shutdown(wait=True)
        for key in [k for k in self.ctx.tables if isinstance(k, tuple) and k[:1] == ("parsed",)]:
            del self.ctx.tables[key]  # parsed ahead but not asked for


def _described_tables(source: Source) -> list[Any]:
    """The files ``source`` reads, as its loader describes them (none if it does not)."""
    try:
        return source.tables()
    except TypeError:
        return []


@contextmanager
def _loading(sources: list[Source], ctx: LoadContext, ahead: int = LOAD_AHEAD) -> Iterator[Loads]:
    """:class:`Loads`, closed on leaving (no loading thread outlives the block)."""
    loads = Loads(sources, ctx, ahead)
    try:
        yield loads
    finally:
        loads.close()


class Described:
    """``indicator_meta`` across sources: one row per indicator, from its latest period.

    Several sources may give periods of one indicator (QOF years, mid-year populations); they
    must agree on what it is (kind, unit, polarity, geography) and never give the same period.
    """

    SAME = ("kind", "unit", "polarity", "area_type", "vintage")

    def __init__(self) -> None:
        self.meta: dict[str, tuple[str, dict[str, Any]]] = {}
        self.periods: dict[tuple[str, str], str] = {}

    def add(self, source: Source, metas: list[Any], periods: pd.DataFrame) -> None:
        for row in periods.itertuples(index=False):
            key = (row.indicator_id, row.period)
            if key in self.periods:
                raise InputError(
                    f"indicator {row.indicator_id}, period {row.period} is produced by both "
                    f"{self.periods[key]} and {source.source_id}",
                    file=source.path,
                )
            self.periods[key] = source.source_id
        latest = periods.groupby("indicator_id")["period"].max().to_dict()
        for meta in metas:
            record = dict(meta.__dict__)
            period = str(latest.get(meta.indicator_id, record["period"]))
            earlier = self.meta.get(meta.indicator_id)
            if earlier is not None:
                clash = [k for k in self.SAME if earlier[1][k] != record[k]]
                if clash:
                    raise InputError(
                        f"indicator {meta.indicator_id} from {source.source_id} disagrees with "
                        f"{earlier[1]['source_id']} on {', '.join(clash)}",
                        file=source.path,
                    )
                if earlier[0] >= period:
                    continue
            self.meta[meta.indicator_id] = (period, record)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [record for _, record in self.meta.values()], columns=columns("indicator_meta")
        )


def ordered_periods(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All ``indicator_periods`` rows, positions 1… in period order within each indicator."""
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=columns("indicator_periods"))
    )
    frame = frame.sort_values(["indicator_id", "period"], kind="stable")
    frame["position"] = frame.groupby("indicator_id").cumcount() + 1
    return frame[columns("indicator_periods")].reset_index(drop=True)


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
    """An area × indicator matrix into ``indicators`` as integer-keyed values (no strings per value)."""
    wh.insert_indicator_matrix(
        wide.codes,
        wide.ids,
        vintage=wide.vintage,
        period=wide.period,
        values=wide.values,
        numerators=wide.numerators,
        denominators=wide.denominators,
    )


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
    ctx = new_context(data_dir)
    with _loading(sources, ctx) as loads:
        loads.parse_first()  # while the lookups are read
        areas, chains, ctx = area_context(data_dir, config.area_codes, ctx)
        loads.start()  # the links are built while the sources load
        for vintage in (2011, 2021):
            wh.insert("areas", areas[vintage][columns("areas")])
            links = chain_links(chains[vintage], vintage, areas[vintage])
            wh.insert("area_links", links[columns("area_links")])
        steps.done()
        return _write(wh, config, sources, steps, ctx, areas, loads, geometries=geometries)


def _write(
    wh: Warehouse,
    config: Config,
    sources: list[Source],
    steps: Steps,
    ctx: LoadContext,
    areas: dict[int, pd.DataFrame],
    loads: Loads,
    *,
    geometries: bool,
) -> dict[str, Any]:
    """Everything after the hierarchy, while the sources load in a second thread."""
    data_dir = Path(config.data_dir)
    steps.step("geography: LSOA 2011 ↔ 2021 crosswalk")
    cross = load_crosswalk(data_dir, lookup=crosswalk_lookup(ctx))
    inside = cross["lsoa11_code"].isin(ctx.wanted[("lsoa", 2011)]) | cross["lsoa21_code"].isin(
        ctx.wanted[("lsoa", 2021)]
    )
    wh.insert("crosswalk", cross.loc[inside, columns("crosswalk")])
    steps.done()

    steps.step("geography: postcode lookup")
    lookup = find_postcode_lookup(data_dir)
    postcodes = 0
    if lookup is not None:
        table = read_table(postcode_spec(lookup, ctx.data_dir), ctx)
        rows = postcode_rows(PostcodeLookup.from_table(table.frame), ctx)
        wh.insert("postcodes", rows)
        postcodes = len(rows)
    steps.done()

    loaded_at = datetime.now(UTC)
    described = Described()
    periods, gaps, files_read = [], [], []
    metas: list[IndicatorMeta] = []
    total_rows = 0
    # the geography tables are written to the file while the writer waits for a load (the
    # final checkpoint did it at the end: 0.15-0.2 s for England)
    loads.while_waiting = wh.checkpoint
    with wh.batched_values():  # values appended a million or more at a time
        for source, loaded in loads:
            steps.step(f"source: {source.source_id}")
            new_periods = _periods(source, loaded)
            described.add(source, loaded.meta, new_periods)
            periods.append(new_periods)
            metas += loaded.meta
            if loaded.wide is not None:
                _insert_wide(wh, loaded.wide)
            else:
                wh.insert("indicators", loaded.rows)
            total_rows += len(loaded)
            gaps += [g.__dict__ for g in loaded.gaps]
            described_by = {
                "publisher": source.publisher,
                "dataset": source.dataset,
                "licence": source.licence,
                "vintage": source.vintage,
                "url": source.url,
                "loaded_at": loaded_at,
            }
            seen = set()  # each file once per source
            for f in loaded.files:
                if f.file not in seen:
                    seen.add(f.file)
                    files_read.append({**f.__dict__, **described_by})
            steps.done()
    if files_read:  # one insert for every file read
        wh.insert("sources", pd.DataFrame(files_read))
    wh.insert("indicator_meta", described.frame())
    wh.insert("indicator_periods", ordered_periods(periods))

    steps.step("benchmarks: England values")
    england = _load_england(wh, data_dir, sources, config.area_codes, metas)
    steps.done()
    geometry_counts: dict[str, int] = {}
    if geometries:
        geometry_counts, boundary_gaps = _load_geometries(wh, ctx, areas, steps)
        gaps += [g.__dict__ for g in boundary_gaps]
    wh.insert("source_gaps", pd.DataFrame(gaps, columns=columns("source_gaps")))
    steps.step("finishing")
    counts = wh.query(
        "SELECT area_type || '_' || vintage AS k, count(*) AS n FROM areas GROUP BY ALL ORDER BY 1"
    )
    steps.done()
    return {
        "areas": dict(zip(counts["k"], counts["n"].astype(int), strict=True)),
        "indicators": len(described.meta),
        "gaps": len(gaps),
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
        lambda ids: wh.query(benchmarks.SUMS_SQL, [ids], table="indicators"),
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
    wh: Warehouse, ctx: LoadContext, areas: dict[int, pd.DataFrame], steps: Steps
) -> tuple[dict[str, int], list[GapFound]]:
    """Boundaries of every wanted area into ``geometries``; declared gaps returned."""
    counts: dict[str, int] = {}
    gaps: list[GapFound] = []
    rows = boundary_rows(ctx, areas)
    for area_type, vintage in BOUNDARIES:
        steps.step(f"boundaries: {area_type} {vintage}")
        _, _, out, found = next(rows)
        if out is not None:
            wh.insert("geometries", out)
            counts[f"{area_type}_{vintage}"] = len(out)
        gaps += found
        steps.done()
    return counts, gaps
