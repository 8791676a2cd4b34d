"""What a profile page shows, read from the warehouse for many areas at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from lantern.errors import InputError
from lantern.geography.codes import AreaType, area_type_of
from lantern.profile.compare import indicator_table
from lantern.profile.trends import weekly_cases, yearly_trends
from lantern.warehouse import Warehouse

TYPES = ("lsoa", "msoa", "ward", "district")
LABEL = {
    "lsoa": "Neighbourhood (LSOA)",
    "msoa": "MSOA",
    "ward": "Ward",
    "district": "District",
    "set": "Area set of",
}


@dataclass
class Profile:
    """One page: an area, its index position, domains, indicators, trends and map."""

    code: str
    name: str
    area_type: str
    vintage: int
    parents: list[tuple[str, str, str]]  # (label, code, name)
    county_name: str
    index: dict[str, Any]  # score, rank, of, decile, p05, p95, stability
    domains: list[dict[str, Any]]
    indicators: pd.DataFrame  # compare.COLUMNS + title, unit, polarity, domain
    cases: pd.DataFrame  # period, value, lower, upper, cases, suppressed, england, england_max
    cases_note: str
    trends: dict[str, pd.DataFrame] = field(default_factory=dict)
    shape: Any = None  # shapely geometry of the area
    context: Any = None  # shapely geometries around it (the district's LSOAs or wards)
    index_title: str = ""
    reference: str = ""
    dist: dict[str, list[float]] = field(default_factory=dict)  # min, q1, median, q3, max


def resolve(wh: Warehouse, code: str, vintage: int) -> str:
    """The area type of ``code`` in this warehouse (LSOA, MSOA, ward or district), or an error."""
    try:
        kind = area_type_of(code)
    except (ValueError, KeyError):
        kind = None
    if kind not in {AreaType.LSOA, AreaType.MSOA, AreaType.WARD, AreaType.DISTRICT}:
        raise InputError(
            f"{code!r} is not an LSOA, MSOA, ward or district code (e.g. E01021988, E02004567, "
            "E05004273, E07000066)",
            column="AREA",
        )
    found = wh.areas(area_type=str(kind.value), vintage=vintage, codes=[code])
    if found.empty:
        raise InputError(
            f"{code} is not an area of this build ({LABEL[kind.value]}, {vintage} boundaries); "
            "profiles cover the areas the index was built for",
            column="AREA",
        )
    return str(kind.value)


def _run(wh: Warehouse) -> pd.Series:
    runs = wh.index_runs()
    if runs.empty:
        raise InputError("the warehouse has no index; run `lantern build` first")
    return runs.iloc[0]


QUALITY_TEXT = {
    "low_coverage": "few residents registered with the practices behind it",
    "dominant_outlier": "mostly one practice, whose recorded prevalence is an outlier",
}


def quality_notes(
    wh: Warehouse, flags: pd.DataFrame, codes: list[str], area_type: str, vintage: int
) -> dict[tuple[str, str], str]:
    """(area, indicator) → a short note where the QOF estimate is flagged (an LSOA's own flag;
    for larger areas how many of their neighbourhoods are flagged)."""
    if flags is None or flags.empty:
        return {}
    if area_type == "lsoa":
        return {
            (r.area_code, r.indicator_id): QUALITY_TEXT.get(r.flag, r.flag)
            for r in flags.itertuples()
            if r.area_code in set(codes)
        }
    links = wh.area_links(child_type="lsoa", parent_type=area_type, vintage=vintage)
    links = links[links["parent_code"].isin(codes)]
    size = links.groupby("parent_code")["child_code"].nunique()
    joined = flags.merge(links, left_on="area_code", right_on="child_code")
    counts = joined.groupby(["parent_code", "indicator_id"])["child_code"].nunique()
    return {
        (parent, ind): f"{n} of {int(size[parent])} neighbourhoods flagged"
        for (parent, ind), n in counts.items()
    }


def profiles(
    wh: Warehouse,
    codes: list[str],
    area_type: str,
    *,
    county: list[str],
    quality: pd.DataFrame | None = None,
) -> list[Profile]:
    """A profile for each of ``codes`` (all of one ``area_type``); ``quality`` holds QOF
    apportionment flags (``lantern.profile.quality.qof_flags``) to show beside the values."""
    run = _run(wh)
    index_id, vintage = str(run["index_id"]), int(run["vintage"])
    names = wh.area_names()
    comps = wh.index_components(index_id)
    weights = wh.index_weights(index_id)
    domain_of = {
        r.indicator_id: r.component for r in weights.itertuples() if r.component != "index"
    }
    ids = list(domain_of)
    meta = wh.meta(ids).set_index("indicator_id")
    table = indicator_table(
        wh, ids, vintage=vintage, area_type=area_type, codes=codes, county=county
    )
    table = table.join(meta[["title", "unit", "polarity"]], on="indicator_id")
    table["domain"] = table["indicator_id"].map(domain_of)
    notes = quality_notes(wh, quality, codes, area_type, vintage) if quality is not None else {}
    table["quality"] = [
        notes.get((a, i), "")
        for a, i in zip(table["area_code"], table["indicator_id"], strict=True)
    ]
    index_rows = _index_rows(wh, index_id, area_type, codes, comps)
    geoms = _geometries(wh, codes, area_type, vintage)
    links = wh.area_links(child_type=area_type, vintage=vintage, children=codes)
    cases, note = weekly_cases(wh, codes, area_type, vintage)
    trends = yearly_trends(wh, ids, codes, area_type, vintage)
    county_name = " and ".join(str(names.get(c, c)) for c in county)
    spread = wh.indicator_frame(ids, vintage=vintage, area_type=area_type, areas=county)
    dist = {
        i: [float(v) for v in np.nanquantile(spread[i], [0, 0.25, 0.5, 0.75, 1])]
        for i in ids
        if spread[i].notna().any()
    }
    contexts: dict[str, Any] = {}
    out = []
    for code in codes:
        parents = [
            (LABEL[r.parent_type], r.parent_code, str(names.get(r.parent_code, "")))
            for r in links[links["child_code"] == code].itertuples()
            if r.parent_type in ("msoa", "ward", "district")
        ]
        order = {"MSOA": 0, "Ward": 1, "District": 2}
        parents.sort(key=lambda p: order.get(p[0], 3))
        idx, domains = index_rows.get(code, ({}, []))
        district = next((p[1] for p in parents if p[0] == "District"), code)
        out.append(
            Profile(
                code=code,
                name=str(names.get(code, code)),
                area_type=area_type,
                vintage=vintage,
                parents=parents,
                county_name=county_name,
                index=idx,
                domains=domains,
                indicators=table[table["area_code"] == code].reset_index(drop=True),
                cases=cases.get(code, pd.DataFrame()),
                cases_note=note.get(code, ""),
                trends={k: v[v["area_code"] == code] for k, v in trends.items()},
                shape=geoms.get(code),
                context=_context(wh, district, vintage, contexts),
                index_title=str(run["title"] or run["name"] or index_id),
                reference=str(run["reference"]),
                dist=dist,
            )
        )
    return out


def _index_rows(
    wh: Warehouse, index_id: str, area_type: str, codes: list[str], comps: pd.DataFrame
) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    titles = dict(zip(comps["component"], comps["title"], strict=True))
    out: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    if area_type == "lsoa":
        scores = wh.index_scores(index_id, codes=codes)
        runs = wh.index_runs(index_id)
        total = int(runs["n_areas"].iloc[0]) if len(runs) else len(codes)
        for code, part in scores.groupby("area_code"):
            rows = part.set_index("component")
            if "index" not in rows.index:
                continue
            r = rows.loc["index"]
            idx = {
                "score": float(r["score"]),
                "rank": _int(r["rank"]),
                "of": total,
                "decile": _int(r["decile"]),
                "p05": _int(r["rank_p05"]),
                "p95": _int(r["rank_p95"]),
                "stability": None
                if pd.isna(r["decile_change_share"])
                else 1 - float(r["decile_change_share"]),
            }
            domains = [
                {
                    "id": c,
                    "title": titles.get(c, c),
                    "score": float(rows.loc[c, "score"]),
                    "rank": _int(rows.loc[c, "rank"]),
                    "decile": _int(rows.loc[c, "decile"]),
                    "of": total,
                }
                for c in comps["component"]
                if c != "index" and c in rows.index
            ]
            out[str(code)] = (idx, domains)
        return out
    summaries = wh.index_summaries(index_id)
    part = summaries[summaries["area_type"] == area_type]
    avg = part[part["measure"] == "average_score"]
    for code in codes:
        mine = avg[avg["area_code"] == code].set_index("component")
        if "index" not in mine.index:
            continue
        total = int(avg[avg["component"] == "index"]["area_code"].nunique())
        rank = _int(mine.loc["index", "rank"])
        extra = part[(part["area_code"] == code) & (part["component"] == "index")]
        measures = dict(zip(extra["measure"], extra["value"], strict=True))
        idx = {
            "score": float(mine.loc["index", "value"]),
            "rank": rank,
            "of": total,
            "decile": None if rank is None else int(np.ceil(rank * 10 / total)),
            # 90% interval of the rank of its average score over the Monte Carlo draws
            "p05": _int(measures.get("rank_p05")),
            "p95": _int(measures.get("rank_p95")),
            "stability": None
            if measures.get("decile_change_share") is None
            else 1 - float(measures["decile_change_share"]),
            "extent": measures.get("extent"),
            "proportion": measures.get("proportion"),
            "n_areas": measures.get("n_areas"),
        }
        domains = [
            {
                "id": c,
                "title": titles.get(c, c),
                "score": float(mine.loc[c, "value"]),
                "rank": _int(mine.loc[c, "rank"]),
                "decile": None
                if _int(mine.loc[c, "rank"]) is None
                else int(np.ceil(float(mine.loc[c, "rank"]) * 10 / total)),
                "of": total,
            }
            for c in comps["component"]
            if c != "index" and c in mine.index
        ]
        out[code] = (idx, domains)
    return out


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(round(float(v)))


def _lsoa_shapes(wh: Warehouse, codes: list[str], vintage: int) -> pd.Series:
    g = wh.geometries(codes, area_type="lsoa", vintage=vintage)
    return pd.Series(shapely.from_wkb([bytes(b) for b in g["geometry"]]), index=g["area_code"])


def _geometries(wh: Warehouse, codes: list[str], area_type: str, vintage: int) -> dict[str, Any]:
    if area_type == "lsoa":
        return _lsoa_shapes(wh, codes, vintage).to_dict()
    links = wh.area_links(child_type="lsoa", parent_type=area_type, vintage=vintage)
    links = links[links["parent_code"].isin(codes)]
    shapes = _lsoa_shapes(wh, list(links["child_code"].unique()), vintage)
    out = {}
    for code, part in links.groupby("parent_code"):
        geoms = shapes.reindex(part["child_code"]).dropna().to_numpy()
        if len(geoms):
            out[str(code)] = shapely.union_all(geoms)
    return out


def _context(wh: Warehouse, district: str, vintage: int, cache: dict[str, Any]) -> Any:
    """The district's LSOAs, drawn around the area on the map inset."""
    if district not in cache:
        codes = wh.area_codes("lsoa", vintage, [district])
        cache[district] = list(_lsoa_shapes(wh, codes, vintage).to_numpy())
    return cache[district]
