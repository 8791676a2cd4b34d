"""``lantern geography …`` and ``lantern bundle`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lantern.cli import main


def test_codes_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["geography", "codes", "E01021988", "E10000012"]) == 0
    assert "county" in capsys.readouterr().out
    assert main(["geography", "codes", "E0100001"]) == 2
    assert "not valid ONS GSS codes" in capsys.readouterr().err


def test_crosswalk_command_moves_counts_and_refuses_deciles(
    bundled_essex: Path, tmp_path: Path
) -> None:
    pop = pd.read_csv(bundled_essex / "population/mid2020_lsoa11_5yr_bands_ew.csv")
    values = pop[["lsoa11_code", "age_65plus"]].set_axis(["area_code", "value"], axis=1)
    source = tmp_path / "in.csv"
    values.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    args = ["geography", "crosswalk", "--in", str(source), "--kind", "count", "--to", "2021"]
    assert main([*args, "--out", str(out), "--data", str(bundled_essex)]) == 0
    moved = pd.read_csv(out)
    assert len(moved) == 1111
    assert moved["value"].sum() == pytest.approx(values["value"].sum())
    assert set(moved["vintage"]) == {2021}
    bad = ["geography", "crosswalk", "--in", str(source), "--kind", "decile", "--out", str(out)]
    assert main([*bad, "--data", str(bundled_essex)]) == 2


def test_crosswalk_command_names_bad_rows(bundled_essex: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("area_code,value\nE01021988,3\nE01021989,three\n")
    args = ["geography", "crosswalk", "--in", str(source), "--kind", "count"]
    assert main([*args, "--out", str(tmp_path / "o.csv"), "--data", str(bundled_essex)]) == 2


def test_postcodes_command(bundled_essex: Path, tmp_path: Path) -> None:
    out = tmp_path / "nspl.csv"
    assert main(["geography", "postcodes", "--data", str(bundled_essex), "--out", str(out),
                 "--codepoint", str(_codepoint_sample(bundled_essex, tmp_path))]) == 0  # fmt: skip
    table = pd.read_csv(out, dtype=str)
    assert len(table) == 200 and table["lsoa21"].notna().all()


def _codepoint_sample(bundled_essex: Path, tmp_path: Path) -> Path:
    """A Code-Point Open file rebuilt from 200 bundled postcodes' grid references."""
    nspl = pd.read_csv(bundled_essex / "postcodes/nspl_derived_essex.csv", dtype=str).head(200)
    sample = pd.DataFrame(
        {
            "postcode": nspl["pcd"].str.replace(" ", ""),
            "positional_quality_indicator": nspl["pcd_quality"],
            "eastings": nspl["oseast1m"],
            "northings": nspl["osnrth1m"],
            "admin_county_code": nspl["oscty"],
            "admin_district_code": nspl["oslaua"],
        }
    )
    path = tmp_path / "codepoint.csv"
    sample.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_bundle_command_reproduces_the_committed_bundle(
    shared_data: Path, bundled_essex: Path, tmp_path: Path
) -> None:
    out = tmp_path / "essex"
    args = ["bundle", "--from", str(shared_data), "--area", "E10000012", "--area", "E06000033"]
    assert main([*args, "--area", "E06000034", "--out", str(out)]) == 0
    built = json.loads((out / "manifest.json").read_text())
    assert built == json.loads((bundled_essex / "manifest.json").read_text())
    assert (out / "ATTRIBUTION.md").read_bytes() == (bundled_essex / "ATTRIBUTION.md").read_bytes()
