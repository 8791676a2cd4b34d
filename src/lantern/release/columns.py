"""What a table's columns hold, read as a reader would: area codes, categories, counts, measures.

Every column is read from its text. A value is *withheld* when blank or a withheld marker; a
*number* when it parses as one (thousands separators and a trailing ``%`` allowed); anything else
is text. A column of numbers is a count unless the manifest declares it a measure (with its
numerator and denominator) or a constant year; a column mixing numbers with other text (``<5``,
``low``) is refused, since such text tells a reader about the count. Text columns that vary
within one area are categories (sex, age band) and split the table into series; text columns
fixed per area (names, parent codes, level labels) are attributes of the area.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lantern.disclosure.check import Failure
from lantern.disclosure.policy import Policy
from lantern.disclosure.rules import is_midpoint6_value, is_multiple
from lantern.release.manifest import TableSpec

WITHHELD_MARKERS = frozenset(
    ["", "*", "**", "[redacted]", "redacted", "c", "[c]", "x", "[x]", "..", "-", ":",
     "<na>", "na", "n/a", "nan", "null", "none", "suppressed", "[suppressed]", "withheld"]
)  # fmt: skip
"""Text a published table may use for a withheld count (compared case-insensitively)."""
NUMBER = re.compile(
    r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?%?$|^[+-]?\.\d+%?$|^[+-]?\d+(\.\d+)?[eE][+-]?\d+$"
)
TEXT_NUMBER = re.compile(r"(?<![\w.,/:-])[+-]?\d+(?:[.,]\d+)*(?![\w/:-]|\.\d)")
YEAR = re.compile(r"^(19|20)\d\d$")
DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}:\d{2}(:\d{2})?\b"
)
GSS = re.compile(r"^[EWSNK]\d{8}$")
MAX_CATEGORIES = 60


def numbers_in_text(text: str) -> list[tuple[int, str]]:
    """``(line, number)`` for every number in free text other than years, dates and times."""
    found = []
    for n, line in enumerate(text.splitlines(), start=1):
        for token in TEXT_NUMBER.findall(DATE.sub(" ", line)):
            if not YEAR.match(token.lstrip("+")):
                found.append((n, token))
    return found


def parse_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(numbers, withheld, other)``: float values (NaN where not a number), withheld markers,
    and text that is neither. Each distinct text is read once (long tables repeat their codes,
    periods and words on every row)."""
    codes, uniques = pd.factorize(values.astype(str), use_na_sentinel=False)
    if len(uniques) == len(values):
        return _parse(values)
    numbers, withheld, other = _parse(pd.Series(uniques, dtype=object))
    return numbers[codes], withheld[codes], other[codes]


