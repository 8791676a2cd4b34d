"""The JSON files the page reads: page metadata, areas, per-measure values and place labels.

Per-area detail files are written by :mod:`lantern.publish.details`.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
from isal import igzip

from lantern.publish.classify import (
    FILTERED_PATTERN,
    NO_DATA,
    NO_DATA_PATTERN,
    colours_for,
    palette_for,
    quantile_breaks,
)
from lantern.publish.display import (
    decimals_for,
    map_classes,
    rounded,
    title_with_unit,
    with_none,
)
from lantern.publish.labels import legend_corners, place_labels, population_weights
from lantern.publish.place import comparator_label, rank_note, strip_place
from lantern.publish.sitedata import GEOGRAPHY_LABELS, SiteData
from lantern.publish.trends import benchmarks

FILTERED = "#ffffff"  # drawn under a light hatching: areas outside the district or decile filter
LABEL_FILES = ("district", "town", "ward")


def sig(value: Any, digits: int = 6) -> float | None:
    """Round to ``digits`` significant figures; None for missing."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    if v == 0:
        return 0.0
    return float(round(v, digits - 1 - int(math.floor(math.log10(abs(v))))))


def sig_list(values: Any, digits: int = 6) -> list[float | None]:
    """``sig`` over an array: exactly ``float("%.{digits}g" % v)`` (Python's correctly rounded
    formatting), done in NumPy for all but the values within a hair of a tie or of a power of
    ten, which Python formats."""
    arr = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):  # extreme values overflow here and are formatted below
        return _sig_list(arr, digits)


def _sig_list(arr: np.ndarray, digits: int) -> list[float | None]:
    finite = np.isfinite(arr) & (arr != 0)
    safe = np.abs(np.where(finite, arr, 1.0))
    power = np.log10(safe)
    places = digits - 1 - np.floor(power)  # decimals that keep ``digits`` significant figures
    up = np.where(places >= 0, 10.0 ** np.abs(places), 1.0)
    down = np.where(places < 0, 10.0 ** np.abs(places), 1.0)
    scaled = np.where(finite, arr, 0.0) * up / down  # one rounding: one of the two is 1
    tie = np.abs(np.abs(scaled) - np.floor(np.abs(scaled)) - 0.5)
    slow = finite & (
        (tie <= np.abs(scaled) * 1e-12 + 1e-12)
        | (np.abs(power - np.rint(power)) < 1e-9)  # next to a power of ten: the exponent may slip
        | (np.abs(places) > 22)
    )
    # zeros stay as they are (signed), and what is not finite is None
    zero = arr == 0
    out = np.where(zero, arr, np.rint(scaled) * down / up)
    result: list[float | None] = with_none(out, finite | zero)
    fmt = f"%.{digits}g"
    for i in np.flatnonzero(slow).tolist():
        result[i] = float(fmt % arr[i])
    return result


def int_list(values: Any) -> list[int | None]:
    arr = np.asarray(values, dtype=float)
    finite = np.isfinite(arr)
    if np.abs(np.where(finite, arr, 0.0)).max(initial=0.0) >= 2.0**62:
        return [int(v) if math.isfinite(v) else None for v in arr.tolist()]
    return with_none(np.trunc(np.where(finite, arr, 0.0)).astype(np.int64), finite)


def file_id(measure_id: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in measure_id)


_BACKGROUND: ContextVar[tuple[ThreadPoolExecutor, list[Future]] | None] = ContextVar(
    "background_writes", default=None
)


@contextmanager
def background_writes() -> Iterator[None]:
    """Inside the block, :func:`dump` compresses and writes ``.gz`` files on a worker thread
    (zlib lets go of the interpreter, so it runs beside the next file's encoding); the block
    ends once every file is written, raising the first error of any."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="site-writer")
    futures: list[Future] = []
    token = _BACKGROUND.set((pool, futures))
    try:
        yield
    finally:
        _BACKGROUND.reset(token)
        pool.shutdown(wait=True)
    for future in futures:
        future.result()


FIRST = 6
"""zlib level of the files the map waits for before it is coloured (areas, values, labels): the
smallest download."""
ON_DEMAND = 3
"""ISA-L level of the files fetched one at a time when a person picks an area or a year (per
district detail, trends): standard gzip at a twentieth of zlib's time, about 9% larger."""


