"""Read what the open site needs from the warehouse (DuckDB) into a :class:`SiteData`."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lantern.errors import ConfigError, InputError, Problem
from lantern.publish import comparisons
from lantern.publish.place import join_names
from lantern.publish.sitedata import Measure, SiteData, Source
from lantern.publish.trends import trend_table
from lantern.warehouse import Warehouse

ENGLAND = "E92000001"
INDEX_FIELDS = (
    "score",
    "rank",
    "decile",
    "rank_p05",
    "rank_p95",
    "imputed_share",
    "decile_change_share",
)
PARENT_TYPES = {"msoa": "msoa", "ward": "ward", "district": "district"}


def read_site_data(
    warehouse: Path,
    *,
    title: str = "",
    area_codes: list[str] | None = None,
    vintage: str | None = None,
    index_id: str | None = None,
    data_dir: Path | None = None,
) -> SiteData:
    """Everything the site shows for the LSOAs of the build, straight from the warehouse.

    The LSOAs are those the index was built for (``index_scores``) or, without an index, the
    LSOAs inside ``area_codes``. Raises :class:`ConfigError` naming each missing table.
    ``data_dir`` (the folder of source files the warehouse was loaded from) lets the QOF values
    carry their apportionment quality flags, computed from the practice files.
    """
    if not Path(warehouse).exists():
        raise ConfigError(
            "Cannot publish",
            [Problem("warehouse not found; run `lantern ingest` first", file=str(warehouse))],
        )
    with Warehouse(warehouse) as wh:
        wh.con.execute("SET enable_progress_bar = false")
        data = _read(wh, title=title, area_codes=area_codes, vintage=vintage, index_id=index_id)
        if data_dir is not None:
            data.quality = _quality(wh, Path(data_dir), data)
        return data


def _quality(wh: Warehouse, data_dir: Path, data: SiteData) -> pd.DataFrame:
    """The QOF flags of the map's LSOAs for the QOF measures it shows (of the period the flags
    are computed for: the index's QOF year, 2019/20)."""
    from lantern.profile.quality import PERIOD, qof_flags

    shown = {m.id for m in data.measures if m.group == "indicator" and m.period == PERIOD}
    if not shown:
        return pd.DataFrame(columns=["area_code", "indicator_id", "flag"])
    try:
        flags = qof_flags(wh, data_dir, int(data.vintage))
    except (OSError, InputError, ConfigError):
        return pd.DataFrame(columns=["area_code", "indicator_id", "flag"])
    flags = flags[flags["indicator_id"].isin(shown) & flags["area_code"].isin(data.areas.index)]
    return flags[["area_code", "indicator_id", "flag"]].reset_index(drop=True)


