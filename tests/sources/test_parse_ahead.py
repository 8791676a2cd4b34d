"""Files parsed ahead (while the lookups are read) are checked exactly like files read in turn.

``ingest`` reads and parses the first sources' files before the lookups are known and checks
them when their source loads. For every CSV a source reads and every class of damage in
``bad_inputs.CLASSES``, the result — the checked table, or the error naming file, row, column
and rule — must be the same as reading the file in turn; a file parsed ahead is used once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from lantern.config import ESSEX_AREA_CODES
from lantern.errors import InputError
from lantern.paths import BUNDLED_ESSEX
from lantern.pipeline.ingest import geography
from lantern.sources import SOURCES, load_source
from lantern.sources.checked import parse_ahead, read_table
from lantern.sources.manifest import Manifest
from lantern.sources.table import TableSpec

from .bad_inputs import CLASSES, NotApplicable
from .test_bad_inputs import mirror

SOURCE_CSVS: dict[str, TableSpec] = {}
for _source in SOURCES:
    for _spec in _source.tables():
        if _spec.format == "csv" and not _spec.reuse and (BUNDLED_ESSEX / _spec.path).exists():
            SOURCE_CSVS.setdefault(_spec.path, _spec)


@pytest.fixture(scope="module")
def essex():
    return geography(BUNDLED_ESSEX, list(ESSEX_AREA_CODES))[2]


def fresh(ctx, data: Path):  # noqa: ANN001, ANN201
    return replace(ctx, data_dir=data, tables={}, manifest=Manifest.for_data_dir(data))


def outcome(spec: TableSpec, ctx, *, ahead: bool):  # noqa: ANN001, ANN201
    """The checked table's frame, values and file record, or the error's text."""
    if ahead:
        parse_ahead(spec, ctx)
    try:
        table = read_table(spec, ctx)
    except InputError as exc:
        return str(exc)
    finally:
        assert not leftover(ctx), "parsed ahead, never used"
    return table.frame, table.values, table.file, table.gaps


def leftover(ctx) -> list:  # noqa: ANN001
    """Files parsed ahead and not (yet) checked."""
    return [k for k in ctx.tables if isinstance(k, tuple) and k[:1] == ("parsed",)]


def same(a, b) -> None:  # noqa: ANN001
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2:] == b[2:]


def test_every_source_csv_is_covered():
    assert len(SOURCE_CSVS) >= 20


def test_every_source_loads_the_same_with_its_files_parsed_ahead(essex):
    """Parse every source's files ahead, then load every source: the same loaded values and
    files read, and nothing parsed ahead is left over (every key matches the file's read)."""
    ahead, plain = fresh(essex, BUNDLED_ESSEX), fresh(essex, BUNDLED_ESSEX)
    kept = [parse_ahead(spec, ahead) for source in SOURCES for spec in source.tables()]
    assert sum(kept) >= len(SOURCE_CSVS)
    for source in SOURCES:
        a, b = load_source(source, ahead), load_source(source, plain)
        assert a.files == b.files and a.gaps == b.gaps, source.source_id
        if a.wide is not None:
            assert b.wide is not None
            pd.testing.assert_frame_equal(
                pd.DataFrame(a.wide.values, index=a.wide.codes),
                pd.DataFrame(b.wide.values, index=b.wide.codes),
            )
        else:
            pd.testing.assert_frame_equal(a.rows, b.rows)
    assert not leftover(ahead)


@pytest.mark.parametrize("damage", CLASSES, ids=[d.__name__ for d in CLASSES])
def test_a_damaged_file_parsed_ahead_fails_exactly_as_in_turn(tmp_path, essex, damage):
    data = mirror(BUNDLED_ESSEX, tmp_path / "data")
    applied = 0
    for relative, spec in SOURCE_CSVS.items():
        path = data / relative
        original = path.resolve()
        try:
            damage(path, spec)
        except NotApplicable:
            continue
        applied += 1
        try:
            in_turn = outcome(spec, fresh(essex, data), ahead=False)
            same(outcome(spec, fresh(essex, data), ahead=True), in_turn)
            assert isinstance(in_turn, str), (relative, damage.__name__)
        finally:
            path.unlink()
            path.symlink_to(original)
    if damage.__name__ != "parquet_corrupted":
        assert applied, damage.__name__
