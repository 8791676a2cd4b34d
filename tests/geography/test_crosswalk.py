"""LSOA 2011 ↔ 2021 crosswalk: hand-worked split, merge and complex changes, and invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.errors import InputError
from lantern.geography.crosswalk import crosswalk_weights, load_crosswalk, move

# Real codes and populations. Essex has splits only (Harlow 001D, E01021857, → four 2021
# LSOAs); the merge is in Cambridge and the complex change in Hertfordshire, next to Essex.
LOOKUP = pd.DataFrame(
    [
        ("E01021857", "E01034362", "S"),
        ("E01021857", "E01034363", "S"),
        ("E01021857", "E01034364", "S"),
        ("E01021857", "E01034365", "S"),
        ("E01017957", "E01035514", "M"),
        ("E01017958", "E01035514", "M"),
        ("E01023508", "E01035582", "X"),
        ("E01023508", "E01035609", "X"),
        ("E01023768", "E01035582", "X"),
        ("E01023679", "E01035581", "X"),
        ("E01023964", "E01035581", "X"),
        ("E01023964", "E01035608", "X"),
        ("E01021988", "E01021988", "U"),
    ],
    columns=["lsoa11_code", "lsoa21_code", "change_code"],
)
# Census 2021 usual residents (TS007) and mid-2020 LSOA 2011 estimates.
POP21 = pd.Series(
    {
        "E01034362": 1511, "E01034363": 1267, "E01034364": 1699, "E01034365": 1436,
        "E01035514": 7100, "E01035582": 1669, "E01035609": 1440, "E01035581": 1576,
        "E01035608": 1608, "E01021988": 1500,
    }
)  # fmt: skip
POP11 = pd.Series(
    {
        "E01021857": 4621, "E01017957": 1740, "E01017958": 5223, "E01023508": 1666,
        "E01023768": 1540, "E01023679": 1564, "E01023964": 1584, "E01021988": 1480,
    }
)  # fmt: skip


@pytest.fixture(scope="module")
def cw() -> pd.DataFrame:
    return crosswalk_weights(LOOKUP, POP21, POP11)


def _value(frame: pd.DataFrame, code: str, column: str = "value") -> float:
    return float(frame.loc[frame["area_code"] == code, column].iloc[0])


def test_split_counts_by_census_2021_share(cw: pd.DataFrame) -> None:
    out = move(pd.DataFrame({"area_code": ["E01021857"], "value": [5913.0]}), "count", cw)
    # 5913 split over populations 1511, 1267, 1699, 1436 (total 5913): the populations themselves
    assert _value(out, "E01034362") == pytest.approx(1511)
    assert _value(out, "E01034365") == pytest.approx(1436)
    assert out["vintage"].unique().tolist() == [2021]


def test_merge_adds_counts_and_recomputes_rates(cw: pd.DataFrame) -> None:
    counts = pd.DataFrame({"area_code": ["E01017957", "E01017958"], "value": [10.0, 30.0]})
    assert _value(move(counts, "count", cw), "E01035514") == 40.0
    rates = pd.DataFrame(
        {
            "area_code": ["E01017957", "E01017958"],
            "value": [0.1, 0.3],
            "numerator": [100.0, 600.0],
            "denominator": [1000.0, 2000.0],
        }
    )
    out = move(rates, "rate", cw)
    # (100 + 600) / (1000 + 2000), not the mean of 0.1 and 0.3
    assert _value(out, "E01035514") == pytest.approx(700 / 3000)
    assert _value(out, "E01035514", "denominator") == 3000.0


def test_merge_scores_are_population_weighted(cw: pd.DataFrame) -> None:
    scores = pd.DataFrame({"area_code": ["E01017957", "E01017958"], "value": [10.0, 30.0]})
    out = move(scores, "score", cw, population=POP11)
    assert _value(out, "E01035514") == pytest.approx((10 * 1740 + 30 * 5223) / (1740 + 5223))
    assert _value(move(scores, "score", cw), "E01035514") == pytest.approx(20.0)


def test_complex_change_by_hand(cw: pd.DataFrame) -> None:
    counts = pd.DataFrame(
        {
            "area_code": ["E01023508", "E01023768", "E01023679", "E01023964"],
            "value": [310.0, 50.0, 20.0, 64.0],
        }
    )
    out = move(counts, "count", cw)
    # E01023508 splits 1669 : 1440 between E01035582 and E01035609; E01035582 also takes all of
    # E01023768. E01023964 splits 1576 : 1608 between E01035581 and E01035608.
    assert _value(out, "E01035582") == pytest.approx(310 * 1669 / 3109 + 50)
    assert _value(out, "E01035609") == pytest.approx(310 * 1440 / 3109)
    assert _value(out, "E01035581") == pytest.approx(20 + 64 * 1576 / 3184)
    assert _value(out, "E01035608") == pytest.approx(64 * 1608 / 3184)
    assert out["value"].sum() == pytest.approx(444.0)


def test_reverse_direction_splits_a_merge_by_2011_population(cw: pd.DataFrame) -> None:
    out = move(
        pd.DataFrame({"area_code": ["E01035514"], "value": [6963.0]}),
        "count",
        cw,
        direction="2021->2011",
    )
    assert _value(out, "E01017957") == pytest.approx(1740)
    assert _value(out, "E01017958") == pytest.approx(5223)
    assert out["vintage"].unique().tolist() == [2011]


def test_keys_travel_with_values(cw: pd.DataFrame) -> None:
    values = pd.DataFrame(
        {
            "area_code": ["E01017957", "E01017958", "E01017957"],
            "indicator_id": ["a.x", "a.x", "a.y"],
            "period": ["2020", "2020", "2020"],
            "value": [1.0, 2.0, 5.0],
        }
    )
    out = move(values, "count", cw)
    assert set(out.columns) == {
        "area_code",
        "indicator_id",
        "period",
        "value",
        "numerator",
        "denominator",
        "vintage",
    }
    assert out.set_index("indicator_id").loc["a.x", "value"] == 3.0
    assert out.set_index("indicator_id").loc["a.y", "value"] == 5.0


def test_unknown_value_makes_target_unknown(cw: pd.DataFrame) -> None:
    out = move(
        pd.DataFrame({"area_code": ["E01017957", "E01017958"], "value": [1.0, np.nan]}), "count", cw
    )
    assert np.isnan(_value(out, "E01035514"))


@pytest.mark.parametrize("kind", ["rank", "decile"])
def test_ranks_and_deciles_are_refused(cw: pd.DataFrame, kind: str) -> None:
    with pytest.raises(InputError, match=f"a {kind} cannot be moved"):
        move(pd.DataFrame({"area_code": ["E01021988"], "value": [3]}), kind, cw)


def test_unknown_codes_and_missing_columns_are_refused(cw: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="not LSOA11s in the crosswalk"):
        move(pd.DataFrame({"area_code": ["E01000001"], "value": [1.0]}), "count", cw)
    with pytest.raises(InputError, match="numerator, denominator"):
        move(pd.DataFrame({"area_code": ["E01021988"], "value": [1.0]}), "rate", cw)
    with pytest.raises(InputError, match="reverse_weight"):
        move(
            pd.DataFrame({"area_code": ["E01021988"], "value": [1.0]}),
            "count",
            cw.drop(columns="reverse_weight"),
            direction="2021->2011",
        )


@st.composite
def _sources(draw: st.DrawFn) -> pd.DataFrame:
    codes = sorted(LOOKUP["lsoa11_code"].unique())
    chosen = draw(st.lists(st.sampled_from(codes), min_size=1, unique=True))
    counts = draw(st.lists(st.integers(0, 10_000), min_size=len(chosen), max_size=len(chosen)))
    return pd.DataFrame({"area_code": chosen, "value": [float(c) for c in counts]})


@settings(max_examples=60, deadline=None)
@given(values=_sources(), direction=st.sampled_from(["2011->2021", "2021->2011"]))
def test_moved_counts_sum_to_source_totals(values: pd.DataFrame, direction: str) -> None:
    cw = crosswalk_weights(LOOKUP, POP21, POP11)
    if direction == "2021->2011":
        values = values.assign(
            area_code=values["area_code"].map(
                cw.drop_duplicates("lsoa11_code").set_index("lsoa11_code")["lsoa21_code"]
            )
        )
        values = values.drop_duplicates("area_code")
    out = move(values, "count", cw, direction=direction)
    assert out["value"].sum() == pytest.approx(values["value"].sum(), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    values=_sources(),
    rate=st.floats(0.001, 0.9),
    pop=st.lists(st.integers(1, 5000), min_size=13, max_size=13),
)
def test_rates_and_scores_of_a_constant_stay_constant(
    values: pd.DataFrame, rate: float, pop: list[int]
) -> None:
    pop21 = pd.Series(pop[: len(POP21)], index=POP21.index)
    cw = crosswalk_weights(LOOKUP, pop21, POP11)
    den = values["value"] + 1
    rates = values.assign(value=rate, numerator=den * rate, denominator=den)
    assert move(rates, "rate", cw)["value"].to_numpy() == pytest.approx(rate)
    scores = values.assign(value=rate * 100)
    assert move(scores, "score", cw, population=POP11)["value"].to_numpy() == pytest.approx(
        rate * 100
    )


def test_real_weights_sum_to_one(shared_data: Path) -> None:
    cw = load_crosswalk(shared_data)
    assert cw.groupby("lsoa11_code")["weight"].sum().to_numpy() == pytest.approx(1.0)
    assert cw.groupby("lsoa21_code")["reverse_weight"].sum().to_numpy() == pytest.approx(1.0)
    assert set(cw["change_code"]) == {"U", "S", "M", "X"}
    assert cw["lsoa21_code"].str.startswith("E").sum() >= 33755


def _oracle(values: pd.DataFrame, kind: str, cw: pd.DataFrame) -> dict:
    """Plain-Python move 2011 -> 2021: weighted sums per (target, period), NaN if any part is."""
    pop = POP11.to_dict()
    acc: dict = {}
    for row in values.itertuples(index=False):
        for pair in cw[cw["lsoa11_code"] == row.area_code].itertuples(index=False):
            key = (pair.lsoa21_code, row.period)
            slot = acc.setdefault(key, [0.0, 0.0, 0.0])
            w = pair.weight
            if kind == "count":
                slot[0] += row.value * w
            elif kind == "rate":
                slot[0] += row.numerator * w
                slot[1] += row.denominator * w
            else:
                slot[0] += row.value * w * pop[row.area_code]
                slot[2] += w * pop[row.area_code]
    out = {}
    for key, (a, b, m) in acc.items():
        if kind == "count":
            out[key] = a
        elif kind == "rate":
            out[key] = a / b if b else np.nan
        else:
            out[key] = a / m if m > 0 else np.nan
    return out


@settings(max_examples=40, deadline=None)
@given(
    values=_sources(),
    kind=st.sampled_from(["count", "rate", "score"]),
    periods=st.lists(st.sampled_from(["2019", "2020"]), min_size=1, max_size=2, unique=True),
    holes=st.sets(st.integers(0, 12), max_size=3),
)
def test_moves_agree_with_a_plain_python_oracle(
    values: pd.DataFrame, kind: str, periods: list[str], holes: set[int]
) -> None:
    """Every kind, with a key moved alongside and unknown values, matches a loop over the pairs;
    codes come back as plain text in sorted order, whatever the crosswalk's size."""
    cw = crosswalk_weights(LOOKUP, POP21, POP11)
    frame = pd.concat([values.assign(period=p) for p in periods], ignore_index=True)
    frame["value"] = frame["value"].astype(float)
    frame.loc[[i for i in holes if i < len(frame)], "value"] = np.nan
    if kind == "rate":
        frame["denominator"] = frame["value"] + 1
        frame["numerator"] = frame["value"] * 0.25
    out = move(frame, kind, cw, population=POP11 if kind == "score" else None)
    assert out["area_code"].map(type).eq(str).all()
    assert list(zip(out["area_code"], out["period"], strict=True)) == sorted(
        zip(out["area_code"], out["period"], strict=True)
    )
    expected = _oracle(frame, kind, cw)
    got = {(a, p): v for a, p, v in zip(out["area_code"], out["period"], out["value"], strict=True)}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if np.isnan(value):
            assert np.isnan(got[key]), key
        else:
            assert got[key] == pytest.approx(value, rel=1e-12), key
