"""`lantern sources`: the registry with coverage and known gaps, `--check`, `--write-manifest`."""

from __future__ import annotations

import json
import shutil

from lantern.cli import main
from lantern.sources import SOURCES

from .helpers import mirror_data, write_config


def test_registry_lists_coverage_and_every_declared_gap(tmp_path, capsys):
    assert main(["sources", "-c", str(tmp_path / "absent.toml")]) == 0
    out = capsys.readouterr().out
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for source in SOURCES:
        assert source.source_id in out
        for gap in source.gaps:
            assert any(
                line.startswith(f"{source.source_id}:") and line.endswith(gap.reason)
                for line in lines
            ), (source.source_id, gap.reason)


def test_measured_gaps_of_the_project_are_shown(tmp_path, capsys, good_warehouse):
    config = write_config(tmp_path, tmp_path)
    (tmp_path / "out").mkdir()
    shutil.copy(good_warehouse, tmp_path / "out" / "lantern.duckdb")
    assert main(["sources", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    # the bundled sample is the Essex area: every source covers every one of its areas
    assert "cover every area of the project" in out


def test_write_manifest_then_check_catches_a_changed_value(tmp_path, capsys, bundled_essex):
    data = tmp_path / "data"
    shutil.copytree(bundled_essex, data, ignore=shutil.ignore_patterns("manifest.json"))
    config = write_config(tmp_path, data)
    assert main(["sources", "--write-manifest", "-c", str(config)]) == 0
    manifest = json.loads((data / "manifest.json").read_text())
    entry = manifest["census2021/ts054_tenure_lsoa21_ew.csv"]
    assert entry["rows"] == 1111 and len(entry["sha256"]) == 64
    capsys.readouterr()
    assert main(["sources", "--check", "-c", str(config)]) == 0
    assert "passed every check" in capsys.readouterr().out
    path = data / "census2021/ts054_tenure_lsoa21_ew.csv"
    lines = path.read_text().split("\n")
    fields = lines[5].split(",")
    fields[-1] = str(int(fields[-1]) + 1)  # a plausible value, changed: only the checksum knows
    lines[5] = ",".join(fields)
    path.write_text("\n".join(lines))
    assert main(["sources", "--check", "-c", str(config)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "ts054_tenure_lsoa21_ew.csv" in err and "SHA-256" in err and "manifest.json" in err


def test_the_bundled_manifest_is_never_overwritten(tmp_path, capsys):
    config = tmp_path / "lantern.toml"
    config.write_text('name = "t"\ndata_dir = "bundled"\n', encoding="utf-8")
    assert main(["sources", "--write-manifest", "-c", str(config)]) == 3
    assert "lantern bundle" in capsys.readouterr().err


def test_mirrored_sample_checks_clean(tmp_path, capsys, bundled_essex):
    data = mirror_data(bundled_essex, tmp_path / "data")
    config = write_config(tmp_path, data)
    assert main(["sources", "--check", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "not in a manifest" not in out
