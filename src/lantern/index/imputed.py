"""How much of each area's index rests on imputed values (pure).

An area's *imputed share* of a domain is the weight of the domain's indicators that were imputed
for it, over the domain's total indicator weight; its imputed share of the index is the
domain-weighted mean of its domain shares. An area whose index rests on more than half imputed
weight (``MOSTLY_IMPUTED``) is flagged ``mostly_imputed``: its rank says more about the areas it
was imputed from than about itself (e.g. Welsh LSOAs on English-only IMD and QOF data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lantern.index.engine import INDEX, IndexResult

MOSTLY_IMPUTED = 0.5


def _share(weights: np.ndarray, imputed: np.ndarray) -> np.ndarray:
    w = np.abs(np.asarray(weights, dtype=float))
    total = float(w.sum())
    if total <= 0:
        return np.zeros(imputed.shape[0])
    return np.asarray(imputed.astype(float) @ w, dtype=float) / total


def imputed_shares(result: IndexResult) -> dict[str, np.ndarray]:
    """Per component (each domain and ``index``): each area's share of imputed weight, 0–1."""
    shares = {d: _share(r.weights, r.imputed) for d, r in result.domains.items()}
    domains = np.column_stack([shares[d.id] for d in result.spec.domains])
    shares[INDEX] = _share(result.domain_weights, np.zeros(domains.shape, dtype=bool)) + (
        domains @ np.abs(result.domain_weights) / max(np.abs(result.domain_weights).sum(), 1e-300)
    )
    return shares


def with_imputed(scores: pd.DataFrame, result: IndexResult) -> pd.DataFrame:
    """``index_scores`` rows with ``imputed_share`` and ``mostly_imputed`` (share > one half)."""
    shares = imputed_shares(result)
    long = pd.concat(
        [
            pd.DataFrame({"area_code": result.areas, "component": comp, "imputed_share": s})
            for comp, s in shares.items()
        ],
        ignore_index=True,
    )
    out = scores.drop(columns=["imputed_share", "mostly_imputed"], errors="ignore")
    out = out.merge(long, on=["area_code", "component"], how="left")
    out["mostly_imputed"] = out["imputed_share"] > MOSTLY_IMPUTED
    return out


def mostly_imputed_areas(result: IndexResult) -> pd.Index:
    """Areas whose index rests on more than half imputed weight."""
    share = imputed_shares(result)[INDEX]
    return result.areas[share > MOSTLY_IMPUTED]
