"""Every value rule of every file, broken one at a time.

``test_bad_inputs`` breaks one ruled column per file; here every distinct rule of every file
(each on the first column it applies to), the edge of each bound (a population of exactly 0, a
percentage of 100.5, a proportion of 1.5 …) and every parts-within-total relation are written
into the bundled sample and must stop `lantern sources --check` naming the file, row, column
and rule. Every numeric column of every file must carry a rule, so a new column cannot slip in
unchecked.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lantern.config import ESSEX_AREA_CODES, load_config
from lantern.errors import InputError, LanternError
from lantern.geography.tables import SPECS
from lantern.paths import BUNDLED_ESSEX
from lantern.pipeline.check import check_data
from lantern.pipeline.ingest import geography
from lantern.sources import SOURCES
from lantern.sources.manifest import Manifest
from lantern.sources.rules import PartsOf, Rule, rules_for

from .bad_inputs import DATA_ROW, PARQUET, _csv_rows, _write_csv, registry_files
from .test_bad_inputs import Expect, assert_located, project

FILES = registry_files(BUNDLED_ESSEX)
CSV = {p: s for p, s in FILES.items() if s.format == "csv"}


def _header(relative: str) -> list[str]:
    return _csv_rows(BUNDLED_ESSEX / relative)[0]


def _values(rule: Rule) -> list[str]:
    """Values just outside each bound, and the rule's own far violation."""
    out = [rule.violation()]
    if rule.low is not None:
        out.append(f"{rule.low:g}" if rule.low_open else f"{rule.low - 0.5:g}")
    if rule.high is not None:
        out.append(f"{rule.high + 0.5:g}")
    if rule.whole and rule.low is not None:
        out.append(f"{rule.low + 1.5:g}")
    return list(dict.fromkeys(out))


def _rule_cases() -> list[tuple[str, str, Rule, str]]:
    cases = []
    for relative, spec in CSV.items():
        header = _header(relative)
        seen: set[str] = set()
        for column in spec.numeric_columns(header):
            for rule in rules_for(column, spec.rules):
                if rule.name in seen:
                    continue
                seen.add(rule.name)
                cases += [(relative, column, rule, value) for value in _values(rule)]
    return cases


def _parts_cases() -> list[tuple[str, PartsOf]]:
    return [(relative, parts) for relative, spec in CSV.items() for parts in spec.parts]


RULE_CASES = _rule_cases()
PARTS_CASES = _parts_cases()


def test_every_numeric_column_of_every_file_has_a_rule():
    unruled = []
    for relative, spec in FILES.items():
        if spec.format == "geojson":
            continue
        header = _header(relative) if spec.format == "csv" else None
        columns = spec.numeric_columns(header)
        unruled += [f"{relative}: {c}" for c in columns if not rules_for(c, spec.rules)]
    assert not unruled, unruled
    assert PARQUET in FILES


def test_the_cases_cover_each_kind_of_rule():
    names = {rule.name for _, _, rule, _ in RULE_CASES}
    for kind in ("count ≥ 0", "population > 0", "percentage 0–100", "proportion 0–1", "decile"):
        assert any(kind in name for name in names), kind
    assert any(name.startswith("rank 1–") for name in names)
    assert len(PARTS_CASES) >= 20


@pytest.fixture(scope="module")
def essex_context():
    return geography(BUNDLED_ESSEX, list(ESSEX_AREA_CODES))


def _check(tmp_path, essex_context, relative: str, damage):  # noqa: ANN001, ANN202
    config_path, data = project(tmp_path, parquet=False)
    path = data / relative
    header, rows = _csv_rows(path)
    expect = damage(header, rows)
    _write_csv(path, header, rows)
    context = None
    if not relative.startswith("lookups/"):
        areas, _, pristine = essex_context
        ctx = replace(pristine, data_dir=data, tables={}, manifest=Manifest.for_data_dir(data))
        context = (areas, ctx)
    with pytest.raises(LanternError) as raised:
        check_data(load_config(config_path), [relative], context=context)
    assert isinstance(raised.value, InputError), raised.value
    return raised.value, (path, expect)


@pytest.mark.parametrize(
    ("relative", "column", "rule", "value"),
    RULE_CASES,
    ids=[f"{r}-{c}-{v}" for r, c, _, v in RULE_CASES],
)
def test_each_rule_stops_the_file(tmp_path, essex_context, relative, column, rule, value):
    def damage(header: list[str], rows: list[list[str]]) -> Expect:
        rows[DATA_ROW - 1][header.index(column)] = value
        return Expect(DATA_ROW + 1, column, ())

    error, (path, expect) = _check(tmp_path, essex_context, relative, damage)
    assert_located(f"error: {error}", path, expect)
    # the value breaks this rule, and perhaps others of the column: one of them is named
    broken = [
        r.name for r in rules_for(column, CSV[relative].rules) if r.bad(np.array([float(value)]))[0]
    ]
    assert rule.name in broken
    text = str(error)
    named = [name for name in broken if f"breaks the rule {name}" in text]
    assert named or (rule.low is None and rule.high is None and "finite" in text), text


