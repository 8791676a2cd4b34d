"""Indicator values with 95% confidence intervals and county/England comparisons, for any areas.

For each rate with a numerator and denominator the counts are moved to the target geography the
way ``Warehouse.indicator_frame`` moves values (counts split through the LSOA crosswalk by
population share, then summed up the hierarchy), so the interval is computed from the area's own
counts: Wilson score for percentages, Byar (exact Poisson below 10) for rates per 1,000/100,000.
The county value is Σ numerator / Σ denominator over the build's area of interest; England's is
the stored benchmark (``lantern.benchmarks``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lantern.benchmarks import ENGLAND, SCALES
from lantern.geography.fanout import group_sum
from lantern.stats import compare_with_benchmark, interval_for
from lantern.warehouse import Warehouse

COLUMNS = [
    "area_code",
    "indicator_id",
    "period",
    "value",
    "numerator",
    "denominator",
    "lower95",
    "upper95",
    "county",
    "england",
    "england_max",
    "vs_county",
    "vs_england",
]


def _counts(
    wh: Warehouse,
    rows: pd.DataFrame,
    meta: pd.Series,
    indicator_id: str,
    *,
    vintage: int,
    area_type: str,
) -> tuple[pd.Series, pd.Series]:
    """Numerators and denominators of ``rows`` moved to ``area_type``/``vintage`` as counts."""
    as_count = meta.copy()
    as_count["kind"] = "count"
    out = []
    for column in ("numerator", "denominator"):
        part = pd.DataFrame(
            {
                "area_code": rows["area_code"].to_numpy(),
                "value": rows[column].to_numpy(dtype=float),
                "numerator": np.nan,
                "denominator": np.nan,
            }
        )
        out.append(wh._to_target(part, as_count, indicator_id, vintage, area_type))
    return out[0], out[1]


def _england(wh: Warehouse, ids: Sequence[str]) -> pd.DataFrame:
    if wh.has("benchmarks"):
        return wh.query(
            "SELECT indicator_id, period, value, value_max FROM benchmarks "
            "WHERE area_code = ? AND list_contains(?, indicator_id)",
            [ENGLAND, list(ids)],
            table="benchmarks",
        )
    rows = wh.indicator_values(list(ids), codes=[ENGLAND])
    return rows.assign(value_max=rows["value"])[["indicator_id", "period", "value", "value_max"]]


def indicator_table(
    wh: Warehouse,
    indicator_ids: Sequence[str],
    *,
    vintage: int,
    area_type: str,
    codes: Sequence[str],
    county: Sequence[str],
    period: str | dict[str, str] | None = None,
) -> pd.DataFrame:
    """Long rows (``COLUMNS``): each area × indicator with its interval and comparisons.

    ``codes`` are areas of ``area_type`` (or areas containing them); ``county`` the codes of the
    area of interest the county value is totalled over. Indicators without counts get a value
    and their England value (if any) but no interval and no comparison.
    """
    ids = list(dict.fromkeys(indicator_ids))
    meta = wh.meta(ids).set_index("indicator_id")
    values = wh.indicator_frame(
        ids, vintage=vintage, area_type=area_type, areas=list(codes), period=period
    )
    chosen = values.attrs.get("periods", {})
    england = _england(wh, ids)
    districts: list[str] | None = None
    rates = [i for i in ids if meta.loc[i, "kind"] == "rate" and meta.loc[i, "unit"] in SCALES]
    counted = wh.indicator_values(rates) if rates else pd.DataFrame(columns=["indicator_id"])
    row_sets = counted.groupby("indicator_id", sort=False).indices
    out = []
    for indicator_id in ids:
        m = meta.loc[indicator_id]
        when = chosen.get(indicator_id)
        frame = _frame(indicator_id, when, values.index, values[indicator_id], england)
        if indicator_id in rates:
            rows = counted.iloc[row_sets.get(indicator_id, [])]
            rows = rows[(rows["period"] == when) & (rows["area_code"] != ENGLAND)]
            if rows["denominator"].notna().any():
                if districts is None:
                    districts = wh.area_codes("district", vintage, list(county))
                num, den = _counts(wh, rows, m, indicator_id, vintage=vintage, area_type=area_type)
                c_num, c_den = _counts(
                    wh, rows, m, indicator_id, vintage=vintage, area_type="district"
                )
                frame = _with_intervals(frame, m, num, den, districts, c_num, c_den)
        out.append(frame[COLUMNS])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)


def period_table(
    wh: Warehouse,
    indicator_ids: Sequence[str],
    *,
    vintage: int,
    codes: Sequence[str],
    county: Sequence[str],
    only: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """``indicator_table`` on LSOAs for every period held of each indicator (``COLUMNS``, each
    indicator's periods oldest first): the same rows as one ``indicator_table`` per period, but
    each indicator's periods are read once and moved through the crosswalk together, values and
    counts in one move, and its counts summed to districts once. ``only``: one period per
    indicator, the one named or (None) its latest, as ``indicator_table`` picks it."""
    ids = list(dict.fromkeys(indicator_ids))
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    meta = wh.meta(ids).set_index("indicator_id")
    held = wh.periods(ids)
    targets = pd.Index(wh.area_codes("lsoa", vintage, codes), name="area_code")
    districts = wh.area_codes("district", vintage, list(county))
    rows = wh.indicator_values(ids)
    rows = rows[rows["area_code"] != ENGLAND]
    england = _england(wh, ids)
    row_sets = rows.groupby("indicator_id", sort=False).indices
    period_sets = held.groupby("indicator_id", sort=False)["period"].agg(list)
    out = []
    for indicator_id in ids:
        periods = [str(p) for p in period_sets.get(indicator_id, [])]
        if only is not None:
            named = only.get(indicator_id)
            periods = periods[-1:] if named is None else [p for p in periods if p == named]
            mine_rows = row_sets.get(indicator_id, np.zeros(0, dtype=int))
            keep = np.isin(rows["period"].to_numpy()[mine_rows], periods)
            row_sets[indicator_id] = mine_rows[keep]
        if indicator_id not in meta.index or meta.loc[indicator_id, "area_type"] != "lsoa":
            # not an LSOA indicator: period by period (which names what cannot be done)
            for when in periods:
                out.append(
                    indicator_table(
                        wh,
                        [indicator_id],
                        vintage=vintage,
                        area_type="lsoa",
                        codes=codes,
                        county=county,
                        period=when,
                    )
                )
            continue
        m = meta.loc[indicator_id]
        mine = rows.iloc[row_sets.get(indicator_id, [])].drop(columns=["indicator_id"])
        with_counts = {
            str(p)
            for p, part in mine.groupby("period", sort=False)
            if part["denominator"].notna().any()
        }
        moved = _lsoa_periods(wh, mine, m, vintage, with_counts)
        intervals = m["kind"] == "rate" and m["unit"] in SCALES
        sums = _district_sums(wh, moved, vintage) if intervals and with_counts else None
        by_period = dict(iter(moved.groupby("period", sort=False)))
        for when in periods:
            part = by_period.get(when, moved.iloc[0:0]).set_index("area_code")
            frame = _frame(indicator_id, when, targets, part["value"].reindex(targets), england)
            if intervals and when in with_counts and sums is not None:
                c_num, c_den = sums.get(when, (pd.Series(dtype=float), pd.Series(dtype=float)))
                frame = _with_intervals(
                    frame, m, part["numerator"], part["denominator"], districts, c_num, c_den
                )
            out.append(frame[COLUMNS])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)


def _lsoa_periods(
    wh: Warehouse, rows: pd.DataFrame, m: pd.Series, vintage: int, with_counts: set[str]
) -> pd.DataFrame:
    """An LSOA indicator's rows of every period on LSOAs of ``vintage`` (``area_code, period,
    value, numerator, denominator``), moved as ``indicator_frame`` moves one period: a rate
    period without denominators population-weighted, as a score."""
    rows = rows[["area_code", "period", "value", "numerator", "denominator"]]
    if int(m["vintage"]) == vintage:
        return rows.reset_index(drop=True)
    source = int(m["vintage"])
    if m["kind"] != "rate":
        return wh._move(rows, m, source, vintage, keys=["period"])
    counted = rows["period"].astype(str).isin(with_counts).to_numpy()
    parts = [
        wh._move(rows[mask], m, source, vintage, keys=["period"])
        for mask in (counted, ~counted)
        if mask.any()
    ]
    return pd.concat(parts, ignore_index=True) if parts else rows.iloc[0:0]


def _district_sums(
    wh: Warehouse, moved: pd.DataFrame, vintage: int
) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per period: LSOA numerators and denominators summed to districts (``_counts``' sums)."""
    links = wh._links("lsoa", "district", vintage)
    positions = links.positions(moved["area_code"])
    known = np.flatnonzero(positions >= 0)
    left, pair = links.expand(positions[known])
    left = known[left]
    group, labels = links.groups(links.target[pair], [moved["period"].to_numpy()[left]])
    sums = {
        column: group_sum(moved[column].to_numpy(dtype=float)[left], group, min_count=1)
        for column in ("numerator", "denominator")
    }
    out = {}
    for when, idx in (
        pd.Series(np.arange(len(labels))).groupby(labels[0].to_numpy()).indices.items()
    ):
        index = pd.Index(labels["area_code"].to_numpy()[idx])
        out[str(when)] = (
            pd.Series(sums["numerator"][idx], index=index),
            pd.Series(sums["denominator"][idx], index=index),
        )
    return out


