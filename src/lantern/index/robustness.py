"""Monte Carlo uncertainty analysis: how much do ranks move under other defensible choices?

Each draw takes indicator weights and domain weights from Dirichlet distributions centred on the
chosen weights (concentration α: larger = closer), one indicator normalisation and one domain
transform from the spec's alternatives, and recomputes every area's index rank. All areas and all
draws in a chunk are computed together with array operations; the only Python loops are over
domains, method choices and chunks of draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import norm

from lantern.index.engine import INDEX, IndexResult, compute_domain, compute_index, indicator_matrix
from lantern.index.spec import IndexSpec
from lantern.index.transform import exponential_of_r


@dataclass
class RobustnessResult:
    areas: pd.Index
    draws: int
    rank_median: np.ndarray
    rank_p05: np.ndarray
    rank_p95: np.ndarray
    decile_change_share: np.ndarray  # per area: share of draws in a different decile
    share_changing_decile: float  # mean over draws of the share of areas in a different decile
    # per domain: (median, p05, p95) of its rank over the draws (1 = most vulnerable)
    domains: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    # per higher geography (``groups``): each parent area's (median, p05, p95) rank of its
    # population-weighted average index score over the draws, among the parents of that level,
    # and the share of draws that put it in another decile of that level than the base does
    groups: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )

    def domain_frame(self, domain_id: str) -> pd.DataFrame:
        median, p05, p95 = self.domains[domain_id]
        return pd.DataFrame(
            {"rank_median": median, "rank_p05": p05, "rank_p95": p95}, index=self.areas
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "rank_median": self.rank_median,
                "rank_p05": self.rank_p05,
                "rank_p95": self.rank_p95,
                "decile_change_share": self.decile_change_share,
            },
            index=self.areas,
        )


def _ascending_ranks(x: np.ndarray) -> np.ndarray:
    """Row-wise ordinal ranks, 1 = smallest (continuous scores rarely tie)."""
    order = np.argsort(x, axis=1)
    ranks = np.empty_like(order)
    rows = np.arange(x.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, x.shape[1] + 1)
    return ranks


def rowwise_normalise(x: np.ndarray, method: str) -> np.ndarray:
    """Each row (one draw) normalised across its areas, as ``normalise.normalise`` does for one."""
    n = x.shape[1]
    if method == "none":
        return x
    if method == "rank":
        return _ascending_ranks(x).astype(float)
    out: np.ndarray
    if method == "percentile_rank":
        out = (_ascending_ranks(x) - 1.0) / (n - 1.0)
    elif method == "inverse_normal":
        out = norm.ppf((_ascending_ranks(x) - 0.5) / n)
    elif method == "zscore":
        out = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    elif method == "minmax":
        lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        out = (x - lo) / (hi - lo)
    else:
        raise ValueError(f"normalisation {method!r} is not available in the Monte Carlo analysis")
    return out


def rowwise_transform(x: np.ndarray, method: str, convention: str) -> np.ndarray:
    if method == "none":
        return x
    n = x.shape[1]
    a = _ascending_ranks(x).astype(float)
    r = a / n if convention == "iod" else (a - 1.0) / (n - 1.0)
    return exponential_of_r(r)


def _dirichlet_around(
    rng: np.random.Generator, weights: np.ndarray, alpha: float, size: int
) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if len(w) == 1:
        return np.ones((size, 1))
    return rng.dirichlet(np.maximum(alpha * w, 1e-3), size=size)


def monte_carlo(
    spec: IndexSpec,
    data: pd.DataFrame,
    *,
    draws: int | None = None,
    seed: int | None = None,
    base: IndexResult | None = None,
    parents: pd.Series | None = None,
    chunk: int = 50,
    groups: dict[str, tuple[np.ndarray, np.ndarray, int]] | None = None,
) -> RobustnessResult:
    """Run ``draws`` perturbed versions of the index; areas without a base score are left out.

    ``groups`` (level → ``(parent, weight, n_parents)``, arrays aligned with the areas: each
    area's parent position, -1 for none, and its population) asks also for the rank interval of
    each parent's population-weighted average index score (IoD Appendix N "average score"),
    ranked among the parents of its level in every draw as ``lantern build`` ranks the base.
    """
    rob = spec.robustness
    draws = draws or rob.draws
    rng = np.random.default_rng(rob.seed if seed is None else seed)
    base = base or compute_index(spec, data, parents=parents)
    base_rank = base.components[INDEX]["rank"]
    keep = ~np.isnan(base_rank)
    n = int(keep.sum())
    base_decile = np.ceil(10 * base_rank[keep] / n)
    parent_values = None if parents is None else parents.reindex(data.index)

    # None: each domain's own normalisation
    normalisations: list[str | None] = [*dict.fromkeys(rob.normalisations)] or [None]
    transforms = list(dict.fromkeys(rob.transforms or (spec.combine.transform,)))
    # Each domain's transformed indicator matrix under each normalisation choice (areas kept only).
    matrices: list[list[np.ndarray]] = []
    for domain in spec.domains:
        raw = indicator_matrix(spec, domain, data, "data")
        options = []
        for choice in normalisations:
            d = domain if choice is None else replace(domain, normalisation=choice)
            options.append(compute_domain(spec, d, raw, parent_values).transformed[keep])
        matrices.append(options)

    # A one-indicator domain has the same scores in every draw: transform each choice once.
    fixed: dict[int, list[list[np.ndarray]]] = {}
    for k, domain in enumerate(spec.domains):
        if len(domain.indicators) == 1:
            fixed[k] = [
                [
                    rowwise_transform(
                        rowwise_normalise(m.T, spec.combine.normalisation),
                        t,
                        spec.combine.r_convention,
                    )[0]
                    for t in transforms
                ]
                for m in matrices[k]
            ]

    ranks = np.empty((draws, n), dtype=np.int32)
    small = np.uint16 if n < 2**16 else np.int32
    varying = [k for k in range(len(spec.domains)) if k not in fixed]
    domain_ranks = {k: np.empty((draws, n), dtype=small) for k in varying}
    changed = np.zeros(n)
    pooling = _pooling(groups or {}, keep)
    group_ranks = {
        level: np.empty((draws, m.shape[1]), dtype=np.int32) for level, m in pooling.items()
    }
    for start in range(0, draws, chunk):
        size = min(chunk, draws - start)
        norm_choice = rng.integers(len(normalisations), size=size)
        trans_choice = rng.integers(len(transforms), size=size)
        domain_w = _dirichlet_around(rng, base.domain_weights, rob.concentration, size)
        inputs = np.empty((len(spec.domains), size, n))
        for k, domain in enumerate(spec.domains):
            if k in fixed:
                for c, per_transform in enumerate(fixed[k]):
                    for t, values in enumerate(per_transform):
                        rows = (norm_choice == c) & (trans_choice == t)
                        if rows.any():
                            inputs[k, rows] = values
                continue
            w = _dirichlet_around(rng, base.domains[domain.id].weights, rob.concentration, size)
            scores = np.empty((size, n))
            for c, matrix in enumerate(matrices[k]):
                rows = norm_choice == c
                if not rows.any():
                    continue
                if domain.aggregation == "geometric":
                    scores[rows] = np.exp(w[rows] @ np.log(matrix).T)
                else:
                    scores[rows] = w[rows] @ matrix.T
            domain_ranks[k][start : start + size] = n + 1 - _ascending_ranks(scores)
            z = rowwise_normalise(scores, spec.combine.normalisation)
            for t, method in enumerate(transforms):
                rows = trans_choice == t
                if rows.any():
                    inputs[k, rows] = rowwise_transform(z[rows], method, spec.combine.r_convention)
        if spec.combine.aggregation == "geometric":
            index = np.exp(np.einsum("sk,ksn->sn", domain_w, np.log(inputs)))
        else:
            index = np.einsum("sk,ksn->sn", domain_w, inputs)
        desc = n + 1 - _ascending_ranks(index)
        ranks[start : start + size] = desc
        for level, matrix in pooling.items():
            averages = np.asarray(matrix.T @ index.T).T  # draws × parents (weights sum to 1)
            group_ranks[level][start : start + size] = (
                matrix.shape[1] + 1 - _ascending_ranks(averages)
            )
        changed += (np.ceil(10 * desc / n) != base_decile).sum(axis=0)
    p05, median, p95 = np.percentile(ranks, [5, 50, 95], axis=0)
    share = changed / draws
    full = np.full(len(base.areas), np.nan)

    def spread(values: np.ndarray) -> np.ndarray:
        out = full.copy()
        out[keep] = values
        return out

    domains = {}
    for k, domain in enumerate(spec.domains):
        if k in domain_ranks:
            d05, dmed, d95 = np.percentile(domain_ranks[k], [5, 50, 95], axis=0)
            domains[domain.id] = (spread(dmed), spread(d05), spread(d95))
        else:  # one indicator: its rank is the same in every draw
            rank = base.components[domain.id]["rank"]
            domains[domain.id] = (rank.copy(), rank.copy(), rank.copy())
    summary = {}
    base_score = np.nan_to_num(np.asarray(base.components[INDEX]["score"], dtype=float)[keep])
    for level, r in group_ranks.items():
        g05, gmed, g95 = np.percentile(r, [5, 50, 95], axis=0)
        m = pooling[level].shape[1]
        base_rank = m + 1 - _ascending_ranks(np.asarray(pooling[level].T @ base_score)[None, :])[0]
        moved = (np.ceil(10 * r / m) != np.ceil(10 * base_rank / m)).mean(axis=0)
        summary[level] = (gmed, g05, g95, moved)
    return RobustnessResult(
        base.areas,
        draws,
        spread(median),
        spread(p05),
        spread(p95),
        spread(share),
        float(share.mean()),
        domains,
        summary,
    )


def _pooling(
    groups: dict[str, tuple[np.ndarray, np.ndarray, int]], keep: np.ndarray
) -> dict[str, sparse.csr_matrix]:
    """Per level: a sparse areas × parents matrix whose column sums to 1 over the parent's
    areas, weighted by population, so ``index @ matrix`` is each parent's average score."""
    out = {}
    for level, (parent, weight, n_parents) in groups.items():
        parent = np.asarray(parent)[keep]
        weight = np.nan_to_num(np.asarray(weight, dtype=float)[keep])
        inside = parent >= 0
        rows = np.flatnonzero(inside)
        cols = parent[inside]
        total = np.bincount(cols, weights=weight[inside], minlength=n_parents)
        if (total <= 0).any():
            continue  # a parent without population has no average: no interval for the level
        values = weight[inside] / total[cols]
        out[level] = sparse.csr_matrix((values, (rows, cols)), shape=(len(parent), n_parents))
    return out
