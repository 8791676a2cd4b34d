"""Reading published tables (CSV, TSV, Parquet, GeoJSON properties) with withheld-cell markers."""

from __future__ import annotations

import json
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
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        df = pd.read_csv(
            path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
        )
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix == ".geojson":
        data = json.loads(path.read_text("utf-8"))
        df = pd.DataFrame([f.get("properties", {}) for f in data.get("features", [])])
    else:
        raise InputError(
            f"unsupported table format {suffix!r} (use CSV, TSV, Parquet or GeoJSON)", file=path
        )
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
