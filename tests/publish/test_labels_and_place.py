"""Place labels at population-weighted centroids (against an independent computation on the real
Essex boundaries), towns read from ward names, and what a build is called."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given
from hypothesis import strategies as st

from lantern.publish.labels import (
    legend_corners,
    place_labels,
    population_weights,
    short_name,
    town_of_wards,
    weighted_centroid,
)
from lantern.publish.place import comparator_label, join_names, rank_note, strip_place


def test_towns_come_from_wards_sharing_their_leading_words():
    towns = town_of_wards(
        [
            "Witham North",
            "Witham South",
            "Witham Central",
            "Saffron Walden Audley",
            "Saffron Walden Castle",
            "Great Baddow East",
            "Great Baddow West",
            "St Mary's",
            "St James",
            "Tiptree",
            "North Weald Bassett",
            "North Springfield",
        ]
    )
    assert towns["Witham North"] == towns["Witham Central"] == "Witham"
    assert towns["Saffron Walden Castle"] == "Saffron Walden"
    assert towns["Great Baddow West"] == "Great Baddow"
    for alone in ("St Mary's", "St James", "Tiptree", "North Weald Bassett"):
        assert alone not in towns, alone  # "St", "North": not a town


@given(st.lists(st.text(alphabet="ABC ab", min_size=1, max_size=12), max_size=20))
def test_every_town_is_a_shared_leading_phrase(wards):
    towns = town_of_wards(wards)

    def lead(name: str, n: int) -> list[str]:
        return name.lower().split()[:n]

    for ward, town in towns.items():
        n = len(town.split())
        assert lead(ward, n) == town.lower().split()
        assert sum(1 for w in set(wards) if lead(w, n) == town.lower().split()) >= 2


def test_district_labels_read_as_people_say_them():
    assert short_name("Herefordshire, County of") == "Herefordshire"
    assert short_name("Bristol, City of") == "Bristol"
    assert short_name("Kingston upon Hull, City of") == "Kingston upon Hull"
    assert short_name("Windsor and Maidenhead") == "Windsor and Maidenhead"
    assert short_name("County Durham") == "County Durham"
    assert short_name("City of London") == "City of London"


@given(st.text(min_size=1, max_size=30).filter(lambda s: "," not in s and s.strip() == s))
def test_a_name_without_an_official_suffix_is_kept(name):
    assert short_name(name) == name


def test_weighted_centroid_matches_the_formula_and_stays_inside():
    squares = np.array([shapely.box(x, 0, x + 1, 1) for x in range(4)])
    points = np.array([[x + 0.5, 0.5] for x in range(4)])
    x, y = weighted_centroid(points, np.array([1, 1, 1, 5]), squares)
    assert (x, y) == ((0.5 + 1.5 + 2.5 + 5 * 3.5) / 8, 0.5)
    # two islands: the weighted point falls in the sea and is moved onto the nearest island
    islands = np.array([shapely.box(0, 0, 1, 1), shapely.box(9, 0, 10, 1)])
    x, y = weighted_centroid(np.array([[0.5, 0.5], [9.5, 0.5]]), np.array([1, 1.5]), islands)
    assert shapely.contains(islands[1], shapely.points(x, y))


def test_labels_on_the_real_boundaries_sit_at_population_weighted_centroids(essex_data):
    weights, measure = population_weights(essex_data.values, essex_data.areas.index)
    assert measure == "census2021.usual_residents"
    labels = place_labels(essex_data.areas, essex_data.geometry, weights)
    districts = {lb.name: lb for lb in labels if lb.kind == "district"}
    assert set(districts) == set(essex_data.areas["district_name"])
    # independent: geopandas centroids in British National Grid, weighted by residents
    proj = essex_data.geometry.to_crs(27700)
    for name in ("Colchester", "Tendring", "Southend-on-Sea"):
        codes = essex_data.areas.index[essex_data.areas["district_name"] == name]
        c = proj.loc[codes].centroid
        w = weights.loc[codes]
        x, y = (c.x * w).sum() / w.sum(), (c.y * w).sum() / w.sum()
        got = (
            gpd.GeoSeries([shapely.Point(districts[name].lon, districts[name].lat)], crs=4326)
            .to_crs(27700)
            .iloc[0]
        )
        inside = proj.loc[codes].union_all().contains(shapely.Point(x, y))
        if inside:
            assert got.distance(shapely.Point(x, y)) < 5, name  # metres (label rounding)
        assert proj.loc[codes].union_all().buffer(1).contains(got), name
        assert districts[name].population == round(w.sum())
    kinds = {lb.kind for lb in labels}
    assert kinds == {"district", "town", "ward"}
    towns = [lb.name for lb in labels if lb.kind == "town"]
    assert "Witham" in towns and "Saffron Walden" in towns


def test_the_legend_goes_where_it_hides_least(essex_data):
    # Greater Essex's bottom-right corner is the Thames estuary and the sea
    assert legend_corners(essex_data.geometry)[0] == "br"


def test_a_build_is_named_for_its_own_area():
    assert join_names(["Essex", "Southend-on-Sea", "Thurrock"]) == (
        "Essex, Southend-on-Sea and Thurrock"
    )
    assert join_names(["Colchester"]) == "Colchester"
    assert join_names(["A", "B", "C", "D", "E"]) == "A, B and 3 other areas"
    assert comparator_label("Colchester", ["Colchester"]) == "Colchester"
    assert comparator_label("Essex, Southend-on-Sea and Thurrock", ["Essex", "x"]) == "Map average"
    places = ["Essex", "England", "East of England"]
    title = "Essex COVID-19 risk and vulnerability index"
    assert strip_place(title, places, keep=["England"]) == "COVID-19 risk and vulnerability index"
    assert strip_place(title, places, keep=["Essex"]) == title
    assert strip_place("England-wide index", places) == "England-wide index"
    assert "England's 33,755" in rank_note("England", 33755, False)
    assert "of Colchester" in rank_note("Colchester", 104, False)
    assert "England's" in rank_note("Colchester", 33755, True)
