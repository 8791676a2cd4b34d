"""Read area boundaries (GeoJSON, GeoPackage, Shapefile) and simplify them for the web.

``read_boundaries`` returns ``area_code, area_name, geometry`` in WGS84 whatever the input's
field names (``LSOA11CD``, ``lsoa21_code``, ``ltla21_code``, …) and projection.
``simplify_for_web`` simplifies the shared edges of a coverage once, so neighbouring areas keep
a common border (no slivers or gaps appear), and never drops an area.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import shapely

from lantern.errors import InputError
from lantern.geography.codes import first_invalid

WGS84 = "EPSG:4326"
_PREFIX = r"(lsoa|msoa|oa|lad|ltla|utla|ctyua|cty|wd|ward|rgn|region|ctry|pcon|ccg|icb|sicbl)\d{2}"
CODE_FIELD = re.compile(rf"(?i)^({_PREFIX}(cd|_code)|area_code|code)$")
NAME_FIELD = re.compile(rf"(?i)^({_PREFIX}(nm|_name)|area_name|name)$")


def detect_field(columns: list[str], pattern: re.Pattern[str], what: str, path: Path) -> str:
    """The single column matching ``pattern``; ``InputError`` listing the fields otherwise."""
    found = [c for c in columns if pattern.match(c)]
    if not found:
        raise InputError(
            f"no {what} field found among {', '.join(columns)}; pass it explicitly "
            f"(e.g. --code-field LSOA11CD)",
            file=path,
        )
    return found[0]


def read_boundaries(
    path: Path, *, code_field: str | None = None, name_field: str | None = None
) -> gpd.GeoDataFrame:
    """Boundaries as ``area_code, area_name, geometry`` (WGS84), codes validated, one row per area."""
    path = Path(path)
    if not path.exists():
        raise InputError("boundary file not found", file=path)
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own DataSourceError / DataLayerError types
        raise InputError(
            f"cannot read as GeoJSON, GeoPackage or Shapefile: {exc}", file=path
        ) from exc
    columns = [c for c in frame.columns if c != frame.geometry.name]
    code = code_field or detect_field(columns, CODE_FIELD, "area code", path)
    name = name_field or detect_field(columns, NAME_FIELD, "area name", path)
    for field in (code, name):
        if field not in frame.columns:
            raise InputError(f"no field {field!r}; fields are {', '.join(columns)}", file=path)
    first_invalid(frame[code].astype(str), file=path, column=code)
    duplicated = frame[code].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax()) + 1
        raise InputError(
            "area code appears twice; expected one feature per area",
            file=path,
            row=row,
            column=code,
        )
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        row = int(empty.to_numpy().argmax()) + 1
        raise InputError("feature has no geometry", file=path, row=row, column="geometry")
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    out = gpd.GeoDataFrame(
        {"area_code": frame[code].astype(str), "area_name": frame[name].astype(str)},
        geometry=frame.geometry.to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    return out.reset_index(drop=True)


def simplify_for_web(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify a coverage keeping shared borders (``tolerance`` in CRS units); keeps every area.

    Uses ``shapely.coverage_simplify`` (each shared edge simplified once, so neighbours still
    meet). Any area that would collapse keeps its original geometry.
    """
    if tolerance < 0:
        raise InputError("simplification tolerance must be zero or positive")
    original = gdf.geometry.to_numpy()
    simplified = shapely.coverage_simplify(shapely.make_valid(original), tolerance)
    collapsed = shapely.is_empty(simplified) | ~shapely.is_valid(simplified)
    simplified[collapsed] = original[collapsed]
    out = gdf.copy()
    out[gdf.geometry.name] = simplified
    return out
