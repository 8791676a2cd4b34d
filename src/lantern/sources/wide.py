"""The common shape of official tables: one row per area, one column per measure.

A ``Measure`` says how to turn columns into one indicator: take a column as it is (optionally with
its published numerator and denominator columns), or compute a rate as
``scale · Σ numerator columns / denominator column`` keeping both counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lantern.sources.checked import read_table
from lantern.sources.context import LoadContext
from lantern.sources.model import Loaded, Source, WideRows
from lantern.sources.rules import COUNT, DECILE, PERCENT, PartsOf, Rule
from lantern.sources.table import Codes, TableSpec


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


def measure_rules(measures: Sequence[Measure]) -> tuple[list[tuple[str, Rule]], list[PartsOf]]:
    """Value rules implied by each measure's kind and unit.

    Counts (and a rate's numerators and denominator) are ≥ 0; published percentages are 0–100;
    deciles are whole numbers 1–10; ranks are ≥ 1 (the registry adds each ranking's size); the
    numerators of a computed rate may not add up to more than its denominator.
    """
    rules: list[tuple[str, Rule]] = []
    parts: list[PartsOf] = []
    for m in measures:
        if m.kind == "count":
            rules += [(c, COUNT) for c in ([m.column] if m.column else list(m.numerator))]
        if m.kind == "decile" and m.column:
            rules.append((m.column, DECILE))
        if m.kind == "rank" and m.column:
            rules.append((m.column, Rule("rank ≥ 1", low=1)))
        if m.kind == "rate":
            if m.column and m.unit == "%":
                rules.append((m.column, PERCENT))
            rules += [(c, COUNT) for c in m.numerator]
            if m.denominator:
                rules.append((m.denominator, COUNT))
                parts.append(PartsOf(m.numerator, m.denominator))
    return list(dict.fromkeys(rules)), list(dict.fromkeys(parts))


def wide_spec(
    source: Source,
    code_column: str,
    measures: Sequence[Measure],
    *,
    vintage_hint: dict[str, str] | None = None,
    numbers: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
) -> TableSpec:
    """The checks for a wide table: its code column, measure columns, rules and declared gaps."""
    rules, parts = measure_rules(measures)
    value_columns = [c for m in measures for c in m.columns()]
    value_columns += [c for p in source.parts for c in (*p.parts, p.total)]
    value_columns = list(dict.fromkeys(value_columns))
    return TableSpec(
        source.source_id,
        source.path,
        codes=(Codes(code_column, source.area_type, source.vintage),),
        numbers=tuple(numbers if numbers is not None else value_columns),
        rules=tuple(rules) + tuple(source.rules),
        parts=tuple(parts) + tuple(source.parts),
        allowed=tuple(source.allowed),
        vintage_hint=tuple((vintage_hint or {}).items()),
        gaps=tuple(source.gaps),
        ignore=tuple(ignore),
    )


def load_wide(
    source: Source,
    ctx: LoadContext,
    code_column: str,
    measures: Sequence[Measure],
    *,
    vintage_hint: dict[str, str] | None = None,
    spec: TableSpec | None = None,
) -> Loaded:
    """Check a wide table (``read_table``) and return its measures as tidy rows for the wanted areas."""
    spec = spec or wide_spec(source, code_column, measures, vintage_hint=vintage_hint)
    table = read_table(spec, ctx)
    frame, values = table.areas, table.area_values()
    keep = ctx.keep(frame[code_column], source.area_type, source.vintage).to_numpy()
    codes = frame[code_column].to_numpy(dtype=object)[keep]
    wide = wide_rows(
        codes, values[keep], measures, vintage=source.vintage or 0, period=source.period
    )
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
    return Loaded(wide=wide, meta=meta, files=[table.file], gaps=table.gaps)


@dataclass(frozen=True)
class WideLoader:
    """A source read as one wide table: its code column and the measures it yields."""

    code_column: str
    measures: Callable[[], list[Measure]]
    hint: dict[str, str] | None = None

    def tables(self, source: Source) -> list[TableSpec]:
        return [wide_spec(source, self.code_column, self.measures(), vintage_hint=self.hint)]

    def __call__(self, source: Source, ctx: LoadContext) -> Loaded:
        return load_wide(source, ctx, self.code_column, self.measures(), vintage_hint=self.hint)


def wide(code_column: str, *, hint: dict[str, str] | None = None):  # noqa: ANN201
    """Decorator: a function returning measures becomes the source's ``WideLoader``."""

    def make(measures: Callable[[], list[Measure]]) -> WideLoader:
        return WideLoader(code_column, measures, hint)

    return make


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
    # column-major: each measure is written as one contiguous column, and the warehouse reads
    # the matrices column after column without copying them
    out_v, out_n, out_d = (np.full((n, k), np.nan, order="F") for _ in range(3))
    for j, m in enumerate(measures):
        if m.numerator and m.denominator:
            num = values[list(m.numerator)].to_numpy().sum(axis=1)
            den = values[m.denominator].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                val = np.where(den > 0, m.scale * num / den, np.nan)
            if m.column:  # a published rate alongside its counts
                val = values[m.column].to_numpy()
            out_n[:, j], out_d[:, j] = num, den
        elif m.column is None:  # a count summed from several columns (e.g. single years of age)
            val = values[list(m.numerator)].to_numpy().sum(axis=1)
        else:
            val = values[m.column].to_numpy()
            if m.numerator:
                out_n[:, j] = values[m.numerator[0]].to_numpy()
            if m.denominator:
                out_d[:, j] = values[m.denominator].to_numpy()
        out_v[:, j] = val
    ids = [m.indicator_id for m in measures]
    return WideRows(np.asarray(codes, dtype=object), ids, out_v, out_n, out_d, vintage, period)
