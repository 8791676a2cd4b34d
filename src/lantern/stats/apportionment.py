"""Data quality of values apportioned from GP practices to neighbourhoods (pure).

QOF registers are published per practice; Lantern shares each practice's register among the
LSOAs its patients live in. Two things make such an estimate weak, and are flagged per LSOA and
condition:

- **low coverage**: the practices behind the estimate (those with QOF data) register fewer than
  ``LOW_COVERAGE`` (80%) of the LSOA's residents, so much of its population is not represented;
- **dominant outlier**: one practice supplies at least ``DOMINANT_SHARE`` (half) of the LSOA's
  registered patients *and* its own recorded prevalence is an outlier: among the 2.5% highest or
  lowest of the practices in the data for that condition, and significantly so (its 99.8% Wilson
  interval, the control limit of PHE's funnel plots, excludes England's prevalence). The LSOA's
  value then mostly repeats that one practice's unusual recording.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lantern.stats.intervals import wilson_limits

LOW_COVERAGE = 0.8
DOMINANT_SHARE = 0.5
OUTLIER_CONFIDENCE = 0.998
OUTLIER_TAIL = 0.025  # each tail of the practices' prevalence distribution
LOW, OUTLIER = "low_coverage", "dominant_outlier"


def practice_outliers(practices: pd.DataFrame, england: dict[str, float]) -> pd.DataFrame:
    """``practice_code, group, prevalence, outlying`` — outlying when the practice is in the top
    or bottom 2.5% of practices for the group *and* its 99.8% Wilson interval excludes England's
    prevalence (%) for the group."""
    p = practices[practices["list"] > 0].copy()
    lo, hi = wilson_limits(p["register"], p["list"], OUTLIER_CONFIDENCE)
    bench = p["group"].map(england).to_numpy(dtype=float) / 100
    p["prevalence"] = 100 * p["register"] / p["list"]
    pct = p.groupby("group")["prevalence"].rank(pct=True).to_numpy()
    tail = (pct <= OUTLIER_TAIL) | (pct > 1 - OUTLIER_TAIL)
    p["outlying"] = tail & np.isfinite(bench) & ((lo > bench) | (hi < bench))
    return p[["practice_code", "group", "prevalence", "outlying"]]


def apportionment_quality(
    practices: pd.DataFrame,
    patients: pd.DataFrame,
    residents: pd.Series,
    england: dict[str, float],
) -> pd.DataFrame:
    """One row per LSOA × group: ``coverage``, ``top_practice``, ``top_share``,
    ``top_prevalence``, ``flag`` (``low_coverage``, ``dominant_outlier`` or empty).

    ``practices``: ``practice_code, group, register, list``; ``patients``: ``practice_code,
    area_code, patients``; ``residents``: LSOA code → resident population; ``england``: group →
    England's prevalence in %.
    """
    with_data = set(practices.loc[practices["list"] > 0, "practice_code"])
    reg = patients[patients["practice_code"].isin(with_data)]
    per_area = reg.groupby("area_code")["patients"].sum()
    coverage = per_area / residents.reindex(per_area.index)
    top = reg.sort_values("patients", ascending=False).drop_duplicates("area_code")
    top = top.set_index("area_code")
    share = top["patients"] / per_area.reindex(top.index)
    outliers = practice_outliers(practices, england)
    rows = []
    for group in sorted(practices["group"].unique()):
        o = outliers[outliers["group"] == group].set_index("practice_code")
        frame = pd.DataFrame(
            {
                "area_code": per_area.index,
                "group": group,
                "coverage": coverage.to_numpy(dtype=float),
                "top_practice": top["practice_code"].reindex(per_area.index).to_numpy(),
                "top_share": share.reindex(per_area.index).to_numpy(dtype=float),
            }
        )
        frame["top_prevalence"] = frame["top_practice"].map(o["prevalence"]).astype(float)
        outlying = frame["top_practice"].map(o["outlying"]).fillna(False).astype(bool)
        frame["flag"] = np.where(
            frame["coverage"] < LOW_COVERAGE,
            LOW,
            np.where((frame["top_share"] >= DOMINANT_SHARE) & outlying, OUTLIER, ""),
        )
        rows.append(frame)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
