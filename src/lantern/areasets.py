"""Custom area sets: a hub's or district's own catchment as a set of LSOAs, and its summaries.

A catchment is given as a CSV of LSOA codes (a column named ``lsoa21_code``, ``lsoa11_code``,
``lsoa_code``, ``area_code`` or ``code``, else the first column) or as a GeoJSON polygon; a polygon
takes every LSOA of the build whose centroid lies inside it. ONS publishes population-weighted
centroids for LSOAs, but they are not among the bundled files: unless a centroid file is given
(CSV ``area_code, x, y`` in WGS84 longitude/latitude), each LSOA's point on surface is used, which
always lies inside the LSOA. The set gets the IoD 2019 Appendix N summaries of the index and each
domain (``lantern.index.summaries``), computed exactly as the build computes them for wards and
districts, and shown beside the build's districts for comparison.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lantern.errors import InputError
from lantern.geography.codes import AreaType, first_invalid
from lantern.index.summaries import MEASURES, area_summaries
from lantern.warehouse import Warehouse

CODE_COLUMNS = (
    "lsoa21_code",
    "lsoa11_code",
    "lsoa_code",
    "lsoa21cd",
    "lsoa11cd",
    "area_code",
    "code",
)


@dataclass(frozen=True)
class AreaSet:
    """A named set of the build's LSOAs."""

    name: str
    codes: tuple[str, ...]
    source: str


def read_csv_codes(path: Path, known: set[str], *, name: str | None = None) -> AreaSet:
    """LSOA codes from a CSV; each must be an LSOA of the build (errors name row and column)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    raw = path.read_bytes()
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"cannot read the CSV ({type(exc).__name__}); expected UTF-8 text with a header row",
            file=path,
        ) from None
    if frame.empty:
        raise InputError("no LSOA codes: the file has no data rows", file=path, row=2)
    lower = {c.lower().strip(): c for c in frame.columns}
    column = next((lower[c] for c in CODE_COLUMNS if c in lower), frame.columns[0])
    codes = frame[column].str.strip().str.upper()
    first_invalid(codes, AreaType.LSOA, file=path, column=column)
    unknown = ~codes.isin(known)
    if unknown.any():
        row = int(unknown.to_numpy().argmax())
        raise InputError(
            f"{codes.iloc[row]} is not an LSOA of this build (the build's LSOAs are on "
            "its own boundary vintage; use codes of that vintage)",
            file=path,
            row=row + 2,
            column=column,
        )
    chosen = tuple(sorted(set(codes)))
    return AreaSet(name or path.stem, chosen, f"{path.name}: {len(chosen)} LSOAs")


def centroids(lsoas: gpd.GeoSeries, centroid_file: Path | None = None) -> gpd.GeoSeries:
    """Each LSOA's point: from ``centroid_file`` (``area_code, x, y``) where given, else the
    LSOA's point on surface."""
    points = lsoas.representative_point()
    if centroid_file is None:
        return points
    given = pd.read_csv(centroid_file, dtype={"area_code": str})
    for column in ("area_code", "x", "y"):
        if column not in given.columns:
            raise InputError(
                f"missing column {column!r}; expected area_code, x, y",
                file=centroid_file,
                row=1,
                column=column,
            )
    given = given.set_index("area_code")
    known = points.index.intersection(given.index)
    points.loc[known] = gpd.points_from_xy(given.loc[known, "x"], given.loc[known, "y"])
    return points


