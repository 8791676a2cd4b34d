"""Per-area detail for the panel: ``data/detail/<geo>/<district>.json.gz``, one file per district.

Each file is column-wise (one list per field, in the order of ``codes``) so a district of a few
hundred areas stays small and England's 33,755 write in seconds:

    {"codes": [...], "names": [...], "bbox": [[w, s, e, n], ...],
     "parents": {"msoa": [[code, name], ...], "ward": [...], "district": [...]},
     "values": {"<indicator id>": [...]},
     "index": {"<component>": {"rank": [...], "decile": [...], "p05": [...], "p95": [...]}},
     "contrib": {"index": {"<domain>": [share, ...]}},
     "ci": {"<indicator id>": [[lower95, ...], [upper95, ...], [vs map, ...] | null, [vs England, ...]]},
     "stays": [...], "why": [...], "imputed": [...],
     "trend": {"<indicator id>": {"v": [[one value per period], ...], "lo": [...], "hi": [...]}},
     "flags": {"<indicator id>": ["c" | "o" | "", ...]}}

``trend`` (LSOAs) holds every period of the indicators the site shows over the years, in the
periods of the page metadata's ``yearTrends``; ``lo``/``hi`` (95% limits) are left out for an
indicator no period of which has counts, and are null in a period without counts. ``flags``
(LSOAs) marks QOF values whose apportionment from GP practices is weak: ``c`` the practices with
QOF data register under 80% of the residents (low coverage), ``o`` one practice dominates and its
recorded prevalence is an outlier (``lantern.profile.quality``).

Index and domain scores are not written: the page shows ranks and deciles, never raw scores.
Indicator values and confidence limits are rounded to the decimals the page shows them with;
comparisons are one letter (``h`` higher, ``s`` similar, ``l`` lower, ``""`` not compared).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from lantern.publish.display import decimals_for, rounded
from lantern.publish.sitedata import SiteData
from lantern.publish.sitejson import (
    ON_DEMAND,
    component,
    deciles_from_ranks,
    dump,
    int_list,
    ranks_of,
    sig_list,
)


def _bboxes(geometry, codes: pd.Index) -> list[list[float] | None]:
    geoms = geometry.geometry.reindex(codes).to_numpy()
    bounds = shapely.bounds(geoms)
    out: list[list[float] | None] = []
    for row in np.round(bounds, 4).tolist():  # about 10 m: enough to fit the area in view
        out.append(None if any(v != v for v in row) else row)
    return out


def _contributions(data: SiteData, codes: pd.Index) -> dict[str, list]:
    """Each domain's share of each area's index score, one list per domain in the order of
    ``codes`` (the panel's "what drives the index")."""
    frame = data.contributions
    if frame.empty:
        return {}
    frame = frame[frame["component"] == "index"]
    wide = frame.pivot_table(index="area_code", columns="term", values="share", aggfunc="first")
    wide = wide.reindex(codes)
    return {term: sig_list(wide[term], 3) for term in wide.columns}


def _index_terms(data: SiteData) -> dict[str, list[tuple[str, float]]]:
    """Each area's index terms (domain, contribution), largest first, unrounded."""
    frame = data.contributions
    if frame.empty:
        return {}
    frame = frame[frame["component"] == "index"].sort_values(
        ["area_code", "contribution"], ascending=[True, False]
    )
    out: dict[str, list[tuple[str, float]]] = {}
    for code, term, c in zip(frame["area_code"], frame["term"], frame["contribution"], strict=True):
        out.setdefault(code, []).append((term, float(c)))
    return out


def why_sentences(
    data: SiteData, codes: list[str], names: list[str], terms: dict[str, list[tuple[str, float]]]
) -> list[str]:
    """For each area, the sentence ``lantern explain`` prints first (the same function), for the
    area panel; ``""`` where the area has no index terms."""
    from lantern.index.explain import why_sentence

    if "index.rank" not in data.index.columns:
        return ["" for _ in codes]
    titles = {m.id.split(".", 1)[-1]: m.title for m in data.measures if m.group != "indicator"}
    total = int(data.index["index.rank"].notna().sum())
    ranks = {c: data.index[c].to_dict() for c in data.index.columns if c.endswith(".rank")}
    deciles = data.index["index.decile"].to_dict()
    out = []
    for code, name in zip(codes, names, strict=True):
        own = terms.get(code, [])
        if not own:
            out.append("")
            continue
        top = [
            (titles.get(t, t), ranks[f"{t}.rank"][code], c)
            for t, c in own[:2]
            if f"{t}.rank" in ranks
        ]
        out.append(
            why_sentence(
                f"{name} ({code})" if name and name != code else code,
                ranks["index.rank"][code],
                total,
                deciles[code],
                top,
                sum(c for _, c in own),
            )
        )
    return out


def _intervals(data: SiteData, indicators: list[str], codes: pd.Index) -> dict[str, list]:
    """Per indicator with counts, for every area of ``codes`` in order: lower and upper 95%
    limits (rounded as the page shows them) and the comparisons with the map's own value and
    England (the first left out on an England map, where the two are the same)."""
    out: dict[str, list] = {}
    if data.intervals.empty:
        return out
    part = data.intervals.reindex(codes)
    england = data.place == "England"
    for m in indicators:
        lo = f"{m}_lower95"
        if lo not in part.columns:
            continue
        measure = data.measure(m)
        places = decimals_for(data.values[m].to_numpy(), measure.unit, measure.kind)
        out[m] = [
            rounded(part[lo], places),
            rounded(part[f"{m}_upper95"], places),
            None if england else _words(part[f"{m}_vs_county"]),
            _words(part[f"{m}_vs_england"]),
        ]
    return out


VERDICT_CODES = {"higher": "h", "similar": "s", "lower": "l"}


def _words(col: pd.Series) -> list[str] | None:
    """Comparisons as one letter each (``h``, ``s``, ``l``; ``""`` where not compared); None
    when no area is compared."""
    out = _letters(col, VERDICT_CODES)
    return out if any(out) else None


def _letters(col: pd.Series, codes: dict[str, str]) -> list[str]:
    """Each text's letter in ``codes`` (``""`` for anything else, missing values included)."""
    # only texts equal a key, so a lookup of every value is a lookup of the texts
    return pd.Series(col.to_numpy(dtype=object)).map(codes).fillna("").tolist()


def _yearly(data: SiteData, codes: pd.Index) -> dict[str, dict[str, list]]:
    """Per trend indicator: each area's value and 95% limits per period, rounded as the panel
    shows the indicator (see ``lantern.publish.trends``). The table's area codes are looked up
    and keyed once for all indicators."""
    table = data.yearly
    if table is None or table.empty:
        return {}
    row_of = codes.get_indexer(table["area_code"])
    area_key = pd.factorize(table["area_code"])[0] + 1  # missing codes: 0
    all_periods = table["period"].to_numpy()
    columns = {f: table[f].to_numpy(dtype=float) for f in ("value", "lower95", "upper95")}
    out: dict[str, dict[str, list]] = {}
    for indicator_id, at in table.groupby("indicator_id", sort=False).indices.items():
        places = _places(data, str(indicator_id), table.iloc[at[:1]], columns["value"][at])
        period, periods = pd.factorize(all_periods[at])  # in order of appearance: oldest first
        key = area_key[at].astype(np.int64) * (len(periods) + 1) + (period + 1)
        if len(np.unique(key)) < len(key):
            raise ValueError(f"{indicator_id}: an area has two values for one period")
        row = row_of[at]
        known = row >= 0
        cols: dict[str, list] = {}
        fields = [("v", "value")]
        if not np.isnan(columns["lower95"][at]).all():
            fields += [("lo", "lower95"), ("hi", "upper95")]
        width = len(periods)
        for name, field in fields:
            values = columns[field][at]
            wide = np.full((len(codes), width), np.nan)
            wide[row[known], period[known]] = values[known]
            flat = rounded(wide.ravel(), places)  # row by row: each area's periods in turn
            cols[name] = [flat[i : i + width] for i in range(0, len(flat), width)]
        out[str(indicator_id)] = cols
    return out


FLAG_CODES = {"low_coverage": "c", "dominant_outlier": "o"}


def _flags(data: SiteData, codes: pd.Index) -> dict[str, list[str]]:
    """Per QOF indicator with any flag: each area's flag letter (``""`` unflagged)."""
    quality = data.quality
    if quality is None or quality.empty:
        return {}
    out = {}
    for indicator_id, part in quality.groupby("indicator_id", sort=False):
        flag = part.drop_duplicates("area_code").set_index("area_code")["flag"].reindex(codes)
        out[str(indicator_id)] = _letters(flag, FLAG_CODES)
    return out


def _places(data: SiteData, indicator_id: str, first: pd.DataFrame, values: np.ndarray) -> int:
    """The decimals the panel shows the indicator with (its own measure's, if the site has it;
    the same rule as ``sitejson.yearly_benchmarks``); ``first``: its first row in the table,
    ``values``: all its values."""
    try:
        m = data.measure(indicator_id)
    except KeyError:
        return decimals_for(values, str(first["unit"].iloc[0] or ""))
    return decimals_for(data.values[m.id].to_numpy(), m.unit, m.kind)


def write_details(
    data: SiteData, site: Path, geo: str, frame: pd.DataFrame, measures: list[str], geometry
) -> None:
    """Write the detail files of one geography."""
    indicators = [m for m in measures if data.measure(m).group == "indicator"]
    columns: dict[str, list] = {}
    for m in indicators:
        measure = data.measure(m)
        decimals = decimals_for(data.values[m].to_numpy(), measure.unit, measure.kind)
        columns[m] = rounded(frame[m], decimals)
    index_cols: dict[str, dict[str, list]] = {}
    for m in measures:
        if data.measure(m).group == "indicator":
            continue
        rank = ranks_of(data, geo, frame, m)
        if rank is None:
            continue
        rank = rank.reindex(frame.index)
        cols: dict[str, list] = {"rank": int_list(rank)}
        if geo == "lsoa":
            comp = component(m)
            for field, name in (("decile", "decile"), ("rank_p05", "p05"), ("rank_p95", "p95")):
                col = f"{comp}.{field}"
                if col in data.index.columns and data.index[col].notna().any():
                    cols[name] = int_list(data.index[col].reindex(frame.index))
        else:
            cols["decile"] = deciles_from_ranks(rank)
            for field, name in (("rank_p05", "p05"), ("rank_p95", "p95")):
                col = f"{m}.{field}"
                if col in frame.columns and frame[col].notna().any():
                    cols[name] = int_list(frame[col].reindex(frame.index))
        index_cols[component(m)] = cols
    codes = list(frame.index)
    names = [str(n) for n in frame["name"]]
    boxes = _bboxes(geometry, frame.index)
    contrib = _contributions(data, frame.index) if geo == "lsoa" else {}
    intervals = _intervals(data, indicators, frame.index) if geo == "lsoa" else {}
    yearly = _yearly(data, frame.index) if geo == "lsoa" else {}
    flags = _flags(data, frame.index) if geo == "lsoa" else {}
    stays: list = []
    sentences: list[str] = []
    if geo != "lsoa" and "index.decile_change_share" in frame.columns:
        # how often a ward's (MSOA's, district's) average score stays in its decile of them
        stays = sig_list(1 - frame["index.decile_change_share"].astype(float), 3)
    if geo == "lsoa":  # how often each area stays in its decile, and why it ranks where it does
        if "index.decile_change_share" in data.index.columns:
            stays = sig_list(1 - data.index["index.decile_change_share"].reindex(frame.index), 3)
        terms = _index_terms(data)
        sentences = why_sentences(data, codes, names, terms)
    parents = {}
    if geo == "lsoa":
        a = data.areas.reindex(frame.index)
        parents = {
            level: [[c, n] for c, n in zip(a[f"{level}_code"], a[f"{level}_name"], strict=True)]
            for level in ("msoa", "ward")
        }
        parents["district"] = [[c, ""] for c in a["district_code"]]  # its name is in the page
    imputed = None
    if geo == "lsoa" and "index.imputed_share" in data.index.columns:
        imputed = sig_list(data.index["index.imputed_share"].reindex(frame.index), 2)
    for district, rows in frame.groupby("district_code", sort=False).indices.items():
        take = rows.tolist()
        out: dict[str, Any] = {
            "codes": [codes[i] for i in take],
            "names": [names[i] for i in take],
            "bbox": [boxes[i] for i in take],
            "values": {m: [col[i] for i in take] for m, col in columns.items()},
            "index": {
                comp: {k: [v[i] for i in take] for k, v in cols.items()}
                for comp, cols in index_cols.items()
            },
        }
        if intervals:
            out["ci"] = {
                m: [None if col is None else [col[i] for i in take] for col in cols]
                for m, cols in intervals.items()
            }
        if geo == "lsoa":
            out["parents"] = {level: [pairs[i] for i in take] for level, pairs in parents.items()}
            out["contrib"] = {"index": {t: [col[i] for i in take] for t, col in contrib.items()}}
            if stays:
                out["stays"] = [stays[i] for i in take]
            out["why"] = [sentences[i] for i in take]
            if imputed is not None:
                # share of each area's index weight resting on imputed values (over 0.5: flagged)
                out["imputed"] = [imputed[i] for i in take]
            if flags:
                out["flags"] = {m: [col[i] for i in take] for m, col in flags.items()}
            if yearly:
                out["trend"] = {
                    m: {k: [col[i] for i in take] for k, col in cols.items()}
                    for m, cols in yearly.items()
                }
        else:
            out["parents"] = {"district": [[district, ""] for _ in take]}
            if stays:
                out["stays"] = [stays[i] for i in take]
        dump(site / "data" / "detail" / geo / f"{district or '_'}.json.gz", out, level=ON_DEMAND)
