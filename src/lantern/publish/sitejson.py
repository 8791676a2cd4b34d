"""The JSON files the page reads: page metadata, areas, per-measure values and per-area detail."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.publish.classify import NO_DATA, colours_for, palette_for, quantile_breaks
from lantern.publish.sitedata import GEOGRAPHY_LABELS, SiteData

FILTERED = "#f3f3f3"


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


def _ints(series: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in series]


def file_id(measure_id: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in measure_id)


def dump(path: Path, payload: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    path.write_text(text, encoding="utf-8")
    return len(text)


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


def measure_specs(data: SiteData, frames: dict[str, pd.DataFrame]) -> list[dict]:
    """Each measure with its class breaks and colours per geography, comparators and spread."""
    out = []
    for m in data.measures:
        geos = {}
        for geo, frame in frames.items():
            if m.id not in frame.columns:
                continue
            col = frame[m.id].astype(float)
            breaks = [sig(b) for b in quantile_breaks(col.tolist())]
            geos[geo] = {
                "breaks": breaks,
                "colours": colours_for(palette_for(m.group), len(breaks), m.polarity),
                "min": sig(col.min()),
            }
        lsoa = data.values[m.id].astype(float).dropna()
        dist = None
        if len(lsoa):
            q = np.quantile(lsoa, [0, 0.25, 0.5, 0.75, 1])
            dist = dict(zip(("min", "q1", "median", "q3", "max"), (sig(v) for v in q), strict=True))
        comp = data.comparators.get(m.id, {})
        out.append(
            {
                "id": m.id,
                "title": m.title,
                "group": m.group,
                "unit": m.unit,
                "polarity": m.polarity,
                "kind": m.kind,
                "description": m.description,
                "domain": m.domain,
                "period": m.period,
                "source": m.source_id,
                "geos": geos,
                "dist": dist,
                "county": sig(comp.get("county")),
                "england": sig(comp.get("england")),
            }
        )
    return out


def bbox(geom) -> list[float]:
    minx, miny, maxx, maxy = geom.bounds
    return [round(minx, 5), round(miny, 5), round(maxx, 5), round(maxy, 5)]


def write_data_files(
    data: SiteData, site: Path, frames: dict[str, pd.DataFrame], geoms: dict
) -> dict:
    """Write ``data/`` and return the page metadata (inlined into index.html)."""
    districts = sorted(
        {
            (c, n)
            for c, n in zip(data.areas["district_code"], data.areas["district_name"], strict=True)
            if c
        },
        key=lambda cn: cn[1],
    )
    district_index = {code: i for i, (code, _) in enumerate(districts)}
    district_geoms = geoms.get("district")
    specs = measure_specs(data, frames)
    geographies = []
    for geo, frame in frames.items():
        codes = list(frame.index)
        measures = [m.id for m in data.measures if m.id in frame.columns]
        areas: dict[str, Any] = {
            "codes": codes,
            "names": [str(n) for n in frame["name"]],
            "district": [district_index.get(d, -1) for d in frame["district_code"]],
        }
        if geo == "lsoa":
            for level in ("ward", "msoa"):
                names = sorted({n for n in data.areas[f"{level}_name"] if n})
                pos = {n: i for i, n in enumerate(names)}
                areas[f"{level}Names"] = names
                areas[level] = [pos.get(n, -1) for n in data.areas[f"{level}_name"]]
        dump(site / "data" / "areas" / f"{geo}.json", areas)
        has_decile = False
        for mid in measures:
            payload: dict[str, Any] = {"v": [sig(v) for v in frame[mid]]}
            if geo == "lsoa" and data.measure(mid).group != "indicator" and not data.index.empty:
                comp = "index" if mid == "index" else mid.split(".", 1)[1]
                payload["rank"] = _ints(data.index[f"{comp}.rank"])
                payload["decile"] = _ints(data.index[f"{comp}.decile"])
                if mid == "index":  # uncertainty for the table: rank interval, decile stability
                    payload["p05"] = _ints(data.index["index.rank_p05"])
                    payload["p95"] = _ints(data.index["index.rank_p95"])
                    stays = 1 - data.index["index.decile_change_share"]
                    payload["stays"] = [None if pd.isna(v) else sig(v, 3) for v in stays]
                has_decile = has_decile or mid == "index"
            elif f"{mid}.rank" in frame.columns:
                rank = frame[f"{mid}.rank"]
                payload["rank"] = _ints(rank)
                payload["decile"] = _ints(np.ceil(rank * 10 / rank.notna().sum()))
                has_decile = has_decile or mid == "index"
            dump(site / "data" / "values" / geo / f"{file_id(mid)}.json", payload)
        _write_details(data, site, geo, frame, measures, geoms[geo])
        zooms = geoms[f"{geo}_zooms"]
        geographies.append(
            {
                "id": geo,
                "label": GEOGRAPHY_LABELS[geo],
                "tiles": f"tiles/{geo}.pmtiles",
                "count": len(codes),
                "measures": measures,
                "hasDecile": has_decile,
                "minzoom": zooms[0],
                "maxzoom": zooms[1],
            }
        )
    total = data.geometry.total_bounds
    meta = {
        "title": data.title,
        "vintage": data.vintage,
        "indexTitle": data.index_title,
        "rankNote": _rank_note(data),
        "stabilityNote": data.stability_note,
        "countyLabel": "England" if _is_england(data) else "County",
        "defaultMeasure": data.default_measure,
        "measures": specs,
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
        "noData": NO_DATA,
        "filtered": FILTERED,
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
    if meta["hasPostcodes"]:
        _write_postcodes(data, site)
    return meta


def _is_england(data: SiteData) -> bool:
    return len(data.areas) > 30000


def _rank_note(data: SiteData) -> str:
    where = "England" if _is_england(data) else "the areas on this map"
    return f"Rank 1 and decile 1 are the most vulnerable among {where}."


def _write_details(
    data: SiteData, site: Path, geo: str, frame: pd.DataFrame, measures: list[str], geometry
) -> None:
    contrib: dict = {}
    terms: dict[str, list[tuple[str, float]]] = {}  # unrounded index terms, for the sentence
    if geo == "lsoa" and not data.contributions.empty:
        for (code, comp), part in data.contributions.groupby(["area_code", "component"]):
            part = part.sort_values("contribution", ascending=False)
            if comp == "index":
                terms[code] = list(zip(part["term"], part["contribution"], strict=True))
            contrib.setdefault(code, {})[comp] = [
                [t, sig(c, 4), sig(s, 4)]
                for t, c, s in zip(part["term"], part["contribution"], part["share"], strict=True)
            ]
    components = sorted({c.split(".", 1)[0] for c in data.index.columns}) if geo == "lsoa" else []
    for district, part in frame.groupby("district_code"):
        out = {}
        for code, row in part.iterrows():
            entry: dict[str, Any] = {
                "name": str(row["name"]),
                "bbox": bbox(geometry.loc[code].geometry) if code in geometry.index else None,
                "values": {m: sig(row[m]) for m in measures},
            }
            if geo == "lsoa":
                a = data.areas.loc[code]
                entry["msoa"] = [a["msoa_code"], a["msoa_name"]]
                entry["ward"] = [a["ward_code"], a["ward_name"]]
                entry["district"] = [a["district_code"], a["district_name"]]
                entry["index"] = {
                    comp: [sig(data.index.at[code, f"{comp}.score"])]
                    + [
                        None if pd.isna(v) else int(v)
                        for v in (
                            data.index.at[code, f"{comp}.{f}"]
                            for f in ("rank", "decile", "rank_p05", "rank_p95")
                        )
                    ]
                    for comp in components
                }
                entry["contrib"] = contrib.get(code, {})
                change = data.index.at[code, "index.decile_change_share"]
                entry["stays"] = None if pd.isna(change) else sig(1 - float(change), 3)
                entry["why"] = _why(data, code, str(row["name"]), terms.get(code, []))
            else:
                entry["district"] = [district, ""]
                if "index.rank" in frame.columns:
                    rank = row["index.rank"]
                    n = frame["index.rank"].notna().sum()
                    entry["index"] = {
                        "index": [
                            sig(row["index"]),
                            None if pd.isna(rank) else int(rank),
                            None if pd.isna(rank) else int(math.ceil(rank * 10 / n)),
                            None,
                            None,
                        ]
                    }
            out[code] = entry
        dump(site / "data" / "detail" / geo / f"{district or '_'}.json", out)


def _why(data: SiteData, code: str, name: str, terms: list[tuple[str, float]]) -> str:
    """The sentence ``lantern explain`` prints first, for the area panel (same function)."""
    from lantern.index.explain import why_sentence

    if not terms:
        return ""
    titles = {m.id.split(".", 1)[-1]: m.title for m in data.measures if m.group != "indicator"}
    top = [
        (titles.get(t, t), data.index.at[code, f"{t}.rank"], float(c))
        for t, c in terms[:2]
        if f"{t}.rank" in data.index.columns
    ]
    return why_sentence(
        f"{name} ({code})" if name and name != code else code,
        data.index.at[code, "index.rank"],
        int(data.index["index.rank"].notna().sum()),
        data.index.at[code, "index.decile"],
        top,
        float(sum(c for _, c in terms)),
    )


def _write_postcodes(data: SiteData, site: Path) -> None:
    pcs = data.postcodes.copy()
    pcs["key"] = pcs["postcode"].str.replace(" ", "", regex=False).str.upper()
    pcs["outward"] = pcs["key"].str[:-3]
    for outward, part in pcs.groupby("outward"):
        dump(
            site / "data" / "postcodes" / f"{outward}.json",
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
        site / "data" / "preview" / "lsoa.json",
        {"scale": PREVIEW_SCALE, "rings": rings, "area": owner},
    )
    return "data/preview/lsoa.json"
