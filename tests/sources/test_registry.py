"""The registry and its documentation: every source loads, every indicator is described."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.paths import repo_root
from lantern.sources import CHECKSUMS, SOURCES, TIDY_COLUMNS, LoadContext, load_source
from lantern.sources.model import KINDS, POLARITIES

ROOT = repo_root() or Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loaded(bundled_essex):
    return {s.source_id: load_source(s, LoadContext(bundled_essex)) for s in SOURCES}


def test_every_source_yields_tidy_rows_with_metadata(loaded):
    ids = []
    for source in SOURCES:
        result = loaded[source.source_id]
        assert list(result.rows.columns) == TIDY_COLUMNS
        assert len(result.rows) > 0
        produced = set(result.rows["indicator_id"])
        described = {m.indicator_id for m in result.meta}
        assert produced == described, source.source_id
        for meta in result.meta:
            assert meta.kind in KINDS and meta.polarity in POLARITIES
            assert meta.licence and meta.publisher and meta.url.startswith("https://")
            assert (
                meta.indicator_id.split(".")[0] and meta.indicator_id == meta.indicator_id.lower()
            )
        ids += list(
            result.rows[["indicator_id", "period"]].drop_duplicates().itertuples(index=False)
        )
    assert len(ids) == len(set(ids)), "an indicator id and period is produced by two sources"


def test_rates_carry_numerator_and_denominator_where_published(loaded):
    rows = loaded["census2021_ts021"].rows
    rate = rows[rows["indicator_id"] == "census2021.ethnic_minority_pct"]
    assert rate["numerator"].notna().all() and rate["denominator"].notna().all()
    assert (rate["value"] - 100 * rate["numerator"] / rate["denominator"]).abs().max() < 1e-9


def test_every_indicator_is_documented(loaded):
    doc = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    missing = [
        m.indicator_id for r in loaded.values() for m in r.meta if f"`{m.indicator_id}`" not in doc
    ]
    assert missing == []
    for source in SOURCES:
        assert f"`{source.source_id}`" in doc and source.path in doc


def test_every_registry_file_has_a_pinned_checksum():
    for source in SOURCES:
        for path in (source.path, *source.extra_paths):
            assert len(CHECKSUMS[path]) == 64, path


def test_england_wide_files_match_their_pinned_checksums(shared_data):
    import hashlib

    for path, expected in CHECKSUMS.items():
        assert hashlib.sha256((shared_data / path).read_bytes()).hexdigest() == expected, path
