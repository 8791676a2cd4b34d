"""Settings: defaults, file, environment precedence, whole-file validation, documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lantern.config import ESSEX_AREA_CODES, SETTINGS, load_config
from lantern.errors import ConfigError
from lantern.paths import BUNDLED_ESSEX, repo_root

ROOT = repo_root() or Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lantern.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_from_a_minimal_file(tmp_path):
    config = load_config(write(tmp_path, 'name = "x"\n'), environ={})
    assert config.area_codes == ESSEX_AREA_CODES
    assert config.data_dir == BUNDLED_ESSEX
    assert config.warehouse == tmp_path / "out" / "lantern.duckdb"
    assert config.output_dir == tmp_path / "out"
    assert config.vintage == 2021
    assert config.index.preset == "essex-covid" and config.index.draws == 1000
    assert config.publish.site_dir == tmp_path / "out" / "site"
    assert (config.disclosure.threshold, config.disclosure.rounding_base) == (7, 5)
    assert config.raw == {"name": "x"}


def test_environment_overrides_the_file(tmp_path):
    path = write(
        tmp_path, 'vintage = 2021\narea_codes = ["E10000012"]\n[disclosure]\nthreshold = 7\n'
    )
    env = {
        "LANTERN_VINTAGE": "2011",
        "LANTERN_AREA_CODES": "E07000066, E07000067",
        "LANTERN_DISCLOSURE_THRESHOLD": "10",
        "LANTERN_INDEX_PRESET": "",
    }
    config = load_config(path, environ=env)
    assert config.vintage == 2011
    assert config.area_codes == ["E07000066", "E07000067"]
    assert config.disclosure.threshold == 10
    assert config.index.preset is None


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        'vintage = 2019\narea_codes = ["E0100001"]\ncolour = "red"\n'
        '[index]\ndraws = "many"\n[disclosure]\nthreshold = 0\n',
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    text = str(info.value)
    assert len(info.value.problems) == 5
    for fragment in ("vintage", "E0100001", "colour", "index.draws", "disclosure.threshold"):
        assert fragment in text
    assert info.value.exit_code == 3


def test_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="lantern init"):
        load_config(tmp_path / "absent.toml", environ={})


def test_other_sections_are_kept_raw(tmp_path):
    config = load_config(write(tmp_path, "[portal]\nport = 9000\n"), environ={})
    assert config.raw["portal"] == {"port": 9000}


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = (ROOT / "lantern.toml.example").read_text(encoding="utf-8")
    for section, key in SETTINGS:
        assert re.search(rf"\|\s*`{key}`\s*\|", doc), (
            f"{section}.{key} missing from docs/configuration.md"
        )
        if section:
            assert f"### `[{section}]`" in doc
        assert re.search(rf"^#?\s*{key}\s*=", example, re.M), (
            f"{key} missing from lantern.toml.example"
        )


def test_the_committed_example_is_valid():
    config = load_config(ROOT / "lantern.toml.example", environ={})
    assert config.area_codes == ESSEX_AREA_CODES
