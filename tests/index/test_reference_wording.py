"""The reference population in words: a build is called by its own place, never "county" when it
is England (or any place that is not a county)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.index.note import reference_text
from lantern.index.validation_note import comparison_table, validation_markdown

places = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Zs"), whitelist_characters="-,'"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and "county" not in s.lower())


def test_england_build_is_ranked_within_england():
    text = reference_text("county", "England", 33_755)
    assert text.startswith("England") and "33,755 LSOAs" in text
    assert "county" not in text.lower()
    national = reference_text("national", "England", 33_755)
    assert national.startswith("England") and "county" not in national.lower()


def test_county_build_names_its_place():
    text = reference_text("county", "Essex, Southend-on-Sea and Thurrock", 1_111)
    assert text.startswith("Essex, Southend-on-Sea and Thurrock") and "1,111 LSOAs" in text
    assert "not against England" in text
    national = reference_text("national", "Essex, Southend-on-Sea and Thurrock", 33_755)
    assert national.startswith("England") and "Essex, Southend-on-Sea and Thurrock" in national


@settings(max_examples=60, deadline=None)
@given(place=places, reference=st.sampled_from(["county", "national"]), n=st.integers(1, 40_000))
def test_reference_never_says_county_for_a_place_that_is_not_one(place, reference, n):
    text = reference_text(reference, place, n)
    assert "county" not in text.lower()
    assert place in text or reference == "national"
    assert f"{n:,} LSOAs" in text


def _rows(scopes: list[str]) -> pd.DataFrame:
    rows = []
    for scope in scopes:
        n = 6_791.0 if scope == "england" else 200.0
        for measure, value in (
            ("spearman", 0.41),
            ("spearman_low", 0.39),
            ("spearman_high", 0.43),
            ("n_areas", n),
        ):
            rows.append((scope, "index", measure, value, "the index"))
    return pd.DataFrame(rows, columns=["scope", "predictor", "measure", "value", "detail"])


def test_validation_tables_name_the_build_not_a_county():
    england = validation_markdown(_rows(["county"]), place="England")
    assert "England (200 MSOAs)" in england and "county" not in england.lower()
    both = comparison_table(_rows(["england", "county"]), "England")
    assert both[0] == ["predictor", "England (6,791 MSOAs)"]  # one England column
    essex = comparison_table(_rows(["england", "county"]), "Essex")
    assert essex[0][1:] == ["England (6,791 MSOAs)", "Essex (200 MSOAs)"]
