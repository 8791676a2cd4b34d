"""Noise options, by the libraries that implement them: OpenDP (Laplace on counts, discrete
Laplace a.k.a. geometric) and the ONS cell-key method (``cell-key-perturbation``)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd

from lantern.disclosure.policy import Policy
from lantern.errors import ConfigError


@dataclass(frozen=True)
class NoiseResult:
    values: np.ndarray
    scale: float
    epsilon: float
    mechanism: str


def _opendp() -> ModuleType:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def noisy_counts(values: np.ndarray, policy: Policy) -> NoiseResult:
    """Add OpenDP noise to non-negative counts so the release is ``policy.epsilon``-DP.

    Each person may appear in up to ``policy.sensitivity`` cells (L1 sensitivity). ``geometric``
    samples discrete Laplace noise on integers; ``laplace`` samples continuous Laplace noise and
    rounds. Negative results become 0 (post-processing keeps the guarantee).
    """
    if policy.noise not in ("laplace", "geometric") or not policy.epsilon:
        raise ConfigError(
            "Noise",
            [f"policy {policy.name!r} does not ask for Laplace/geometric noise with an epsilon"],
        )
    dp = _opendp()
    flat = np.asarray(values, dtype=np.int64).reshape(-1)
    d_in: int | float = int(policy.sensitivity)  # float on the continuous Laplace's metric
    data: list[int] | list[float]
    if policy.noise == "geometric":
        space = (dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"))
        data = [int(v) for v in flat]
    else:
        space = (dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float))
        data = [float(v) for v in flat]
        d_in = float(d_in)
    scale = d_in / float(policy.epsilon)
    meas = dp.m.make_laplace(*space, scale=scale)
    if meas.map(d_in) > policy.epsilon:  # float rounding: search the smallest valid scale
        scale = dp.binary_search_param(
            lambda s: dp.m.make_laplace(*space, scale=s), d_in=d_in, d_out=float(policy.epsilon)
        )
        meas = dp.m.make_laplace(*space, scale=scale)
    released = np.asarray(meas(data), dtype=float)
    out = np.maximum(np.rint(released), 0).astype(np.int64).reshape(np.shape(values))
    return NoiseResult(out, float(scale), float(meas.map(d_in)), f"OpenDP {policy.noise}")


def cell_key_table(
    records: pd.DataFrame,
    *,
    geography: str,
    variables: Sequence[str],
    record_key: str,
    ptable: pd.DataFrame | None = None,
    threshold: int = 10,
) -> pd.DataFrame:
    """Count records by area and variables with ONS cell-key perturbation.

    ``records`` holds one row per person with a ``record_key`` (0..255, assigned once per person and
    kept across releases). The default p-table is the package's 10-5 rule: counts below 10 are
    withheld and others perturbed onto multiples of 5. Returns one row per cell with ``count``
    (nullable; withheld cells are <NA>); ``attrs['cell_key_perturbed']`` marks the frame.
    """
    from cell_key_perturbation.create_perturbed_table import create_perturbed_table
    from cell_key_perturbation.utils.generate_test_ptable import generate_ptable_10_5_rule

    table = generate_ptable_10_5_rule() if ptable is None else ptable
    with contextlib.redirect_stdout(io.StringIO()):
        out = create_perturbed_table(
            data=records,
            ptable=table,
            geog=[geography],
            tab_vars=list(variables),
            record_key=record_key,
            use_existing_ons_id=False,
            threshold=int(threshold),
        )
    out = out[[geography, *variables, "count"]].copy()
    out.attrs["cell_key_perturbed"] = True
    return out