def encode(payload: Any) -> bytes:
    """``payload`` as compact JSON in UTF-8: the values ``json.dumps(payload, separators=(",",
    ":"), ensure_ascii=False)`` writes (a float may be spelt ``0.00001`` where it writes
    ``1e-05``), ten times as fast; a payload orjson cannot take (keys that are not strings,
    NumPy scalars) goes through ``json``. Missing values are None; a NaN is written as null."""
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")


def _write_gzip(path: Path, raw: bytes, level: int) -> None:
    if level == ON_DEMAND:
        _write(path, igzip.compress(raw, compresslevel=ON_DEMAND, mtime=0))
    else:
        _write(path, gzip.compress(raw, compresslevel=level, mtime=0))


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, making its folder the first time one is missing (no look at
    the folder for each of England's 1,300 files)."""
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def dump(path: Path, payload: Any, *, level: int = FIRST) -> int:
    """Write ``payload`` as compact JSON (:func:`encode`); gzip-compressed when ``path`` ends in
    ``.gz`` (the data files: stored once, compressed, and inflated by the page), with zlib at
    ``level`` or, for ``ON_DEMAND`` files, ISA-L. Returns the JSON's length in bytes."""
    raw = encode(payload)
    if path.suffix == ".gz":
        background = _BACKGROUND.get()
        if background is None:
            _write_gzip(path, raw, level)
        else:
            background[1].append(background[0].submit(_write_gzip, path, raw, level))
    else:
        _write(path, raw)
    return len(raw)


def read(path: Path) -> Any:
    """A data file written by :func:`dump` (gzip-compressed when it ends in ``.gz``)."""
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)


def component(measure_id: str) -> str:
    return "index" if measure_id == "index" else measure_id.split(".", 1)[1]


def geography_frames(data: SiteData) -> dict[str, pd.DataFrame]:
    """Per geography: a frame indexed by area code with ``name``, ``district_code`` and measure values."""
    lsoa = data.areas[["name", "district_code"]].join(data.values)
    frames = {"lsoa": lsoa}
    for level, frame in data.summaries.items():
        if level == "district":
            district = pd.Series(frame.index, index=frame.index)
        else:
            district = data.areas.groupby(f"{level}_code")["district_code"].first()
        frames[level] = frame.assign(district_code=district.reindex(frame.index).fillna(""))
    return frames


def ranks_of(data: SiteData, geo: str, frame: pd.DataFrame, measure_id: str) -> pd.Series | None:
    """Ranks (1 = most vulnerable) of an index or domain at a geography, None for indicators."""
    if geo == "lsoa":
        col = f"{component(measure_id)}.rank"
        return data.index[col] if col in data.index.columns else None
    col = f"{measure_id}.rank"
    return frame[col] if col in frame.columns else None


def deciles_from_ranks(rank: pd.Series) -> list[int | None]:
    n = int(rank.notna().sum())
    return int_list(np.ceil(rank.to_numpy(dtype=float) * 10 / max(n, 1)))


def measure_title(data: SiteData, measure) -> str:
    """A measure's title for this build: an index named after another place loses that name."""
    if measure.group == "indicator":
        return measure.title
    return strip_place(measure.title, data.other_places, keep=data.place_names)


