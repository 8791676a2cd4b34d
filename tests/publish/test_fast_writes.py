"""The publish path's faster pieces give what the straightforward code gives: JSON through orjson
holds the values ``json.dumps`` writes, the per-district files compressed with ISA-L are standard
gzip of the same JSON, the empty-column check finds the columns the text check finds, and the
garbage collector is left as it was found."""

from __future__ import annotations

import gc
import gzip
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.pipeline.publish import few_collections, settle
from lantern.publish.downloads import empty_columns
from lantern.publish.sitejson import FIRST, ON_DEMAND, background_writes, dump, encode, read

FINITE = st.floats(allow_nan=False, allow_infinity=False)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), FINITE, st.text(max_size=12)
)
PAYLOAD = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=40,
)


def _plain(payload) -> bytes:
    """What the site wrote before: the standard library's compact JSON."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(PAYLOAD)
def test_encoded_json_holds_the_values_the_standard_library_writes(payload):
    out = encode(payload)
    assert json.loads(out) == json.loads(_plain(payload))


def test_a_missing_value_given_as_nan_is_written_as_null():
    assert json.loads(encode({"v": [1.5, float("nan"), None]})) == {"v": [1.5, None, None]}


@settings(max_examples=200, deadline=None)
@given(st.lists(FINITE, max_size=50))
def test_every_float_reads_back_as_the_same_float(values):
    back = json.loads(encode(values))
    assert all(
        a == b and math.copysign(1, a) == math.copysign(1, b)
        for a, b in zip(back, values, strict=True)
    )


@pytest.mark.parametrize(
    "payload",
    [{1: "a"}, {"x": np.int64(3)}, [np.float64(0.5)]],
    ids=["number keys", "numpy integer", "numpy float"],
)
def test_what_orjson_refuses_is_written_as_the_standard_library_writes_it(payload):
    try:
        expected = _plain(payload)
    except TypeError:
        with pytest.raises(TypeError):
            encode(payload)
        return
    assert encode(payload) == expected


@settings(max_examples=60, deadline=None)
@given(PAYLOAD, st.sampled_from([FIRST, ON_DEMAND]))
def test_data_files_at_either_level_are_gzip_of_the_json(tmp_path_factory, payload, level):
    path = tmp_path_factory.mktemp("dump") / "f.json.gz"
    dump(path, payload, level=level)
    raw = gzip.decompress(path.read_bytes())  # the standard gzip reader, as a browser inflates
    assert raw == encode(payload)
    assert read(path) == json.loads(_plain(payload))


def test_on_demand_files_written_in_the_background_are_complete(tmp_path):
    payloads = {
        f"d{n}.json.gz": {"v": [[i * 0.25, None] for i in range(n * 500)]} for n in range(20)
    }
    with background_writes():
        for name, payload in payloads.items():
            dump(tmp_path / name, payload, level=ON_DEMAND)
    for name, payload in payloads.items():
        assert read(tmp_path / name) == payload


def _empty_plain(frame: pd.DataFrame) -> list[str]:
    """The check as first written: every value missing, or every value's text empty."""
    return [c for c in frame.columns if frame[c].isna().all() or (frame[c].astype(str) == "").all()]


COLUMN = st.one_of(
    st.lists(st.one_of(st.none(), FINITE), min_size=3, max_size=3).map(
        lambda v: pd.array([np.nan if x is None else x for x in v], dtype=float)
    ),
    st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=3, max_size=3).map(
        lambda v: pd.array(v, dtype="Int64")
    ),
    st.lists(st.one_of(st.none(), FINITE), min_size=3, max_size=3).map(
        lambda v: pd.array(v, dtype="Float64")
    ),
    st.lists(st.one_of(st.none(), st.sampled_from(["", "a", " "])), min_size=3, max_size=3).map(
        lambda v: pd.array(v, dtype=object)
    ),
    st.lists(st.sampled_from(["", "x"]), min_size=3, max_size=3).map(
        lambda v: pd.array(v, dtype="string")
    ),
    st.lists(st.sampled_from(["", "x"]), min_size=3, max_size=3).map(lambda v: pd.Categorical(v)),
    st.lists(st.booleans(), min_size=3, max_size=3).map(lambda v: pd.array(v, dtype=bool)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(COLUMN, min_size=1, max_size=6))
def test_empty_columns_are_those_the_text_check_finds(columns):
    frame = pd.DataFrame({f"c{i}": col for i, col in enumerate(columns)})
    assert empty_columns(frame) == _empty_plain(frame)


def test_empty_columns_of_a_frame_without_rows_are_every_column():
    frame = pd.DataFrame({"a": pd.array([], dtype=float), "b": pd.array([], dtype=object)})
    assert empty_columns(frame) == _empty_plain(frame) == ["a", "b"]


def test_the_collector_is_left_as_it_was_found():
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with few_collections():
        assert gc.get_threshold()[0] > threshold[0]
        kept = [[i] for i in range(1000)]
        settle()
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_a_cycle_made_inside_the_block_is_still_collected():
    class Node:
        pass

    with few_collections():
        a, b = Node(), Node()
        a.other, b.other = b, a
        alive = gc.collect() >= 0 and id(a)
        del a, b
        assert gc.collect() >= 2  # young cycles are still found
    assert alive


def test_a_process_that_froze_objects_of_its_own_keeps_them_frozen():
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with few_collections():
            pass
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()