def read_polygon(path: Path) -> shapely.Geometry:
    """The union of a GeoJSON file's polygons (WGS84 longitude/latitude, as GeoJSON requires)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid GeoJSON ({exc})", file=path) from None
    features = (
        data.get("features")
        if isinstance(data, dict) and data.get("type") == "FeatureCollection"
        else [data]
    )
    geoms = []
    for n, feature in enumerate(features or []):
        geom = feature.get("geometry", feature) if isinstance(feature, dict) else None
        try:
            shape = shapely.geometry.shape(geom)
        except Exception:  # noqa: BLE001 - shapely raises several kinds for bad geometry
            raise InputError(f"feature {n + 1} is not a GeoJSON geometry", file=path) from None
        if shape.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(
                f"feature {n + 1} is a {shape.geom_type}; expected a Polygon or MultiPolygon",
                file=path,
            )
        geoms.append(shapely.make_valid(shape))
    if not geoms:
        raise InputError("no polygon in the file", file=path)
    union = shapely.union_all(geoms)
    minx, miny, maxx, maxy = union.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError(
            "coordinates are not longitude/latitude (WGS84), as GeoJSON requires", file=path
        )
    return union


def lsoas_in_polygon(
    polygon: shapely.Geometry, lsoas: gpd.GeoSeries, *, centroid_file: Path | None = None
) -> list[str]:
    """The LSOAs whose centroid lies inside ``polygon``."""
    points = centroids(lsoas, centroid_file)
    inside = shapely.contains_xy(polygon, points.x.to_numpy(), points.y.to_numpy())
    return sorted(points.index[inside])


def build_lsoas(wh: Warehouse) -> tuple[int, gpd.GeoSeries]:
    """The built index's vintage and its LSOAs' boundaries."""
    runs = wh.index_runs()
    if runs.empty:
        raise InputError("the warehouse has no index; run `lantern build` first")
    vintage = int(runs["vintage"].iloc[0])
    scores = wh.index_scores(str(runs["index_id"].iloc[0]), component="index")
    codes = sorted(set(scores["area_code"]))
    g = wh.geometries(codes, area_type="lsoa", vintage=vintage)
    shapes = shapely.from_wkb([bytes(b) for b in g["geometry"]])
    return vintage, gpd.GeoSeries(shapes, index=g["area_code"].to_numpy(), crs="EPSG:4326")


def from_file(
    wh: Warehouse,
    *,
    csv: Path | None = None,
    geojson: Path | None = None,
    name: str | None = None,
    centroid_file: Path | None = None,
) -> AreaSet:
    """The area set described by a CSV of LSOA codes or a GeoJSON polygon."""
    if (csv is None) == (geojson is None):
        raise InputError("give exactly one of --csv (LSOA codes) or --geojson (a polygon)")
    _vintage, lsoas = build_lsoas(wh)
    if csv is not None:
        return read_csv_codes(csv, set(lsoas.index), name=name)
    assert geojson is not None
    codes = lsoas_in_polygon(read_polygon(geojson), lsoas, centroid_file=centroid_file)
    if not codes:
        raise InputError("no LSOA of this build has its centroid inside the polygon", file=geojson)
    return AreaSet(
        name or Path(geojson).stem,
        tuple(codes),
        f"{Path(geojson).name}: {len(codes)} LSOAs by centroid",
    )


def summaries(wh: Warehouse, area_set: AreaSet) -> pd.DataFrame:
    """Appendix N summaries of the set and of every district of the build, per component.

    Columns: ``area_code, area_name, component, population, n_areas`` and each of ``MEASURES``
    with its rank among the rows of that component (rank 1 = most vulnerable).
    """
    runs = wh.index_runs()
    if runs.empty:
        raise InputError("the warehouse has no index; run `lantern build` first")
    index_id, vintage = str(runs["index_id"].iloc[0]), int(runs["vintage"].iloc[0])
    scores = wh.index_scores(index_id)
    scores = scores[scores["reference"] == runs["reference"].iloc[0]]
    pop = wh.population(vintage)
    links = wh.area_links(child_type="lsoa", parent_type="district", vintage=vintage)
    names = wh.area_names()
    frames = []
    for component, part in scores.groupby("component", sort=False):
        base = pd.DataFrame(
            {
                "area_code": part["area_code"].to_numpy(),
                "score": part["score"].to_numpy(dtype=float),
                "rank": part["rank"].to_numpy(dtype=float),
            }
        )
        base["population"] = base["area_code"].map(pop).fillna(0.0) if pop is not None else 1.0
        n_total = int(base["rank"].notna().sum())
        districts = base.merge(
            links[["child_code", "parent_code"]], left_on="area_code", right_on="child_code"
        )
        mine = base[base["area_code"].isin(area_set.codes)].assign(parent_code=area_set.name)
        both = pd.concat([districts[mine.columns], mine], ignore_index=True)
        out = area_summaries(both, n_total=n_total).assign(component=component)
        frames.append(out)
    out = pd.concat(frames, ignore_index=True).rename(columns={"parent_code": "area_code"})
    out["area_name"] = [
        area_set.name if c == area_set.name else str(names.get(c, c)) for c in out["area_code"]
    ]
    columns = ["area_code", "area_name", "component", "population", "n_areas"]
    columns += [c for m in MEASURES for c in (m, f"{m}_rank")]
    return out[columns].sort_values(["component", "average_score_rank"]).reset_index(drop=True)


def outline(wh: Warehouse, area_set: AreaSet) -> shapely.Geometry:
    """The set's outline: the union of its LSOAs' boundaries."""
    _vintage, lsoas = build_lsoas(wh)
    return shapely.union_all(lsoas.reindex(list(area_set.codes)).dropna().to_numpy())


def mean_or_nan(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