def measure_specs(data: SiteData, frames: dict[str, pd.DataFrame]) -> list[dict]:
    """Each measure with how it is shown: title and unit, decimals, classes per geography in
    words, and (for indicators) its spread and the map's and England's values."""
    out = []
    for m in data.measures:
        vulnerability = m.group in ("index", "domain")
        title = measure_title(data, m)
        geos = {}
        for geo, frame in frames.items():
            if m.id not in frame.columns:
                continue
            col = frame[m.id].astype(float)
            # quantile breaks are finite, so none rounds to None
            breaks = [b for b in map(sig, quantile_breaks(col.tolist())) if b is not None]
            colours = colours_for(palette_for(m.group), len(breaks), m.polarity)
            ranks = ranks_of(data, geo, frame, m.id) if vulnerability else None
            classes = map_classes(
                col.tolist(),
                breaks,
                colours,
                polarity=m.polarity,
                vulnerability=vulnerability,
                ranks=None if ranks is None else ranks.reindex(frame.index).tolist(),
            )
            geos[geo] = {
                "breaks": breaks,
                "colours": colours,
                "classes": [
                    [c.colour, c.words, sig(c.low), sig(c.high), c.rank_low, c.rank_high]
                    for c in classes
                ],
            }
        spec: dict[str, Any] = {
            "id": m.id,
            "title": title,
            "label": title_with_unit(title, m.unit),
            "group": m.group,
            "unit": "" if vulnerability else m.unit,
            "polarity": m.polarity,
            "kind": m.kind,
            "decimals": 0 if vulnerability else decimals_for(data.values[m.id], m.unit, m.kind),
            "description": m.description,
            "domain": m.domain,
            "period": m.period,
            "source": m.source_id,
            "geos": geos,
        }
        if not vulnerability:
            lsoa = data.values[m.id].astype(float).dropna()
            if len(lsoa):
                q = np.quantile(lsoa, [0, 0.25, 0.5, 0.75, 1])
                spec["dist"] = dict(
                    zip(("min", "q1", "median", "q3", "max"), (sig(v) for v in q), strict=True)
                )
            comp = data.comparators.get(m.id, {})
            spec["county"] = sig(comp.get("county"))
            spec["england"] = sig(comp.get("england"))
        out.append(spec)
    return out


def bbox(geom) -> list[float]:
    minx, miny, maxx, maxy = geom.bounds
    return [round(minx, 5), round(miny, 5), round(maxx, 5), round(maxy, 5)]


def class_codes(col: pd.Series) -> list[int]:
    """Each area's colour class (0 = lowest) from the raw value, -1 where there is none."""
    vals = col.astype(float).to_numpy()
    upper = np.asarray([sig(b) for b in quantile_breaks(vals)], dtype=float)
    cls = np.minimum(np.searchsorted(upper, vals, side="left"), max(len(upper) - 1, 0))
    return np.where(np.isfinite(vals), cls, -1).astype(np.int64).tolist()


def first_classes(frame: pd.DataFrame, measure: str) -> str | None:
    """The first view's colours inlined in the page, so the map is coloured without waiting for
    any data file: one character per area in ``areas/lsoa`` order, the class digit or ``-`` (no
    data)."""
    if measure not in frame.columns:
        return None
    codes = class_codes(frame[measure])
    if any(k > 8 for k in codes):  # 9 is the page's "outside the filter"
        return None
    return "".join("-" if k < 0 else str(k) for k in codes)


def write_values(data: SiteData, site: Path, geo: str, frame: pd.DataFrame) -> list[str]:
    """``data/values/<geo>/<measure>.json.gz``: each area's colour class ``c`` (from the raw value,
    so the map and the legend agree exactly); for indicators the value ``v`` rounded as the page
    shows it; for the index and domains ``rank`` and ``decile`` (never the raw score). Returns
    the measures written."""
    measures = [m.id for m in data.measures if m.id in frame.columns]
    for mid in measures:
        m = data.measure(mid)
        col = frame[mid].astype(float)
        vals = col.to_numpy()
        payload: dict[str, Any] = {"c": class_codes(col)}
        if m.group == "indicator":
            payload["v"] = rounded(vals, decimals_for(data.values[mid].to_numpy(), m.unit, m.kind))
        else:
            rank = ranks_of(data, geo, frame, mid)
            if rank is not None:
                rank = rank.reindex(frame.index)
                payload["rank"] = int_list(rank)
                if geo == "lsoa" and f"{component(mid)}.decile" in data.index.columns:
                    payload["decile"] = int_list(data.index[f"{component(mid)}.decile"])
                    if mid == "index" and "index.decile_change_share" in data.index.columns:
                        # for the table: rank interval and decile stability
                        payload["p05"] = int_list(data.index["index.rank_p05"])
                        payload["p95"] = int_list(data.index["index.rank_p95"])
                        payload["stays"] = sig_list(1 - data.index["index.decile_change_share"], 3)
                else:
                    payload["decile"] = deciles_from_ranks(rank)
                    if mid == "index" and "index.rank_p05" in frame.columns:
                        # for the table: the rank interval of the area's average score
                        payload["p05"] = int_list(frame["index.rank_p05"])
                        payload["p95"] = int_list(frame["index.rank_p95"])
                if geo == "lsoa" and f"{component(mid)}.imputed_share" in data.index.columns:
                    share = data.index[f"{component(mid)}.imputed_share"].reindex(frame.index)
                    payload["imputed"] = sig_list(share, 2)
        dump(site / "data" / "values" / geo / f"{file_id(mid)}.json.gz", payload)
    return measures


