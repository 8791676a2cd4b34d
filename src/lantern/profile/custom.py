"""A profile page for a custom area set (a hub's catchment): its LSOAs totalled as one area.

Counts are summed over the set's LSOAs (numerators and denominators, so the interval is the
set's own); indicators without counts are population-weighted means of the LSOA values. The
index shows the set's IoD Appendix N summaries ranked among the build's districts
(``lantern.areasets.summaries``); weekly cases are those of the MSOAs most of which lie in it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from lantern.areasets import AreaSet, build_lsoas, summaries
from lantern.benchmarks import SCALES
from lantern.profile.collect import Profile
from lantern.profile.compare import indicator_table
from lantern.profile.trends import _lsoa11_of
from lantern.sources.cases import INDICATOR as CASES
from lantern.stats import compare_with_benchmark, interval_for, poisson_limits
from lantern.warehouse import Warehouse


def _totals(wh: Warehouse, table: pd.DataFrame, vintage: int) -> pd.DataFrame:
    meta = wh.meta(list(table["indicator_id"].unique())).set_index("indicator_id")
    pop = wh.population(vintage)
    rows = []
    for indicator_id, part in table.groupby("indicator_id", sort=False):
        m = meta.loc[indicator_id]
        first = part.iloc[0]
        row = {
            "indicator_id": indicator_id,
            "period": first["period"],
            "county": first["county"],
            "england": first["england"],
            "england_max": first["england_max"],
            "numerator": np.nan,
            "denominator": np.nan,
            "lower95": np.nan,
            "upper95": np.nan,
        }
        if part["denominator"].notna().all() and m["unit"] in SCALES:
            num, den = part["numerator"].sum(), part["denominator"].sum()
            ci = interval_for(m["unit"], num, den)
            assert ci is not None
            row |= {
                "numerator": num,
                "denominator": den,
                "value": float(ci.value),
                "lower95": float(ci.lower),
                "upper95": float(ci.upper),
            }
        else:
            w = part["area_code"].map(pop).fillna(0).to_numpy(dtype=float) if pop is not None else 1
            v = part["value"].to_numpy(dtype=float)
            ok = np.isfinite(v) & (np.asarray(w) > 0)
            row["value"] = (
                float(np.average(v[ok], weights=np.asarray(w)[ok])) if ok.any() else np.nan
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    out["vs_county"] = compare_with_benchmark(out["lower95"], out["upper95"], out["county"])
    out["vs_england"] = compare_with_benchmark(
        out["lower95"], out["upper95"], out["england"], out["england_max"]
    )
    return out


def _cases(wh: Warehouse, codes: list[str], vintage: int) -> tuple[pd.DataFrame, str]:
    rows = wh.indicator_values([CASES])
    if rows.empty:
        return pd.DataFrame(), ""
    lsoa11 = _lsoa11_of(wh, codes, "lsoa", vintage)["lsoa11_code"].unique()
    links = wh.area_links(child_type="lsoa", parent_type="msoa", vintage=2011)
    size = links.groupby("parent_code")["child_code"].nunique()
    inside = links[links["child_code"].isin(lsoa11)].groupby("parent_code")["child_code"].nunique()
    msoas = list((inside / size.reindex(inside.index))[lambda s: s > 0.5].index)
    if not msoas:
        return pd.DataFrame(), ""
    part = rows[rows["area_code"].isin(msoas)]
    g = part.groupby("period")
    known = g["numerator"].sum(min_count=0)
    suppressed = g["numerator"].apply(lambda s: int(s.isna().sum()))
    pop = g["denominator"].sum()
    lower, _ = poisson_limits(known.to_numpy())
    _, upper = poisson_limits((known + 2 * suppressed).to_numpy())
    frame = pd.DataFrame(
        {
            "cases": known,
            "suppressed": suppressed,
            "population": pop,
            "low": known / pop * 1e5,
            "high": (known + 2 * suppressed) / pop * 1e5,
            "lower95": lower / pop.to_numpy() * 1e5,
            "upper95": upper / pop.to_numpy() * 1e5,
        }
    )
    frame["value"] = np.where(frame["suppressed"] == 0, frame["low"], np.nan)
    england = rows[rows["area_code"] == "E92000001"].set_index("period")["value"]
    frame["england"] = england.reindex(frame.index)
    frame["england_max"] = frame["england"]
    note = f"Cases are published for MSOAs (2011 boundaries): the {len(msoas)} MSOAs most of which lie in the set."
    return frame.reset_index().sort_values("period").reset_index(drop=True), note


def set_profile(wh: Warehouse, area_set: AreaSet, *, county: list[str]) -> Profile:
    runs = wh.index_runs()
    index_id, vintage = str(runs["index_id"].iloc[0]), int(runs["vintage"].iloc[0])
    comps = wh.index_components(index_id)
    weights = wh.index_weights(index_id)
    domain_of = {
        r.indicator_id: r.component for r in weights.itertuples() if r.component != "index"
    }
    ids = list(domain_of)
    codes = list(area_set.codes)
    table = indicator_table(wh, ids, vintage=vintage, area_type="lsoa", codes=codes, county=county)
    totals = _totals(wh, table, vintage)
    meta = wh.meta(ids).set_index("indicator_id")
    totals = totals.join(meta[["title", "unit", "polarity"]], on="indicator_id")
    totals["domain"] = totals["indicator_id"].map(domain_of)
    totals["area_code"] = area_set.name
    totals["quality"] = ""
    summ = summaries(wh, area_set)
    titles = dict(zip(comps["component"], comps["title"], strict=True))
    mine = summ[summ["area_name"] == area_set.name].set_index("component")
    of = int(summ[summ["component"] == "index"].shape[0])
    idx_row = mine.loc["index"]
    idx = {
        "score": float(idx_row["average_score"]),
        "rank": int(idx_row["average_score_rank"]),
        "of": of,
        "decile": None,
        "p05": None,
        "p95": None,
        "stability": None,
        "extent": float(idx_row["extent"]),
        "proportion": float(idx_row["proportion"]),
    }
    domains = [
        {
            "id": c,
            "title": titles.get(c, c),
            "score": float(mine.loc[c, "average_score"]),
            "rank": int(mine.loc[c, "average_score_rank"]),
            "decile": None,
            "of": of,
        }
        for c in comps["component"]
        if c != "index" and c in mine.index
    ]
    _vintage, lsoas = build_lsoas(wh)
    shape = shapely.union_all(lsoas.reindex(codes).dropna().to_numpy())
    cases, note = _cases(wh, codes, vintage)
    names = wh.area_names()
    return Profile(
        code=f"{len(codes)} LSOAs",
        name=area_set.name,
        area_type="set",
        vintage=vintage,
        parents=[],
        county_name=" and ".join(str(names.get(c, c)) for c in county),
        index=idx,
        domains=domains,
        indicators=totals,
        cases=cases,
        cases_note=note,
        shape=shape,
        context=list(lsoas.to_numpy()),
        index_title=str(runs["title"].iloc[0] or index_id),
        reference="districts",
    )
