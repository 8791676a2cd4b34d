"""Read every file of a release folder, in every format the gate can parse, by content.

Hidden files and the folder's own state are included; symbolic links are not followed. A file
is recognised by its bytes, not its name (a ``.CSV.bak`` holding CSV is a table): gzip, bzip2 and
xz streams are decompressed; zip and tar archives are opened member by member; XLSX workbooks
give one table per sheet (hidden sheets included) and their cell comments; Parquet, Arrow and
SQLite give their tables; JSON gives the tables it holds (GeoJSON feature properties, lists of
records, columns of equal length, objects keyed by area) and every other scalar with its path;
text is read as a delimited table when it is one and as plain text otherwise. Anything else is
``unreadable`` and the gate refuses it.

Every table comes back with every column as text, exactly as a reader would see it.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import sqlite3
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

MAX_BYTES = 2 << 30  # refuse to expand anything larger (2 GiB)
MAX_DEPTH = 4
DELIMITERS = ",\t;|"
GEOJSON_GEOMETRY_KEYS = (
    "type", "features", "bbox", "crs", "name", "xy_coordinate_resolution", "z_coordinate_resolution"
)  # fmt: skip
"""Top-level GeoJSON members that describe geometry, not data (GDAL writes the resolutions)."""


@dataclass
class Part:
    """One readable piece of a file: a table, plain text, loose JSON values, or a problem."""

    file: str
    member: str | None
    kind: str  # "table" | "text" | "json" | "unreadable"
    frame: pd.DataFrame | None = None
    text: str | None = None
    leaves: list[tuple[str, Any]] | None = None
    problem: str | None = None

    @property
    def label(self) -> str:
        return self.file + (f" [{self.member}]" if self.member else "")


def _cell_text(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def _column_text(col: pd.Series) -> np.ndarray:
    if pd.api.types.is_float_dtype(col.dtype):
        v = col.to_numpy(dtype=float, na_value=np.nan)
        out = col.astype(str).to_numpy(dtype=object)
        whole = np.isfinite(v) & (v == np.floor(v)) & (np.abs(v) < 1e15)
        out[whole] = v[whole].astype(np.int64).astype(str)
        out[np.isnan(v)] = ""
        return out
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return col.astype("string").fillna("").to_numpy(dtype=object)
    values = col.to_numpy(dtype=object)
    if all(type(v) is str for v in values):  # text as read from a CSV: already what a reader sees
        return values.copy()
    return np.array([_cell_text(v) for v in col.tolist()], dtype=object)


def _text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every value as the text a reader sees (missing values as '')."""
    return pd.DataFrame({str(c): _column_text(df[c]) for c in df.columns}, index=range(len(df)))


def _limited(stream: Any, name: str) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{name} expands beyond {MAX_BYTES >> 30} GiB")
    return data


def _decode(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:65536]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:65536])
        return text if printable >= 0.95 * min(len(text), 65536) else None