def _parse(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    text = values.astype(str).str.strip()
    withheld = text.str.lower().isin(WITHHELD_MARKERS).to_numpy()
    numeric = text.str.match(NUMBER).to_numpy() & ~withheld
    cleaned = text.where(numeric, "").str.replace(",", "", regex=False).str.rstrip("%")
    numbers = pd.to_numeric(cleaned.where(numeric), errors="coerce").to_numpy(dtype=float)
    numbers[~np.isfinite(numbers)] = np.nan
    numeric &= ~np.isnan(numbers)
    return numbers, withheld, ~numeric & ~withheld


def numeric_columns(frame: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """Columns holding any number: ``column -> (row, value)`` of the first (rows 1-based, header 1)."""
    out = {}
    for col in frame.columns:
        numbers, _, _ = parse_values(frame[col])
        hit = np.flatnonzero(~np.isnan(numbers))
        if len(hit):
            out[str(col)] = (int(hit[0]) + 2, str(frame[col].iat[hit[0]]).strip())
    return out


@dataclass
class ParsedTable:
    """A declared table read for the audit."""

    spec: TableSpec
    label: str
    areas: np.ndarray
    rows: np.ndarray
    categories: list[str]
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    measures: dict[str, np.ndarray] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def category_keys(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.categories:
            return np.full(len(self.areas), "", dtype=object)
        keys: pd.Series | None = None
        for c in self.categories:  # "sex=F|age=65+", built column by column (vectorised)
            part = f"{c}=" + frame[c].astype(str)
            keys = part if keys is None else keys + "|" + part
        assert keys is not None
        return keys.to_numpy(dtype=object)


def _fail(t: ParsedTable, rule: str, message: str, *, area="-", column="-", row=None) -> None:
    t.failures.append(
        Failure(t.label, t.spec.geography, str(area), str(column), rule, message, row)
    )


def read_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    label: str,
    policy: Policy,
    skip: frozenset[str] | set[str] = frozenset(),
) -> ParsedTable:
    """Read a declared table: area codes, counts, measures; every cell rule it breaks.
    ``skip``: columns a writer vouched for (official data published unchanged)."""
    geo = spec.geography
    if geo not in frame.columns:
        t = ParsedTable(spec, label, np.zeros(0, object), np.zeros(0, int), [])
        _fail(
            t,
            "input",
            f"area code column {geo!r} is missing (columns: {', '.join(map(str, frame.columns))})",
            column=geo,
        )
        return t
    areas = frame[geo].astype(str).str.strip().to_numpy(dtype=object)
    rows = np.arange(len(frame)) + 2
    t = ParsedTable(spec, label, areas, rows, [])
    blank = areas == ""
    if blank.any():
        _fail(t, "input", "blank area code", column=geo, row=int(rows[np.argmax(blank)]))
    parsed = {c: parse_values(frame[c]) for c in frame.columns if c != geo and c not in skip}
    for col in (*spec.count_columns, *spec.measures, *spec.constants):
        if col not in frame.columns:
            _fail(t, "input", f"column {col!r} declared in the manifest is missing", column=col)
    text_cols = []
    for col, (numbers, _withheld, other) in parsed.items():
        has_num = ~np.isnan(numbers)
        if col in spec.constants:
            bad = ~(numbers == float(spec.constants[col]))
            if bad.any():
                r = int(np.argmax(bad))
                _fail(
                    t,
                    "constant",
                    f"constant column must hold {spec.constants[col]} in every row",
                    area=areas[r],
                    column=col,
                    row=int(rows[r]),
                )
            continue
        # Text (names, "higher"/"lower") with blanks where there is nothing to say is text:
        # a blank there withholds no count.
        declared = col in spec.count_columns or col in spec.measures
        if other.any() and not has_num.any() and not declared:
            text_cols.append(col)
            continue
        if other.any() and (has_num.any() or col in spec.count_columns or col in spec.measures):
            r = int(np.argmax(other))
            _fail(
                t,
                "withheld-marker",
                f"value {str(frame[col].iat[r]).strip()!r} is neither a number nor a withheld marker (blank, *, c, x, ..): text beside counts tells a reader about them",
                area=areas[r],
                column=col,
                row=int(rows[r]),
            )
            numbers = np.where(other, np.nan, numbers)
        if col in spec.measures:
            t.measures[col] = numbers
        else:
            t.counts[col] = numbers
    # Categories: text columns that take several values within one area.
    if len(areas) and len(set(areas)) < len(areas):
        for col in text_cols:
            per_area = (
                pd.DataFrame({"a": areas, "v": frame[col].astype(str).to_numpy()})
                .groupby("a")["v"]
                .nunique()
            )
            if (per_area > 1).any():
                t.categories.append(col)
    for col in t.categories:
        if frame[col].nunique() > MAX_CATEGORIES:
            _fail(t, "input", f"category column has more than {MAX_CATEGORIES} values", column=col)
    _count_rules(t, policy)
    _measure_rules(t, frame)
    return t


def _count_rules(t: ParsedTable, policy: Policy) -> None:
    for col, v in t.counts.items():
        bad = ~np.isnan(v) & ((v < 0) | (v != np.floor(v)))
        for i in np.flatnonzero(bad)[:5]:
            _fail(
                t,
                "whole-count",
                f"{v[i]:g} is not a whole number >= 0; every numeric column is a count unless the manifest declares it a measure (with numerator and denominator)",
                area=t.areas[i],
                column=col,
                row=int(t.rows[i]),
            )
        if policy.method == "none":
            continue
        if policy.suppresses:
            small = (v >= policy.suppressed_low) & (v <= policy.threshold)
            for i in np.flatnonzero(small):
                _fail(
                    t,
                    "suppressed-range",
                    f"published count {v[i]:g} is in the suppressed range {policy.suppressed_low}..{policy.threshold}",
                    area=t.areas[i],
                    column=col,
                    row=int(t.rows[i]),
                )
        if policy.method == "midpoint6":
            off, msg = (
                ~is_midpoint6_value(v),
                "published count is not a midpoint-6 value (0, 3, 9, 15, ...)",
            )
        else:
            off, msg = (
                ~is_multiple(v, policy.rounding_base),
                f"published count is not a multiple of {policy.rounding_base}",
            )
        off &= ~bad
        for i in np.flatnonzero(off)[:50]:
            _fail(
                t,
                "rounding-base",
                f"{msg} ({v[i]:g})",
                area=t.areas[i],
                column=col,
                row=int(t.rows[i]),
            )


def _decimals(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip().str.rstrip("%")
    frac = text.str.extract(r"\.(\d+)$")[0].fillna("")
    return frac.str.len().to_numpy()


def _measure_rules(t: ParsedTable, frame: pd.DataFrame) -> None:
    for col, m in t.spec.measures.items():
        if col not in t.measures:
            continue
        value = t.measures[col]
        num, den = t.counts.get(m.numerator), t.counts.get(m.denominator)
        if num is None or den is None:
            _fail(
                t,
                "measure",
                f"measure's numerator {m.numerator!r} and denominator {m.denominator!r} must be count columns of the same table",
                column=col,
            )
            continue
        hidden = ~np.isnan(value) & (np.isnan(num) | np.isnan(den) | (den == 0))
        for i in np.flatnonzero(hidden)[:20]:
            _fail(
                t,
                "measure",
                "measure is published where its numerator or denominator is withheld (or zero): with the other it gives the withheld count back",
                area=t.areas[i],
                column=col,
                row=int(t.rows[i]),
            )
        ok = ~np.isnan(value) & ~hidden
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = num / den * m.per
        tol = 0.5 * 10.0 ** (-_decimals(frame[col]).astype(float)) + 1e-9 * np.abs(expected)
        off = ok & ~(np.abs(value - expected) <= tol)
        for i in np.flatnonzero(off)[:20]:
            _fail(
                t,
                "measure",
                f"measure {value[i]:g} is not {m.numerator} / {m.denominator} x {m.per:g} of the published values ({expected[i]:.6g}): computed from unrounded counts it gives them back",
                area=t.areas[i],
                column=col,
                row=int(t.rows[i]),
            )
