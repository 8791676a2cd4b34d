"""Read and validate one official CSV file, vectorised, with errors naming file, row and column.

Row numbers count the header as row 1, so the first data row is row 2 (as a spreadsheet shows).
Checks, in order: file present, not empty, UTF-8 text, not cut off part-way through a row, the
expected header, well-formed GSS codes of the right area type, codes of the right boundary
vintage, numbers where numbers are expected, and no duplicated area (or key).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.geography.codes import AreaType, first_invalid

NA_VALUES = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", ".."]


@dataclass(frozen=True)
class RawFile:
    """A file's bytes (validated as UTF-8), checksum and header."""

    path: Path
    data: bytes
    sha256: str
    header: list[str]

    @property
    def size(self) -> int:
        return len(self.data)


def header_of(path: Path) -> list[str]:
    """A CSV's header row only (UTF-8 checked), without reading the whole file."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError("the file is empty; expected a header row and data rows", file=path, row=1)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    check_not_binary(path, head)
    _check_not_utf16(path, head)
    end = head.find(b"\n")
    first = head if end < 0 else head[:end]
    try:
        return _header_of(first)
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, first, exc.start) from None


def _header_of(first_line: bytes) -> list[str]:
    return first_record(first_line.decode("utf-8").rstrip("\r\n"))


def first_record(text: str) -> list[str]:
    """The fields of the first CSV record in ``text`` (a stray carriage return ends it; none if
    the csv module cannot read it, e.g. a field beyond its size limit)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return next(reader, [])
    except csv.Error:
        return []


