"""Linkage-quality report: counts and distributions only, never identifiers or release ids.

Estimated precision is the mean match probability of accepted links (deterministic links count
as 1). Estimated recall is the expected number of true links accepted over the expected number
among all scored pairs, ``sum(p | accepted) / sum(p | scored)``; pairs never compared by the
blocking rules are outside both, so it is an upper bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def weight_histogram(weights: pd.Series, width: float = 2.0) -> list[dict[str, float | int]]:
    finite = weights[np.isfinite(weights)]
    if finite.empty:
        return []
    lo = np.floor(finite.min() / width) * width
    hi = np.ceil(finite.max() / width) * width + width
    counts, edges = np.histogram(finite, bins=np.arange(lo, hi + width / 2, width))
    return [
        {"from": float(a), "to": float(b), "pairs": int(c)}
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
        if c
    ]


def quality_report(
    *,
    scored: pd.DataFrame,
    links: pd.DataFrame,
    persons: pd.DataFrame,
    partner_of: pd.Series,
    threshold: float,
    removed_objectors: dict[str, int],
) -> dict[str, Any]:
    """Summarise one linkage run. ``partner_of`` maps release id to partner."""
    keys = ["release_id_l", "release_id_r"]
    accepted_p = links["match_probability"].clip(upper=1.0)
    det = int((links["rule"] == "deterministic").sum())
    expected = scored.merge(
        links[links["rule"] == "deterministic"][keys], on=keys, how="outer", indicator=True
    )
    expected_p = expected["match_probability"].where(expected["_merge"] != "both", 1.0).fillna(1.0)
    scored_sum = float(expected_p.sum())
    frame = persons.assign(partner=persons["release_id"].map(partner_of))
    size = frame.groupby("person_id")["release_id"].transform("size")
    n_partners = frame.groupby("person_id")["partner"].transform("nunique")
    by_partner = {}
    for partner, grp in frame.groupby("partner"):
        idx = grp.index
        by_partner[str(partner)] = {
            "records": int(len(grp)),
            "linked_to_another_partner": int((n_partners[idx] > 1).sum()),
            "duplicates_within_partner": int((size[idx] > n_partners[idx]).sum()),
            "unlinked": int((size[idx] == 1).sum()),
        }
    cluster_sizes = frame.groupby("person_id").size().value_counts().sort_index()
    return {
        "threshold_match_probability": threshold,
        "pairs_scored": int(len(scored)),
        "links_accepted": int(len(links)),
        "links_deterministic": det,
        "links_probabilistic": int(len(links) - det),
        "estimated_precision": round(float(accepted_p.mean()), 6) if len(links) else None,
        "estimated_recall_upper_bound": round(float(accepted_p.sum()) / scored_sum, 6)
        if scored_sum
        else None,
        "match_weight_histogram": weight_histogram(scored["match_weight"]),
        "persons": int(frame["person_id"].nunique()),
        "cluster_sizes": {str(int(k)): int(v) for k, v in cluster_sizes.items()},
        "by_partner": by_partner,
        "removed_objectors": removed_objectors,
    }
