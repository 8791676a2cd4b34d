"""The common shape of official tables: one row per area, one column per measure.

A ``Measure`` says how to turn columns into one indicator: take a column as it is (optionally with
its published numerator and denominator columns), or compute a rate as
``scale · Σ numerator columns / denominator column`` keeping both counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lantern.sources.context import LoadContext
from lantern.sources.model import FileRead, Loaded, Source, WideRows
from lantern.sources.reading import (
    check_codes,
    check_header,
    check_unique,
    numeric,
    parse_csv,
    read_raw,
)


@dataclass(frozen=True)
class Measure:
    """One indicator taken from a wide table."""

    indicator_id: str
    title: str
    unit: str
    kind: str
    polarity: str
    column: str | None = None
    numerator: tuple[str, ...] = ()
    denominator: str | None = None
    scale: float = 100.0
    description: str = ""

    def columns(self) -> list[str]:
        cols = [self.column] if self.column else []
        return cols + list(self.numerator) + ([self.denominator] if self.denominator else [])


def count(
    indicator_id: str,
    column: str,
    title: str,
    *,
    polarity: str = "neutral",
    unit: str = "people",
    description: str = "",
) -> Measure:
    return Measure(
        indicator_id, title, unit, "count", polarity, column=column, description=description
    )


def rate(
    indicator_id: str,
    title: str,
    numerator: Sequence[str],
    denominator: str,
    *,
    polarity: str = "higher_worse",
    description: str = "",
) -> Measure:
    """A percentage computed from counts: 100 · Σ numerator / denominator."""
    return Measure(
        indicator_id,
        title,
        "%",
        "rate",
        polarity,
        numerator=tuple(numerator),
        denominator=denominator,
        description=description,
    )


def slug(text: str) -> str:
    """``"Health/Wellbeing Vulnerability score"`` → ``"health_wellbeing_vulnerability_score"``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def load_wide(
    source: Source,
    ctx: LoadContext,
    code_column: str,
    measures: Sequence[Measure],
    *,
    vintage_hint: dict[str, str] | None = None,
) -> Loaded:
    """Validate a wide table and return its measures as tidy rows for the wanted areas."""
    raw = read_raw(source.file(ctx.data_dir))
    value_columns = list(dict.fromkeys(c for m in measures for c in m.columns()))
    check_header(raw, [code_column, *value_columns], vintage_hint=vintage_hint)
    frame = parse_csv(raw, usecols=[code_column, *value_columns], text_columns=[code_column])
    check_codes(
        raw,
        frame,
        code_column,
        source.area_type,
        vintage=source.vintage,
        other_vintage_codes=ctx.other_vintage_codes(source.area_type, source.vintage or 0),
    )
    values = numeric(raw, frame, value_columns)
    check_unique(raw, frame, [code_column])
    keep = ctx.keep(frame[code_column], source.area_type, source.vintage).to_numpy()
    codes = frame[code_column].to_numpy(dtype=object)[keep]
    values = values[keep]
    wide = wide_rows(codes, values, measures, vintage=source.vintage or 0, period=source.period)
    meta = [
        source.meta(
            m.indicator_id,
            m.title,
            unit=m.unit,
            kind=m.kind,
            polarity=m.polarity,
            description=m.description,
        )
        for m in measures
    ]
    files = [FileRead(source.source_id, source.path, raw.sha256, raw.size, len(frame))]
    return Loaded(wide=wide, meta=meta, files=files)


def wide_rows(
    codes: np.ndarray,
    values: pd.DataFrame,
    measures: Sequence[Measure],
    *,
    vintage: int,
    period: str,
) -> WideRows:
    """Each measure as one column of value, numerator and denominator matrices (vectorised)."""
    n, k = len(codes), len(measures)
    out_v, out_n, out_d = (np.full((n, k), np.nan) for _ in range(3))
    for j, m in enumerate(measures):
        if m.numerator and m.denominator:
            num = values[list(m.numerator)].to_numpy().sum(axis=1)
            den = values[m.denominator].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                val = np.where(den > 0, m.scale * num / den, np.nan)
            if m.column:  # a published rate alongside its counts
                val = values[m.column].to_numpy()
            out_n[:, j], out_d[:, j] = num, den
        else:
            val = values[m.column].to_numpy()
            if m.numerator:
                out_n[:, j] = values[m.numerator[0]].to_numpy()
            if m.denominator:
                out_d[:, j] = values[m.denominator].to_numpy()
        out_v[:, j] = val
    ids = [m.indicator_id for m in measures]
    return WideRows(np.asarray(codes, dtype=object), ids, out_v, out_n, out_d, vintage, period)
