"""Parent areas dissolved from LSOAs for the tiles and outlines (tested against an independent
union on the real Essex boundaries)."""

from __future__ import annotations

import shapely

from lantern.publish.tiles import dissolve


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
