"""Custom area sets (``lantern.areasets``, ``lantern areas summary``): a district's own LSOAs give
the build's district summaries; polygons select by centroid; bad files name row and column."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import shapely

from lantern import areasets
from lantern.cli import main
from lantern.errors import InputError

MEASURES = ["average_score", "average_rank", "proportion", "extent", "local_concentration"]


def _district_csv(wh, tmp_path: Path, district: str) -> Path:
    codes = wh.area_codes("lsoa", 2021, [district])
    path = tmp_path / "set.csv"
    pd.DataFrame({"lsoa21_code": codes}).to_csv(path, index=False)
    return path


def test_a_district_as_a_set_reproduces_the_build_summaries(essex_wh, tmp_path):
    area_set = areasets.from_file(
        essex_wh, csv=_district_csv(essex_wh, tmp_path, "E07000076"), name="Mine"
    )
    got = areasets.summaries(essex_wh, area_set)
    stored = essex_wh.index_summaries()
    stored = stored[(stored["area_type"] == "district") & (stored["area_code"] == "E07000076")]
    for component, part in got[got["area_name"] == "Mine"].groupby("component"):
        want = stored[stored["component"] == component].set_index("measure")["value"]
        for m in MEASURES:
            assert part[m].iloc[0] == pytest.approx(want[m], rel=1e-9), (component, m)
    # by hand: the population-weighted mean of the LSOAs' index scores
    scores = essex_wh.index_scores(component="index", codes=list(area_set.codes))
    pop = essex_wh.population(2021).reindex(scores["area_code"]).to_numpy()
    by_hand = (scores["score"].to_numpy() * pop).sum() / pop.sum()
    mine = got[(got["area_name"] == "Mine") & (got["component"] == "index")]
    assert mine["average_score"].iloc[0] == pytest.approx(by_hand)


def test_polygon_takes_the_lsoas_whose_centroid_is_inside(essex_wh, tmp_path):
    codes = essex_wh.area_codes("lsoa", 2021, ["E07000069"])
    _vintage, lsoas = areasets.build_lsoas(essex_wh)
    shape = shapely.union_all(lsoas.reindex(codes).to_numpy()).buffer(-0.0003)
    path = tmp_path / "catchment.geojson"
    path.write_text(
        json.dumps(
            {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(shape))}
        )
    )
    area_set = areasets.from_file(essex_wh, geojson=path)
    assert set(area_set.codes) == set(codes)


@pytest.mark.parametrize(
    ("content", "message", "where"),
    [
        ("lsoa21_code\nE01021988\nE01099999\n", "not an LSOA of this build", "row 3"),
        ("lsoa21_code\nE01021988\nE0102198\n", "expected an ONS GSS code", "row 3"),
        ("code\nE02004590\n", "LSOA", "row 2"),
        ("lsoa21_code\n", "no data rows", "row 2"),
    ],
)
def test_bad_csv_names_row_and_column(essex_wh, tmp_path, content, message, where):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        areasets.from_file(essex_wh, csv=path)
    assert where in str(err.value) and "bad.csv" in str(err.value)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [0.5, 51.8]}, "expected a Polygon"),
        ({"type": "Polygon", "coordinates": [[[550000, 200000], [560000, 200000], [560000, 210000], [550000, 200000]]]}, "longitude/latitude"),
        ({"type": "Polygon", "coordinates": [[[-3, 55], [-2.9, 55], [-2.9, 55.1], [-3, 55]]]}, "no LSOA"),
    ],
)  # fmt: skip
def test_bad_polygons(essex_wh, tmp_path, geometry, message):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "Feature", "geometry": geometry}))
    with pytest.raises(InputError, match=message):
        areasets.from_file(essex_wh, geojson=path)
    with pytest.raises(InputError, match="exactly one"):
        areasets.from_file(essex_wh)


def test_cli_writes_summaries_and_outline(essex_project, essex_wh, tmp_path):
    csv = _district_csv(essex_wh, tmp_path, "E07000069")
    out, outline = tmp_path / "s.csv", tmp_path / "o.geojson"
    here = Path.cwd()
    os.chdir(essex_project)
    try:
        code = main(
            [
                "areas",
                "summary",
                "--csv",
                str(csv),
                "--name",
                "Hub",
                "--out",
                str(out),
                "--outline",
                str(outline),
            ]
        )
    finally:
        os.chdir(here)
    assert code == 0
    table = pd.read_csv(out)
    assert "Hub" in set(table["area_name"]) and table["component"].nunique() >= 2
    feature = json.loads(outline.read_text())["features"][0]
    assert feature["properties"]["name"] == "Hub" and len(feature["properties"]["lsoas"]) == len(
        pd.read_csv(csv)
    )
    assert shapely.geometry.shape(feature["geometry"]).area > 0


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs chromium")
def test_a_custom_set_gets_its_own_profile(essex_project, essex_wh, tmp_path):
    from pypdf import PdfReader

    codes = essex_wh.area_codes("lsoa", 2021, ["E07000076"])[:12]
    csv = tmp_path / "hub.csv"
    pd.DataFrame({"lsoa21_code": codes}).to_csv(csv, index=False)
    out, html = tmp_path / "hub.pdf", tmp_path / "hub.html"
    here = Path.cwd()
    os.chdir(essex_project)
    try:
        assert (
            main(
                [
                    "profile",
                    "--csv",
                    str(csv),
                    "--name",
                    "My hub",
                    "--out",
                    str(out),
                    "--html",
                    str(html),
                ]
            )
            == 0
        )
        assert (
            main(["profile", "E01021988", "--csv", str(csv), "--out", str(tmp_path / "x.pdf")]) == 2
        )
    finally:
        os.chdir(here)
    pages = PdfReader(str(out)).pages
    assert len(pages) == 1
    text = " ".join(pages[0].extract_text().split())
    assert "My hub" in text and "Area set of 12 LSOAs" in text and "95% CI" in text
    # the set's count is the sum of its neighbourhoods' counts (independent oracle)
    rows = essex_wh.indicator_values(["census2021.overcrowded_pct"], codes=codes)
    assert f"{rows['numerator'].sum():,.0f}" in html.read_text(encoding="utf-8")
