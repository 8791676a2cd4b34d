"""The pipeline on small tables that can be checked by hand."""

import numpy as np
import pandas as pd
import pytest

from lantern.errors import InputError
from lantern.index import compute_index, parse_spec
from lantern.index.classify import breaks
from lantern.index.missing import apply_missing_policy


def _spec(missing: str):
    return parse_spec(
        {
            "index": {"id": "t", "title": "t", "missing": missing},
            "domains": [
                {"id": "d", "normalisation": "none", "indicators": [{"id": "a"}, {"id": "b"}]}
            ],
        }
    )


DATA = pd.DataFrame(
    {"a": [1.0, np.nan, 3.0, 5.0], "b": [2.0, 2.0, 2.0, 2.0]}, index=["X1", "X2", "X3", "X4"]
)
PARENTS = pd.Series(["P", "P", "Q", "Q"], index=DATA.index)


def test_missing_exclude_leaves_the_area_unranked():
    r = compute_index(_spec("exclude"), DATA)
    idx = r.components["index"]
    assert np.isnan(idx["score"][1]) and np.isnan(idx["rank"][1])
    assert sorted(idx["rank"][[0, 2, 3]]) == [1, 2, 3]
    report = r.missing_report().set_index("indicator_id")
    assert report.loc["a", "n_missing"] == 1 and report.loc["a", "policy"] == "exclude"


def test_missing_impute_parent_mean_and_rank_least():
    r = compute_index(_spec("impute_parent_mean"), DATA, parents=PARENTS)
    # X2's parent P has only X1 (a = 1) with a value.
    assert r.components["d"]["score"][1] == pytest.approx((1 + 2) / 2)
    assert r.missing_report().set_index("indicator_id").loc["a", "n_imputed"] == 1
    r = compute_index(_spec("rank_least"), DATA)
    assert r.components["index"]["rank"][1] == 3.5  # ties with X1, the least vulnerable
    values, imputed = apply_missing_policy(np.array([np.nan, 4.0]), "rank_least")
    assert values.tolist() == [4.0, 4.0] and imputed.tolist() == [True, False]


def test_higher_better_indicators_are_reversed():
    spec = parse_spec(
        {
            "index": {"id": "t", "title": "t"},
            "domains": [{"id": "d", "indicators": [{"id": "a", "polarity": "higher_better"}]}],
        }
    )
    r = compute_index(spec, pd.DataFrame({"a": [10.0, 20.0, 30.0]}, index=["L", "M", "H"]))
    assert r.components["index"]["rank"].tolist() == [
        1,
        2,
        3,
    ]  # the lowest value is most vulnerable


def test_bad_values_name_row_and_column():
    with pytest.raises(InputError, match="row 3.*'a'"):
        compute_index(
            _spec("exclude"),
            pd.DataFrame({"a": ["1", "x"], "b": ["1", "2"]}, index=["A", "B"]),
            source="mine.csv",
        )
    with pytest.raises(InputError, match="has no column"):
        compute_index(_spec("exclude"), DATA[["a"]])


def test_breaks_put_the_highest_scores_in_class_one():
    x = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0])
    for method in ("quantile", "jenks", "equal_interval"):
        c = breaks(x, method, 3)
        assert c[-1] == 1 and c[0] == 3 and np.all(np.diff(c) <= 0)
