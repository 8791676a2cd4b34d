"""The 3×3 bivariate classes: tertiles, missing values and labels."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.stats.bivariate import COLOURS, bivariate_classes, label, tertile


def test_hand_worked():
    x = [1, 2, 3, 4, 5, 6, np.nan]
    y = [6, 5, 4, 3, 2, 1, 1]
    cls, bx, by = bivariate_classes(x, y)
    assert bx == (float(np.quantile(x[:6], 1 / 3)), float(np.quantile(x[:6], 2 / 3)))
    assert list(cls) == [6, 6, 4, 4, 2, 2, -1]
    assert (
        label(8) == "high cases, high vulnerability" and label(0) == "low cases, low vulnerability"
    )
    assert label(-1) == "no data" and len(COLOURS) == 9


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=60), st.data())
def test_classes_are_the_tertiles_of_each_side(xs, data):
    ys = data.draw(
        st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=len(xs), max_size=len(xs))
    )
    cls, bx, by = bivariate_classes(xs, ys)
    assert set(cls) <= set(range(9))
    assert list(cls % 3) == list(tertile(xs, bx)) and list(cls // 3) == list(tertile(ys, by))
    # monotone: a larger x never falls in a lower column
    order = np.argsort(xs, kind="stable")
    assert all(np.diff((cls % 3)[order]) >= 0)
