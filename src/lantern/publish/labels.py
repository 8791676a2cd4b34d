"""Place labels for the map: districts, towns and wards at population-weighted centroids.

The names are the ones the warehouse already holds. Towns are read from ward names: wards that
share leading words ("Witham North", "Witham South" → Witham; "Saffron Walden Audley", "Saffron
Walden Castle" → Saffron Walden) make a town. Each label sits at the population-weighted centroid
of its LSOAs (the LSOA centroids weighted by population), moved to the nearest of its own LSOAs
when that point falls outside them (a crescent-shaped district, a town around an estuary).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

KINDS = ("district", "town", "ward")
# Words that cannot end a town name: connectives and prefixes of longer names.
NOT_A_TOWN_END = {
    "&",
    "and",
    "with",
    "st",
    "st.",
    "the",
    "great",
    "little",
    "old",
    "new",
    "upper",
    "lower",
    "north",
    "south",
    "east",
    "west",
    "central",
    "rural",
    "town",
    "of",
    "on",
    "le",
    "in",
    "-",
}
# Population measures, most preferred first; without one every LSOA weighs the same (LSOAs are
# drawn to hold similar numbers of people, 1,000 to 3,000).
POPULATION_MEASURES = ("census2021.usual_residents", "pop.total", "iod2019.pop_total_mid2015")
# British National Grid for distances and centroids in Great Britain.
PROJECTED = "EPSG:27700"


@dataclass(frozen=True)
class Label:
    name: str
    kind: str  # district | town | ward
    lon: float
    lat: float
    population: float


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", name.strip()) if w]


def town_of_wards(ward_names: Iterable[str]) -> dict[str, str]:
    """Ward name → town name, for wards whose leading words are shared with another ward.

    The longest shared prefix (up to three words) wins; a prefix may not end on a connective or
    a direction ("Great", "North", "&"), so "Great Baddow East" and "Great Baddow West" give
    Great Baddow but "St Mary's" and "St James" give nothing.
    """
    names = sorted({n for n in ward_names if n and n.strip()})
    words = {n: _words(n) for n in names}
    town: dict[str, str] = {}
    for k in (3, 2, 1):
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for n in names:
            if n in town or len(words[n]) < k:
                continue
            prefix = tuple(words[n][:k])
            if prefix[-1].lower() in NOT_A_TOWN_END or not any(c.isalpha() for c in prefix[-1]):
                continue
            groups[tuple(w.lower() for w in prefix)].append(n)
        for members in groups.values():
            if len(members) < 2:
                continue
            label = " ".join(words[members[0]][:k])
            for n in members:
                town[n] = label
    return town


def population_weights(values: pd.DataFrame, index: pd.Index) -> tuple[pd.Series, str | None]:
    """Population of each LSOA from the first population measure present (else all ones)."""
    for measure in POPULATION_MEASURES:
        if measure in values.columns:
            col = values[measure].reindex(index).astype(float)
            if col.notna().mean() > 0.95 and (col.dropna() > 0).all():
                return col.fillna(col.median()), measure
    return pd.Series(1.0, index=index), None


def weighted_centroid(
    points: np.ndarray, weights: np.ndarray, polygons: np.ndarray
) -> tuple[float, float]:
    """Population-weighted centroid of LSOA ``points`` (projected x, y), kept inside ``polygons``.

    When the weighted point lies outside every polygon of the group, the representative point of
    the polygon nearest to it is used instead.
    """
    w = np.asarray(weights, dtype=float)
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    if w.sum() == 0:
        w = np.ones(len(points))
    x, y = (points * w[:, None]).sum(axis=0) / w.sum()
    p = shapely.points(x, y)
    if np.any(shapely.contains(polygons, p)):
        return float(x), float(y)
    nearest = int(np.argmin(shapely.distance(polygons, p)))
    q = shapely.point_on_surface(polygons[nearest])
    return float(shapely.get_x(q)), float(shapely.get_y(q))


_OFFICIAL_SUFFIX = re.compile(r",\s*(?:County|City|Royal Borough|Borough) of\s*$", re.IGNORECASE)


def short_name(name: str) -> str:
    """A district's name as people say it on a map: ONS's "Herefordshire, County of",
    "Bristol, City of" and "Kingston upon Hull, City of" read "Herefordshire", "Bristol" and
    "Kingston upon Hull" (the panel and downloads keep the official name)."""
    return _OFFICIAL_SUFFIX.sub("", name).strip() or name


def place_labels(
    areas: pd.DataFrame, geometry: gpd.GeoDataFrame, population: pd.Series
) -> list[Label]:
    """Labels for the districts, towns and wards of the build's LSOAs.

    ``areas``: LSOA code → ``ward_name``, ``district_name`` (as in :class:`SiteData`);
    ``geometry``: LSOA polygons in WGS84 indexed by code; ``population``: LSOA code → people.
    """
    geo = geometry.reindex(areas.index)
    keep = geo.geometry.notna().to_numpy()
    proj = geo[keep].to_crs(PROJECTED)
    polygons = proj.geometry.to_numpy()
    cent = shapely.centroid(polygons)
    points = np.column_stack([shapely.get_x(cent), shapely.get_y(cent)])
    frame = areas[keep]
    weights = population.reindex(frame.index).fillna(0).to_numpy(dtype=float)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    names: dict[tuple[str, str], str] = {}
    ward_key = frame["ward_code"] if "ward_code" in frame else frame["ward_name"]
    for district, part in frame.groupby("district_name", sort=False):
        towns = town_of_wards(part["ward_name"])
        for code in part.index:
            i = frame.index.get_loc(code)
            ward = frame.at[code, "ward_name"]
            if district:
                groups[("district", district)].append(i)
                names[("district", district)] = short_name(district)
            if ward:
                key = ("ward", str(ward_key.at[code]))
                groups[key].append(i)
                names[key] = ward
                if ward in towns:
                    tkey = ("town", f"{district}|{towns[ward]}")
                    groups[tkey].append(i)
                    names[tkey] = towns[ward]
    out = []
    xy: list[tuple[float, float]] = []
    for group, rows in groups.items():
        idx = np.asarray(rows)
        xy.append(weighted_centroid(points[idx], weights[idx], polygons[idx]))
        out.append((group[0], names[group], float(weights[idx].sum())))
    if not out:
        return []
    arr = np.asarray(xy, dtype=float)
    lonlat = gpd.GeoSeries(gpd.points_from_xy(arr[:, 0], arr[:, 1]), crs=PROJECTED).to_crs(
        "EPSG:4326"
    )
    labels = [
        Label(name, kind, round(float(p.x), 5), round(float(p.y), 5), round(pop))
        for (kind, name, pop), p in zip(out, lonlat, strict=True)
    ]
    return sorted(labels, key=lambda lb: (KINDS.index(lb.kind), -lb.population, lb.name))


def legend_corners(
    geometry: gpd.GeoDataFrame, *, width: float = 0.4, height: float = 0.4
) -> list[str]:
    """Corners of the map's first view ordered by how little of the build's area a legend there
    would hide: ``bl``, ``br`` and ``tl`` (top right holds the zoom buttons).

    Each corner is a box ``width`` × ``height`` of the bounds in Web Mercator (what the map shows);
    the share of it covered by the areas decides, ties kept in that order.
    """
    merc = geometry.to_crs("EPSG:3857")
    minx, miny, maxx, maxy = merc.total_bounds
    w, h = (maxx - minx) * width, (maxy - miny) * height
    boxes = {
        "bl": shapely.box(minx, miny, minx + w, miny + h),
        "br": shapely.box(maxx - w, miny, maxx, miny + h),
        "tl": shapely.box(minx, maxy - h, minx + w, maxy),
    }
    land = shapely.union_all(shapely.simplify(merc.geometry.to_numpy(), 500))
    share = {k: land.intersection(b).area / b.area for k, b in boxes.items()}
    return sorted(boxes, key=lambda k: (round(share[k], 3), list(boxes).index(k)))
