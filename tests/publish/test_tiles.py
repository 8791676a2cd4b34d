"""Parent areas dissolved from LSOAs for the tiles and outlines (tested against an independent
union on the real Essex boundaries)."""

from __future__ import annotations

import signal
import time

import geopandas as gpd
import pytest
import shapely
from tiles_decode import codes_per_tile, header

from lantern.errors import ConfigError
from lantern.publish.tiles import (
    Tileset,
    building,
    dissolve,
    write_pmtiles,
    write_tilesets,
    zoom_range,
)


def test_dissolved_parents_are_valid_and_equal_the_union_of_their_lsoas(essex_data):
    for level in ("msoa", "ward", "district"):
        parents = dissolve(essex_data.geometry, essex_data.areas[f"{level}_code"])
        assert set(parents.index) == set(essex_data.areas[f"{level}_code"]) - {""}
        assert parents.geometry.is_valid.all(), level
        proj = parents.to_crs(27700)
        lsoas = essex_data.geometry.to_crs(27700)
        for code in parents.index[:: max(1, len(parents) // 25)]:
            members = essex_data.areas.index[essex_data.areas[f"{level}_code"] == code]
            expected = shapely.union_all(lsoas.loc[members].geometry.to_numpy())
            got = proj.loc[code].geometry
            assert got.symmetric_difference(expected).area <= 1e-6 * expected.area, (level, code)


def _hardest_english_lsoas(shared_data, n: int = 60) -> gpd.GeoDataFrame:
    """England's thinnest and smallest LSOA 2021s (as published: generalised boundaries) with
    every LSOA within 500 m of them, so shared borders are simplified as in a full build."""
    lsoas = gpd.read_file(shared_data / "boundaries" / "lsoa21_ew_bsc.geojson")
    lsoas = lsoas[lsoas["lsoa21_code"].str.startswith("E")].set_index("lsoa21_code")
    metres = lsoas.geometry.to_crs(27700)
    thin = (metres.area / metres.length**2).nsmallest(n // 2).index  # sliver: small area/perimeter²
    small = metres.area.nsmallest(n // 2).index
    hard = metres.loc[thin.union(small)]
    near = metres.sindex.query(hard.buffer(500).to_numpy(), predicate="intersects")[1]
    frame = lsoas.iloc[sorted(set(near))][["geometry"]]
    frame.index.name = "code"
    return frame


def test_englands_thinnest_and_smallest_lsoas_are_in_the_tiles_at_every_zoom(shared_data, tmp_path):
    """Every LSOA is drawn once per tile at every zoom a national tileset claims, however thin or
    small: E01034031 (Ealing, 10 m wide after generalisation) lost its only off-line vertex to
    shared border simplification and vanished from zoom 5 up until shared nodes were kept, and
    LSOAs under the zoom-4 grid vanished there."""
    frame = _hardest_english_lsoas(shared_data)
    assert "E01034031" in frame.index
    out = tmp_path / "lsoa.pmtiles"
    zooms = zoom_range(33_755)
    write_pmtiles(frame, list(frame.index), out, zooms=zooms)
    h = header(out)
    assert (h["min_zoom"], h["max_zoom"]) == zooms
    for zoom in range(zooms[0], zooms[1] + 1):
        tiles = codes_per_tile(out, zoom)
        assert all(max(c.values()) == 1 for c in tiles), zoom
        missing = set(frame.index) - set().union(*tiles)
        assert not missing, (zoom, sorted(missing)[:5])


def _small_frame(essex_data) -> gpd.GeoDataFrame:
    frame = essex_data.geometry.iloc[:40][["geometry"]]
    frame.index.name = "code"
    return frame


def test_a_failing_tippecanoe_run_is_one_clear_error_and_leaves_no_tileset(essex_data, tmp_path):
    """The tiles are built in the background; a failure still stops the publish with
    tippecanoe's own message, and no part of the failed tileset is left behind."""
    frame = _small_frame(essex_data)
    good = Tileset(frame, list(frame.index), tmp_path / "good.pmtiles", (6, 8))
    bad = Tileset(frame, list(frame.index), tmp_path / "bad.pmtiles", (9, 3))  # min > max
    with pytest.raises(ConfigError, match="tile building failed") as err:
        write_tilesets([good, bad])
    assert "bad.pmtiles" in str(err.value.problems)
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no tileset or part is left"


def test_an_error_beside_the_background_build_stops_tippecanoe(essex_data, tmp_path):
    """Leaving the block by an exception (a refused gate, a bad file) kills the tippecanoe
    processes still running and re-raises the error unchanged."""
    frame = _small_frame(essex_data)
    jobs = [Tileset(frame, list(frame.index), tmp_path / f"{n}.pmtiles", (4, 12)) for n in range(3)]
    with pytest.raises(RuntimeError, match="the Python side failed"), building(jobs) as build:
        deadline = time.monotonic() + 30
        while not build.started and time.monotonic() < deadline:
            time.sleep(0.01)
        raise RuntimeError("the Python side failed")
    assert build.started, "tippecanoe was started"
    assert all(proc.poll() is not None for proc in build.started), "none is left running"
    assert build.started[0].returncode == -signal.SIGKILL, "the running one was stopped"
    assert len(build.started) < 6, "none was started after the error"


def test_published_tiles_do_not_carry_the_build_machines_paths(essex_data, tmp_path):
    """tippecanoe records its output path and command line in the metadata; the published
    tilesets are named for what they hold instead, whatever their zoom range."""
    from pmtiles.reader import MmapSource, Reader

    frame = _small_frame(essex_data)
    jobs = [
        Tileset(frame, list(frame.index), tmp_path / "lsoa.pmtiles", (6, 8)),
        Tileset(frame, list(frame.index), tmp_path / "ward.pmtiles", (7, 7)),
    ]
    write_tilesets(jobs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lsoa.pmtiles", "ward.pmtiles"]
    for job in jobs:
        with job.out.open("rb") as fh:
            reader = Reader(MmapSource(fh))
            text = repr(reader.metadata())
            assert (reader.header()["min_zoom"], reader.header()["max_zoom"]) == job.zooms
        assert str(tmp_path) not in text and "tippecanoe -o" not in text, text[:300]
        assert f"{job.out.stem} boundaries" in text
