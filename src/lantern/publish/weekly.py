"""Weekly COVID-19 cases for the map's week slider and the "where cases meet vulnerability" view.

Cases are published for MSOAs on 2011 boundaries. Each MSOA of the map (2021 boundaries in a
2021 build) gets the cases of its best-fit MSOA 2011s (those with most of their LSOAs inside it;
almost every MSOA 2021 is one MSOA 2011 unchanged), summed. A week in which any of them was
suppressed at source (0-2 cases) has no single value and is shown as "fewer than 3 a week"
(every member suppressed) or as missing, never as zero. Rates are per 100,000 residents
(ONS mid-2019 population of the same MSOAs). Colours use fixed bands, the same every week, so
the slider shows change over time; the bivariate view crosses the latest week's rate with the
index (population-weighted MSOA average score) in thirds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from lantern.benchmarks import ENGLAND
from lantern.profile.trends import msoa11_members
from lantern.sources.cases import INDICATOR
from lantern.stats.bivariate import COLOURS as BIVARIATE_COLOURS
from lantern.stats.bivariate import bivariate_classes
from lantern.warehouse import Warehouse

BREAKS = [10.0, 50.0, 100.0, 200.0, 400.0, 1e12]  # upper bounds per 100,000 a week (PHE bands)
LABELS = ["under 10", "10 to 49", "50 to 99", "100 to 199", "200 to 399", "400 or more"]
COLOURS = ["#fff7bc", "#fee391", "#fec44f", "#ec7014", "#cc4c02", "#8c2d04"]
LOW = "#c7dfe9"  # every MSOA's count suppressed: fewer than 3 cases that week (blue-grey)


def weekly_matrix(
    wh: Warehouse, codes: list[str], area_type: str, vintage: int
) -> dict[str, Any] | None:
    """``weeks``, per-area ``rate`` (rounded; None where a member was suppressed), ``low`` flags
    (every member suppressed) and England's weekly rate range, for ``codes`` in that order."""
    if wh.meta([INDICATOR]).empty:
        return None
    rows = wh.indicator_values([INDICATOR])
    england = rows[rows["area_code"] == ENGLAND].set_index("period")
    rows = rows[rows["area_code"] != ENGLAND]
    weeks = sorted(rows["period"].unique())
    msoas = sorted(rows["area_code"].unique())
    col = {w: j for j, w in enumerate(weeks)}
    row = {m: i for i, m in enumerate(msoas)}
    counts = np.full((len(msoas), len(weeks)), np.nan)
    counts[rows["area_code"].map(row).to_numpy(), rows["period"].map(col).to_numpy()] = rows[
        "numerator"
    ].to_numpy(dtype=float)
    pop = rows.drop_duplicates("area_code").set_index("area_code")["denominator"].reindex(msoas)
    members = msoa11_members(wh, codes, area_type, vintage) if area_type != "msoa11" else {}
    if vintage == 2011 and area_type == "msoa":
        members = {c: [c] for c in codes}
    r, c = [], []
    for i, code in enumerate(codes):
        for m in members.get(code, []):
            if m in row:
                r.append(i)
                c.append(row[m])
    link = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(codes), len(msoas)))
    known = link @ np.nan_to_num(counts)
    suppressed = link @ np.isnan(counts).astype(float)
    n_members = np.asarray(link.sum(axis=1)).ravel()
    population = link @ pop.fillna(0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(
            (suppressed == 0) & (population[:, None] > 0), known / population[:, None] * 1e5, np.nan
        )
    low = (suppressed == n_members[:, None]) & (n_members[:, None] > 0)
    bench = (
        wh.query(
            "SELECT period, value, value_max FROM benchmarks WHERE indicator_id = ? AND area_code = ?",
            [INDICATOR, ENGLAND],
            table="benchmarks",
        ).set_index("period")
        if wh.has("benchmarks")
        else england.assign(value_max=england["value"])
    )
    return {
        "weeks": weeks,
        "rate": rate,
        "low": low,
        "england": bench["value"].reindex(weeks).to_numpy(dtype=float),
        "englandMax": bench["value_max"].reindex(weeks).to_numpy(dtype=float),
    }


def band(rate: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Colour band per area: 0–5 by ``BREAKS``, 6 "fewer than 3", −1 missing."""
    out = np.searchsorted(np.asarray(BREAKS), np.nan_to_num(rate, nan=-1.0), side="left")
    out = np.where(np.isfinite(rate), out, -1)
    return np.where(low & ~np.isfinite(rate), 6, out)


def payload(
    matrix: dict[str, Any], index_score: np.ndarray | None, *, digits: int = 1
) -> dict[str, Any]:
    """The JSON the week slider reads: per week a list of colour bands and rates, England's
    weekly range, the band legend and the bivariate classes for the latest week."""
    rate, low = matrix["rate"], matrix["low"]
    bands = band(rate, low)

    def rounded(a: np.ndarray) -> list[float | None]:
        return [None if not np.isfinite(v) else round(float(v), digits) for v in a]

    out: dict[str, Any] = {
        "weeks": matrix["weeks"],
        "bands": [bands[:, j].astype(int).tolist() for j in range(len(matrix["weeks"]))],
        "rates": [rounded(rate[:, j]) for j in range(len(matrix["weeks"]))],
        "england": rounded(matrix["england"]),
        "englandMax": rounded(matrix["englandMax"]),
        "legend": {"labels": LABELS, "colours": COLOURS, "low": LOW},
    }
    if index_score is not None:
        latest = rate[:, -1]
        cls, bx, by = bivariate_classes(latest, index_score)
        out["bivariate"] = {
            "week": matrix["weeks"][-1],
            "classes": cls.astype(int).tolist(),
            "caseBreaks": [round(v, 1) for v in bx],
            "indexBreaks": [round(v, 3) for v in by],
            "colours": list(BIVARIATE_COLOURS),
        }
    return out


def site_cases(
    wh: Warehouse, frame: pd.DataFrame, area_type: str, vintage: int
) -> dict[str, Any] | None:
    """The slider payload for one geography's areas (``frame`` indexed by code, with ``index``
    holding the index score where the build has one)."""
    codes = list(frame.index)
    matrix = weekly_matrix(wh, codes, area_type, vintage)
    if matrix is None:
        return None
    score = frame["index"].to_numpy(dtype=float) if "index" in frame.columns else None
    return payload(matrix, score)
