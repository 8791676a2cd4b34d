"""What the QOF years share, read ahead, is checked exactly as when each year reads it in turn.

``ingest`` reads the GP registrations (checked, and numbered once for every year) and parses the
QOF practice files while its loading thread would otherwise wait for the writer. With every QOF
year prepared ahead, each year must load the same values, files and gaps as without; and for
every class of damage in ``bad_inputs.CLASSES`` to a file the QOF years read (practice files, the
registrations CSV, the England Parquet), the error must be word for word the one met in turn.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lantern.config import ESSEX_AREA_CODES
from lantern.errors import InputError
from lantern.paths import BUNDLED_ESSEX
from lantern.pipeline.ingest import geography
from lantern.sources import SOURCES, load_source
from lantern.sources.manifest import Manifest
from lantern.sources.table import TableSpec

from .bad_inputs import CLASSES, PARQUET, REG_CSV, NotApplicable, write_parquet
from .test_bad_inputs import mirror
from .test_parse_ahead import leftover

PREPARED = [s for s in SOURCES if getattr(s.loader, "prepare", None) is not None]


@pytest.fixture(scope="module")
def essex():
    return geography(BUNDLED_ESSEX, list(ESSEX_AREA_CODES))[2]


def fresh(ctx, data: Path):  # noqa: ANN001, ANN201
    return replace(ctx, data_dir=data, tables={}, manifest=Manifest.for_data_dir(data))


def prepare_all(ctx) -> list[bool]:  # noqa: ANN001
    return [bool(s.loader.prepare(s, ctx)) for s in PREPARED]  # type: ignore[attr-defined]


def load_all(ctx, *, ahead: bool):  # noqa: ANN001, ANN201
    """Every QOF year loaded in registry order (prepared first if ``ahead``), or the first
    error's text, as ``ingest`` would report it."""
    if ahead:
        prepare_all(ctx)
    try:
        return [load_source(s, ctx) for s in PREPARED]
    except InputError as exc:
        return str(exc)


def test_every_qof_year_prepares_ahead():
    assert [s.source_id for s in PREPARED] == ["qof1819", "qof1920", "qof2021", "qof2122"]


@pytest.mark.parametrize("parquet", [False, True], ids=["area CSV", "England Parquet"])
def test_every_qof_year_loads_the_same_prepared_ahead(tmp_path, essex, parquet):
    data = mirror(BUNDLED_ESSEX, tmp_path / "data")
    if parquet:
        write_parquet(data)
    ahead, plain = fresh(essex, data), fresh(essex, data)
    assert all(prepare_all(ahead))
    for source in PREPARED:
        a, b = load_source(source, ahead), load_source(source, plain)
        assert a.files == b.files and a.gaps == b.gaps, source.source_id
        assert a.wide is not None and b.wide is not None
        assert list(a.wide.codes) == list(b.wide.codes) and a.wide.ids == b.wide.ids
        for matrix in ("values", "numerators", "denominators"):
            np.testing.assert_array_equal(getattr(a.wide, matrix), getattr(b.wide, matrix))
    assert not leftover(ahead), "parsed ahead, never used"


def _qof_files(parquet: bool) -> dict[str, TableSpec]:
    files: dict[str, TableSpec] = {}
    for source in PREPARED:
        for spec in source.tables():
            if spec.path == (REG_CSV if parquet else PARQUET):
                continue  # the file not read when the other is there
            files.setdefault(spec.path, spec)
    return files


@pytest.mark.parametrize("damage", CLASSES, ids=[d.__name__ for d in CLASSES])
def test_a_damaged_qof_file_prepared_ahead_fails_exactly_as_in_turn(tmp_path, essex, damage):
    applied = 0
    for parquet in (False, True):
        data = mirror(BUNDLED_ESSEX, tmp_path / f"data{int(parquet)}")
        if parquet:
            write_parquet(data)
        for relative, spec in _qof_files(parquet).items():
            path = data / relative
            kept = path.read_bytes()
            try:
                damage(path, spec)
            except NotApplicable:
                continue
            applied += 1
            try:
                in_turn = load_all(fresh(essex, data), ahead=False)
                assert isinstance(in_turn, str), (relative, damage.__name__)
                ctx = fresh(essex, data)
                assert load_all(ctx, ahead=True) == in_turn, (relative, damage.__name__)
            finally:
                path.unlink()
                path.write_bytes(kept)
    assert applied, damage.__name__