def _frame(
    indicator_id: str, when, index: pd.Index, values: pd.Series, england: pd.DataFrame
) -> pd.DataFrame:
    """One indicator's rows: values, England's value of the period, no interval yet."""
    frame = pd.DataFrame({"area_code": index, "value": values.to_numpy(dtype=float)})
    frame["indicator_id"], frame["period"] = indicator_id, when
    eng = england[(england["indicator_id"] == indicator_id) & (england["period"] == when)]
    e_val = float(eng["value"].iloc[0]) if len(eng) else np.nan
    e_max = float(eng["value_max"].iloc[0]) if len(eng) else np.nan
    frame["england"], frame["england_max"] = e_val, e_max
    frame[["numerator", "denominator", "lower95", "upper95", "county"]] = np.nan
    frame["vs_county"] = frame["vs_england"] = ""
    return frame


def _with_intervals(
    frame: pd.DataFrame,
    m: pd.Series,
    num: pd.Series,
    den: pd.Series,
    districts: Sequence[str],
    c_num: pd.Series,
    c_den: pd.Series,
) -> pd.DataFrame:
    """Counts, 95% limits and comparisons; the county value from the district counts."""
    frame["numerator"] = num.reindex(frame["area_code"]).to_numpy(dtype=float)
    frame["denominator"] = den.reindex(frame["area_code"]).to_numpy(dtype=float)
    ci = interval_for(m["unit"], frame["numerator"], frame["denominator"])
    assert ci is not None
    frame["lower95"], frame["upper95"] = ci.lower, ci.upper
    c_num, c_den = c_num.reindex(districts), c_den.reindex(districts)
    if len(districts) and c_den.notna().all() and c_num.notna().all() and c_den.sum() > 0:
        frame["county"] = c_num.sum() / c_den.sum() * SCALES[m["unit"]]
    frame["vs_county"] = compare_with_benchmark(ci.lower, ci.upper, frame["county"])
    frame["vs_england"] = compare_with_benchmark(
        ci.lower, ci.upper, frame["england"], frame["england_max"]
    )
    return frame