def _read(con: Warehouse, *, title, area_codes, vintage, index_id) -> SiteData:
    tables = con.tables()
    missing = [t for t in ("areas", "area_links", "indicators", "geometries") if t not in tables]
    if missing:
        raise ConfigError(
            "Cannot publish: the warehouse is incomplete",
            [f"table {t!r} is missing; run `lantern ingest`" for t in missing],
        )
    run = _index_run(con, tables, index_id)
    if vintage is None:
        vintage = str(run["vintage"]) if run is not None else _single_vintage(con)
    lsoas = _build_lsoas(con, run, area_codes, vintage)
    areas = _area_table(con, lsoas, vintage)
    measures, values, index = [], pd.DataFrame(index=areas.index), pd.DataFrame(index=areas.index)
    contributions = pd.DataFrame(
        columns=["area_code", "component", "term", "contribution", "share"]
    )
    summaries: dict[str, pd.DataFrame] = {}
    domain_of: dict[str, str] = {}
    index_title = index_reference = stability_note = ""
    if run is not None:
        index_title, index_reference = str(run["title"] or run["name"]), str(run["reference"])
        stability_note = _stability_note(run)
        comp_measures, index = _index_scores(con, run, areas.index)
        measures += comp_measures
        for m in comp_measures:
            values[m.id] = index[f"{_component(m.id)}.score"]
        domain_of = _indicator_domains(con, run)
        contributions = _contributions(con, run, areas.index)
        summaries = _summaries(con, run, comp_measures)
    index_periods = _index_periods(run) if run is not None else {}
    # every value held on the build's LSOAs at its vintage, read once for the map's values and
    # for the map's own averages
    held_rows = con.indicator_values(codes=list(areas.index), vintage=int(vintage))
    ind_measures, ind_values = _indicators(
        con, tables, areas.index, vintage, domain_of, index_periods, rows=held_rows
    )
    measures += ind_measures
    values = values.join(ind_values)
    if not measures:
        raise ConfigError("Cannot publish", ["the warehouse holds no indicators for these areas"])
    comparators = _comparators(con, measures, values, areas, vintage, area_codes, rows=held_rows)
    yearly = trend_table(con, _trend_ids(con, set(domain_of)), areas.index, vintage, area_codes)
    intervals, benchmarks = comparisons.interval_columns(
        con,
        ind_measures,
        areas.index,
        vintage,
        area_codes,
        periods=_shown_periods(ind_measures),
        yearly=yearly,
    )
    for indicator_id, bench in benchmarks.items():
        # the county's (Σ numerators / Σ denominators) and England's value of the period shown:
        # an indicator held for several periods has one England row per period, and one moved
        # from the other boundary vintage has no rows on this one to total
        shown = comparators.setdefault(indicator_id, {"county": None, "england": None})
        for key in ("county", "england"):
            if bench[key] is not None:
                shown[key] = bench[key]
    cases = comparisons.weekly_cases(con, summaries, areas, vintage)
    trends = _trends(yearly, areas.index)
    place, place_names, other_places = _place(con, area_codes, areas, vintage)
    national = run is not None and str(run["reference"]) == "national"
    held = con.meta([m.id for m in ind_measures]) if ind_measures else pd.DataFrame()
    moved = tuple(
        str(i)
        for i, v in zip(held.get("indicator_id", []), held.get("vintage", []), strict=True)
        if int(v) != int(vintage)
    )
    return SiteData(
        title=title or index_title or "Neighbourhood vulnerability",
        vintage=vintage,
        boundary_note=_boundary_note(vintage),
        areas=areas,
        measures=measures,
        values=values,
        geometry=_geometry(con, areas.index, vintage),
        index=index,
        index_title=index_title,
        index_reference=index_reference,
        stability_note=stability_note,
        contributions=contributions,
        summaries=summaries,
        comparators=comparators,
        sources=_sources(con, tables),
        postcodes=_postcodes(con, tables, areas.index),
        trends=trends,
        yearly=yearly,
        place=place,
        place_names=place_names,
        other_places=other_places,
        rank_total=_rank_total(con, areas, vintage, national),
        national_reference=national,
        intervals=intervals,
        cases=cases,
        moved=moved,
    )


def _shown_periods(measures: list[Measure]) -> dict[str, str]:
    return {m.id: m.period for m in measures if m.group == "indicator" and m.period}


def _stability_note(run) -> str:
    """How stable the index deciles are over the Monte Carlo draws, in a sentence."""
    share, draws = run.get("decile_change_share"), run.get("draws")
    if share is None or pd.isna(share) or not draws:
        return ""
    # short: it sits in the legend, on a phone too; the panel and the method page say more
    return f"Deciles are estimates: {100 * float(share):.0f}% of areas change decile in a typical sensitivity draw."


