"""Values held back by ``Warehouse.batched_values`` are written exactly as if written at once.

``ingest`` appends each source's values inside ``batched_values`` (a million rows or more per
statement). Whatever the batch size, the order of writes, or the reads in between, the
warehouse must hold the same rows and keys as when every value is written straight away, and a
read inside the block must see every value appended before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.warehouse import values as values_module
from lantern.warehouse.store import Warehouse

from .test_keyed_values import CODES, IDS, _empty

KEYS = ("indicator_series", "indicator_areas")

write = st.one_of(
    st.tuples(st.just("matrix"), st.integers(0, len(CODES)), st.integers(1, len(IDS))),
    st.tuples(st.just("rows"), st.integers(0, len(CODES)), st.just(1)),
    st.tuples(st.just("read"), st.just(0), st.just(0)),
)


def _apply(wh: Warehouse, steps, seen: list[int]) -> None:  # noqa: ANN001
    """Run ``steps`` (each a matrix, long rows or a count read) against ``wh``; ``seen`` gets
    each read's count, which must be every row appended so far."""
    written = 0
    for i, (kind, n, k) in enumerate(steps):
        period = f"p{i}"
        rng = np.random.default_rng(i)
        if kind == "matrix":
            vals = rng.normal(size=(n, k))
            vals[vals < -1] = np.nan
            wh.insert_indicator_matrix(
                np.array(CODES[:n], dtype=object),
                IDS[:k],
                vintage=2021,
                period=period,
                values=vals,
                numerators=vals * 2,
                denominators=np.full_like(vals, 9.0),
            )
            written += n * k
        elif kind == "rows":
            frame = pd.DataFrame(
                {
                    "area_code": CODES[len(CODES) - n :],
                    "vintage": 2011,
                    "indicator_id": "z.rows",
                    "period": period,
                    "value": rng.normal(size=n),
                }
            )
            wh.insert("indicators", frame)
            written += n
        else:
            seen.append(int(wh.query("SELECT count(*) AS n FROM indicator_values")["n"][0]))
            assert seen[-1] == written


def _held(path) -> dict[str, pd.DataFrame]:  # noqa: ANN001
    with Warehouse(path) as wh:
        out = {t: wh.table(t) for t in KEYS}
        out["indicators"] = wh.table("indicators")
    for name, frame in out.items():
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


@settings(max_examples=15, deadline=None)
@given(steps=st.lists(write, min_size=1, max_size=8), batch=st.integers(1, 40))
def test_batched_values_are_written_as_if_at_once(tmp_path_factory, steps, batch):
    folder = tmp_path_factory.mktemp("batched")
    straight, batched = folder / "straight.duckdb", folder / "batched.duckdb"
    _empty(straight)
    _empty(batched)
    with Warehouse.update(straight, command="test") as wh:
        _apply(wh, steps, [])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(values_module, "VALUES_BATCH", batch)
        with Warehouse.update(batched, command="test") as wh, wh.batched_values():
            _apply(wh, steps, [])
    a, b = _held(straight), _held(batched)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False)


def test_values_held_back_are_written_by_the_end_of_the_block(tmp_path, monkeypatch):
    path = tmp_path / "lantern.duckdb"
    _empty(path)
    monkeypatch.setattr(values_module, "VALUES_BATCH", 10**9)  # nothing written early
    with Warehouse.update(path, command="test") as wh:
        with wh.batched_values():
            _apply(wh, [("matrix", 4, 2)], [])
            assert wh._batch  # held back, not yet written
        assert not wh._batch
    with Warehouse(path) as wh:
        assert len(wh.table("indicators")) == 8


def test_values_held_in_a_rolled_back_transaction_are_dropped(tmp_path, monkeypatch):
    path = tmp_path / "lantern.duckdb"
    _empty(path)
    monkeypatch.setattr(values_module, "VALUES_BATCH", 10**9)
    with Warehouse.update(path, command="test") as wh, wh.batched_values():
        _apply(wh, [("matrix", 3, 1)], [])
        with pytest.raises(RuntimeError), wh.transaction("indicators"):
            _apply(wh, [("rows", 2, 1)], [])
            raise RuntimeError("boom")
    with Warehouse(path) as wh:
        assert len(wh.table("indicators")) == 3  # the matrix, not the rolled-back rows
