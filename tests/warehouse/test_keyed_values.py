"""Indicator values are stored dictionary-encoded and read back, unchanged, as ``indicators``."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.warehouse.schema import columns, create_statements
from lantern.warehouse.store import Warehouse

CODES = [f"E0100000{i}" for i in range(6)] + ["E92000001", "W01000001"]
IDS = ["a.count", "b.rate_pct", "c.score"]
PERIODS = ["2019/20", "2020/21", "2021-06-30"]


KEYED = ("indicator_values", "indicator_series", "indicator_areas")


def _empty(path, *, legacy: bool = False) -> None:
    """A fresh warehouse; ``legacy``: as written before the keyed form (``indicators`` a table)."""
    con = duckdb.connect(str(path))
    for statement in create_statements():
        if legacy and any(f"TABLE {name} " in statement for name in KEYED):
            continue
        if legacy and statement.startswith("CREATE VIEW indicators"):
            types = ["VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE"]
            ddl = [f"{c} {t}" for c, t in zip(columns("indicators"), types, strict=True)]
            statement = f"CREATE TABLE indicators ({', '.join(ddl)})"
        con.execute(statement)
    con.close()


def _counts(codes: list[str], values: list[float]) -> pd.DataFrame:
    """Long rows of one indicator ("a.count", 2020, 2021 areas) for ``codes``."""
    return pd.DataFrame(
        {
            "area_code": codes,
            "vintage": 2021,
            "indicator_id": "a.count",
            "period": "2020",
            "value": values,
        }
    )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[columns("indicators")].astype({"vintage": "int64"})
    frame = frame.sort_values(["indicator_id", "period", "vintage", "area_code"])
    return frame.reset_index(drop=True)


value = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32))
row = st.tuples(
    st.sampled_from(CODES),
    st.sampled_from([2011, 2021]),
    st.sampled_from(IDS),
    st.sampled_from(PERIODS),
    value,
    value,
    value,
)


@settings(max_examples=20, deadline=None)
@given(
    batches=st.lists(st.lists(row, max_size=12, unique_by=lambda r: r[:4]), min_size=1, max_size=4),
    matrix_rows=st.integers(0, len(CODES)),
    legacy=st.booleans(),
)
def test_values_read_back_as_written(tmp_path_factory, batches, matrix_rows, legacy):
    path = tmp_path_factory.mktemp("keyed") / "lantern.duckdb"
    _empty(path, legacy=legacy)
    written, seen = [], set()
    rng = np.random.default_rng(len(batches))
    with Warehouse.update(path, command="test") as wh:
        for batch in batches:  # a (area, vintage, indicator, period) is written once
            batch = [r for r in batch if r[:4] not in seen]
            seen |= {r[:4] for r in batch}
            frame = pd.DataFrame(batch, columns=columns("indicators"), dtype=object)
            wh.insert("indicators", frame)
            written.append(frame)
        # an areas × indicators matrix, as loaders produce, for a period no batch used
        codes = np.array(CODES[:matrix_rows], dtype=object)
        values = rng.normal(size=(matrix_rows, 2))
        values[values < -1] = np.nan
        numerators, denominators = values * 3, np.full_like(values, 7.0)
        wh.insert_indicator_matrix(
            codes,
            IDS[:2],
            vintage=2021,
            period="matrix",
            values=values,
            numerators=numerators,
            denominators=denominators,
        )
        for j, indicator_id in enumerate(IDS[:2]):
            written.append(
                pd.DataFrame(
                    {
                        "area_code": codes,
                        "vintage": 2021,
                        "indicator_id": indicator_id,
                        "period": "matrix",
                        "value": values[:, j],
                        "numerator": numerators[:, j],
                        "denominator": denominators[:, j],
                    }
                )
            )
    parts = [f for f in written if len(f)] or [pd.DataFrame(columns=columns("indicators"))]
    expected = _sorted(pd.concat(parts, ignore_index=True))
    for column in ("value", "numerator", "denominator"):
        expected[column] = pd.to_numeric(expected[column]).astype(float)
    with Warehouse(path) as wh:
        assert wh.has("indicators") and wh.has("indicator_values") != legacy
        held = _sorted(wh.table("indicators"))
        pd.testing.assert_frame_equal(held, expected, check_dtype=False)
        # the named read gives the same rows
        named = wh.indicator_values()
        assert len(named) == len(expected)
    # deleting one indicator's period removes exactly its rows
    with Warehouse.update(path, command="test") as wh:
        wh.delete_indicator("a.count", "matrix")
    keep = expected[~((expected["indicator_id"] == "a.count") & (expected["period"] == "matrix"))]
    with Warehouse(path) as wh:
        pd.testing.assert_frame_equal(
            _sorted(wh.table("indicators")), keep.reset_index(drop=True), check_dtype=False
        )


def test_keys_stay_dense_and_unique_across_writers(tmp_path):
    path = tmp_path / "lantern.duckdb"
    _empty(path)
    frame = _counts(CODES[:3], [1.0, 2.0, 3.0])
    with Warehouse.update(path, command="test") as wh:
        wh.insert("indicators", frame)
    later = frame.assign(area_code=CODES[2:5], period="2021")
    with Warehouse.update(path, command="test") as wh:  # a second writer reads the keys held
        wh.insert("indicators", later)
    with Warehouse(path) as wh:
        areas = wh.table("indicator_areas")
        series = wh.table("indicator_series")
        assert sorted(areas["area_key"]) == list(range(5))
        assert sorted(areas["area_code"]) == sorted(CODES[:5])
        assert sorted(series["series_id"]) == [0, 1]
        assert len(wh.table("indicators")) == 6


def test_keys_stay_right_after_a_rollback_and_after_keys_are_removed(tmp_path):
    path = tmp_path / "lantern.duckdb"
    _empty(path)
    rows = _counts(CODES[:4], [1.0, 2.0, 3.0, 4.0])
    with Warehouse.update(path, command="test") as wh:
        wh.insert("indicators", rows.iloc[:2])
        with pytest.raises(RuntimeError), wh.transaction("indicators"):
            wh.insert("indicators", rows.iloc[2:].assign(period="2021"))  # new keys, rolled back
            raise RuntimeError("boom")
        # keys given out inside the rolled-back transaction are not reused for other codes
        wh.insert("indicators", rows.iloc[2:].assign(indicator_id="b.count"))
        # keys no longer dense: a removed area leaves a gap, later codes still map right
        wh.execute("indicator_areas", "DELETE FROM indicator_areas WHERE area_code = ?", [CODES[0]])
        wh.execute("indicator_values", "DELETE FROM indicator_values WHERE area_key NOT IN "
                   "(SELECT area_key FROM indicator_areas)")  # fmt: skip
        wh.insert("indicators", rows.assign(indicator_id="c.count"))
    with Warehouse(path) as wh:
        held = wh.table("indicators")
        assert len(wh.table("indicator_values")) == len(held)  # no value without its keys
    got = {(r.indicator_id, r.period, r.area_code): r.value for r in held.itertuples()}
    want = {("a.count", "2020", CODES[1]): 2.0}
    want |= {("b.count", "2020", c): v for c, v in zip(CODES[2:4], [3.0, 4.0], strict=True)}
    want |= {("c.count", "2020", c): float(i + 1) for i, c in enumerate(CODES[:4])}
    assert got == want
