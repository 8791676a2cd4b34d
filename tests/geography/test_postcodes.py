"""Postcodes: normalisation, the NSPL-format lookup, and the lookup derived from Code-Point Open."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lantern.errors import InputError
from lantern.geography.hierarchy import load_chain
from lantern.geography.postcodes import PostcodeLookup, normalise_postcode, normalise_postcodes

NSPL = "postcodes/nspl_derived_essex.csv"


@pytest.mark.parametrize(
    ("text", "pcds"),
    [
        ("cm1 1aa", "CM1 1AA"),
        ("CM11AA", "CM1 1AA"),
        ("  co15  2ab ", "CO15 2AB"),
        ("SS0 7AA", "SS0 7AA"),
        ("ec1a1bb", "EC1A 1BB"),
        ("w1a0ax", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_normalise_postcode(text: str, pcds: str) -> None:
    assert normalise_postcode(text) == pcds


@pytest.mark.parametrize(
    "text", ["", "CM1", "CM1 1A", "1CM 1AA", "CM1 AAA", "CM111 1AA", None, 12345]
)
def test_invalid_postcodes_are_refused_without_echoing_them(text: object) -> None:
    with pytest.raises(InputError) as info:
        normalise_postcode(text)
    assert str(info.value) == "expected a UK postcode like CM1 1AA"  # the value is not echoed


def test_vectorised_normalisation_marks_invalid_as_missing() -> None:
    out = normalise_postcodes(pd.Series(["cm11aa", "nonsense", None]))
    assert out.iloc[0] == "CM1 1AA"
    assert out.iloc[1:].isna().all()


@pytest.fixture(scope="module")
def lookup(bundled_essex: Path) -> PostcodeLookup:
    return PostcodeLookup.from_file(bundled_essex / NSPL)


def test_lookup_finds_both_vintages(lookup: PostcodeLookup, bundled_essex: Path) -> None:
    table = pd.read_csv(bundled_essex / NSPL, dtype=str)
    row = table.iloc[len(table) // 2]
    messy = row["pcds"].lower().replace(" ", "")
    assert lookup.lsoa_for(messy) == row["lsoa21"]
    assert lookup.lsoa_for(row["pcds"], vintage=2011) == row["lsoa11"]
    assert lookup.lsoa_for("ZZ9 9ZZ") is None
    got = lookup.lsoas_for(pd.Series([row["pcds"], "not a postcode", "ZZ9 9ZZ"]))
    assert got.iloc[0] == row["lsoa21"] and got.iloc[1:].isna().all()
    with pytest.raises(InputError, match="vintage 2016"):
        lookup.lsoa_for(row["pcds"], vintage=2016)


def test_derived_lookup_covers_every_postcode_and_agrees_with_codepoint_districts(
    bundled_essex: Path, lookup: PostcodeLookup
) -> None:
    table = pd.read_csv(bundled_essex / NSPL, dtype=str)
    assert len(lookup) == len(table) == 44740
    assert table[["lsoa11", "lsoa21", "msoa11", "msoa21"]].notna().all().all()
    chain = load_chain(bundled_essex, 2011).set_index("lsoa11_code")
    district = table["lsoa11"].map(chain["ltla21_code"])
    # Code-Point's own 2014 district agrees with the district of the LSOA found for ≥ 97% of units
    assert (district == table["oslaua"]).mean() > 0.97
    nearest = table[table["lsoa21_method"] == "nearest"]
    assert len(nearest) < 0.01 * len(table)
    assert pd.to_numeric(nearest["lsoa21_distance_m"]).max() < 1000


def test_lookup_file_errors(tmp_path: Path) -> None:
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("postcode,lsoa\nCM1 1AA,E01021988\n")
    with pytest.raises(InputError, match="pcds"):
        PostcodeLookup.from_file(bad_header)
    bad_row = tmp_path / "r.csv"
    bad_row.write_text("pcds,lsoa21\nCM1 1AA,E01021988\nnot one,E01021988\n")
    with pytest.raises(InputError) as info:
        PostcodeLookup.from_file(bad_row)
    assert info.value.row == 3 and info.value.column == "pcds"
