"""District, ward and LSOA pages show every indicator with value, decile, unit, and the county
and England values; values of areas are checked against an independent computation from the
source file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from lantern.portal import loaders

ENGLAND = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "anchors"
    / "imd2025_england_lsoa21.csv"
)


def _scores(path: Path) -> dict[str, float]:
    with path.open(newline="") as fh:
        return {r["lsoa21_code"]: float(r["IMD_score"]) for r in csv.DictReader(fh)}


def _row(html: str, indicator_id: str) -> list[str]:
    row = re.search(
        r"<tr data-indicator=\"" + re.escape(indicator_id) + r"\"><th scope=\"row\">.*?</tr>",
        html,
        re.S,
    )
    assert row, indicator_id
    return [
        re.sub("<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)
    ]


def test_district_and_ward_pages_show_indicators_with_deciles_and_county(portal, clients):
    from lantern.paths import BUNDLED_ESSEX
    from lantern.portal.synthetic import IOD2025, lsoas_in

    w = portal.world
    scores = _scores(BUNDLED_ESSEX / IOD2025)
    with portal.session() as s:
        in_district = lsoas_in(s, w.district)
        in_ward = lsoas_in(s, w.hub_ward)
        held = set(scores) & {
            r
            for (r,) in s.execute(
                __import__("sqlalchemy").text("select area_code from areas where area_type='lsoa'")
            )
        }
    officer = clients["officer"]
    page = officer.get(f"/areas/{w.district}").text
    assert "No indicators held" not in page and "Deprivation domains" in page
    cells = _row(page, "iod2025.imd_score")
    mean = sum(scores[c] for c in in_district) / len(in_district)
    county = sum(scores[c] for c in held) / len(held)
    assert float(cells[2]) == pytest.approx(mean, abs=5e-4)
    assert f"mean of {len(in_district)} LSOAs" in cells[0]
    # real titles and units from indicator_meta, never the raw id
    assert cells[0].startswith("Index of Multiple Deprivation: score") and cells[3] == "score"
    income = _row(page, "iod2025.income_score")
    assert income[0].startswith("Income deprivation: score")
    assert income[3] == "proportion of people"
    assert ">iod2025." not in page
    assert 1 <= int(cells[4]) <= 10 and float(cells[5]) == pytest.approx(county, abs=5e-4)
    # a district page lists its wards, not its 100+ LSOA codes
    assert "Wards in" in page and page.count('href="/areas/E01') == 0
    ward = clients["hub"].get(f"/areas/{w.hub_ward}").text
    cells = _row(ward, "iod2025.imd_score")
    assert float(cells[2]) == pytest.approx(
        sum(scores[c] for c in in_ward) / len(in_ward), abs=5e-4
    )
    lsoa = clients["hub"].get(f"/areas/{w.in_lsoas[0]}").text
    cells = _row(lsoa, "iod2025.imd_score")
    assert float(cells[2]) == pytest.approx(scores[w.in_lsoas[0]], abs=5e-4)


def test_england_values_from_an_england_file(portal, clients, tmp_path):
    if not ENGLAND.exists():
        pytest.skip("shared/data/anchors/imd2025_england_lsoa21.csv not present")
    scores = _scores(ENGLAND)
    with portal.session() as s:
        loaders.load_indicator_csv(
            s,
            ENGLAND,
            code_column="lsoa21_code",
            columns={"IMD_score": "iod2025.imd_score"},
            period="2025",
            source="MHCLG IoD2025",
            england=True,
        )
    page = clients["officer"].get(f"/areas/{portal.world.district}").text
    cells = _row(page, "iod2025.imd_score")
    assert float(cells[6]) == pytest.approx(sum(scores.values()) / len(scores), abs=5e-4)
