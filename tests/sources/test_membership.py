"""The code lookups every check uses (unknown, wrong vintage, wanted, complete) against sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.sources.context import covers, members

CODES = [f"E0100000{i}" for i in range(8)]


@st.composite
def columns_and_indexes(draw):
    """A column as text or categories (unused categories, blanks) and an index (possibly with
    repeats or a blank, where the quick path must give way to ``isin``)."""
    values = draw(st.lists(st.one_of(st.sampled_from(CODES), st.none()), max_size=30))
    column = pd.Series(values, dtype=object)
    if draw(st.booleans()):
        extra = draw(st.lists(st.sampled_from(CODES), unique=True))
        present = [v for v in dict.fromkeys(values) if v is not None]
        categories = list(dict.fromkeys(draw(st.permutations(present + extra))))
        column = pd.Series(pd.Categorical(values, categories=categories))
    index = draw(st.lists(st.sampled_from([*CODES, None]), max_size=10))
    if not draw(st.booleans()):
        index = list(dict.fromkeys(i for i in index if i is not None))
    return column, pd.Index(index, dtype=object)


@settings(max_examples=300, deadline=None)
@given(columns_and_indexes())
def test_members_and_covers_agree_with_sets(data):
    column, index = data
    wanted = {i for i in index if i is not None}
    oracle = np.array(
        [index.hasnans if pd.isna(v) else v in wanted for v in column.astype(object)], dtype=bool
    )
    got = members(column, index)
    assert got.dtype == bool and got.shape == (len(column),)
    assert np.array_equal(got, oracle)
    assert np.array_equal(got, column.isin(index).to_numpy())
    present = {v for v in column.astype(object) if not pd.isna(v)}
    if covers(index, column):  # a yes is always right; a no sends the caller the long way
        assert wanted <= present
    if isinstance(column.dtype, pd.CategoricalDtype) and index.is_unique and not index.hasnans:
        assert covers(index, column) == (wanted <= present)
