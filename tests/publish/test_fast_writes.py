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


def _yearly_plain(data, codes: pd.Index) -> dict:
    """The detail files' year-by-year columns as first written: one indicator at a time, its
    rows looked up and checked on their own."""
    from lantern.publish.display import decimals_for, rounded

    out = {}
    for indicator_id, part in data.yearly.groupby("indicator_id", sort=False):
        try:
            m = data.measure(str(indicator_id))
            places = decimals_for(data.values[m.id].tolist(), m.unit, m.kind)
        except KeyError:
            places = decimals_for(part["value"].tolist(), str(part["unit"].iloc[0] or ""))
        if part.duplicated(["area_code", "period"]).any():
            raise ValueError(f"{indicator_id}: an area has two values for one period")
        period, periods = pd.factorize(part["period"])
        row = codes.get_indexer(part["area_code"])
        known = row >= 0
        cols = {}
        fields = [("v", "value")]
        if part["lower95"].notna().any():
            fields += [("lo", "lower95"), ("hi", "upper95")]
        for key, field in fields:
            wide = np.full((len(codes), len(periods)), np.nan)
            wide[row[known], period[known]] = part[field].to_numpy(dtype=float)[known]
            flat = rounded(wide.ravel(), places)
            cols[key] = [flat[i * len(periods) : (i + 1) * len(periods)] for i in range(len(codes))]
        out[str(indicator_id)] = cols
    return out


def test_the_detail_files_years_are_those_written_one_indicator_at_a_time(essex_data):
    from lantern.publish.details import _yearly

    codes = essex_data.areas.index
    for subset in (codes, codes[::3], codes[:0]):
        assert _yearly(essex_data, subset) == _yearly_plain(essex_data, subset)


ROW = st.tuples(
    st.sampled_from(["E01", "E02", "E03", "E09"]),  # E09: not on the map
    st.sampled_from(["a", "b"]),
    st.sampled_from(["2019", "2020", "2021"]),
    st.one_of(st.none(), st.floats(-1e4, 1e4)),
    st.one_of(st.none(), st.floats(0, 10)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=25))
def test_years_of_any_table_are_those_written_one_indicator_at_a_time(rows):
    from lantern.publish.details import _yearly
    from lantern.publish.sitedata import SiteData

    table = pd.DataFrame(rows, columns=["area_code", "indicator_id", "period", "value", "lower95"])
    table["value"] = table["value"].astype(float)
    table["lower95"] = table["lower95"].astype(float)
    table["upper95"] = table["lower95"] + 1
    table["unit"] = "%"
    codes = pd.Index(["E01", "E02", "E03"], name="code")
    data = SiteData(
        title="t",
        vintage="2021",
        boundary_note="",
        areas=pd.DataFrame(index=codes),
        measures=[],
        values=pd.DataFrame(index=codes),
        geometry=None,
        yearly=table,
    )
    try:
        expected = _yearly_plain(data, codes)
    except ValueError as error:
        with pytest.raises(ValueError, match="two values for one period") as raised:
            _yearly(data, codes)
        assert str(raised.value).split(":")[0] == str(error).split(":")[0]
        return
    assert _yearly(data, codes) == expected


def test_a_data_file_makes_its_folders_in_the_background_and_not(tmp_path):
    with background_writes():
        dump(tmp_path / "a" / "b" / "one.json.gz", [1])
        dump(tmp_path / "a" / "b" / "two.json.gz", [2], level=ON_DEMAND)
        dump(tmp_path / "c" / "plain.json", {"x": 1})
    dump(tmp_path / "d" / "e" / "three.json.gz", [3])
    assert read(tmp_path / "a" / "b" / "one.json.gz") == [1]
    assert read(tmp_path / "a" / "b" / "two.json.gz") == [2]
    assert read(tmp_path / "c" / "plain.json") == {"x": 1}
    assert read(tmp_path / "d" / "e" / "three.json.gz") == [3]
