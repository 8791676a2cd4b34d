"""Reading published tables (CSV, TSV, Parquet, GeoJSON properties, each possibly zipped) with
withheld-cell markers."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError

WITHHELD_MARKERS = ("", "*", "[REDACTED]", "REDACTED", "c", "x", "..", "<NA>", "NA", "NaN", "nan")
"""Text a published table may use for a withheld count (read as missing)."""


def read_table(
    path: Path, *, key_columns: Sequence[str], count_columns: Sequence[str]
) -> pd.DataFrame:
    """Read a published table; key columns as text, counts as floats (NaN = withheld).

    Raises ``InputError`` naming file, row and column for a missing column or a count that is not
    a number or a withheld marker.
    """
    if not path.exists():
        raise InputError("declared table file not found", file=path)
    df = _read_frame(path)
    for col in (*key_columns, *count_columns):
        if col not in df.columns:
            raise InputError(
                f"column {col!r} declared in the manifest is missing", file=path, column=col
            )
    out = df.copy()
    for col in key_columns:
        out[col] = df[col].astype(str)
    for col in count_columns:
        text = df[col].astype(str).str.strip()
        withheld = text.isin(WITHHELD_MARKERS) | df[col].isna()
        values = pd.to_numeric(text.where(~withheld), errors="coerce")
        bad = values.isna() & ~withheld
        if bad.any():
            row = int(np.argmax(bad.to_numpy())) + 2
            raise InputError(
                "count is neither a number nor a withheld marker", file=path, row=row, column=col
            )
        neg = values < 0
        if neg.any():
            row = int(np.argmax(neg.to_numpy())) + 2
            raise InputError("count is negative", file=path, row=row, column=col)
        out[col] = values.astype(float)
    return out


def _read_frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if not n.endswith("/")]
            if len(members) != 1:
                raise InputError(
                    f"a zipped table must hold exactly one file, not {len(members)}", file=path
                )
            return _parse(archive.read(members[0]), Path(members[0]).suffix.lower(), path)
    return _parse(path.read_bytes(), suffix, path)


def _parse(raw: bytes, suffix: str, path: Path) -> pd.DataFrame:
    if suffix in (".csv", ".tsv"):
        return pd.read_csv(
            io.BytesIO(raw), sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
        )
    if suffix == ".parquet":
        return pd.read_parquet(io.BytesIO(raw))
    if suffix == ".geojson":
        data = json.loads(raw.decode("utf-8"))
        return pd.DataFrame([f.get("properties", {}) for f in data.get("features", [])])
    raise InputError(
        f"unsupported table format {suffix!r} (use CSV, TSV, Parquet or GeoJSON, optionally zipped)",
        file=path,
    )
