"""Linkage-quality report: counts and distributions only, never identifiers or release ids.

Precision and recall are those of the persons: a pair of records counts as linked when both
are in the same person (for ``link_only``, pairs from two partners only). Both come as an
estimate with a 95% interval, under the Fellegi–Sunter model the linkage itself uses:

- a scored pair is a true link with its match probability (deterministic pairs: 1); pairs in
  one person that were never scored (joined through others) count as true links;
- true links never scored are estimated from the share of true links that no blocking rule
  generates (:mod:`lantern.linkage.recall`), less the unscored pairs already joined.

The interval takes in the uncertainty of that share (resampled agreement patterns) and the
chance variation of which pairs are true (binomial), by simulation with a fixed seed.
Clerical review (:mod:`lantern.linkage.review`) checks these estimates against people's labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lantern.linkage.recall import BlockingRecall

KEYS = ["release_id_l", "release_id_r"]
LEVEL = 0.95
UNSURE = 0.01  # match probabilities between this and 1 - this are not trusted either way


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


def _eligible_pairs(sizes: pd.Series, per_partner: pd.Series | None) -> pd.Series:
    """Record pairs within each person (across partners only, when per-partner sizes given)."""
    total = sizes * (sizes - 1) // 2
    if per_partner is None:
        return total
    within = (per_partner * (per_partner - 1) // 2).groupby(level=0).sum()
    return total - within.reindex(total.index, fill_value=0)


def _round(x: float) -> float:
    return round(float(x), 6)


def _bernoulli_sums(rng: np.random.Generator, p: np.ndarray, draws: int) -> np.ndarray:
    """Draws of the number of successes among independent Bernoulli(p) trials."""
    sure = float(p[p >= 1 - 1e-9].sum())
    middle = p[(p > 1e-9) & (p < 1 - 1e-9)]
    if middle.size == 0:
        return np.full(draws, sure)
    if middle.size <= 2_000:
        return sure + (rng.random((draws, middle.size)) < middle).sum(axis=1)
    mean, var = float(middle.sum()), float((middle * (1 - middle)).sum())
    return sure + np.clip(rng.normal(mean, np.sqrt(var), draws), 0, middle.size)


def _binomial_sums(
    rng: np.random.Generator, n: np.ndarray, q: np.ndarray, draws: int
) -> np.ndarray:
    """Draws of the total successes of independent Binomial(n_i, q_i) counts."""
    sure = float(n[q >= 1 - 1e-9].sum())
    keep = (q > 1e-9) & (q < 1 - 1e-9)
    n, q = n[keep], q[keep]
    if n.size == 0:
        return np.full(draws, sure)
    if n.size <= 2_000:
        return sure + rng.binomial(np.tile(n, (draws, 1)), q).sum(axis=1)
    mean, var = float((n * q).sum()), float((n * q * (1 - q)).sum())
    return sure + np.clip(rng.normal(mean, np.sqrt(var), draws), 0, n.sum())


def _settle(p: np.ndarray, to: float) -> np.ndarray:
    """Pairs the model is unsure of (``UNSURE < p < 1 - UNSURE``) set to 0 or 1."""
    out = p.copy()
    out[(p > UNSURE) & (p < 1 - UNSURE)] = to
    return out


def estimate_accuracy(
    *,
    scored: pd.DataFrame,
    links: pd.DataFrame,
    persons: pd.DataFrame,
    partner_of: pd.Series,
    link_type: str,
    blocking_miss: BlockingRecall | None,
    seed: int = 0,
    draws: int = 2_000,
) -> dict[str, Any]:
    """Estimated precision and recall of the persons, each with a 95% interval.

    A pair in one person is a true link with the larger of its own match probability and that
    of the weakest accepted link of the person; a scored pair in two persons, with its own.
    The interval's low end takes every pair the model is unsure of (probability between
    ``UNSURE`` and ``1 - UNSURE``) against the linkage, the high end in its favour: match
    probabilities are not calibrated well enough to be trusted in that range.
    """
    person = persons.set_index("release_id")["person_id"]
    frame = persons.assign(partner=persons["release_id"].map(partner_of))
    det = links.loc[links["rule"] == "deterministic", KEYS].assign(sure=True)
    pairs = scored[[*KEYS, "match_probability"]].merge(det, on=KEYS, how="outer")
    p = pairs["match_probability"].where(pairs["sure"] != True, 1.0).fillna(1.0)  # noqa: E712
    pairs = pairs.assign(p=p.clip(0.0, 1.0), person=pairs["release_id_l"].map(person))
    pairs["same"] = pairs["person"] == pairs["release_id_r"].map(person)
    if link_type == "link_only":
        pairs = pairs[
            pairs["release_id_l"].map(partner_of) != pairs["release_id_r"].map(partner_of)
        ]
    accepted = links.assign(person=links["release_id_l"].map(person))
    weakest = accepted.groupby("person")["match_probability"].min().clip(0.0, 1.0)
    sizes = frame.groupby("person_id").size()
    eligible = _eligible_pairs(
        sizes,
        frame.groupby(["person_id", "partner"]).size() if link_type == "link_only" else None,
    )
    same = pairs[pairs["same"]]
    joined = (eligible - same.groupby("person").size().reindex(eligible.index, fill_value=0)).clip(
        lower=0
    )
    joined = joined[joined > 0]
    q_joined = weakest.reindex(joined.index).fillna(1.0).to_numpy()
    n_joined = joined.to_numpy(dtype=np.int64)
    p_same = np.maximum(same["p"].to_numpy(), same["person"].map(weakest).fillna(0.0).to_numpy())
    p_diff = pairs.loc[~pairs["same"], "p"].to_numpy()
    predicted = int(eligible.sum())
    miss = blocking_miss.miss_rate if blocking_miss is not None else 0.0
    rates_all = np.asarray(blocking_miss.draws if blocking_miss is not None else (0.0,))

    Counts = float | np.ndarray  # one value, or one per simulation draw

    def recall_of(
        found: Counts, joined_true: Counts, missed: Counts, blocked_true: Counts, rate: Counts
    ) -> np.ndarray:
        unblocked = blocked_true * rate / np.clip(1.0 - rate, 1e-9, None)
        missed = missed + np.maximum(unblocked - joined_true, 0.0)
        total = found + missed
        return np.where(total > 0, found / np.where(total > 0, total, 1), 1.0)

    joined_expected = float((n_joined * q_joined).sum())
    found = float(p_same.sum()) + joined_expected
    point_recall = float(
        recall_of(
            found, joined_expected, float(p_diff.sum()), float(p_same.sum() + p_diff.sum()), miss
        )
    )
    point_precision = found / predicted if predicted else None

    rng = np.random.default_rng(seed)

    def simulate(towards: float) -> tuple[np.ndarray, np.ndarray]:
        """Recall and precision draws with unsure pairs settled for (1) or against (0)."""
        ps, pd_ = _settle(p_same, towards), _settle(p_diff, 1.0 - towards)
        qj = _settle(q_joined, towards)
        rate = rng.choice(rates_all, size=draws)
        same_true = _bernoulli_sums(rng, ps, draws)
        joined_true = _binomial_sums(rng, n_joined, qj, draws)
        missed = _bernoulli_sums(rng, pd_, draws)
        blocked = same_true + missed
        expected = blocked * rate / np.clip(1.0 - rate, 1e-9, None)
        # The count of links never compared is estimated, not seen: treat the estimate like an
        # observed count (Gamma-Poisson, as the exact Garwood interval does), so a model that
        # expects none still allows for a few (the one-sided shape + 1 on the pessimistic side).
        shape = expected + (1.0 if towards == 0.0 else 0.0)
        lam = np.where(shape > 0, rng.gamma(np.where(shape > 0, shape, 1.0)), 0.0)
        unblocked = rng.poisson(lam)
        lost = missed + np.maximum(unblocked - joined_true, 0)
        found_d = same_true + joined_true
        total = found_d + lost
        recall = np.where(total > 0, found_d / np.where(total > 0, total, 1), 1.0)
        precision = found_d / predicted if predicted else np.ones(draws)
        return recall, precision

    low_r, low_p = simulate(0.0)
    high_r, high_p = simulate(1.0)
    lo_q, hi_q = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2

    def interval(point: float, low: np.ndarray, high: np.ndarray) -> dict[str, float]:
        return {
            "estimate": _round(point),
            "low": _round(min(float(np.quantile(low, lo_q)), point)),
            "high": _round(max(float(np.quantile(high, hi_q)), point)),
        }

    out: dict[str, Any] = {
        "linked_pairs": predicted,
        "unsure_pairs": int(((p_same > UNSURE) & (p_same < 1 - UNSURE)).sum())
        + int(((p_diff > UNSURE) & (p_diff < 1 - UNSURE)).sum()),
        "blocking_miss_rate": _round(miss) if blocking_miss is not None else None,
        "estimated_true_links_never_compared": _round(
            float(p_same.sum() + p_diff.sum()) * miss / (1.0 - miss) if miss < 1 else 0.0
        ),
        "estimated_precision": _round(point_precision) if point_precision is not None else None,
        "estimated_precision_interval": interval(point_precision, low_p, high_p)
        if point_precision is not None
        else None,
        "estimated_recall": interval(point_recall, low_r, high_r),
    }
    if blocking_miss is not None and blocking_miss.groups_without_independent_evidence:
        out["blocking_miss_rate_caveat"] = (
            "every blocking rule uses "
            + ", ".join(blocking_miss.groups_without_independent_evidence)
            + ": their agreement among true links is taken from blocked pairs, so the share "
            "of links never compared may be underestimated"
        )
    return out


def quality_report(
    *,
    scored: pd.DataFrame,
    links: pd.DataFrame,
    persons: pd.DataFrame,
    partner_of: pd.Series,
    threshold: float,
    removed_objectors: dict[str, int],
    link_type: str = "link_and_dedupe",
    blocking_miss: BlockingRecall | None = None,
) -> dict[str, Any]:
    """Summarise one linkage run. ``partner_of`` maps release id to partner."""
    det = int((links["rule"] == "deterministic").sum())
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
    report: dict[str, Any] = {
        "threshold_match_probability": threshold,
        "pairs_scored": int(len(scored)),
        "links_accepted": int(len(links)),
        "links_deterministic": det,
        "links_probabilistic": int(len(links) - det),
    }
    report.update(
        estimate_accuracy(
            scored=scored,
            links=links,
            persons=persons,
            partner_of=partner_of,
            link_type=link_type,
            blocking_miss=blocking_miss,
        )
    )
    report.update(
        {
            "match_weight_histogram": weight_histogram(scored["match_weight"]),
            "persons": int(frame["person_id"].nunique()),
            "cluster_sizes": {str(int(k)): int(v) for k, v in cluster_sizes.items()},
            "by_partner": by_partner,
            "removed_objectors": removed_objectors,
        }
    )
    return report