def read_raw(path: Path) -> RawFile:
    """Read a CSV's bytes and check it exists, is not empty, is UTF-8 and is not truncated."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            "file not found; run `lantern fetch` or check `data_dir` in lantern.toml", file=path
        )
    if path.is_dir():
        raise InputError("expected a file, found a folder", file=path)
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    check_not_binary(path, data)
    _check_not_utf16(path, data)
    if not data.strip():
        raise InputError("the file is empty; expected a header row and data rows", file=path, row=1)
    first_end = data.find(b"\n")
    first_line = data if first_end < 0 else data[:first_end]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, data, exc.start) from None
    header = _header_of(first_line)
    body = b"" if first_end < 0 else data[first_end + 1 :]
    if not body.strip():
        raise InputError(
            "the file has a header but no data rows; expected one row per area or record",
            file=path,
            row=2,
        )
    if not data.endswith(b"\n"):
        _check_last_row(path, data, header)
    return RawFile(path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), header=header)


# Leading bytes of the binary formats an official file often arrives in by mistake.
BINARY_FORMATS = (
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (`gunzip`)"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx)", "extract it or save it as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", "save it as CSV (UTF-8)"),
    (b"PAR1", "a Parquet file", "give the CSV the registry expects"),
    (b"%PDF", "a PDF document", "download the data file, not the report"),
)


def check_not_binary(path: Path, data: bytes, expected: str = "UTF-8 CSV text") -> None:
    """A compressed, spreadsheet or other binary file is named as what it is, at row 1."""
    for magic, what, advice in BINARY_FORMATS:
        if data.startswith(magic):
            raise InputError(
                f"the file is {what}; expected {expected} — {advice}", file=path, row=1
            )


def _check_not_utf16(path: Path, data: bytes) -> None:
    """UTF-16 (with or without a byte-order mark) is refused naming the encoding found."""
    head = data[:4096]
    bom = head[:2] in (b"\xff\xfe", b"\xfe\xff")
    if not bom and head.count(b"\x00") < max(2, len(head) // 4):
        return
    column = None
    if bom or head.count(b"\x00") >= len(head) // 4:
        for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
            if first.isprintable():
                fields = first_record(first)
                column = fields[0] if fields else None
                break
    raise InputError(
        "the file is UTF-16 encoded (or binary); expected UTF-8 text "
        "(re-save it as UTF-8 CSV, e.g. `iconv -f utf-16 -t utf-8`)",
        file=path,
        row=1,
        column=column,
    )


def _encoding_error(path: Path, data: bytes, position: int) -> InputError:
    """Locate the first byte that is not UTF-8: its row and the column it falls in."""
    row = data.count(b"\n", 0, position) + 1
    line_start = data.rfind(b"\n", 0, position) + 1
    first_end = data.find(b"\n")
    try:
        header = _header_of(data[: first_end if first_end >= 0 else len(data)])
    except UnicodeDecodeError:
        header = []
    index = data.count(b",", line_start, position)
    column = header[index] if index < len(header) else None
    return InputError(
        f"byte 0x{data[position]:02x} is not valid UTF-8; expected UTF-8 text "
        "(re-save the file as UTF-8, e.g. `iconv -f cp1252 -t utf-8`)",
        file=path,
        row=row,
        column=column,
    )


def _check_last_row(path: Path, data: bytes, header: list[str]) -> None:
    """A file not ending in a newline whose last row is short was cut off (truncated download)."""
    start = data.rfind(b"\n") + 1
    fields = first_record(data[start:].decode("utf-8"))
    if len(fields) < len(header):
        row = data.count(b"\n") + 1
        raise InputError(
            f"the file ends part-way through a row ({len(fields)} of {len(header)} fields); "
            "expected a complete file — it looks truncated, download it again",
            file=path,
            row=row,
            column=header[max(len(fields) - 1, 0)],
        )


def check_header(
    raw: RawFile, required: Sequence[str], *, vintage_hint: dict[str, str] | None = None
) -> None:
    """Every ``required`` column must be present; name the first missing one and what was found."""
    present = set(raw.header)
    missing = [c for c in required if c not in present]
    if not missing:
        return
    for wanted, wrong in (vintage_hint or {}).items():
        if wanted in missing and wrong in present:
            raise InputError(
                f"the file holds {wrong!r} where {wanted!r} was expected: it is on the wrong boundary "
                "vintage for this source",
                file=raw.path,
                row=1,
                column=wrong,
            )
    shown = ", ".join(repr(c) for c in missing[:5]) + (" …" if len(missing) > 5 else "")
    raise InputError(
        f"wrong header: missing column(s) {shown}; expected a header with "
        f"{', '.join(repr(c) for c in required[:8])}{' …' if len(required) > 8 else ''}",
        file=raw.path,
        row=1,
        column=missing[0],
    )


def parse_csv(
    raw: RawFile,
    *,
    usecols: Sequence[str],
    text_columns: Sequence[str] = (),
    category_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Parse the validated bytes into a frame (fast Arrow reader; the C reader names bad rows).

    ``category_columns`` (area codes) come back as categories: every check then works on the
    distinct codes, not on one string per row.
    """
    dtype = {c: "string[pyarrow]" for c in text_columns}
    dtype |= {c: "category" for c in category_columns}
    try:
        return _arrow_csv(raw, usecols, text_columns, category_columns)
    except Exception:  # noqa: BLE001 - find the row, else re-read with the C parser
        _check_field_counts(raw)
        try:
            return pd.read_csv(
                io.BytesIO(raw.data),
                usecols=list(usecols),
                dtype=dtype,
                na_values=NA_VALUES,
                keep_default_na=False,
                index_col=False,
            )
        except (pd.errors.ParserError, ValueError) as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            row = None
            if " line " in text:
                digits = text.split(" line ", 1)[1].split(",", 1)[0]
                row = int(digits) if digits.isdigit() else None
            raise InputError(
                f"cannot parse the CSV ({text}); expected {len(raw.header)} fields per row",
                file=raw.path,
                row=row,
            ) from None


