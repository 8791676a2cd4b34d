"""Indicator values with 95% confidence intervals and county/England comparisons, for any areas.

For each rate with a numerator and denominator the counts are moved to the target geography the
way ``Warehouse.indicator_frame`` moves values (counts split through the LSOA crosswalk by
population share, then summed up the hierarchy), so the interval is computed from the area's own
counts: Wilson score for percentages, Byar (exact Poisson below 10) for rates per 1,000/100,000.
The county value is Σ numerator / Σ denominator over the build's area of interest; England's is
the stored benchmark (``lantern.benchmarks``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lantern.benchmarks import ENGLAND, SCALES
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
    out = []
    for indicator_id in ids:
        m = meta.loc[indicator_id]
        when = chosen.get(indicator_id)
        frame = pd.DataFrame(
            {"area_code": values.index, "value": values[indicator_id].to_numpy(dtype=float)}
        )
        frame["indicator_id"], frame["period"] = indicator_id, when
        eng = england[(england["indicator_id"] == indicator_id) & (england["period"] == when)]
        e_val = float(eng["value"].iloc[0]) if len(eng) else np.nan
        e_max = float(eng["value_max"].iloc[0]) if len(eng) else np.nan
        frame["england"], frame["england_max"] = e_val, e_max
        frame[["numerator", "denominator", "lower95", "upper95", "county"]] = np.nan
        frame["vs_county"] = frame["vs_england"] = ""
        if m["kind"] == "rate" and m["unit"] in SCALES:
            rows = wh.indicator_values([indicator_id])
            rows = rows[(rows["period"] == when) & (rows["area_code"] != ENGLAND)]
            if rows["denominator"].notna().any():
                frame = _with_intervals(
                    wh, frame, rows, m, indicator_id, vintage, area_type, county
                )
        out.append(frame[COLUMNS])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)


def _with_intervals(
    wh: Warehouse,
    frame: pd.DataFrame,
    rows: pd.DataFrame,
    m: pd.Series,
    indicator_id: str,
    vintage: int,
    area_type: str,
    county: Sequence[str],
) -> pd.DataFrame:
    num, den = _counts(wh, rows, m, indicator_id, vintage=vintage, area_type=area_type)
    frame["numerator"] = num.reindex(frame["area_code"]).to_numpy(dtype=float)
    frame["denominator"] = den.reindex(frame["area_code"]).to_numpy(dtype=float)
    ci = interval_for(m["unit"], frame["numerator"], frame["denominator"])
    assert ci is not None
    frame["lower95"], frame["upper95"] = ci.lower, ci.upper
    districts = wh.area_codes("district", vintage, list(county))
    c_num, c_den = _counts(wh, rows, m, indicator_id, vintage=vintage, area_type="district")
    c_num, c_den = c_num.reindex(districts), c_den.reindex(districts)
    if len(districts) and c_den.notna().all() and c_num.notna().all() and c_den.sum() > 0:
        frame["county"] = c_num.sum() / c_den.sum() * SCALES[m["unit"]]
    frame["vs_county"] = compare_with_benchmark(ci.lower, ci.upper, frame["county"])
    frame["vs_england"] = compare_with_benchmark(
        ci.lower, ci.upper, frame["england"], frame["england_max"]
    )
    return frame