def write_trends(data: SiteData, site: Path, codes: list[str]) -> None:
    """``data/trends/lsoa/<indicator>.json.gz``: ``{"periods": [...], "v": [[one value per area, in
    areas/lsoa.json order] per period]}`` for each indicator held for several periods."""
    for indicator_id, frame in data.trends.items():
        frame = frame.reindex(codes)
        dump(
            site / "data" / "trends" / "lsoa" / f"{file_id(indicator_id)}.json.gz",
            {
                "periods": [str(p) for p in frame.columns],
                "v": [sig_list(frame[p], 4) for p in frame],
            },
            level=ON_DEMAND,
        )


def yearly_benchmarks(data: SiteData) -> dict:
    """Per trend indicator: its label and decimals (the map measure's, when the map shows it),
    periods, and the county's and England's value in each."""
    if data.yearly is None or data.yearly.empty:
        return {}
    out = benchmarks(data.yearly)
    for indicator_id, spec in out.items():
        measure = next((m for m in data.measures if m.id == indicator_id), None)
        if measure is not None:
            spec["title"] = measure.title
            spec["decimals"] = decimals_for(
                data.values[measure.id].tolist(), measure.unit, measure.kind
            )
        spec["label"] = title_with_unit(spec.pop("title"), spec["unit"])
    return out


def mostly_imputed(data: SiteData) -> int:
    """How many areas have an index resting on more than half imputed weight."""
    if "index.imputed_share" not in data.index.columns:
        return 0
    return int((data.index["index.imputed_share"] > 0.5).sum())


def write_areas(data: SiteData, site: Path, geo: str, frame: pd.DataFrame, districts) -> None:
    district_index = {code: i for i, (code, _) in enumerate(districts)}
    areas: dict[str, Any] = {
        "codes": list(frame.index),
        "names": [str(n) for n in frame["name"]],
        "district": [district_index.get(d, -1) for d in frame["district_code"]],
    }
    if geo == "lsoa":
        for level in ("ward", "msoa"):
            names = sorted({n for n in data.areas[f"{level}_name"] if n})
            pos = {n: i for i, n in enumerate(names)}
            areas[f"{level}Names"] = names
            areas[level] = [pos.get(n, -1) for n in data.areas[f"{level}_name"]]
    dump(site / "data" / "areas" / f"{geo}.json.gz", areas)


def write_labels(data: SiteData, site: Path) -> dict[str, str]:
    """``data/labels/<kind>.json.gz``: ``[[name, lon, lat], …]`` largest population first."""
    weights, _ = population_weights(data.values, data.areas.index)
    labels = place_labels(data.areas, data.geometry, weights)
    files = {}
    for kind in LABEL_FILES:
        rows = [[lb.name, lb.lon, lb.lat] for lb in labels if lb.kind == kind]
        path = f"data/labels/{kind}.json.gz"
        dump(site / path, rows)
        files[kind] = path
    return files


