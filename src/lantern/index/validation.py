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


def bootstrap_spearman(
    x: np.ndarray, y: np.ndarray, *, draws: int = 1000, seed: int = 2020, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval for Spearman's ρ, resampling areas with replacement.

    Crude death rates of ~10 deaths per MSOA are noisy, so ρ is given with this interval.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = x.size
    if n < 3:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    rhos = np.empty(draws)
    for b in range(draws):
        pick = rng.integers(0, n, n)
        rhos[b] = spearmanr(x[pick], y[pick]).statistic
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(rhos, [tail, 100 - tail])
    return float(low), float(high)


def lsoa21_to_lsoa11(values: pd.Series, links: pd.DataFrame, population: pd.Series) -> pd.Series:
    """LSOA 2021 values as LSOA 2011 values: the mean over each LSOA 2011's linked LSOA 2021s,
    weighted by their population, a merged LSOA 2021 sharing its weight equally among the LSOA
    2011s it came from. ``links`` has ``lsoa11_code`` and ``lsoa21_code``."""
    f = links[["lsoa11_code", "lsoa21_code"]].drop_duplicates()
    shares = f.groupby("lsoa21_code")["lsoa11_code"].transform("size")
    weight = population.reindex(f["lsoa21_code"]).to_numpy(dtype=float) / shares.to_numpy()
    value = values.reindex(f["lsoa21_code"]).to_numpy(dtype=float)
    ok = ~np.isnan(value) & ~np.isnan(weight)
    g = (
        pd.DataFrame(
            {"code": f["lsoa11_code"].to_numpy()[ok], "wv": (weight * value)[ok], "w": weight[ok]}
        )
        .groupby("code")[["wv", "w"]]
        .sum()
    )
    return (g["wv"] / g["w"]).rename(values.name)


def weighted_mean_by(values: pd.Series, parent: pd.Series, population: pd.Series) -> pd.Series:
    """Population-weighted mean of ``values`` within each parent area (``parent``: child → parent)."""
    f = pd.DataFrame(
        {
            "parent": parent.reindex(values.index).to_numpy(),
            "v": values.to_numpy(dtype=float),
            "w": population.reindex(values.index).to_numpy(dtype=float),
        }
    ).dropna()
    f["wv"] = f["w"] * f["v"]
    g = f.groupby("parent")[["wv", "w"]].sum()
    return (g["wv"] / g["w"]).rename(values.name)


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


def floored_weights(fitted: np.ndarray, floor: float) -> np.ndarray:
    """``floor`` for every domain plus the rest shared in proportion to ``fitted`` (which sums to
    one): each domain keeps a say; the outcome decides only how the remainder is shared."""
    w = np.asarray(fitted, dtype=float)
    k = w.size
    if not 0 <= floor * k <= 1:
        raise ValueError(f"a floor of {floor} for {k} domains leaves nothing to share")
    return floor + (1 - k * floor) * w


@dataclass(frozen=True)
class LeaveOneOut:
    """Weights fitted with each group (region) held out, and the pooled held-out predictions."""

    weights: dict[str, np.ndarray]
    predictions: np.ndarray
    spearman_pooled: float
    spearman_by_group: dict[str, float]


def leave_one_group_out(
    inputs: np.ndarray, outcome: np.ndarray, groups: np.ndarray, *, floor: float = 0.0
) -> LeaveOneOut:
    """For each group, fit weights on every other group (:func:`fit_weights_held_out`, then
    :func:`floored_weights`) and predict the held-out group; ρ of the pooled predictions."""
    x = np.asarray(inputs, dtype=float)
    g = np.asarray(groups, dtype=object)
    predictions = np.full(x.shape[0], np.nan)
    weights, by_group = {}, {}
    for group in sorted({v for v in g if isinstance(v, str)}):
        hold = g == group
        fit = fit_weights_held_out(x, outcome, hold)
        w = floored_weights(fit.weights, floor)
        predictions[hold] = x[hold] @ w
        weights[group] = w
        by_group[group] = spearman(predictions[hold], np.asarray(outcome)[hold])
    return LeaveOneOut(weights, predictions, spearman(predictions, outcome), by_group)
