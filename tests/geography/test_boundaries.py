"""Boundary reading (GeoJSON, GeoPackage, Shapefile) and coverage-preserving simplification."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from lantern.errors import InputError
from lantern.geography.boundaries import read_boundaries, simplify_for_web


@pytest.fixture(scope="module")
def lsoa21(bundled_essex: Path) -> gpd.GeoDataFrame:
    return read_boundaries(bundled_essex / "boundaries/lsoa21_essex_bsc.geojson")


def test_reads_and_detects_fields(bundled_essex: Path, lsoa21: gpd.GeoDataFrame) -> None:
    lsoa11 = read_boundaries(bundled_essex / "boundaries/lsoa11_essex_bsc.geojson")
    assert len(lsoa11) == 1077 and len(lsoa21) == 1111
    assert list(lsoa11.columns) == ["area_code", "area_name", "geometry"]
    assert lsoa11.crs.to_epsg() == 4326
    assert lsoa11["area_code"].str.startswith("E01").all()
    utla = read_boundaries(bundled_essex / "boundaries/utla21_uk_bsc.geojson")
    assert sorted(utla["area_code"]) == ["E06000033", "E06000034", "E10000012"]


@pytest.mark.parametrize("driver,suffix", [("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_geopackage_and_shapefile_in_british_grid(
    lsoa21: gpd.GeoDataFrame, tmp_path: Path, driver: str, suffix: str
) -> None:
    sample = lsoa21.head(20).rename(columns={"area_code": "LSOA21CD", "area_name": "LSOA21NM"})
    path = tmp_path / f"sample{suffix}"
    sample.to_crs("EPSG:27700").to_file(path, driver=driver, engine="pyogrio")
    back = read_boundaries(path)
    assert back["area_code"].tolist() == sample["LSOA21CD"].tolist()
    assert back.crs.to_epsg() == 4326
    assert back.geometry.iloc[0].centroid.distance(sample.geometry.iloc[0].centroid) < 1e-5


def test_missing_fields_and_bad_codes(lsoa21: gpd.GeoDataFrame, tmp_path: Path) -> None:
    path = tmp_path / "odd.geojson"
    lsoa21.head(3).rename(columns={"area_code": "ref", "area_name": "label"}).to_file(path)
    with pytest.raises(InputError, match="no area code field"):
        read_boundaries(path)
    assert len(read_boundaries(path, code_field="ref", name_field="label")) == 3
    bad = lsoa21.head(3).copy()
    bad.loc[1, "area_code"] = "E0100001"
    bad.to_file(path)
    with pytest.raises(InputError) as info:
        read_boundaries(path)
    assert info.value.row == 3 and info.value.column == "area_code"


def test_simplify_keeps_every_area_and_shared_borders(lsoa21: gpd.GeoDataFrame) -> None:
    simple = simplify_for_web(lsoa21, 0.005)
    before = shapely.get_num_coordinates(lsoa21.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(simple.geometry.to_numpy()).sum()
    assert after < 0.8 * before
    assert len(simple) == len(lsoa21)
    assert not simple.geometry.is_empty.any()
    assert simple.geometry.is_valid.all()
    assert simple["area_code"].tolist() == lsoa21["area_code"].tolist()
    # neighbours still meet exactly: no gaps or overlaps appear between areas
    assert shapely.coverage_is_valid(simple.geometry.to_numpy())
    with pytest.raises(InputError):
        simplify_for_web(lsoa21, -1)
