"""Statistics that set an index against an observed outcome (e.g. COVID-19 death rates by MSOA)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.stats import spearmanr

from lantern.index.classify import deciles
from lantern.index.normalise import descending_rank


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation over pairs where both are present."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    return float(spearmanr(x[ok], y[ok]).statistic)


def rates_by_decile(
    predictor: np.ndarray, events: np.ndarray, population: np.ndarray, per: float = 100_000.0
) -> pd.DataFrame:
    """Outcome rate (Σ events / Σ population × per) in each decile of the predictor, decile 1 =
    highest predictor values (most vulnerable)."""
    p = np.asarray(predictor, dtype=float)
    dec = deciles(descending_rank(p, "first"))
    f = pd.DataFrame({"decile": dec, "events": events, "population": population}).dropna()
    g = f.groupby("decile")[["events", "population"]].sum()
    g["rate"] = g["events"] / g["population"] * per
    g["n_areas"] = f.groupby("decile").size()
    return g.reset_index()


@dataclass(frozen=True)
class HeldOutFit:
    weights: np.ndarray
    spearman_train: float
    spearman_held_out: float
    n_train: int
    n_held_out: int


def fit_weights_held_out(
    inputs: np.ndarray, outcome: np.ndarray, held_out: np.ndarray
) -> HeldOutFit:
    """Non-negative least-squares weights (scaled to sum to one) fitted on the areas *not* held out,
    with the rank correlation reported on the held-out areas only."""
    x = np.asarray(inputs, dtype=float)
    y = np.asarray(outcome, dtype=float)
    hold = np.asarray(held_out, dtype=bool)
    ok = ~(np.isnan(x).any(axis=1) | np.isnan(y))
    train = ok & ~hold
    test = ok & hold
    if train.sum() < x.shape[1] + 2 or test.sum() < 3:
        raise ValueError("too few areas to fit on other regions and test on the held-out one")
    xs = (x - x[train].mean(axis=0)) / x[train].std(axis=0)
    design = np.column_stack([xs[train], np.ones(train.sum())])
    coef, _ = nnls(design, y[train] - y[train].min())
    w = coef[:-1]
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
    fitted = xs @ w
    return HeldOutFit(
        w,
        spearman(fitted[train], y[train]),
        spearman(fitted[test], y[test]),
        int(train.sum()),
        int(test.sum()),
    )
