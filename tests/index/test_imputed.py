"""Imputed shares: how much of each area's index rests on imputed values (an independent sum)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.index import compute_index, parse_spec_text
from lantern.index.imputed import MOSTLY_IMPUTED, imputed_shares, mostly_imputed_areas

SPEC = """
[index]
id = "t"
title = "t"
area_type = "lsoa"
missing = "impute_parent_mean"

[combine]
weighting = "explicit"

[[domains]]
id = "a"
weight = 3
weighting = "explicit"
missing = "impute_parent_mean"
[[domains.indicators]]
id = "x"
weight = 1
[[domains.indicators]]
id = "y"
weight = 3

[[domains]]
id = "b"
weight = 1
weighting = "explicit"
missing = "impute_parent_mean"
[[domains.indicators]]
id = "z"
weight = 1
"""


def oracle(missing: pd.DataFrame) -> pd.Series:
    """Σ_d W_d · (Σ_i w_i · missing_i / Σ_i w_i) / Σ_d W_d, written out for this spec."""
    a = (1 * missing["x"] + 3 * missing["y"]) / 4
    b = missing["z"].astype(float)
    return (3 * a + 1 * b) / 4


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=6, max_size=30))
def test_index_share_is_the_weighted_share_of_imputed_values(gaps):
    n = len(gaps)
    rng = np.random.default_rng(n)
    frame = pd.DataFrame(rng.uniform(1, 9, size=(n, 3)), columns=["x", "y", "z"])
    frame.index = [f"E0100{i:04d}" for i in range(n)]
    missing = pd.DataFrame(gaps, columns=["x", "y", "z"], index=frame.index)
    missing.iloc[0] = False  # every column keeps a value to impute from
    frame = frame.mask(missing)
    parents = pd.Series("E07000066", index=frame.index)
    result = compute_index(parse_spec_text(SPEC), frame, parents=parents, source="test")
    share = pd.Series(imputed_shares(result)["index"], index=result.areas)
    expected = oracle(missing.reindex(result.areas))
    assert np.allclose(share.to_numpy(), expected.to_numpy())
    flagged = set(mostly_imputed_areas(result))
    assert flagged == set(expected[expected > MOSTLY_IMPUTED].index)