def _place(
    con, area_codes, areas: pd.DataFrame, vintage: str
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The build's place in words, the names it is made of, and other place names in the
    warehouse (countries, regions, counties, districts).

    The names are those of ``area_codes`` when given; otherwise England for a national build,
    else the whole counties, then districts, that together hold exactly the build's LSOAs.
    """
    named = con.query(
        "select area_code, arg_max(area_name, boundary_year) as area_name from areas"
        " where area_type in ('country', 'region', 'county', 'district') group by area_code"
    )
    by_code = {c: n for c, n in zip(named["area_code"], named["area_name"], strict=True) if n}
    codes = list(area_codes) if area_codes else _cover(con, areas.index, vintage)
    names = [by_code.get(c, c) for c in codes]
    if ENGLAND in codes:
        names = [by_code.get(ENGLAND, "England")]
    if not names:
        names = sorted({d for d in areas["district_name"] if d})
    return join_names(names), tuple(names), tuple(sorted(set(by_code.values())))


def _cover(con: Warehouse, lsoas: pd.Index, vintage: str) -> list[str]:
    # A warehouse may hold only part of a country or region (the bundled sample holds Essex),
    # so whole counties and districts name a build, and England only a national one.
    if len(lsoas) > 30000 and all(c.startswith("E01") for c in lsoas):
        return [ENGLAND]
    links = con.area_links(child_type="lsoa", vintage=int(vintage))
    links = links[links["parent_type"].isin(["county", "district"])]
    inside = links["child_code"].isin(set(lsoas))
    counts = links.assign(inside=inside).groupby(["parent_type", "parent_code"])["inside"]
    totals = counts.agg(["size", "sum"]).reset_index()
    links_in = links[inside]
    children = links_in.groupby("parent_code")["child_code"].agg(set)
    remaining = set(lsoas)
    chosen: list[str] = []
    for level in ("county", "district"):
        whole = totals[
            (totals["parent_type"] == level)
            & (totals["sum"] == totals["size"])
            & (totals["sum"] > 0)
        ]
        for code in whole.sort_values("size", ascending=False)["parent_code"]:
            kids = children.get(code, set())
            if kids and kids <= remaining:
                chosen.append(code)
                remaining -= kids
    return chosen if not remaining else []


def _rank_total(con, areas: pd.DataFrame, vintage: str, national: bool) -> int:
    if not national:
        return len(areas)
    row = con.query(
        "select count(distinct area_code) as n from areas where area_type = 'lsoa' and vintage = ?"
        " and area_code like 'E01%'",
        [int(vintage)],
    )
    return int(row["n"].iloc[0]) if len(row) and row["n"].iloc[0] else len(areas)


def _boundary_note(vintage: str) -> str:
    if vintage == "2011":
        return "LSOA and MSOA December 2011 boundaries; districts and counties 2021"
    return "LSOA and MSOA December 2021 boundaries; wards and districts May 2024"


def _single_vintage(con: Warehouse) -> str:
    rows = con.areas(area_type="lsoa")["vintage"].unique()
    if len(rows) != 1:
        raise ConfigError(
            "Cannot publish", ["set `vintage` in lantern.toml: the warehouse holds several"]
        )
    return str(rows[0])


def _index_run(con: Warehouse, tables: set[str], index_id: str | None) -> dict | None:
    if "index_runs" not in tables or "index_scores" not in tables:
        return None
    df = con.index_runs()
    if index_id is not None:
        df = df[df["index_id"] == index_id]
        if df.empty:
            raise ConfigError(
                "Cannot publish", [f"index {index_id!r} has not been built; run `lantern build`"]
            )
    return None if df.empty else df.iloc[0].to_dict()


def _build_lsoas(con: Warehouse, run, area_codes, vintage) -> list[str]:
    if run is not None:
        rows = con.index_scores(run["index_id"], component="index")
        return sorted(set(rows["area_code"]))
    codes = con.area_codes("lsoa", int(vintage), area_codes or None)
    if not codes:
        raise ConfigError(
            "Cannot publish", ["no LSOAs found for the configured area_codes and vintage"]
        )
    return codes


def _area_table(con: Warehouse, lsoas: list[str], vintage: str) -> pd.DataFrame:
    names = con.areas(vintage=int(vintage), codes=lsoas)
    out = pd.DataFrame(index=pd.Index(lsoas, name="code"))
    out["name"] = names.drop_duplicates("area_code").set_index("area_code")["area_name"]
    links = con.area_links(child_type="lsoa", vintage=int(vintage), children=lsoas)
    links["area_name"] = links["parent_code"].map(con.area_names())
    for level in ("msoa", "ward", "district"):
        part = (
            links[links["parent_type"] == level]
            .drop_duplicates("child_code")
            .set_index("child_code")
        )
        out[f"{level}_code"] = part["parent_code"]
        out[f"{level}_name"] = part["area_name"]
    out["name"] = out["name"].fillna(out.index.to_series())
    return out.fillna("")


def _component(measure_id: str) -> str:
    return "index" if measure_id == "index" else measure_id.split(".", 1)[1]


def _measure_id(component: str) -> str:
    return "index" if component == "index" else f"domain.{component}"


def _index_scores(con: Warehouse, run, codes: pd.Index) -> tuple[list[Measure], pd.DataFrame]:
    comps = con.index_components(run["index_id"])
    scores = con.index_scores(run["index_id"], reference=run["reference"])
    measures = []
    for c in comps.itertuples():
        group = "index" if c.component == "index" else "domain"
        measures.append(
            Measure(
                id=_measure_id(c.component),
                title=str(c.title or c.component),
                group=group,
                unit="score",
                polarity="higher_worse",
                description=str(c.description or ""),
            )
        )
    scores = scores.drop_duplicates(["area_code", "component"])
    if "imputed_share" not in scores or scores["imputed_share"].isna().all():
        scores["imputed_share"] = 0.0  # built before imputed shares were recorded
    wide = scores.pivot(index="area_code", columns="component", values=list(INDEX_FIELDS))
    wide.columns = [f"{comp}.{fld}" for fld, comp in wide.columns]
    cols = [f"{_component(m.id)}.{fld}" for m in measures for fld in INDEX_FIELDS]
    return measures, wide.reindex(index=codes, columns=cols).astype(float)


def _indicator_domains(con: Warehouse, run) -> dict[str, str]:
    rows = con.index_weights(run["index_id"])
    rows = rows[rows["component"] != "index"].drop_duplicates(["indicator_id", "component"])
    return dict(zip(rows["indicator_id"], rows["component"], strict=True))


def _contributions(con: Warehouse, run, codes: pd.Index) -> pd.DataFrame:
    df = con.index_contributions(run["index_id"], codes=list(codes))
    df = df.rename(columns={"indicator_id": "term"})
    return df[["area_code", "component", "term", "contribution", "share"]]


def _summaries(con: Warehouse, run, comp_measures: list[Measure]) -> dict[str, pd.DataFrame]:
    df = con.index_summaries(run["index_id"], measure="average_score")
    bounds = con.index_summaries(run["index_id"])
    bounds = bounds[
        (bounds["component"] == "index")
        & bounds["measure"].isin(["rank_p05", "rank_p95", "decile_change_share"])
    ]
    df["area_name"] = df["area_code"].map(con.area_names())
    out: dict[str, pd.DataFrame] = {}
    for level in ("msoa", "ward", "district"):
        part = df[df["area_type"] == level]
        if part.empty:
            continue
        frame = pd.DataFrame(index=pd.Index(sorted(part["area_code"].unique()), name="code"))
        frame["name"] = part.drop_duplicates("area_code").set_index("area_code")["area_name"]
        for m in comp_measures:
            sel = part[part["component"] == _component(m.id)].set_index("area_code")
            frame[m.id] = sel["value"]
            frame[f"{m.id}.rank"] = sel["rank"]
        # the 90% interval of the index's rank over the Monte Carlo draws (built since the
        # draws pool each area's neighbourhoods; absent in older warehouses)
        for bound in ("rank_p05", "rank_p95", "decile_change_share"):
            sel = bounds[(bounds["area_type"] == level) & (bounds["measure"] == bound)]
            if len(sel):
                frame[f"index.{bound}"] = sel.set_index("area_code")["value"]
        frame["name"] = frame["name"].fillna(frame.index.to_series())
        out[level] = frame
    return out


def _index_periods(run) -> dict[str, str]:
    """Each index indicator's period as the build used it (from the resolved spec)."""
    import tomllib

    try:
        spec = tomllib.loads(str(run.get("spec_toml") or ""))
    except tomllib.TOMLDecodeError:
        return {}
    out = {}
    for domain in spec.get("domains", []):
        for ind in domain.get("indicators", []):
            if ind.get("period") and ind.get("column", ind.get("id")) == ind.get("id"):
                out[str(ind["id"])] = str(ind["period"])
    return out


def _indicators(
    con: Warehouse,
    tables,
    codes: pd.Index,
    vintage: str,
    domain_of: dict[str, str],
    index_periods: dict[str, str] | None = None,
    *,
    rows: pd.DataFrame | None = None,
):
    """Indicator measures and their LSOA values: each indicator held at the map's boundary
    vintage in its latest period, and each indicator the index is built from in the period the
    index used, moved to the map's vintage through the LSOA crosswalk if it is held at the other
    (QOF and the mid-2020 population estimates on LSOA 2011s, on a 2021 map) — the values the
    index itself was computed from. ``rows``: ``indicator_values`` of ``codes`` at ``vintage``,
    if already read."""
    df = con.indicator_values(codes=list(codes), vintage=int(vintage)) if rows is None else rows
    if not df.empty:
        latest = df.groupby("indicator_id")["period"].transform("max")
        df = df[df["period"].astype(str) == latest.astype(str)]
        wide = df.pivot_table(
            index="area_code", columns="indicator_id", values="value", aggfunc="first"
        ).reindex(codes)
    else:
        wide = pd.DataFrame(index=codes)
    periods: dict[str, str] = {}
    known = set(con.meta(list(domain_of))["indicator_id"]) if domain_of else set()
    in_index = [i for i in domain_of if i in known]
    if in_index:
        wanted = {i: p for i, p in (index_periods or {}).items() if i in in_index}
        frame = con.indicator_frame(
            in_index, vintage=int(vintage), area_type="lsoa", areas=list(codes), period=wanted
        )
        periods = dict(frame.attrs.get("periods", {}))
        for i in in_index:
            if i in frame.columns:
                wide[i] = frame[i].reindex(codes).to_numpy(dtype=float)
    if wide.shape[1] == 0:
        return [], pd.DataFrame(index=codes)
    meta = pd.DataFrame()
    if "indicator_meta" in tables:
        meta = con.meta().drop_duplicates("indicator_id")
        meta = meta.set_index("indicator_id")
    measures = []
    # Indicators that feed the index first, in domain order, then the rest alphabetically.
    order = sorted(wide.columns, key=lambda i: (i not in domain_of, domain_of.get(i, ""), i))
    for ind in order:
        row = meta.loc[ind] if ind in meta.index else pd.Series(dtype=object)
        measures.append(
            Measure(
                id=ind,
                title=str(row.get("title") or ind),
                group="indicator",
                unit=str(row.get("unit") or ""),
                polarity=str(row.get("polarity") or "neutral"),
                kind=str(row.get("kind") or ""),
                description=str(row.get("description") or ""),
                domain=_measure_id(domain_of[ind]) if ind in domain_of else None,
                period=periods.get(ind) or str(row.get("period") or ""),
                source_id=str(row.get("source_id")) if row.get("source_id") else None,
                licence=str(row.get("licence") or ""),
            )
        )
    return measures, wide.reindex(codes)[order]


def _comparators(
    con: Warehouse,
    measures,
    values: pd.DataFrame,
    areas: pd.DataFrame,
    vintage: str,
    area_codes=None,
    *,
    rows: pd.DataFrame | None = None,
):
    """The map's own and England's value for each measure (keys ``county`` and ``england``).

    An official value stored in the warehouse wins: for the map's own value only when the build
    is one area (a county, a district) that has one; otherwise the map's value is the mean over
    the build's LSOAs (rates from summed numerators and denominators where the warehouse has
    them).
    """
    own = list(area_codes or [])
    ids = [m.id for m in measures if m.group == "indicator"]
    stored = pd.DataFrame(columns=["area_code", "indicator_id", "value", "area_type"])
    if ids:
        stored = con.indicator_values(ids, area_types=("country", "region", "county", "district"))
    ratio = _ratio_means(con, ids, areas.index, vintage, rows=rows)
    national = len(areas) > 30000 and bool(areas["district_code"].str.startswith("E").all())
    out: dict[str, dict[str, float | None]] = {}
    for m in measures:
        col = values[m.id]
        county = stored[(stored["indicator_id"] == m.id) & stored["area_code"].isin(own[:1])]
        if len(own) != 1:
            county = county.iloc[0:0]
        england = stored[(stored["indicator_id"] == m.id) & (stored["area_code"] == ENGLAND)]
        c = float(county["value"].iloc[0]) if len(county) == 1 else ratio.get(m.id, _mean(col))
        e = float(england["value"].iloc[0]) if len(england) == 1 else None
        if e is None and national:
            e = c  # an England-wide build: its own average is England's
        out[m.id] = {"county": c, "england": e}
    return out


def _ratio_means(
    con: Warehouse,
    ids: list[str],
    codes: pd.Index,
    vintage: str,
    *,
    rows: pd.DataFrame | None = None,
) -> dict[str, float]:
    if not ids:
        return {}
    df = con.indicator_values(codes=list(codes), vintage=int(vintage)) if rows is None else rows
    df = df[df["numerator"].notna() & (df["denominator"] > 0)]
    out = {}
    for ind, part in df.groupby("indicator_id"):
        if len(part) < len(codes):
            continue
        scale = float(
            np.median(part["value"] * part["denominator"] / part["numerator"].replace(0, np.nan))
        )
        if np.isfinite(scale):
            out[ind] = float(part["numerator"].sum() / part["denominator"].sum() * scale)
    return out


def _mean(col: pd.Series) -> float | None:
    col = col.dropna()
    return float(col.mean()) if len(col) else None


def _geometry(con: Warehouse, codes: pd.Index, vintage: str) -> gpd.GeoDataFrame:
    df = con.geometries(list(codes), area_type="lsoa", vintage=int(vintage))
    missing = sorted(set(codes) - set(df["area_code"]))
    if missing:
        raise ConfigError(
            "Cannot publish: boundaries missing",
            [
                f"{len(missing)} LSOA(s) have no geometry in the warehouse, e.g. {missing[0]}; load the {vintage} boundaries"
            ],
        )
    geoms = shapely.from_wkb([bytes(g) for g in df["geometry"]])
    gdf = gpd.GeoDataFrame({"code": df["area_code"]}, geometry=geoms, crs="EPSG:4326")
    return gdf.drop_duplicates("code").set_index("code").reindex(codes)


def _sources(con: Warehouse, tables) -> list[Source]:
    if "sources" not in tables:
        return []
    df = con.sources()
    out = []
    for r in df.to_dict("records"):
        out.append(
            Source(
                source_id=str(r.get("source_id") or ""),
                publisher=str(r.get("publisher") or ""),
                dataset=str(r.get("dataset") or ""),
                licence=str(r.get("licence") or ""),
                url=str(r.get("url") or ""),
                file=str(r.get("file") or ""),
                vintage=str(r.get("vintage") or ""),
                loaded_at=str(r.get("loaded_at") or "")[:10],
            )
        )
    return out


def _postcodes(con: Warehouse, tables, codes: pd.Index) -> pd.DataFrame | None:
    """``postcode, lsoa_code, approximate`` for the published LSOAs, from the lookup's LSOA
    column (2011 or 2021) that matches them best; None without a lookup."""
    if "postcodes" not in tables:
        return None
    df = con.postcodes()
    if df.empty:
        return None
    column = max(("lsoa21_code", "lsoa11_code"), key=lambda c: int(df[c].isin(codes).sum()))
    out = df.rename(columns={column: "lsoa_code"})[["postcode", "lsoa_code", "approximate"]]
    out = out[out["lsoa_code"].isin(codes)]
    return out if len(out) else None


def _trend_ids(con: Warehouse, in_index: set[str]) -> list[str]:
    """LSOA-level rates held for several periods (QOF prevalences, population shares). With an
    index, only the rates it is built from (the ones its panel explains); counts such as age
    bands are left out, so the site stays small."""
    periods = con.periods()
    several = periods.groupby("indicator_id")["period"].nunique()
    ids = list(several[several > 1].index)
    meta = con.meta(ids)
    ids = list(meta.loc[(meta["area_type"] == "lsoa") & (meta["kind"] == "rate"), "indicator_id"])
    return [i for i in ids if i in in_index] if in_index else ids


def _trends(yearly: pd.DataFrame, codes: pd.Index) -> dict[str, pd.DataFrame]:
    """Each trend indicator's values on the site's LSOAs, one column a period (oldest first),
    from the year-by-year table (the same moves through the crosswalk)."""
    out = {}
    for indicator_id, part in yearly.groupby("indicator_id", sort=False):
        period, periods = pd.factorize(part["period"])  # in table order: oldest first
        row = codes.get_indexer(part["area_code"])
        wide = np.full((len(codes), len(periods)), np.nan)
        wide[row[row >= 0], period[row >= 0]] = part["value"].to_numpy(dtype=float)[row >= 0]
        frame = pd.DataFrame(wide, index=codes, columns=[str(p) for p in periods])
        out[str(indicator_id)] = frame
    return out
