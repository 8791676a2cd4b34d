"""Profile parts: spine direction, trend gaps, numbers, titles, and counts moved to wards."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lantern.profile import charts
from lantern.profile.compare import indicator_table
from lantern.profile.render import short_title
from lantern.profile.text import comparison_sentence, number
from lantern.stats import wilson_limits

ESSEX = ["E10000012", "E06000033", "E06000034"]


def _dot_x(svg: str) -> float:
    return float(re.search(r'<circle cx="([0-9.]+)"', svg).group(1))


@pytest.mark.parametrize(
    ("polarity", "value", "left"),
    [("higher_worse", 12.0, True), ("higher_worse", 8.0, False), ("higher_better", 12.0, False),
     ("higher_better", 8.0, True)],
)  # fmt: skip
def test_worse_is_always_on_the_left(polarity, value, left):
    svg = charts.spine(
        value=value, lower=value - 1, upper=value + 1, england=10.0, county=None, dist=None,
        polarity=polarity, judgement="",
    )  # fmt: skip
    assert (_dot_x(svg) < charts.SPINE_W / 2) == left


def test_spine_needs_england_and_trend_breaks_at_gaps():
    assert (
        charts.spine(
            value=1, lower=0, upper=2, england=None, county=1, dist=None, polarity="", judgement=""
        )
        == ""
    )
    svg = charts.trend(
        ["a", "b", "c", "d"], [1, 2, np.nan, 4], [0.5, 1, np.nan, 3], [1.5, 3, np.nan, 5]
    )
    assert svg.count("<polyline") == 1  # only a–b is a run of two; d stands alone
    assert svg.count("<polygon") == 1


def test_numbers_and_titles():
    assert number(1234.5) == "1,234" or number(1234.5) == "1,235"
    assert number(0.012345) == "0.0123" and number(3.14159, "%") == "3.14%"
    assert number(float("nan")) == "–" and number(None) == "–"
    assert short_title("Diabetes mellitus (17+): recorded prevalence (QOF 2019/20, %)") == (
        "Diabetes mellitus (17+)"
    )
    assert short_title("Population aged 70 and over (%)") == "Population aged 70 and over"


def test_comparison_sentence_uses_polarity():
    table = pd.DataFrame(
        {
            "title": ["A", "B", "C"],
            "vs_england": ["higher", "higher", ""],
            "polarity": ["higher_worse", "higher_better", "higher_worse"],
        }
    )
    text = comparison_sentence(table)
    assert "Of 2 indicators" in text and "1 point to significantly more vulnerability (a)" in text
    assert "1 to significantly less (b)" in text


def test_ward_counts_are_the_sums_of_their_neighbourhoods(essex_wh):
    """Independent oracle: a ward's numerator and denominator for a 2021-LSOA indicator are the
    sums over the LSOAs linked to it; its interval is the Wilson interval of those sums."""
    ids = ["census2021.overcrowded_pct", "census2021.disabled_pct"]
    wards = essex_wh.area_codes("ward", 2021, ["E07000066"])
    got = indicator_table(
        essex_wh, ids, vintage=2021, area_type="ward", codes=["E07000066"], county=ESSEX
    )
    links = essex_wh.area_links(child_type="lsoa", parent_type="ward", vintage=2021)
    raw = essex_wh.indicator_values(ids)
    raw = raw.merge(links, left_on="area_code", right_on="child_code")
    sums = raw.groupby(["parent_code", "indicator_id"])[["numerator", "denominator"]].sum()
    assert set(got["area_code"]) == set(wards)
    for row in got.itertuples():
        num, den = sums.loc[(row.area_code, row.indicator_id)]
        assert row.numerator == pytest.approx(num) and row.denominator == pytest.approx(den)
        lo, hi = (100 * float(v) for v in wilson_limits(num, den))
        assert row.lower95 == pytest.approx(lo) and row.upper95 == pytest.approx(hi)
        assert row.vs_england in ("higher", "similar", "lower")
    county = raw[raw["area_code"].str.startswith("E01")]
    county = essex_wh.indicator_values(ids, codes=essex_wh.area_codes("lsoa", 2021, ESSEX))
    for indicator_id, part in county.groupby("indicator_id"):
        want = 100 * part["numerator"].sum() / part["denominator"].sum()
        assert got[got["indicator_id"] == indicator_id]["county"].iloc[0] == pytest.approx(want)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs chromium")
def test_printing_works_inside_another_playwright_session(tmp_path):
    """The suite (and a notebook) may already run sync Playwright in this thread."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from lantern.profile.pdf import print_pdf

    with sync_playwright():
        out = print_pdf("<html><body><p>Printed page</p></body></html>", tmp_path / "x.pdf")
    assert "Printed page" in PdfReader(str(out)).pages[0].extract_text()
