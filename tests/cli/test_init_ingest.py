"""`lantern init`, `ingest` and `sources` from the command line."""

from __future__ import annotations

import tomllib

from lantern.cli import main
from lantern.config import ESSEX_AREA_CODES, load_config


def test_init_writes_an_essex_project_by_default(tmp_path, capsys):
    out = tmp_path / "lantern.toml"
    assert main(["init", "--out", str(out)]) == 0
    settings = tomllib.loads(out.read_text())
    assert settings["area_codes"] == ESSEX_AREA_CODES and settings["data_dir"] == "bundled"
    assert "1,077 LSOA 2011s" in " ".join(capsys.readouterr().out.split())
    assert load_config(out, environ={}).area_codes == ESSEX_AREA_CODES
    assert main(["init", "--out", str(out)]) == 3  # refuses to overwrite without --force


def test_init_for_another_county_on_england_wide_data(tmp_path, shared_data, capsys):
    out = tmp_path / "herts.toml"
    assert main(["init", "--area", "E10000015", "--data", str(shared_data), "--out", str(out)]) == 0
    assert "LSOA 2011s" in capsys.readouterr().out


def test_init_rejects_a_malformed_or_unknown_code(tmp_path, capsys):
    assert main(["init", "--area", "E0100001", "--out", str(tmp_path / "a.toml")]) == 3
    assert "E0100001" in capsys.readouterr().err
    # well formed but not in the bundled Essex lookups
    assert main(["init", "--area", "E10000015", "--out", str(tmp_path / "b.toml")]) == 3
    assert not (tmp_path / "b.toml").exists()


def test_ingest_and_list(tmp_path, capsys, good_warehouse):
    out = tmp_path / "lantern.toml"
    assert main(["init", "--out", str(out)]) == 0
    assert main(["ingest", "--config", str(out), "--quiet"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "1,077" in text and "1,111" in text and "indicators" in text
    assert main(["sources"]) == 0
    listing = capsys.readouterr().out
    assert "CC BY 4.0" in listing and "brc2020" in listing
    assert main(["sources", "--indicators", "--config", str(out)]) == 0
    assert "qof.dm_prevalence" in capsys.readouterr().out
