"""Every bad-input class against every file the registry reads.

For each file (every source's tables, the lookups, the crosswalk and its populations, the
boundaries, the postcode lookup, the GP registrations Parquet) and each class of damage in
``bad_inputs.CLASSES``, `lantern sources --check` — the checks `lantern ingest` runs, without
writing — must stop with exit code 2 and one line naming the file, the row, the column and the
rule, never a traceback. ``test_ingest_keeps_the_warehouse`` runs one file per class through
`lantern ingest` itself and compares the warehouse byte for byte.
"""

from __future__ import annotations

import hashlib
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from lantern.cli import main
from lantern.config import ESSEX_AREA_CODES, load_config
from lantern.errors import InputError, LanternError
from lantern.paths import BUNDLED_ESSEX
from lantern.pipeline.check import check_data
from lantern.pipeline.ingest import geography
from lantern.sources.manifest import Manifest

from . import bad_inputs
from .bad_inputs import CLASSES, PARQUET, Expect, NotApplicable, registry_files, write_parquet

FILES = registry_files(BUNDLED_ESSEX)
CASES = [(path, damage) for path in FILES for damage in CLASSES]


def mirror(source: Path, dest: Path) -> Path:
    """Symlink every file of ``source`` under ``dest`` so one file can be replaced."""
    for path in source.rglob("*"):
        if path.is_file():
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    return dest


def project(folder: Path, *, parquet: bool) -> tuple[Path, Path]:
    data = mirror(BUNDLED_ESSEX, folder / "data")
    if parquet:
        write_parquet(data)
    config = folder / "lantern.toml"
    config.write_text(
        f'name = "t"\ndata_dir = "{data}"\nwarehouse = "{folder / "out" / "lantern.duckdb"}"\n',
        encoding="utf-8",
    )
    return config, data


def assert_located(err: str, path: Path, expect: Expect) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    text = lines[0]
    assert "Traceback" not in text
    assert str(path) in text, text
    if expect.row is not None:
        assert f"row {expect.row}" in text, text
    else:
        assert "row " in text or "Parquet" in text or "SHA-256" in text, text
    if expect.column is not None:
        assert f"column '{expect.column}'" in text or f'column "{expect.column}"' in text, text
    for word in expect.words:
        assert word.lower() in text.lower(), (word, text)
    assert "expected" in text.lower(), text


def test_every_registry_file_is_covered():
    kinds = {spec.format for spec in FILES.values()}
    assert kinds == {"csv", "parquet", "geojson"}
    assert len(FILES) >= 35
    assert PARQUET in FILES


def test_the_unmodified_sample_passes_every_check(tmp_path, capsys):
    for parquet in (False, True):
        config, _ = project(tmp_path / str(parquet), parquet=parquet)
        assert main(["sources", "--check", "-c", str(config)]) == 0, capsys.readouterr().err


@pytest.fixture(scope="module")
def essex_context():
    """The area of interest and loader context from the unmodified lookups (shared by every
    case that does not damage a lookup; a lookup case reads its lookups afresh)."""
    return geography(BUNDLED_ESSEX, list(ESSEX_AREA_CODES))


@pytest.mark.slow
@pytest.mark.parametrize(("relative", "damage"), CASES, ids=[f"{p}-{d.__name__}" for p, d in CASES])
def test_bad_input_stops_with_file_row_column_and_rule(tmp_path, essex_context, relative, damage):
    config_path, data = project(tmp_path, parquet=relative == PARQUET)
    path = data / relative
    try:
        expect = damage(path, FILES[relative])
    except NotApplicable as reason:
        pytest.skip(f"{damage.__name__} does not apply to {relative}: {reason}")
    config = load_config(config_path)
    context = None
    if not relative.startswith("lookups/"):
        areas, _, pristine = essex_context
        ctx = replace(pristine, data_dir=data, tables={}, manifest=Manifest.for_data_dir(data))
        context = (areas, ctx)
    with pytest.raises(LanternError) as raised:
        check_data(config, [relative], context=context)
    assert isinstance(raised.value, InputError), raised.value
    assert_located(f"error: {raised.value}", path, expect)


CSV_CLASSES = [d for d in CLASSES if d is not bad_inputs.parquet_corrupted]


@pytest.mark.parametrize("damage", CSV_CLASSES, ids=[d.__name__ for d in CSV_CLASSES])
def test_the_command_prints_one_line_for_each_class(tmp_path, capsys, damage):
    """The CLI path for every class on one source file: exit code 2 and one line."""
    relative = "census2021/ts054_tenure_lsoa21_ew.csv"
    config, data = project(tmp_path, parquet=False)
    expect = damage(data / relative, FILES[relative])
    code = main(["sources", "--check", "-c", str(config), relative])
    err = capsys.readouterr().err
    assert code == 2, err
    assert_located(err, data / relative, expect)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# One file per class through `lantern ingest` itself, spread over the kinds of file.
