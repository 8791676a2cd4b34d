"""Area hierarchy from the ONS lookups: Essex and England-wide counts, transitive links."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.errors import InputError
from lantern.geography.hierarchy import load_hierarchy

ESSEX = ["E10000012", "E06000033", "E06000034"]


@pytest.fixture(scope="module", params=["shared", "bundled"])
def data_dir(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue("shared_data" if request.param == "shared" else "bundled_essex")


def test_essex_2011_counts(data_dir: Path) -> None:
    h = load_hierarchy(data_dir, 2011, areas=ESSEX)
    counts = h.areas["area_type"].value_counts().to_dict()
    assert counts == {
        "lsoa": 1077,
        "msoa": 211,
        "district": 14,
        "county": 1,
        "region": 1,
        "country": 1,
    }
    assert set(h.areas["boundary_year"][h.areas["area_type"] == "lsoa"]) == {2011}


def test_essex_2021_counts_and_wards(data_dir: Path) -> None:
    h = load_hierarchy(data_dir, 2021, areas=ESSEX)
    counts = h.areas["area_type"].value_counts()
    assert counts["lsoa"] == 1111
    assert counts["district"] == 14
    assert counts["ward"] > 200
    wards = h.links[(h.links["child_type"] == "lsoa") & (h.links["parent_type"] == "ward")]
    assert wards["child_code"].nunique() == 1111  # every LSOA 2021 has exactly one ward
    assert wards["child_code"].is_unique
    assert set(h.areas.loc[h.areas["area_type"] == "ward", "boundary_year"]) == {2024}


def test_links_are_transitive(data_dir: Path) -> None:
    h = load_hierarchy(data_dir, 2011, areas=ESSEX)
    parents = h.links[h.links["child_code"] == "E01021988"].set_index("parent_type")["parent_code"]
    # Jaywick: Tendring 018A → MSOA → Tendring → Essex → East of England → England
    assert parents["district"] == "E07000076"
    assert parents["county"] == "E10000012"
    assert parents["region"] == "E12000006"
    assert parents["country"] == "E92000001"
    assert parents["msoa"].startswith("E02")
    msoa_parents = set(h.links.loc[h.links["child_code"] == parents["msoa"], "parent_code"])
    assert {"E07000076", "E10000012", "E12000006", "E92000001"} <= msoa_parents


def test_unitary_is_listed_once_as_a_district(data_dir: Path) -> None:
    h = load_hierarchy(data_dir, 2011, areas=ESSEX)
    southend = h.areas[h.areas["area_code"] == "E06000033"]
    assert southend["area_type"].tolist() == ["district"]
    assert len(h.lsoas_in(["E06000033"])) == 107
    assert len(h.lsoas_in(["E06000033", "E06000034", "E10000012"])) == 1077


def test_unknown_area_is_refused(data_dir: Path) -> None:
    with pytest.raises(InputError, match="not in the 2011 lookup"):
        load_hierarchy(data_dir, 2011, areas=["E10000099"])


def test_unknown_vintage_is_refused(data_dir: Path) -> None:
    with pytest.raises(InputError, match="expected 2011 or 2021"):
        load_hierarchy(data_dir, 2016)


@pytest.mark.slow
def test_england_wide_counts(shared_data: Path) -> None:
    h11 = load_hierarchy(shared_data, 2011)
    h21 = load_hierarchy(shared_data, 2021)
    lsoa11 = h11.codes("lsoa")
    lsoa21 = h21.codes("lsoa")
    assert sum(c.startswith("E") for c in lsoa11) == 32844
    assert sum(c.startswith("E") for c in lsoa21) == 33755
    english21 = h21.links[
        (h21.links["child_type"] == "lsoa") & h21.links["child_code"].str.startswith("E")
    ]
    # every English LSOA 2021 reaches a region, including those in the 2023 unitaries
    assert english21.loc[english21["parent_type"] == "region", "child_code"].nunique() == 33755
