"""The crosswalk lookup is read once per ingest: the hierarchy's cross-checks and the
crosswalk's weights share one checked table, and the weights are the same as from a fresh read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lantern.sources.checked as checked
from lantern.errors import InputError
from lantern.geography.crosswalk import load_crosswalk
from lantern.geography.hierarchy import read_lookups
from lantern.geography.tables import LOOKUP_CROSSWALK, POPULATION_2011, POPULATION_2021

from .helpers import build


def _both(data_dir: Path) -> tuple[object, object]:
    """The crosswalk (or the error's text) from a fresh read and from the shared lookup."""
    outcomes = []
    for shared in (False, True):
        try:
            lookup = read_lookups(data_dir).tables[LOOKUP_CROSSWALK] if shared else None
            outcomes.append(load_crosswalk(data_dir, lookup=lookup))
        except InputError as error:
            outcomes.append(str(error))
    return outcomes[0], outcomes[1]


def _same(fresh: object, shared: object) -> None:
    if isinstance(fresh, pd.DataFrame):
        assert isinstance(shared, pd.DataFrame)
        pd.testing.assert_frame_equal(fresh, shared)
    else:
        assert fresh == shared


def test_shared_lookup_gives_the_same_crosswalk_on_the_bundled_data(bundled_essex):
    fresh, shared = _both(bundled_essex)
    assert isinstance(fresh, pd.DataFrame) and len(fresh)
    _same(fresh, shared)


@pytest.mark.slow
def test_shared_lookup_gives_the_same_crosswalk_for_england(shared_data):
    fresh, shared = _both(shared_data)
    assert isinstance(fresh, pd.DataFrame) and len(fresh) > 30_000
    _same(fresh, shared)


def test_another_file_is_refused_as_the_crosswalk_lookup(bundled_essex):
    other = read_lookups(bundled_essex).tables
    wrong = next(t for name, t in other.items() if name != LOOKUP_CROSSWALK)
    with pytest.raises(ValueError, match="not the crosswalk lookup"):
        load_crosswalk(bundled_essex, lookup=wrong)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, bundled_essex) -> Path:
    out = tmp_path_factory.mktemp("cw") / "data"
    shutil.copytree(bundled_essex, out)
    return out


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    population=st.sampled_from([POPULATION_2011, POPULATION_2021]),
    line=st.integers(min_value=1, max_value=10_000),
    value=st.sampled_from(["0", "-5000", "1", "123456", "", "abc", "2.5"]),
)
def test_edited_populations_give_the_same_weights_or_error_either_way(
    folder, bundled_essex, population, line, value
):
    """Oracle: the old path (every file read afresh). Whatever a population file holds, the
    crosswalk built on the shared lookup equals it, or both stop with the same message."""
    path = folder / population
    original = (bundled_essex / population).read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    row = 1 + line % (len(lines) - 1)
    cells = lines[row].rstrip("\r\n").split(",")
    cells[2] = value  # the total both files' weights use
    lines[row] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    try:
        _same(*_both(folder))
    finally:
        path.write_text(original, encoding="utf-8")


def test_ingest_reads_the_crosswalk_lookup_once(tmp_path, bundled_essex, monkeypatch):
    reads: list[Path] = []
    read_raw = checked.read_raw

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        reads.append(Path(path))
        return read_raw(path, *args, **kwargs)

    monkeypatch.setattr(checked, "read_raw", counting)
    build(tmp_path, bundled_essex)
    names = [p.name for p in reads]
    assert names.count(Path(LOOKUP_CROSSWALK).name) == 1
    # the populations are still read (their weights and their own sources)
    assert Path(POPULATION_2021).name in names and Path(POPULATION_2011).name in names