def write_data_files(
    data: SiteData, site: Path, frames: dict[str, pd.DataFrame], geoms: dict
) -> dict:
    """Write ``data/`` (except the detail files) and return the page metadata (inlined into
    index.html)."""
    districts = sorted(
        {
            (c, n)
            for c, n in zip(data.areas["district_code"], data.areas["district_name"], strict=True)
            if c
        },
        key=lambda cn: cn[1],
    )
    district_geoms = geoms.get("district")
    geographies = []
    for geo, frame in frames.items():
        write_areas(data, site, geo, frame, districts)
        measures = write_values(data, site, geo, frame)
        if geo == "lsoa":
            write_trends(data, site, list(frame.index))
        zooms = geoms[f"{geo}_zooms"]
        geographies.append(
            {
                "id": geo,
                "label": GEOGRAPHY_LABELS[geo],
                "tiles": f"tiles/{geo}.pmtiles",
                "count": len(frame),
                "measures": measures,
                "hasDecile": "index" in measures,
                "minzoom": zooms[0],
                "maxzoom": zooms[1],
            }
        )
    total = data.geometry.total_bounds
    england = data.place == "England"
    index = next((m for m in data.measures if m.id == "index"), None)
    meta: dict[str, Any] = {
        "title": data.title,
        "place": data.place,
        "vintage": data.vintage,
        "indexTitle": measure_title(data, index) if index else "",
        "stabilityNote": data.stability_note,
        "rankNote": rank_note(
            data.place, data.rank_total or len(data.areas), data.national_reference
        ),
        "rankTotal": data.rank_total or len(data.areas),
        "countyLabel": None if england else comparator_label(data.place, data.place_names),
        "defaultMeasure": data.default_measure,
        "firstClasses": first_classes(frames["lsoa"], data.default_measure)
        if "lsoa" in frames
        else None,
        "measures": measure_specs(data, frames),
        "geographies": geographies,
        "districts": [
            {
                "code": c,
                "name": n,
                "bbox": bbox(district_geoms.loc[c].geometry)
                if district_geoms is not None and c in district_geoms.index
                else None,
            }
            for c, n in districts
        ],
        "bounds": [round(float(v), 5) for v in total],
        "outlines": "tiles/district.pmtiles" if "district" in geoms else None,
        "legendCorners": legend_corners(geoms.get("district", data.geometry)),
        "labels": write_labels(data, site),
        "noData": NO_DATA,
        "filtered": FILTERED,
        "patterns": {"noData": list(NO_DATA_PATTERN), "filtered": list(FILTERED_PATTERN)},
        "trends": {i: list(f.columns) for i, f in data.trends.items()},
        "yearTrends": yearly_benchmarks(data),
        "mostlyImputed": mostly_imputed(data),
        "hasPostcodes": data.postcodes is not None and len(data.postcodes) > 0,
        "postcodesApproximate": bool(
            data.postcodes is not None and data.postcodes["approximate"].any()
        ),
        "sources": [
            {
                "publisher": s.publisher,
                "dataset": s.dataset,
                "licence": s.licence,
                "vintage": s.vintage,
                "loaded_at": s.loaded_at,
            }
            for s in data.sources
        ],
    }
    for d in meta["districts"]:
        if d["bbox"] is None:
            d["bbox"] = meta["bounds"]
    if data.postcodes is not None and meta["hasPostcodes"]:
        _write_postcodes(data.postcodes, site)
    return meta


def _write_postcodes(postcodes: pd.DataFrame, site: Path) -> None:
    pcs = postcodes.copy()
    pcs["key"] = pcs["postcode"].str.replace(" ", "", regex=False).str.upper()
    pcs["outward"] = pcs["key"].str[:-3]
    for outward, part in pcs.groupby("outward"):
        dump(
            site / "data" / "postcodes" / f"{outward}.json.gz",
            dict(zip(part["key"], part["lsoa_code"], strict=True)),
        )


PREVIEW_MAX_AREAS = 5000
PREVIEW_SCALE = 10_000  # 1e-4 degrees, about 7-11 m in England


def write_preview(data: SiteData, site: Path) -> str | None:
    """Compact LSOA outlines (delta-encoded 1e-4 degree integers) for the first frame of a county
    build; None for larger builds, whose tiles draw fast enough on their own."""
    if len(data.areas) > PREVIEW_MAX_AREAS:
        return None
    rings, owner = [], []
    for i, geom in enumerate(data.geometry.geometry):
        polys = getattr(geom, "geoms", [geom])
        for poly in polys:
            coords = np.round(np.asarray(poly.exterior.coords) * PREVIEW_SCALE).astype(np.int64)
            deltas = np.diff(coords, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
            rings.append(deltas.ravel().tolist())
            owner.append(i)
    dump(
        site / "data" / "preview" / "lsoa.json.gz",
        {"scale": PREVIEW_SCALE, "rings": rings, "area": owner},
    )
    return "data/preview/lsoa.json.gz"
