"""The bundled Essex sample: exactly the Essex rows of each national file, checksums, size."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lantern.pipeline.bundle import ENGLAND_FILE, load_catalogue, verify_bundle

ESSEX = ["E10000012", "E06000033", "E06000034"]


@pytest.fixture(scope="module")
def essex_codes(shared_data: Path) -> dict[str, set[str]]:
    """Essex-area codes at each level, read straight from the national lookups."""
    lookup11 = pd.read_csv(
        shared_data / "lookups/lsoa11_msoa11_lad21_utla21_region21_ew.csv", dtype=str
    )
    in11 = lookup11[lookup11["utla21_code"].isin(ESSEX)]
    lookup21 = pd.read_csv(shared_data / "lookups/lsoa21_msoa21_ward24_lad24_ew.csv", dtype=str)
    in21 = lookup21[lookup21["ltla24_code"].isin(set(in11["ltla21_code"]))]
    reg = pd.read_csv(
        shared_data / "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv", dtype=str
    )
    return {
        "lsoa11": set(in11["lsoa11_code"]),
        "msoa11": set(in11["msoa11_code"]),
        "lsoa21": set(in21["lsoa21_code"]),
        "msoa21": set(in21["msoa21_code"]),
        "districts": set(in11["ltla21_code"]),
        "districts19": set(in11["ltla19_code"]),
        "counties": set(ESSEX),
        "county_names": {"Essex", "Southend-on-Sea", "Thurrock"},
        "practices": set(reg["practice_code"]),
    }


def test_essex_code_counts(essex_codes: dict[str, set[str]]) -> None:
    assert len(essex_codes["lsoa11"]) == 1077
    assert len(essex_codes["msoa11"]) == 211
    assert len(essex_codes["lsoa21"]) == 1111
    assert len(essex_codes["districts"]) == 14


CATALOGUE, POSTCODE_FILE, _ = load_catalogue()


@pytest.mark.parametrize(
    "spec", [s for s in CATALOGUE if s.path.endswith(".csv")], ids=lambda s: s.path
)
def test_bundled_csv_is_exactly_the_essex_rows(
    spec, shared_data: Path, bundled_essex: Path, essex_codes: dict[str, set[str]]
) -> None:
    national = pd.read_csv(shared_data / spec.path, dtype=str, keep_default_na=False)
    bundled = pd.read_csv(bundled_essex / spec.path, dtype=str, keep_default_na=False)
    assert list(bundled.columns) == list(national.columns)
    if spec.key is None:
        expected = national
    else:
        keep = national[spec.key].isin(essex_codes[spec.level])
        if spec.also_key:
            keep |= national[spec.also_key].isin(essex_codes[spec.also_level])
        expected = national[keep]
    assert len(bundled) > 0
    pd.testing.assert_frame_equal(bundled.reset_index(drop=True), expected.reset_index(drop=True))
    # rows are copied byte for byte, line endings included
    national_lines = set((shared_data / spec.path).read_bytes().splitlines(keepends=True))
    assert set((bundled_essex / spec.path).read_bytes().splitlines(keepends=True)) <= national_lines


@pytest.mark.parametrize(
    "spec", [s for s in CATALOGUE if s.path.endswith(".geojson")], ids=lambda s: s.path
)
def test_bundled_geojson_is_exactly_the_essex_features(
    spec, shared_data: Path, bundled_essex: Path, essex_codes: dict[str, set[str]]
) -> None:
    national = json.loads((shared_data / spec.path).read_text(encoding="utf-8"))
    bundled = json.loads((bundled_essex / spec.path).read_text(encoding="utf-8"))
    expected = [
        f for f in national["features"] if f["properties"][spec.key] in essex_codes[spec.level]
    ]
    assert bundled["features"] == expected
    assert bundled.get("crs") == national.get("crs")


def test_expected_row_counts(bundled_essex: Path) -> None:
    manifest = json.loads((bundled_essex / "manifest.json").read_text())
    rows = {name: entry["rows"] for name, entry in manifest.items()}
    assert rows["boundaries/lsoa11_essex_bsc.geojson"] == 1077
    assert rows["boundaries/lsoa21_essex_bsc.geojson"] == 1111
    assert rows["imd2019/imd2019_lsoa11_all_scores_england.csv"] == 1077
    assert rows["imd2019/iod2025_lsoa21_scores_ranks_deciles_england.csv"] == 1111
    assert rows["boundaries/utla21_uk_bsc.geojson"] == 3
    assert rows["imd2019/imd2019_lad19_summary_england.csv"] == 14


def test_manifest_checksums_match(bundled_essex: Path) -> None:
    assert list(verify_bundle(bundled_essex)) == []
    manifest = json.loads((bundled_essex / "manifest.json").read_text())
    assert set(manifest) == {s.path for s in CATALOGUE} | {POSTCODE_FILE.path, ENGLAND_FILE.path}


def test_tampered_file_is_reported(bundled_essex: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b"
    (copy / "loneliness").mkdir(parents=True)
    (copy / "manifest.json").write_bytes((bundled_essex / "manifest.json").read_bytes())
    name = "loneliness/cls_loneliness_modelled_lsoa21_essex.csv"
    (copy / name).write_bytes((bundled_essex / name).read_bytes().replace(b"25.5", b"35.5", 1))
    problems = list(verify_bundle(copy))
    assert f"{name}: checksum does not match the manifest" in problems
    assert any(p.endswith(": missing") for p in problems)


def test_bundle_is_small_and_attributed(bundled_essex: Path) -> None:
    total = sum(p.stat().st_size for p in bundled_essex.rglob("*") if p.is_file())
    assert total < 15_000_000
    text = (bundled_essex / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for phrase in (
        "Open Government Licence v3.0",
        "CC BY 4.0",
        "Open Parliament Licence",
        "Code-Point Open",
        "Royal Mail",
    ):
        assert phrase in text
    assert text.count("\n## `") == len(CATALOGUE) + 2  # + postcodes and England benchmarks