def _arrow_csv(
    raw: RawFile,
    usecols: Sequence[str],
    text_columns: Sequence[str],
    category_columns: Sequence[str],
) -> pd.DataFrame:
    """What ``pd.read_csv(engine="pyarrow", dtype=…)`` gives, without its per-row conversions:
    text columns are read as Arrow strings and code columns dictionary-encoded by the Arrow
    reader itself (pandas would turn both into Python strings first, then convert them back)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    text, codes = set(text_columns), set(category_columns)
    types = {c: pa.string() for c in text} | {
        c: pa.dictionary(pa.int32(), pa.string()) for c in codes
    }
    table = pacsv.read_csv(
        io.BytesIO(raw.data),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(usecols),
            column_types=types,
            null_values=NA_VALUES,
            strings_can_be_null=True,
        ),
    )
    out: dict[str, pd.Series] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name in text:
            out[name] = pd.Series(pd.arrays.ArrowStringArray(column))
        elif name in codes:
            series = column.to_pandas()
            if not series.cat.categories.is_monotonic_increasing:  # as astype("category")
                series = series.cat.reorder_categories(series.cat.categories.sort_values())
            out[name] = series
        elif pa.types.is_null(column.type):  # an empty column: float, as pandas reads it
            out[name] = pd.Series(np.full(len(column), np.nan))
        else:
            out[name] = column.to_pandas()
    return pd.DataFrame(out, columns=list(table.column_names))


def _check_field_counts(raw: RawFile) -> None:
    """Every row has as many fields as the header (a row with one more or one fewer field would
    otherwise shift or blank its values silently). Rows count as records: header = row 1."""
    expected = len(raw.header)
    text = raw.data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    row = 1
    try:
        for row, fields in enumerate(reader, start=1):  # noqa: B007 - row is reported on error
            if not fields or len(fields) == expected:
                continue
            _wrong_field_count(raw, row, len(fields))
    except csv.Error as exc:
        raise InputError(
            f"cannot parse the CSV ({exc}: a quote that never closes?); expected one "
            "record per row",
            file=raw.path,
            row=row + 1,
        ) from None


def _wrong_field_count(raw: RawFile, row: int, found: int) -> None:
    expected = len(raw.header)
    if found < expected:
        message = (
            f"the row has {found} of the header's {expected} fields (a field separator or a line "
            "break missing or where none belongs); expected one field per column"
        )
        column = raw.header[found]
    else:
        message = (
            f"the row has {found} fields but the header has {expected} (an extra field "
            "separator, or a value holding an unquoted comma); expected one field per column"
        )
        column = raw.header[-1]
    raise InputError(message, file=raw.path, row=row, column=column)


def check_codes(
    raw: RawFile,
    frame: pd.DataFrame,
    column: str,
    area_type: AreaType | str,
    *,
    vintage: int | None = None,
    other_vintage_codes: set[str] | pd.Index | None = None,
) -> None:
    """Codes must be well-formed GSS codes of ``area_type`` and not codes of the other vintage."""
    codes = frame[column]
    if codes.isna().any():
        row = int(codes.isna().to_numpy().argmax()) + 2
        raise InputError(
            f"missing area code; expected {AreaType(area_type).value.upper()} codes",
            file=raw.path,
            row=row,
            column=column,
        )
    first_invalid(codes, area_type, file=raw.path, column=column)
    if other_vintage_codes is not None and len(other_vintage_codes):
        wrong = codes.isin(other_vintage_codes).to_numpy()
        if wrong.any():
            position = int(wrong.argmax())
            other = 2021 if vintage == 2011 else 2011
            raise InputError(
                f"{codes.iloc[position]} is a {AreaType(area_type).value.upper()} {other} code; "
                f"expected {AreaType(area_type).value.upper()} {vintage} codes (wrong boundary vintage)",
                file=raw.path,
                row=position + 2,
                column=column,
            )


def numeric(raw: RawFile, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Convert ``columns`` to float; the first value that is not a number is an error."""
    out = {}
    for column in columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = series.to_numpy(dtype="float64", na_value=np.nan)
            continue
        text = series.astype("string").str.strip()
        values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        bad = values.isna() & text.notna() & (text != "")
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 2
            raise InputError(
                "expected a number (blank or NA for missing)", file=raw.path, row=row, column=column
            )
        out[column] = values.to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame(out, index=frame.index)


def check_unique(raw: RawFile, frame: pd.DataFrame, key: Sequence[str]) -> None:
    """No two rows may share ``key`` (e.g. the same area twice)."""
    dup = frame.duplicated(list(key), keep="first").to_numpy()
    if dup.any():
        position = int(dup.argmax())
        values = frame.iloc[position][list(key)]
        first = frame.index[(frame[list(key)] == values.to_numpy()).all(axis=1)][0]
        shown = "/".join(str(v) for v in values)
        raise InputError(
            f"duplicated {'area' if len(key) == 1 else 'key'} {shown} (first on row {int(first) + 2}); "
            "expected one row per " + ("area" if len(key) == 1 else " and ".join(key)),
            file=raw.path,
            row=position + 2,
            column=key[0],
        )
