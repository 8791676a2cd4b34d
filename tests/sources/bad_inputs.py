"""The bad-input classes, each a function that damages one file of a data folder.

Each returns what the error must name (row, column, words) or a reason it does not apply to
that file. Files come from the registry (every source's tables, the geography files, the
boundaries, the postcode lookup and the GP registrations Parquet), so a new source is covered
without touching the tests.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lantern.geography.postcodes import postcode_spec
from lantern.geography.tables import BOUNDARIES, SPECS
from lantern.pipeline.ingest import find_postcode_lookup
from lantern.sources import SOURCES
from lantern.sources.manifest import entry_for
from lantern.sources.rules import rules_for
from lantern.sources.table import TableSpec

PARQUET = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_england.parquet"
REG_CSV = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv"
WRONG_TYPE = {"lsoa": "E02000001", "msoa": "E01000001", "district": "E01000001"}
WRONG_TYPE |= {"ward": "E01000001", "region": "E01000001", "": "E99000001"}
DATA_ROW = 3  # the data row damaged (file row 4 for a CSV, feature 3 for GeoJSON)


@dataclass(frozen=True)
class Expect:
    row: int | None
    column: str | None
    words: tuple[str, ...]


class NotApplicable(Exception):
    """This class of damage means nothing for this file (the reason says why)."""


def registry_files(data_dir: Path) -> dict[str, TableSpec]:
    """Every file the registry reads that is in ``data_dir`` (plus the Parquet), one spec each."""
    specs: dict[str, TableSpec] = {}
    for source in SOURCES:
        for spec in source.tables():
            specs.setdefault(spec.path, spec)
    for spec in SPECS.values():
        specs.setdefault(spec.path, spec)
    for candidates in BOUNDARIES.values():
        for spec in candidates:
            specs.setdefault(spec.path, spec)
    lookup = find_postcode_lookup(data_dir)
    if lookup is not None:
        spec = postcode_spec(lookup, data_dir)
        specs.setdefault(spec.path, spec)
    return {p: s for p, s in sorted(specs.items()) if (data_dir / p).exists() or p == PARQUET}


def write_parquet(data_dir: Path) -> None:
    """An England-layout GP registrations Parquet for the area, from the area's CSV."""
    frame = pd.read_csv(data_dir / REG_CSV, dtype={"practice_code": str, "lsoa11_code": str})
    table = pa.table(
        {
            "OrganisationCode": frame["practice_code"],
            "OranisationName": frame["practice_name"],
            "LSOA11CD": frame["lsoa11_code"],
            "Patient": frame["number_of_patients"].astype("int64"),
        }
    )
    path = data_dir / PARQUET
    if path.is_symlink() or path.exists():
        path.unlink()
    pq.write_table(table, path)
    # listed in the folder's manifest, as `lantern sources --write-manifest` would
    manifest = data_dir / "manifest.json"
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    entry = entry_for(path)
    entries[PARQUET] = {"sha256": entry.sha256, "rows": entry.rows, "bytes": entry.bytes}
    manifest.unlink()
    manifest.write_text(json.dumps(entries, indent=2), encoding="utf-8")


# ----- reading and writing the damaged file ----------------------------------------------------
def _replace(path: Path, data: bytes) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_bytes(data)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    return rows[0], rows[1:]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    _replace(path, out.getvalue().encode("utf-8"))


