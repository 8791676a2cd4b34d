"""Integer encoding of tokens keeps every equality, and row order depends on content only."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.linkage.encode import encode_tokens

TOKENS = st.sampled_from(["a1", "b2", "c3", "d4", None])


def _frame(rows: list[tuple[str | None, str | None, str | None]], prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "release_id": [f"{prefix}{i:04d}" for i in range(len(rows))],
            "given_name": pd.Series([r[0] for r in rows], dtype=object),
            "family_name": pd.Series([r[1] for r in rows], dtype=object),
            "dob": pd.Series([r[2] for r in rows], dtype=object),
        }
    )


ROWS = st.lists(st.tuples(TOKENS, TOKENS, TOKENS), min_size=1, max_size=30)


def _decode(
    encoded: dict[str, pd.DataFrame], ids: pd.Series, frames: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Original rows in encoded order, looked up by release id."""
    out = {}
    for name, frame in encoded.items():
        original = frames[name].set_index("release_id")
        out[name] = original.loc[ids.to_numpy()[frame["release_id"].to_numpy()]]
    return out


@settings(max_examples=60, deadline=None)
@given(ROWS, ROWS)
def test_codes_are_equal_exactly_when_tokens_are_equal(left, right):
    frames = {"a": _frame(left, "A"), "b": _frame(right, "B")}
    encoded, ids = encode_tokens(
        frames, id_column="release_id", shared=[("given_name", "family_name")]
    )
    assert sorted(ids) == sorted([*frames["a"]["release_id"], *frames["b"]["release_id"]])
    assert len(encoded["a"]) == len(left) and len(encoded["b"]) == len(right)
    decoded = _decode(encoded, ids, frames)
    codes = pd.concat(encoded.values(), ignore_index=True)
    tokens = pd.concat(decoded.values(), ignore_index=True)
    # missing stays missing
    for col in ("given_name", "family_name", "dob"):
        assert (codes[col].isna().to_numpy() == tokens[col].isna().to_numpy()).all()
    # within a column and across the shared name columns, equal codes <=> equal tokens
    pairs = [("given_name", "given_name"), ("dob", "dob"), ("given_name", "family_name")]
    for x, y in pairs:
        cx, cy = codes[x].to_numpy(), codes[y].to_numpy()
        tx, ty = tokens[x].to_numpy(), tokens[y].to_numpy()
        for i in range(len(codes)):
            for j in range(len(codes)):
                if tx[i] is None or ty[j] is None:
                    continue
                assert (cx[i] == cy[j]) == (tx[i] == ty[j])


def test_sequential_ids_follow_frame_names_and_start():
    frames = {"b": _frame([("x", "y", "z")], "B"), "a": _frame([("x", "y", "z")] * 2, "A")}
    encoded, ids = encode_tokens(frames, id_column="release_id", start=10)
    assert encoded["a"]["release_id"].tolist() == [10, 11]
    assert encoded["b"]["release_id"].tolist() == [12]
    assert ids.tolist()[2] == "B0000"


def test_order_depends_on_content_not_on_row_order_or_ids():
    rows = [("c3", "a1", "d4"), ("a1", None, "b2"), ("a1", "b2", "b2"), (None, "c3", "a1")]
    first = _frame(rows, "A")
    shuffled = first.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled["release_id"] = [f"Z{i}" for i in range(len(shuffled))]
    e1, ids1 = encode_tokens({"a": first}, id_column="release_id")
    e2, ids2 = encode_tokens({"a": shuffled}, id_column="release_id")
    pd.testing.assert_frame_equal(e1["a"], e2["a"])
    content1 = first.set_index("release_id").loc[ids1].reset_index(drop=True)
    content2 = shuffled.set_index("release_id").loc[ids2].reset_index(drop=True)
    pd.testing.assert_frame_equal(content1, content2)


def test_a_single_frame_with_repeated_tokens_keeps_one_row_per_record():
    """One frame (deduplication): repeated values must not multiply rows through the dictionary."""
    rng = np.random.default_rng(0)
    values = np.array(["a1", "b2", "c3", None], dtype=object)
    rows = [tuple(values[rng.integers(0, 4, 3)]) for _ in range(500)]
    encoded, ids = encode_tokens({"only": _frame(rows, "A")}, id_column="release_id")
    assert len(encoded["only"]) == 500 and ids.is_unique
    assert encoded["only"]["dob"].max() <= 3