def delimited(text: str, suffix: str = "") -> pd.DataFrame | None:
    """The text as a table when it is one (same number of fields on every line, at least two)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return None
    if suffix in (".csv", ".tsv", ".tab"):
        candidates = "\t" if suffix in (".tsv", ".tab") else ","
    else:
        try:
            candidates = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=DELIMITERS).delimiter
        except csv.Error:
            return None
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=candidates,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, ValueError, csv.Error):
        return None
    if df.shape[1] < 2 and suffix not in (".csv", ".tsv", ".tab"):
        return None
    return df


def _json_parts(file: str, member: str | None, data: Any) -> list[Part]:
    tables: list[tuple[str, pd.DataFrame]] = []
    leaves: list[tuple[str, Any]] = []

    def as_table(value: Any) -> pd.DataFrame | None:
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return pd.json_normalize(value, sep=".")
        if (
            isinstance(value, list)
            and len(value) > 1
            and all(isinstance(v, list) for v in value)
            and len({len(v) for v in value}) == 1
        ):
            return pd.DataFrame(value[1:], columns=[str(c) for c in value[0]])
        if isinstance(value, dict) and value:
            vals = list(value.values())
            columns = all(isinstance(v, list) for v in vals) and len({len(v) for v in vals}) == 1
            if columns and all(not isinstance(x, dict | list) for v in vals for x in v):
                return pd.DataFrame(value)
            keyed = len(value) > 1 and all(isinstance(v, dict) for v in vals)
            if keyed and all(not isinstance(x, dict | list) for v in vals for x in v.values()):
                return pd.DataFrame.from_dict(value, orient="index").reset_index(names="key")
        return None

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict) and value.get("type") == "FeatureCollection":
            feats = value.get("features") or []
            rows = []
            for f in feats:
                props = dict(f.get("properties") or {}) if isinstance(f, dict) else {}
                if isinstance(f, dict) and "id" in f:
                    props.setdefault("id", f["id"])
                rows.append(props)
            tables.append(
                (f"{path}/features" if path else "features", pd.json_normalize(rows, sep="."))
            )
            for k, v in value.items():
                if k not in GEOJSON_GEOMETRY_KEYS:
                    walk(v, f"{path}/{k}")
            return
        if isinstance(value, dict) and value.get("type") == "Feature":
            tables.append((path or "feature", pd.json_normalize([value.get("properties") or {}])))
            return
        frame = as_table(value)
        if frame is not None:
            tables.append((path or "", frame))
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}/{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}/{i}")
        else:
            leaves.append((path or "/", value))

    walk(data, "")
    parts = []
    for where, frame in tables:
        label = where if not member else f"{member}:{where}" if where else member
        parts.append(Part(file, label or None, "table", frame=_text_frame(frame)))
    if leaves:
        parts.append(Part(file, member, "json", leaves=leaves))
    return parts


def _excel(file: str, member: str | None, data: bytes) -> list[Part]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    parts = []
    for ws in book.worksheets:
        where = f"{member}:{ws.title}" if member else f"sheet {ws.title}"
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
        comments = [
            f"{c.coordinate}: {c.comment.text}"
            for row in ws.iter_rows()
            for c in row
            if c.comment is not None
        ]
        if rows:
            width = max(len(r) for r in rows)
            header = [str(v) if v is not None else f"column {i + 1}" for i, v in enumerate(rows[0])]
            header += [f"column {i + 1}" for i in range(len(header), width)]
            body = [r + [None] * (width - len(r)) for r in rows[1:]]
            parts.append(
                Part(file, where, "table", frame=_text_frame(pd.DataFrame(body, columns=header)))
            )
        if comments:
            parts.append(Part(file, f"{where} comments", "text", text="\n".join(comments)))
    return parts


def _sqlite(file: str, member: str | None, data: bytes) -> list[Part]:
    with tempfile.NamedTemporaryFile(suffix=".sqlite") as tmp:
        tmp.write(data)
        tmp.flush()
        con = sqlite3.connect(f"file:{tmp.name}?mode=ro", uri=True)
        try:
            names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
            return [
                Part(file, f"{member + ':' if member else ''}table {n}", "table",
                     frame=_text_frame(pd.read_sql_query(f'select * from "{n}"', con)))
                for n in names
            ]  # fmt: skip
        finally:
            con.close()


def inspect_bytes(
    data: bytes, name: str, file: str, member: str | None = None, depth: int = 0
) -> list[Part]:
    """Every part of one file's content (``name`` is the file or member name, for its suffix)."""
    if depth > MAX_DEPTH:
        return [Part(file, member, "unreadable", problem="archives nested too deeply to inspect")]
    suffix = PurePosixPath(name).suffix.lower()
    inner = PurePosixPath(name).stem if suffix in (".gz", ".bz2", ".xz", ".lzma") else name
    try:
        if data[:2] == b"\x1f\x8b":
            return inspect_bytes(
                _limited(gzip.GzipFile(fileobj=io.BytesIO(data)), name),
                inner,
                file,
                member,
                depth + 1,
            )
        if data[:3] == b"BZh":
            return inspect_bytes(
                _limited(bz2.BZ2File(io.BytesIO(data)), name), inner, file, member, depth + 1
            )
        if data[:6] == b"\xfd7zXZ\x00":
            return inspect_bytes(
                _limited(lzma.LZMAFile(io.BytesIO(data)), name), inner, file, member, depth + 1
            )
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            zf = zipfile.ZipFile(io.BytesIO(data))
            names = zf.namelist()
            if "xl/workbook.xml" in names:
                return _excel(file, member, data)
            if "[Content_Types].xml" in names or "mimetype" in names:
                return [
                    Part(
                        file,
                        member,
                        "unreadable",
                        problem="office document other than XLSX: cannot be inspected (save tables as CSV or XLSX)",
                    )
                ]
            parts = []
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if info.file_size > MAX_BYTES:
                    raise ValueError(f"{info.filename} expands beyond {MAX_BYTES >> 30} GiB")
                sub = f"{member}/{info.filename}" if member else info.filename
                parts += inspect_bytes(zf.read(info), info.filename, file, sub, depth + 1)
            return parts
        if len(data) > 262 and data[257:262] == b"ustar":
            parts = []
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                for entry in tf.getmembers():
                    sub = f"{member}/{entry.name}" if member else entry.name
                    if entry.isfile():
                        parts += inspect_bytes(
                            _limited(tf.extractfile(entry), entry.name),
                            entry.name,
                            file,
                            sub,
                            depth + 1,
                        )
                    elif not entry.isdir():
                        parts.append(
                            Part(
                                file,
                                sub,
                                "unreadable",
                                problem="archive member is a link or device, not a file",
                            )
                        )
            return parts
        if data[:4] == b"PAR1":
            import pyarrow.parquet as pq

            return [
                Part(
                    file,
                    member,
                    "table",
                    frame=_text_frame(pq.read_table(io.BytesIO(data)).to_pandas()),
                )
            ]
        if data[:6] == b"ARROW1":
            import pyarrow.feather as feather

            return [
                Part(
                    file,
                    member,
                    "table",
                    frame=_text_frame(feather.read_table(io.BytesIO(data)).to_pandas()),
                )
            ]
        if data[:16] == b"SQLite format 3\x00":
            return _sqlite(file, member, data)
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            return [
                Part(
                    file,
                    member,
                    "unreadable",
                    problem="old Office format (e.g. .xls): cannot be inspected (save as XLSX or CSV)",
                )
            ]
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported, never skipped
        return [
            Part(
                file,
                member,
                "unreadable",
                problem=f"cannot be read: {type(exc).__name__}: {exc}"[:300],
            )
        ]
    text = _decode(data)
    if text is None:
        return [
            Part(
                file,
                member,
                "unreadable",
                problem="binary content of an unknown format: cannot be inspected",
            )
        ]
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return _json_parts(file, member, json.loads(text))
        except (json.JSONDecodeError, ValueError):
            lines = [ln for ln in text.splitlines() if ln.strip()]
            try:
                records = [json.loads(ln) for ln in lines]
            except json.JSONDecodeError:
                records = None
            if records is not None:
                return _json_parts(file, member, records)
    frame = delimited(text, suffix)
    if frame is not None:
        return [Part(file, member, "table", frame=frame)]
    return [Part(file, member, "text", text=text)]


def walk_folder(folder: Path) -> Iterator[tuple[str, Path]]:
    """``(relative posix path, path)`` of everything under ``folder``, hidden entries included,
    without following symbolic links."""
    stack = [folder]
    while stack:
        current = stack.pop()
        for entry in sorted(current.iterdir(), key=lambda p: p.name):
            rel = entry.relative_to(folder).as_posix()
            if entry.is_symlink():
                yield rel, entry
            elif entry.is_dir():
                stack.append(entry)
            else:
                yield rel, entry


def inspect_file(folder: Path, rel: str) -> list[Part]:
    """Every part of one file of the folder."""
    path = folder / rel
    if path.is_symlink():
        return [
            Part(
                rel,
                None,
                "unreadable",
                problem="symbolic link: a release folder must hold the files themselves",
            )
        ]
    if not path.is_file():
        return [
            Part(rel, None, "unreadable", problem="not a regular file (device, pipe or socket)")
        ]
    if path.stat().st_size > MAX_BYTES:
        return [
            Part(
                rel,
                None,
                "unreadable",
                problem=f"larger than {MAX_BYTES >> 30} GiB: cannot be inspected",
            )
        ]
    return inspect_bytes(path.read_bytes(), path.name, rel)