def _features(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8"))


def _write_json(path: Path, collection: dict) -> None:
    _replace(path, json.dumps(collection).encode("utf-8"))


def _ruled_column(spec: TableSpec, header: list[str]):  # noqa: ANN202
    numeric = spec.numeric_columns(header)
    for column in header:
        if column in numeric:
            rules = rules_for(column, spec.rules)
            if rules:
                return column, rules[0]
    return None, None


def _code_column(spec: TableSpec, *, typed: bool = False):  # noqa: ANN202
    for codes in spec.codes:
        if codes.area_type or not typed:
            return codes
    return None


# ----- the classes ----------------------------------------------------------------------------
def impossible_value(path: Path, spec: TableSpec) -> Expect:
    """A count below zero, a percentage over 100, a rank beyond the areas ranked … (else a code
    of the wrong area type, else coordinates outside England and Wales)."""
    if spec.format == "geojson":
        collection = _features(path)
        feature = collection["features"][DATA_ROW - 1]
        feature["geometry"] = {"type": "Point", "coordinates": [181.0, 95.0]}
        _write_json(path, collection)
        return Expect(DATA_ROW, "geometry", ("expected a Polygon",))
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas()
        table.loc[DATA_ROW - 1, "Patient"] = -100_000
        _replace(path, _parquet_bytes(table))
        return Expect(DATA_ROW, "Patient", ("breaks the rule",))
    header, rows = _csv_rows(path)
    column, rule = _ruled_column(spec, header)
    if column is not None:
        rows[DATA_ROW - 1][header.index(column)] = rule.violation()
        _write_csv(path, header, rows)
        return Expect(DATA_ROW + 1, column, ("breaks the rule",))
    codes = _code_column(spec)
    if codes is None:
        raise NotApplicable("no numbers and no area codes")
    rows[DATA_ROW - 1][header.index(codes.column)] = WRONG_TYPE[codes.area_type]
    _write_csv(path, header, rows)
    return Expect(DATA_ROW + 1, codes.column, ("expected",))


def unknown_code(path: Path, spec: TableSpec) -> Expect:
    """A well-formed code of the right type that no ONS lookup knows (e.g. E01999999)."""
    codes = _code_column(spec)
    if codes is None:
        raise NotApplicable(
            "no area codes: practice codes are checked by pattern, and a practice absent from "
            "the registrations is legitimately left unmatched"
        )
    if spec.format == "geojson":
        collection = _features(path)
        props = collection["features"][DATA_ROW - 1]["properties"]
        props[codes.column] = (props[codes.column] or "E10")[:3] + "999999"
        _write_json(path, collection)
        return Expect(DATA_ROW, codes.column, ("unknown",))
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas()
        table.loc[DATA_ROW - 1, codes.column] = "E01999999"
        _replace(path, _parquet_bytes(table))
        return Expect(DATA_ROW, codes.column, ("unknown",))
    header, rows = _csv_rows(path)
    i = header.index(codes.column)
    rows[DATA_ROW - 1][i] = rows[DATA_ROW - 1][i][:3] + "999999"
    _write_csv(path, header, rows)
    return Expect(DATA_ROW + 1, codes.column, ("unknown",))


def truncated_at_line(path: Path, spec: TableSpec) -> Expect:
    """Cut off at a line (feature, record) boundary, half-way: it still parses cleanly."""
    if spec.format == "geojson":
        collection = _features(path)
        kept = max(len(collection["features"]) // 2, 1)
        collection["features"] = collection["features"][:kept]
        _write_json(path, collection)
        return Expect(kept + 1, None, ())
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas()
        kept = len(table) // 2
        _replace(path, _parquet_bytes(table.iloc[:kept]))
        return Expect(kept + 1, None, ("truncated",))
    data = path.read_bytes()
    lines = data.split(b"\n")
    kept = max((len(lines) - 1) // 2, 2)
    _replace(path, b"\n".join(lines[:kept]) + b"\n")
    return Expect(kept + 1, None, ())


def truncated_in_last_field(path: Path, spec: TableSpec) -> Expect:
    """Cut off part-way through the last field of a row (no final line break)."""
    if spec.format == "parquet":
        data = path.read_bytes()
        _replace(path, data[: len(data) * 6 // 10])
        return Expect(None, None, ("Parquet",))
    data = path.read_bytes()
    if spec.format == "geojson":
        cut = data[: len(data) * 6 // 10]
        _replace(path, cut)
        return Expect(None, None, ("part-way through feature",))
    body = data.rstrip(b"\n")
    last = body.rfind(b"\n") + 1
    fields = next(csv.reader([body[last:].decode("utf-8")]))
    keep = len(fields[-1]) // 2 if len(fields[-1]) > 1 else 0
    cut = body[: len(body) - (len(fields[-1].encode()) - keep)]
    if keep == 0:
        cut = cut.rstrip(b",")
    _replace(path, cut)
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8")]))
    # all fields still there (only the last one shorter): a value check or the manifest finds it
    column = None if keep else header[-2]
    return Expect(data.count(b"\n"), column, ())


def renamed_column(path: Path, spec: TableSpec) -> Expect:
    """A required column under another name."""
    column = _target_column(path, spec)
    if spec.format == "geojson":
        collection = _features(path)
        for feature in collection["features"]:
            props = feature["properties"]
            props[column + "_renamed"] = props.pop(column)
        _write_json(path, collection)
        return Expect(1, column, ("expected",))
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas().rename(columns={column: column + "_renamed"})
        _replace(path, _parquet_bytes(table))
        return Expect(None, column, ("missing",))
    header, rows = _csv_rows(path)
    header[header.index(column)] = column + "_renamed"
    _write_csv(path, header, rows)
    return Expect(1, column, ("missing",))


def missing_column(path: Path, spec: TableSpec) -> Expect:
    """A required column left out of every row."""
    column = _target_column(path, spec)
    if spec.format != "csv":
        raise NotApplicable("the same as a renamed property or column for this format")
    header, rows = _csv_rows(path)
    i = header.index(column)
    _write_csv(path, header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows])
    return Expect(1, column, ("missing",))


def _target_column(path: Path, spec: TableSpec) -> str:
    if spec.format == "csv":
        header = _csv_rows(path)[0]
        column, _ = _ruled_column(spec, header)
        if column is not None:
            return column
    codes = _code_column(spec)
    if codes is not None:
        return codes.column
    return spec.required()[0]


def duplicated_row(path: Path, spec: TableSpec) -> Expect:
    """A row repeated at the end (same area, or same key)."""
    key = spec.unique[0]
    if spec.format == "geojson":
        collection = _features(path)
        collection["features"].append(collection["features"][1])
        _write_json(path, collection)
        return Expect(len(collection["features"]), key, ("duplicated",))
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas()
        table = pd.concat([table, table.iloc[[1]]], ignore_index=True)
        _replace(path, _parquet_bytes(table))
        return Expect(len(table), key, ("duplicated",))
    header, rows = _csv_rows(path)
    rows.append(list(rows[1]))
    _write_csv(path, header, rows)
    return Expect(len(rows) + 1, key, ("duplicated",))


def empty_file(path: Path, spec: TableSpec) -> Expect:
    _replace(path, b"")
    return Expect(None, None, ("empty",))


def header_only(path: Path, spec: TableSpec) -> Expect:
    """The header (or schema, or an empty FeatureCollection) and no rows."""
    if spec.format == "geojson":
        collection = _features(path)
        collection["features"] = []
        _write_json(path, collection)
        return Expect(1, None, ("no features",))
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas()
        _replace(path, _parquet_bytes(table.iloc[:0]))
        return Expect(1, None, ("no rows",))
    first = path.read_bytes().split(b"\n", 1)[0]
    _replace(path, first + b"\n")
    return Expect(2, None, ("no data rows",))


def latin1(path: Path, spec: TableSpec) -> Expect:
    """A row saved in latin-1 (Windows-1252) inside a UTF-8 file."""
    if spec.format == "parquet":
        raise NotApplicable("Parquet stores text as UTF-8 by definition")
    data = path.read_bytes()
    if spec.format == "geojson":
        at = data.find(b'"Feature"', data.find(b'"Feature"') + 1)
        at = data.find(b'"properties"', at) + len(b'"properties":{"')
        _replace(path, data[:at] + b"Caf\xe9" + data[at:])
        return Expect(2, None, ("UTF-8",))
    lines = data.split(b"\n")
    header = next(csv.reader([lines[0].decode("utf-8")]))
    column = _latin_column(spec, header)
    i = header.index(column)
    fields = next(csv.reader([lines[DATA_ROW].decode("utf-8")]))
    fields[i] = fields[i] + "é"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="").writerow(fields)
    lines[DATA_ROW] = out.getvalue().encode("cp1252")
    _replace(path, b"\n".join(lines))
    return Expect(DATA_ROW + 1, column, ("UTF-8",))


def _latin_column(spec: TableSpec, header: list[str]) -> str:
    names = [c for c in header if c.lower().endswith(("name", "_nm", "nm"))]
    return names[0] if names else header[0]


def utf16(path: Path, spec: TableSpec) -> Expect:
    """The whole file re-saved as UTF-16 (as Excel's "Unicode text" does)."""
    if spec.format == "parquet":
        raise NotApplicable("Parquet has no text encoding to choose")
    text = path.read_bytes().decode("utf-8")
    _replace(path, text.encode("utf-16"))
    return Expect(1, None, ("UTF-16",))


def parquet_corrupted(path: Path, spec: TableSpec) -> Expect:
    """Bytes in the middle of a Parquet file overwritten."""
    if spec.format != "parquet":
        raise NotApplicable("only Parquet files")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\x00" * 64
    data[-12:-4] = b"\xff" * 8  # the footer length
    _replace(path, bytes(data))
    return Expect(None, None, ("Parquet",))


def extra_field(path: Path, spec: TableSpec) -> Expect:
    """One row with a field more than the header (a stray comma): values would shift."""
    if spec.format != "csv":
        raise NotApplicable("only delimited text has fields to miscount")
    header, rows = _csv_rows(path)
    rows[DATA_ROW - 1].append(rows[DATA_ROW - 1][-1] or "1")
    _write_csv(path, header, rows)
    return Expect(DATA_ROW + 1, header[-1], ("fields",))


def missing_field(path: Path, spec: TableSpec) -> Expect:
    """One row, in the middle of the file, with a field fewer than the header."""
    if spec.format != "csv":
        raise NotApplicable("only delimited text has fields to miscount")
    header, rows = _csv_rows(path)
    rows[DATA_ROW - 1].pop()
    _write_csv(path, header, rows)
    return Expect(DATA_ROW + 1, header[-1], ("fields",))


def infinite_value(path: Path, spec: TableSpec) -> Expect:
    """``inf`` (or a number too large to hold) in a numeric column."""
    if spec.format == "parquet":
        table = pq.read_table(path).to_pandas()
        table["Patient"] = table["Patient"].astype("float64")
        table.loc[DATA_ROW - 1, "Patient"] = float("inf")
        _replace(path, _parquet_bytes(table))
        return Expect(DATA_ROW, "Patient", ("finite",))
    if spec.format != "csv":
        raise NotApplicable("no numeric columns")
    header, rows = _csv_rows(path)
    numeric = [c for c in spec.numeric_columns(header) if c in header]
    if not numeric:
        raise NotApplicable("no numeric columns")
    rows[DATA_ROW - 1][header.index(numeric[0])] = "1e400"
    _write_csv(path, header, rows)
    return Expect(DATA_ROW + 1, numeric[0], ("finite",))


def compressed(path: Path, spec: TableSpec) -> Expect:
    """The file as downloaded but still gzip-compressed."""
    _replace(path, gzip.compress(path.read_bytes(), mtime=0))
    if spec.format == "parquet":
        return Expect(None, None, ("Parquet",))
    return Expect(1, None, ("gzip",))


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), out)
    return out.getvalue()


CLASSES = [
    impossible_value,
    unknown_code,
    truncated_at_line,
    truncated_in_last_field,
    renamed_column,
    missing_column,
    duplicated_row,
    empty_file,
    header_only,
    latin1,
    utf16,
    parquet_corrupted,
    extra_field,
    missing_field,
    infinite_value,
    compressed,
]
