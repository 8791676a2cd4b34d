"""Higher-geography summaries of a small-area index, as defined in the English Indices of
Deprivation 2019 technical report, Appendix N.

Input ranks have rank 1 = most vulnerable among ``n_total`` small areas (the whole reference
population, e.g. all 32,844 LSOAs in England). Every summary is oriented so that a larger value
means more vulnerable, and ranked with rank 1 = largest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MEASURES = ("average_score", "average_rank", "proportion", "extent", "local_concentration")


def extent_weight(percentile: np.ndarray) -> np.ndarray:
    """1 in the most vulnerable 10%, then ``0.95 − (0.9/19)(p − 11)`` for p = 11…30, else 0."""
    p = np.asarray(percentile, dtype=float)
    sliding = 0.95 - (0.9 / 19.0) * (p - 11.0)
    return np.where(p <= 10, 1.0, np.where(p <= 30, sliding, 0.0))


def top_share_mask(
    decile: np.ndarray, share: float, *, least_first: bool = False
) -> np.ndarray | None:
    """Areas in the most vulnerable ``share``, counted in whole deciles of the index's own deciles
    (0.2 = the two most vulnerable deciles, as the British Red Cross counts); ``None`` when
    ``share`` is not a whole number of tenths (then ``area_summaries`` uses ``rank ≤ share·N``)."""
    k = share * 10
    if abs(k - round(k)) > 1e-9:
        return None
    d = np.asarray(decile, dtype=float)
    return d >= 11 - round(k) if least_first else d <= round(k)


def area_summaries(
    frame: pd.DataFrame,
    *,
    n_total: int,
    parent: str = "parent_code",
    population: str = "population",
    score: str = "score",
    rank: str = "rank",
    proportion: float = 0.1,
    top: str | None = None,
) -> pd.DataFrame:
    """One row per parent area with the Appendix N measures and their ranks.

    - ``average_score`` = Σ pop·score / Σ pop
    - ``average_rank`` = Σ pop·(N + 1 − rank) / Σ pop (ranks reversed so larger = more deprived)
    - ``proportion`` = share of small areas among the most vulnerable ``proportion`` of all
      (``rank ≤ proportion·N``; 0.1 = decile 1, the IoD's; 0.2 = the British Red Cross's top 20%),
      or of those flagged in the boolean column ``top`` (e.g. the two most vulnerable deciles),
      not population-weighted
    - ``extent`` = Σ pop·w(p) / Σ pop with ``p = ceil(100·rank/N)`` and ``w`` from ``extent_weight``
    - ``local_concentration`` = population-weighted mean of the reversed ranks of the parent's
      most vulnerable small areas that hold exactly 10% of its population (the area that
      crosses 10% counts with the part of its population needed)
    """
    f = frame[[parent, population, score, rank]].copy()
    f.columns = ["parent", "pop", "score", "rank"]
    if top is not None:
        f["top"] = frame[top].to_numpy(dtype=bool)
    f = f.dropna(subset=["rank"])
    f["rev"] = n_total + 1 - f["rank"]
    f["pop_score"] = f["pop"] * f["score"]
    f["pop_rev"] = f["pop"] * f["rev"]
    if top is not None:
        f["in_decile_1"] = f["top"].astype(float)
    elif proportion == 0.1:
        f["in_decile_1"] = (np.ceil(10 * f["rank"] / n_total) == 1).astype(float)
    else:
        f["in_decile_1"] = (f["rank"] <= proportion * n_total + 1e-9).astype(float)
    f["pop_extent"] = f["pop"] * extent_weight(np.ceil(100 * f["rank"] / n_total))
    g = f.groupby("parent")
    out = pd.DataFrame(
        {
            "population": g["pop"].sum(),
            "n_areas": g.size(),
        }
    )
    out["average_score"] = g["pop_score"].sum() / out["population"]
    out["average_rank"] = g["pop_rev"].sum() / out["population"]
    out["proportion"] = g["in_decile_1"].mean()
    out["extent"] = g["pop_extent"].sum() / out["population"]
    # Local concentration: most vulnerable first, take population up to exactly 10%.
    s = f.sort_values(["parent", "rank"])
    before = s.groupby("parent")["pop"].cumsum() - s["pop"]
    target = 0.1 * s["parent"].map(out["population"])
    take = np.clip(target - before, 0, s["pop"])
    lc = (take * s["rev"]).groupby(s["parent"]).sum() / take.groupby(s["parent"]).sum()
    out["local_concentration"] = lc
    for m in MEASURES:
        out[f"{m}_rank"] = out[m].rank(ascending=False, method="min")
    return out.rename_axis(parent).reset_index()


def summaries_long(wide: pd.DataFrame, *, parent: str = "parent_code") -> pd.DataFrame:
    """``area_summaries`` output as rows of (area_code, measure, value, rank)."""
    rows = []
    for m in (*MEASURES, "population", "n_areas"):
        rows.append(
            pd.DataFrame(
                {
                    "area_code": wide[parent],
                    "measure": m,
                    "value": wide[m].astype(float),
                    "rank": wide.get(f"{m}_rank", np.nan),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