INGEST_CASES = [
    ("census2021/ts038_disability_lsoa21_ew.csv", bad_inputs.impossible_value),
    ("lookups/lsoa11_lsoa21_lad22_ew.csv", bad_inputs.unknown_code),
    ("population/mid2020_lsoa11_5yr_bands_ew.csv", bad_inputs.truncated_at_line),
    ("imd2019/imd2019_lsoa11_all_scores_england.csv", bad_inputs.truncated_in_last_field),
    ("boundaries/lsoa21_essex_bsc.geojson", bad_inputs.renamed_column),
    ("qof_practice_nhsd/qof_prevalence_practice_2018_19_england.csv", bad_inputs.missing_column),
    ("lookups/lsoa21_msoa21_ward24_lad24_ew.csv", bad_inputs.duplicated_row),
    ("lookups/lad21_region21_en.csv", bad_inputs.empty_file),
    ("lookups/lsoa11_msoa11_lad21_utla21_region21_ew.csv", bad_inputs.header_only),
    ("census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv", bad_inputs.latin1),
    ("lookups/lsoa11_lsoa21_lad22_ew.csv", bad_inputs.utf16),
    (PARQUET, bad_inputs.parquet_corrupted),
    (PARQUET, bad_inputs.impossible_value),
    ("population/mid2019_msoa11_5yr_bands_ew.csv", bad_inputs.extra_field),
    ("lookups/lad21_utla21_ew.csv", bad_inputs.missing_field),
    ("covid_deaths/ons_covid_deaths_msoa11_mar-dec2020_england.csv", bad_inputs.infinite_value),
]


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    config, _ = project(folder, parquet=False)
    assert main(["ingest", "-c", str(config), "-q"]) == 0
    return folder / "out" / "lantern.duckdb"


@pytest.mark.parametrize(
    ("relative", "damage"), INGEST_CASES, ids=[f"{p}-{d.__name__}" for p, d in INGEST_CASES]
)
def test_ingest_keeps_the_warehouse(tmp_path, capsys, good_warehouse, relative, damage):
    config, data = project(tmp_path, parquet=relative == PARQUET)
    warehouse = tmp_path / "out" / "lantern.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(good_warehouse, warehouse)
    before = digest(warehouse)
    expect = damage(data / relative, FILES[relative])
    code = main(["ingest", "-c", str(config), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert_located(err, data / relative, expect)
    assert digest(warehouse) == before
    left = sorted(p.name for p in warehouse.parent.iterdir())
    assert left == ["lantern.duckdb", "lantern.duckdb.runs.log", "lantern.duckdb.runs.log.head"]


def test_damaged_boundaries_raise_no_warnings(tmp_path):
    """GDAL warns about geometries it cannot read; the one-line error is all the user sees."""
    config_path, data = project(tmp_path, parquet=False)
    relative = "boundaries/lsoa21_essex_bsc.geojson"
    collection = bad_inputs._features(data / relative)
    collection["features"][2]["geometry"] = {"type": "Polyhedron", "coordinates": [[0.5]]}
    bad_inputs._write_json(data / relative, collection)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InputError) as raised:
            check_data(load_config(config_path), [relative])
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], caught
    assert_located(f"error: {raised.value}", data / relative, Expect(3, "geometry", ()))


GEOJSON = [p for p, s in FILES.items() if s.format == "geojson"]


@pytest.mark.parametrize("relative", GEOJSON)
def test_a_self_intersecting_polygon_stops_the_file(tmp_path, essex_context, relative):
    """A ring that crosses itself (a bow tie inside England): damaged coordinates."""
    config_path, data = project(tmp_path, parquet=False)
    path = data / relative
    collection = bad_inputs._features(path)
    bow_tie = [[0.1, 51.5], [0.3, 51.7], [0.3, 51.5], [0.1, 51.7], [0.1, 51.5]]
    collection["features"][bad_inputs.DATA_ROW - 1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [bow_tie],
    }
    bad_inputs._write_json(path, collection)
    areas, _, pristine = essex_context
    ctx = replace(pristine, data_dir=data, tables={}, manifest=Manifest.for_data_dir(data))
    with pytest.raises(InputError) as raised:
        check_data(load_config(config_path), [relative], context=(areas, ctx))
    expect = Expect(bad_inputs.DATA_ROW, "geometry", ("not valid", "self-intersection"))
    assert_located(f"error: {raised.value}", path, expect)


@pytest.mark.parametrize("where", ["header", "row", "last row"])
@pytest.mark.parametrize(
    "relative",
    [
        "brc_covid_vulnerability/vulnerability-MSOA-England_full_2020-04-26_09117728.csv",
        "lookups/lad21_utla21_ew.csv",
        "population/mid2020_lsoa11_5yr_bands_ew.csv",
    ],
)
def test_a_stray_carriage_return_is_one_line(tmp_path, capsys, relative, where):
    """A bare CR (not before a line feed) ends a record for every CSV reader: it once reached
    the csv module's "new-line character seen in unquoted field" as a traceback."""
    config, data = project(tmp_path, parquet=False)
    path = data / relative
    raw = path.read_bytes().rstrip(b"\n")
    lines = raw.split(b"\n")
    i = {"header": 0, "row": bad_inputs.DATA_ROW, "last row": len(lines) - 1}[where]
    lines[i] = lines[i][: len(lines[i]) // 2] + b"\r" + lines[i][len(lines[i]) // 2 :]
    bad_inputs._replace(path, b"\n".join(lines) + (b"" if where == "last row" else b"\n"))
    code = main(["sources", "--check", "-c", str(config), relative])
    err = capsys.readouterr().err
    assert code == 2, err
    assert_located(err, path, Expect(None, None, ()))


def test_parquet_text_that_is_not_utf8_is_one_line(tmp_path, capsys):
    """Damaged text inside a Parquet page: named as such, the damaged value never printed."""
    import pyarrow.parquet as pq

    config, data = project(tmp_path, parquet=True)
    path = data / PARQUET
    table = pq.read_table(path)
    pq.write_table(table, path, compression="NONE", use_dictionary=False)
    value = table.column("LSOA11CD")[bad_inputs.DATA_ROW - 1].as_py().encode()
    raw = bytearray(path.read_bytes())
    at = raw.find(value)
    assert at > 0
    raw[at + 4] = 0xFF
    bad_inputs._replace(path, bytes(raw))
    code = main(["sources", "--check", "-c", str(config), PARQUET])
    err = capsys.readouterr().err
    assert code == 2, err
    assert_located(err, path, Expect(None, None, ("Parquet", "not UTF-8")))
    assert value.decode()[5:] not in err
