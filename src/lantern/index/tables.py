"""Tidy frames for the ``index_*`` warehouse tables (layout in docs/index.md), from results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lantern.index.engine import INDEX, IndexResult
from lantern.index.robustness import RobustnessResult

SCORE_COLUMNS = [
    "index_id",
    "area_code",
    "vintage",
    "component",
    "reference",
    "score",
    "rank",
    "decile",
    "quintile",
    "percentile",
    "flag",
    "rank_median",
    "rank_p05",
    "rank_p95",
    "decile_change_share",
]


def scores_table(
    result: IndexResult,
    *,
    reference: str,
    areas: pd.Index | None = None,
    robustness: RobustnessResult | None = None,
) -> pd.DataFrame:
    """``index_scores`` rows for ``areas`` (default all) under the named reference population."""
    s = result.scores()
    if areas is not None:
        s = s[s["area_code"].isin(set(areas))]
    s = s.assign(index_id=result.spec.id, vintage=int(result.spec.vintage), reference=reference)
    s["flag"] = s["flag"] == 1
    for col in ("rank_median", "rank_p05", "rank_p95", "decile_change_share"):
        s[col] = np.nan
    if robustness is not None:
        rob = robustness.frame()
        mask = s["component"] == INDEX
        joined = rob.reindex(s.loc[mask, "area_code"])
        for col in rob.columns:
            s.loc[mask, col] = joined[col].to_numpy()
        for domain_id in robustness.domains:
            mask = s["component"] == domain_id
            joined = robustness.domain_frame(domain_id).reindex(s.loc[mask, "area_code"])
            for col in joined.columns:
                s.loc[mask, col] = joined[col].to_numpy()
    return s[SCORE_COLUMNS].reset_index(drop=True)


def components_table(result: IndexResult) -> pd.DataFrame:
    spec = result.spec
    rows = [(spec.id, INDEX, spec.title, spec.description, 1.0, 0)]
    rows += [
        (spec.id, d.id, d.title, d.description, float(w), k + 1)
        for k, (d, w) in enumerate(zip(spec.domains, result.domain_weights, strict=True))
    ]
    return pd.DataFrame(
        rows, columns=["index_id", "component", "title", "description", "weight", "position"]
    )


def indicator_values_table(result: IndexResult, areas: pd.Index | None = None) -> pd.DataFrame:
    v = result.indicator_values()
    if areas is not None:
        v = v[v["area_code"].isin(set(areas))]
    v = v.assign(index_id=result.spec.id, imputed=v["imputed"].astype(bool))
    return v[
        [
            "index_id",
            "area_code",
            "component",
            "indicator_id",
            "value",
            "imputed",
            "normalised",
            "transformed",
        ]
    ].reset_index(drop=True)


def contributions_table(result: IndexResult, areas: pd.Index | None = None) -> pd.DataFrame:
    c = result.contributions()
    if areas is not None:
        c = c[c["area_code"].isin(set(areas))]
    c = c.assign(index_id=result.spec.id)
    return c[
        ["index_id", "area_code", "component", "indicator_id", "contribution", "share"]
    ].reset_index(drop=True)


def weights_table(result: IndexResult) -> pd.DataFrame:
    return result.weights().assign(index_id=result.spec.id)[
        ["index_id", "component", "indicator_id", "weight", "method"]
    ]
