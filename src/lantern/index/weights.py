"""Weights for combining indicators or domains: explicit, equal, PCA or one-factor ML.

Every function returns non-negative weights that sum to one (explicit weights may be kept as
given instead). Derived weights are fitted on the
complete rows of a matrix of normalised values (areas × indicators).
"""

from __future__ import annotations

import math

import numpy as np

WEIGHTINGS = ("explicit", "equal", "pca", "factor")


def equal_weights(k: int) -> np.ndarray:
    """``1/k`` each."""
    return np.full(k, 1.0 / k)


def explicit_weights(weights: list[float] | np.ndarray, *, rescale: bool = True) -> np.ndarray:
    """The given weights, scaled to sum to one unless ``rescale`` is false (the IMD's published
    0.225/0.225/0.135/0.135/0.093/0.093/0.093 sum to 0.999 and are used as they are)."""
    w = np.asarray(weights, dtype=float)
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError("explicit weights must be non-negative and not all zero")
    return w / float(w.sum()) if rescale else w


def _complete_standardised(matrix: np.ndarray) -> np.ndarray:
    x = np.asarray(matrix, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < x.shape[1] + 2:
        raise ValueError("too few complete rows to derive weights")
    sd = x.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z: np.ndarray = (x - x.mean(axis=0)) / sd
    if np.any(sd <= 1e-12 * np.maximum(np.abs(x).max(axis=0), 1e-300)) or not np.isfinite(z).all():
        raise ValueError("an indicator is (nearly) constant, so weights cannot be derived from it")
    return z


def pca_weights(matrix: np.ndarray) -> np.ndarray:
    """Squared loadings of the first principal component of the correlation matrix."""
    z = _complete_standardised(matrix)
    corr = np.corrcoef(z, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(corr)
    first = eigenvectors[:, np.argmax(eigenvalues)]
    return first**2 / float(np.sum(first**2))


def _ml_objective(psi: np.ndarray, corr: np.ndarray) -> float:
    """ML discrepancy for one factor given uniquenesses ``psi`` (Jöreskog 1967)."""
    scale = 1.0 / np.sqrt(psi)
    eigenvalues = np.linalg.eigvalsh(corr * np.outer(scale, scale))[::-1][1:]
    return float(-(np.sum(np.log(eigenvalues) - eigenvalues) - 1 + corr.shape[0]))


def one_factor_loadings(matrix: np.ndarray) -> np.ndarray:
    """Maximum-likelihood loadings of a one-factor model on the correlation matrix."""
    from scipy.optimize import minimize

    z = _complete_standardised(matrix)
    corr = np.corrcoef(z, rowvar=False)
    start = np.clip(1.0 - 1.0 / np.diag(np.linalg.pinv(corr)), 0.005, 1.0)
    fit = minimize(
        _ml_objective, start, args=(corr,), method="L-BFGS-B", bounds=[(0.005, 1.0)] * corr.shape[0]
    )
    psi = np.asarray(fit.x, dtype=float)
    scale = 1.0 / np.sqrt(psi)
    eigenvalues, eigenvectors = np.linalg.eigh(corr * np.outer(scale, scale))
    top = np.argmax(eigenvalues)
    loadings: np.ndarray = np.sqrt(psi) * eigenvectors[:, top]
    return loadings * math.sqrt(max(float(eigenvalues[top]) - 1.0, 0.0))


def factor_weights(matrix: np.ndarray) -> np.ndarray:
    """Maximum-likelihood one-factor analysis: ``|λ_i| / Σ|λ|`` of the loadings (IoD, BRC)."""
    k = np.asarray(matrix).shape[1]
    if k < 3:
        # One factor is not identified from two indicators; its loadings are equal by symmetry.
        return equal_weights(k)
    loadings: np.ndarray = np.abs(one_factor_loadings(matrix))
    return loadings / float(loadings.sum())


def derive_weights(
    method: str,
    matrix: np.ndarray,
    explicit: list[float] | None = None,
    *,
    rescale: bool = True,
) -> np.ndarray:
    """Weights for the columns of ``matrix`` by the named method."""
    k = np.asarray(matrix).shape[1]
    if method == "equal":
        return equal_weights(k)
    if method == "explicit":
        if explicit is None or len(explicit) != k:
            raise ValueError("explicit weighting needs one weight per item")
        return explicit_weights(explicit, rescale=rescale)
    if method == "pca":
        return pca_weights(matrix)
    if method == "factor":
        return factor_weights(matrix)
    raise ValueError(f"unknown weighting {method!r}; choose one of {', '.join(WEIGHTINGS)}")
