"""Boundary files (GeoJSON) read through the checked reader: features are the rows.

``read_geojson`` checks the bytes (present, not empty, UTF-8 not UTF-16 or latin-1, complete JSON:
a file cut off names the feature it stops in), reads the features with pyogrio and returns their
properties and geometries in WGS84. ``check_geometries`` then asks every area's feature for a
polygon lying inside England and Wales. Feature 1 is "row 1".
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from lantern.errors import InputError
from lantern.sources.reading import check_not_binary
from lantern.sources.table import TableSpec

WGS84 = "EPSG:4326"
# Longitude and latitude bounds of England and Wales (with the Scilly Isles), generously rounded.
ENGLAND_AND_WALES = (-6.5, 49.8, 2.0, 55.9)
RULE = "inside England and Wales (longitude −6.5 to 2.0, latitude 49.8 to 55.9)"


def _feature_at(data: bytes, position: int) -> int:
    """The number (from 1) of the feature holding byte ``position``."""
    return max(data.count(b'"Feature"', 0, position), 1)


def read_geojson(path: Path, spec: TableSpec) -> tuple[pd.DataFrame, np.ndarray, bytes]:
    """Properties named by ``spec`` (as text) and geometries, one row per feature."""
    import pyogrio

    if not path.exists():
        raise InputError(
            "file not found; run `lantern fetch` or check `data_dir` in lantern.toml", file=path
        )
    data = path.read_bytes()
    if not data.strip():
        raise InputError(
            "the file is empty; expected a GeoJSON FeatureCollection", file=path, row=1
        )
    check_not_binary(path, data, "UTF-8 GeoJSON")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:200].count(b"\x00") > 10:
        raise InputError(
            "the file is UTF-16 encoded (or binary); expected UTF-8 GeoJSON", file=path, row=1
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8; expected UTF-8 GeoJSON "
            "(re-save the file as UTF-8)",
            file=path,
            row=_feature_at(data, exc.start),
        ) from None
    try:
        with warnings.catch_warnings():
            # GDAL warns (and gives the feature no geometry) on what the checks below report
            # with the feature's number; its warnings would only add unnumbered lines.
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - GDAL's errors are not typed; locate the problem with json
        raise _json_problem(path, data) from None
    if len(frame) == 0:
        raise InputError(
            "the file has no features; expected one feature per area", file=path, row=1
        )
    required = spec.required([c for c in frame.columns if c != "geometry"])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        fields = ", ".join(repr(c) for c in frame.columns if c != "geometry")
        raise InputError(
            f"no property {missing[0]!r}; expected properties {', '.join(map(repr, required))} "
            f"(found {fields})",
            file=path,
            row=1,
            column=missing[0],
        )
    if frame.crs is not None and frame.crs.to_string() not in (WGS84, "OGC:CRS84"):
        frame = frame.to_crs(WGS84)
    text = {c.column for c in spec.codes} | set(spec.text)
    out = pd.DataFrame({c: frame[c].astype("string[pyarrow]") for c in required if c in text})
    for c in required:
        if c not in text:
            out[c] = frame[c]
    return out[required], frame.geometry.to_numpy(), data


def _json_problem(path: Path, data: bytes) -> InputError:
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as exc:
        ends = exc.pos >= len(data.rstrip()) - 1
        what = "the file ends part-way through" if ends else "invalid JSON in"
        return InputError(
            f"{what} feature {_feature_at(data, exc.pos)} ({exc.msg}); expected a complete "
            "GeoJSON FeatureCollection — it looks truncated or damaged, download it again",
            file=path,
            row=_feature_at(data, exc.pos),
        )
    kind = parsed.get("type") if isinstance(parsed, dict) else type(parsed).__name__
    return InputError(
        f"not a GeoJSON FeatureCollection (type {kind!r}); expected features with polygons",
        file=path,
        row=1,
    )


def check_geometries(table, geometry: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """Every area's feature has a polygon inside England and Wales (markers, e.g. Scotland, skipped)."""
    areas = ~table.marker if len(table.marker) else np.ones(len(geometry), dtype=bool)
    kinds = shapely.get_type_id(geometry)
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    not_polygon = ~np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    bad = (missing | not_polygon) & areas
    if bad.any():
        position = int(bad.argmax())
        raise InputError(
            "feature has no polygon; expected a Polygon or MultiPolygon for every area",
            file=table.path,
            row=table.row(table.frame.index[position]),
            column="geometry",
        )
    from lantern.sources.checked import excused

    invalid = ~shapely.is_valid(geometry) & areas
    allowed = excused(table)
    if allowed is not None:
        invalid &= ~allowed
    if invalid.any():
        position = int(invalid.argmax())
        reason = shapely.is_valid_reason(geometry[position])
        raise InputError(
            f"the polygon is not valid ({reason}); expected a valid polygon (rings that close "
            "and do not cross) — damaged coordinates, or another file",
            file=table.path,
            row=table.row(table.frame.index[position]),
            column="geometry",
        )
    bounds = shapely.bounds(geometry)
    low_x, low_y, high_x, high_y = ENGLAND_AND_WALES
    with np.errstate(invalid="ignore"):
        outside = (
            (bounds[:, 0] < low_x)
            | (bounds[:, 1] < low_y)
            | (bounds[:, 2] > high_x)
            | (bounds[:, 3] > high_y)
        ) & areas
    if outside.any():
        position = int(outside.argmax())
        x0, y0, x1, y1 = bounds[position]
        raise InputError(
            f"coordinates ({x0:.3f}, {y0:.3f})–({x1:.3f}, {y1:.3f}) break the rule {RULE}: "
            "impossible for an area here, or not WGS84 longitude/latitude",
            file=table.path,
            row=table.row(table.frame.index[position]),
            column="geometry",
        )
    return geometry
