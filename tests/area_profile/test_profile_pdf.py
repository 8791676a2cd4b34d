"""``lantern profile``: the PDF has the pages it should, and what they say can be checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from lantern.cli import main
from lantern.profile.text import number
from lantern.stats import wilson_limits

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs chromium")


def _run(project: Path, *args: str) -> int:
    here = Path.cwd()
    os.chdir(project)
    try:
        return main(["profile", *args])
    finally:
        os.chdir(here)


def _pages(pdf: Path) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(str(pdf)).pages]


def test_lsoa_profile_is_one_page_with_its_facts(essex_project, essex_wh, tmp_path, artifacts_dir):
    out, html = tmp_path / "lsoa.pdf", tmp_path / "lsoa.html"
    assert _run(essex_project, "E01021988", "--out", str(out), "--html", str(html)) == 0
    pages = _pages(out)
    assert len(pages) == 1
    text = pages[0]
    for fact in ("Tendring 018A", "E01021988", "West Clacton", "Tendring (E07000076)", "95% CI"):
        assert fact in text, fact
    assert "ranks" in text and "of 1,111 neighbourhoods" in text
    # the interval printed for overcrowding is the Wilson interval of the area's own counts
    rows = essex_wh.indicator_values(["census2021.overcrowded_pct"], codes=["E01021988"])
    num, den = float(rows["numerator"].iloc[0]), float(rows["denominator"].iloc[0])
    lo, hi = (100 * float(v) for v in wilson_limits(num, den))
    assert f"{number(lo)}–{number(hi)}" in html.read_text(encoding="utf-8")
    assert f"{number(100 * num / den, '%')}" in text
    # each QOF prevalence over the years (2018/19 to 2021/22), as the map's panel shows it
    assert "Diabetes mellitus (17+): recorded prevalence" in text
    assert "2018/19" in text and "2021/22" in text
    # QOF apportionment flags beside the values, as lantern.profile.quality computes them
    from lantern.paths import BUNDLED_ESSEX
    from lantern.profile.quality import qof_flags

    flags = qof_flags(essex_wh, BUNDLED_ESSEX, 2021)
    mine = flags[flags["area_code"] == "E01021988"]
    assert len(mine) > 0
    page_html = html.read_text(encoding="utf-8")
    assert page_html.count('class="flag"') == len(
        set(mine["indicator_id"]) & set(essex_wh.index_weights()["indicator_id"])
    )
    assert "QOF estimates are shared out from GP practices" in text
    (artifacts_dir / "profile-lsoa.pdf").write_bytes(out.read_bytes())


def test_district_file_has_one_page_per_ward(essex_project, essex_wh, tmp_path):
    out = tmp_path / "basildon.pdf"
    assert _run(essex_project, "E07000066", "--out", str(out)) == 0
    wards = essex_wh.area_codes("ward", 2021, ["E07000066"])
    names = essex_wh.area_names()
    pages = _pages(out)
    assert len(pages) == len(wards) == 14
    summaries = essex_wh.index_summaries()
    summaries = summaries[(summaries["component"] == "index") & (summaries["area_type"] == "ward")]
    bound = summaries.pivot_table(index="area_code", columns="measure", values="value")
    for page, code in zip(pages, wards, strict=True):
        assert code in page and str(names[code]) in page
        assert "of 257 wards" in page and "Basildon" in page
        assert "COVID-19 cases per 100,000" in page
        # the ward's own 90% rank interval over the draws (its average score), not "–"
        lo, hi = int(bound.loc[code, "rank_p05"]), int(bound.loc[code, "rank_p95"])
        assert f"90% rank interval {lo}–{hi}" in page, page[:400]


def test_msoa_profile_shows_weekly_cases(essex_project, tmp_path):
    out = tmp_path / "msoa.pdf"
    assert _run(essex_project, "E02004590", "--out", str(out)) == 0
    (text,) = _pages(out)
    assert "MSOA E02004590" in text and "week 41 of 2020" in text


@pytest.mark.parametrize(
    ("code", "message"),
    [("E99999999", "expected an ONS GSS code"), ("E01000001", "not an area of this build"),
     ("E12000006", "not an LSOA, MSOA, ward or district")],
)  # fmt: skip
def test_bad_area_is_one_line_and_writes_nothing(essex_project, tmp_path, capsys, code, message):
    out = tmp_path / "x.pdf"
    assert _run(essex_project, code, "--out", str(out)) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")
    assert not out.exists() and not list(tmp_path.iterdir())
