"""How measures are written for people: units once, decimals per measure, classes in words,
hatched specials that contrast with every palette (pure functions, properties)."""

from __future__ import annotations

import math
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.publish.classify import (
    FILTERED_PATTERN,
    NO_DATA_PATTERN,
    PALETTES,
    class_of,
    colours_for,
    quantile_breaks,
)
from lantern.publish.display import (
    contrast_ratio,
    decimals_for,
    format_number,
    map_classes,
    rounded,
    title_with_unit,
)

UNITS = ["%", "people", "km", "people per km²", "score", "rank", "decile", "", "proportion"]
WORDS = re.compile(
    r"^(Most vulnerable|Least vulnerable|Highest|Lowest) (<1|\d+)%$|^\d+–\d+%$|^Around \d+%$"
    r"|^All areas$"
)


@given(st.text(min_size=1, max_size=40), st.sampled_from(UNITS))
def test_a_title_carries_its_unit_at_most_once(title, unit):
    once = title_with_unit(title, unit)
    assert title_with_unit(once, unit) == once  # applying it again adds nothing
    if unit and unit not in ("score", "rank", "decile"):
        assert f"({unit})" in once or unit in title
        assert once.count(f"({unit}) ({unit})") == 0


def test_titles_from_the_warehouse_read_once():
    assert title_with_unit("Usual residents aged 65 and over (%)", "%") == (
        "Usual residents aged 65 and over (%)"
    )
    assert title_with_unit("Population density", "people per km²") == (
        "Population density (people per km²)"
    )
    assert title_with_unit("Longest distance to GP surgery (km)", "km").count("km") == 1
    assert title_with_unit("Atrial fibrillation: recorded prevalence (QOF 2019/20, %)", "%") == (
        "Atrial fibrillation: recorded prevalence (QOF 2019/20, %)"
    )
    assert title_with_unit("Clinical risk", "score") == "Clinical risk"


@settings(max_examples=200)
@given(
    st.lists(st.floats(1e-4, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from(["%", "km", "score", ""]),
)
def test_decimals_show_a_typical_value_to_three_significant_figures(values, unit):
    d = decimals_for(values, unit, "rate")
    assert 0 <= d <= 6
    if all(v == round(v) for v in values):
        assert d == 0
        return
    typical = float(np.median([abs(v) for v in values if v]))
    shown = float(format_number(typical, d).replace(",", ""))
    # three significant figures, or every figure a value ≥ 100 has before the point
    assert abs(shown - typical) <= 0.5 * 10**-d + 1e-12
    assert typical >= 100 or shown == 0 or len(f"{shown:.{d}f}".replace(".", "").lstrip("0")) >= 3


def test_counts_ranks_and_deciles_are_whole_numbers():
    assert decimals_for([1.5, 2.5], "people", "count") == 0
    assert decimals_for([3.2, 7.1], "", "decile") == 0
    assert rounded([1.26, None, float("nan"), 2.0], 1) == [1.3, None, None, 2.0]
    assert rounded([1.6, 2.4], 0) == [2, 2]


@settings(max_examples=150)
@given(
    st.lists(st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)), min_size=1, max_size=80),
    st.sampled_from(["higher_worse", "higher_better", "neutral"]),
    st.booleans(),
)
def test_classes_read_in_words_most_vulnerable_first_and_cover_every_area(
    values, polarity, vulnerability
):
    present = [v for v in values if v is not None]
    breaks = quantile_breaks(present)
    if not breaks:
        assert map_classes(values, breaks, [], polarity=polarity, vulnerability=True) == []
        return
    colours = colours_for("YlOrRd", len(breaks), polarity)
    ranks = None
    if vulnerability:
        order = sorted(range(len(values)), key=lambda i: -(values[i] or -math.inf))
        ranks = [None] * len(values)
        for r, i in enumerate(order, start=1):
            ranks[i] = r if values[i] is not None else None
    classes = map_classes(
        values, breaks, colours, polarity=polarity, vulnerability=vulnerability, ranks=ranks
    )
    assert abs(sum(c.share for c in classes) - 1) < 1e-9
    assert [c.colour for c in classes] == (
        colours[::-1] if polarity != "higher_better" else colours
    )  # darkest (most vulnerable) first
    for c in classes:
        assert WORDS.match(c.words), c.words
    if len(classes) > 1:
        first, last = classes[0].words, classes[-1].words
        if vulnerability:
            assert first.startswith("Most vulnerable") and last.startswith("Least vulnerable")
        elif polarity == "higher_better":
            assert first.startswith("Lowest") and last.startswith("Highest")
        else:
            assert first.startswith("Highest") and last.startswith("Lowest")
    # each class holds exactly the areas class_of puts there (an independent count)
    for k, colour in enumerate(colours):
        c = next((c for c in classes if c.colour == colour), None)
        members = [v for v in present if class_of(v, breaks) == k]
        if c is not None:
            assert abs(c.share - len(members) / len(present)) < 1e-9
            if members:
                assert (c.low, c.high) == (min(members), max(members))


def test_no_data_and_outside_the_filter_are_hatched_and_contrast_with_every_palette():
    for name, ramp in PALETTES.items():
        lightest = ramp[0]
        for background, line in (NO_DATA_PATTERN, FILTERED_PATTERN):
            assert contrast_ratio(line, lightest) >= 3, (name, line, lightest)
            assert contrast_ratio(line, background) >= 3
    # and the two patterns differ from each other in both colours
    assert NO_DATA_PATTERN[0] != FILTERED_PATTERN[0] and NO_DATA_PATTERN[1] != FILTERED_PATTERN[1]


def test_contrast_ratio_matches_wcag_reference_values():
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_ratio("#123456", "#123456") == 1.0


_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
    st.integers(-(10**6), 10**6).map(lambda k: k / 1000 + 0.0005),  # ties in decimal
    st.integers(-30, 30).map(lambda k: 10.0**k),  # powers of ten
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_NUMBERS, max_size=200), decimals=st.integers(0, 8))
def test_rounding_in_numpy_is_exactly_pythons_round(values, decimals):
    """The site's values are rounded in NumPy for speed; every one equals Python's own
    ``round`` (signed zeros and ints for whole numbers included), None where there is none."""
    from lantern.publish.display import rounded

    expected = [
        None
        if v is None or not math.isfinite(v)
        else (int(round(v)) if decimals == 0 else round(v, decimals))
        for v in values
    ]
    got = rounded(values, decimals)
    assert [type(g) for g in got] == [type(e) for e in expected]
    assert got == expected
    assert [math.copysign(1, g) for g in got if isinstance(g, float)] == [
        math.copysign(1, e) for e in expected if isinstance(e, float)
    ]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_NUMBERS, max_size=200), digits=st.integers(1, 8))
def test_significant_figures_in_numpy_are_exactly_pythons_formatting(values, digits):
    """``sig_list`` (trends, shares) equals reading back Python's ``%.{digits}g`` for every
    value, however large, small, tied or next to a power of ten."""
    from lantern.publish.sitejson import int_list, sig_list

    arr = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    expected = [float(f"%.{digits}g" % v) if math.isfinite(v) else None for v in arr.tolist()]
    got = sig_list(arr, digits)
    assert got == expected
    assert [math.copysign(1, g) for g in got if g is not None] == [
        math.copysign(1, e) for e in expected if e is not None
    ]
    whole = [int(v) if math.isfinite(v) else None for v in arr.tolist()]
    assert int_list(arr) == whole