@pytest.mark.parametrize(
    ("relative", "parts"),
    PARTS_CASES,
    ids=[f"{r}-{p.total}-{i}" for i, (r, p) in enumerate(PARTS_CASES)],
)
def test_each_part_above_its_total_stops_the_file(tmp_path, essex_context, relative, parts):
    def damage(header: list[str], rows: list[list[str]]) -> Expect:
        row = rows[DATA_ROW - 1]
        total = float(row[header.index(parts.total)].replace(",", ""))
        # every part stays within its own rules; together they exceed the total
        share = (total + parts.slack + 10) / len(parts.parts)
        for part in parts.parts:
            row[header.index(part)] = f"{share + 1:.0f}" if total > 1 else f"{share:.4f}"
        return Expect(DATA_ROW + 1, None, ("parts ≤ total",))

    error, (path, expect) = _check(tmp_path, essex_context, relative, damage)
    assert_located(f"error: {error}", path, expect)
    # the column named is one of a parts-within-total relation of this file
    columns = {c for p in CSV[relative].parts for c in (*p.parts, p.total)}
    assert any(f"column '{c}'" in str(error) for c in columns), error


ALL_SPECS = [t for s in SOURCES for t in s.tables()] + list(SPECS.values())
FILLED_CASES = list(
    dict.fromkeys(
        (spec.path, column, blank)
        for spec in ALL_SPECS
        if spec.path in CSV
        for column in spec.filled
        for blank in ("", "NA")
    )
)


def test_the_weighting_populations_may_not_be_blank():
    assert {r for r, _, _ in FILLED_CASES} >= {
        "census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv",
        "population/mid2020_lsoa11_5yr_bands_ew.csv",
    }


@pytest.mark.parametrize(
    ("relative", "column", "blank"),
    FILLED_CASES,
    ids=[f"{r}-{c}-{b or 'empty'}" for r, c, b in FILLED_CASES],
)
def test_a_blank_in_a_column_that_must_be_filled_stops_the_file(tmp_path, relative, column, blank):
    """A blank population used to end in "no population for E01…", naming no file."""
    config_path, data = project(tmp_path, parquet=False)
    path = data / relative
    header, rows = _csv_rows(path)
    rows[DATA_ROW - 1][header.index(column)] = blank
    _write_csv(path, header, rows)
    with pytest.raises(InputError) as raised:
        check_data(load_config(config_path), [relative])
    assert_located(f"error: {raised.value}", path, Expect(DATA_ROW + 1, column, ("missing",)))


@pytest.mark.parametrize("dtype", ["text", "category"])
def test_rows_the_registry_excuses_pass_only_by_their_whole_key(tmp_path, dtype):
    """``Allowed`` keys excuse exactly their rows: a listed (practice, group) breaking a rule
    passes, the same practice under another group, or another practice under that group, does
    not, and the first unexcused row is named. Checked against a row-by-row oracle."""
    from lantern.sources.checked import Table, excused, read_table
    from lantern.sources.context import LoadContext
    from lantern.sources.model import FileRead
    from lantern.sources.rules import COUNT
    from lantern.sources.table import Allowed, TableSpec

    rows = [("A1", "DM", "5"), ("A1", "LD", "-3"), ("B2", "LD", "4"), ("B2", "DM", "7")]
    allowed = Allowed(frozenset({("A1", "LD"), ("Z9", "DM")}), "published so")
    spec = TableSpec(
        "t",
        "t.csv",
        text=("practice", "group"),
        numbers=("register",),
        key=("practice", "group"),
        rules=(("register", COUNT),),
        allowed=(allowed,),
        complete=False,
    )
    path = tmp_path / "t.csv"
    path.write_text("practice,group,register\n" + "".join(f"{','.join(r)}\n" for r in rows))
    table = read_table(spec, LoadContext(tmp_path), checksum=False)  # A1/LD is excused
    frame = table.frame.astype("category") if dtype == "category" else table.frame
    probe = Table(spec, path, frame, table.values, FileRead("t", "t.csv", "", 0, 4), 2)
    keys = frame[["practice", "group"]].itertuples(index=False)
    oracle = [tuple(str(v) for v in r) in allowed.keys for r in keys]
    assert list(excused(probe)) == oracle == [False, True, False, False]

    for damaged, row in ([("A1", "DM", "-1")], 2), ([("B2", "LD", "-1")], 4):
        bad = [damaged[0] if (r[0], r[1]) == damaged[0][:2] else r for r in rows]
        path.write_text("practice,group,register\n" + "".join(f"{','.join(r)}\n" for r in bad))
        with pytest.raises(InputError) as raised:
            read_table(spec, LoadContext(tmp_path), checksum=False)
        assert f"row {row}" in str(raised.value) and "count ≥ 0" in str(raised.value)
