"""ONS GSS code rules: which kind of area a code names, and clear errors for malformed codes."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pandas as pd

from lantern.errors import InputError


class AreaType(StrEnum):
    """Levels of the statistical and administrative geography Lantern works with."""

    LSOA = "lsoa"
    MSOA = "msoa"
    WARD = "ward"
    DISTRICT = "district"
    COUNTY = "county"
    REGION = "region"
    COUNTRY = "country"


# Three-character GSS entity prefixes (England E, Wales W) and the area type each names.
PREFIXES: dict[str, AreaType] = {
    "E01": AreaType.LSOA,
    "W01": AreaType.LSOA,
    "E02": AreaType.MSOA,
    "W02": AreaType.MSOA,
    "E05": AreaType.WARD,
    "W05": AreaType.WARD,
    "E06": AreaType.DISTRICT,  # unitary authorities
    "E07": AreaType.DISTRICT,  # non-metropolitan districts
    "E08": AreaType.DISTRICT,  # metropolitan districts
    "E09": AreaType.DISTRICT,  # London boroughs
    "W06": AreaType.DISTRICT,  # Welsh unitary authorities
    "E10": AreaType.COUNTY,
    "E11": AreaType.COUNTY,  # metropolitan counties
    "E12": AreaType.REGION,
    "E92": AreaType.COUNTRY,
    "W92": AreaType.COUNTRY,
}

CODE_PATTERN = re.compile(r"^[EW]\d{8}$")
_ARTICLE = {AreaType.LSOA: "an", AreaType.MSOA: "an"}
_EXAMPLE = {
    AreaType.LSOA: "E01012345",
    AreaType.MSOA: "E02004567",
    AreaType.WARD: "E05004273",
    AreaType.DISTRICT: "E07000070",
    AreaType.COUNTY: "E10000012",
    AreaType.REGION: "E12000006",
    AreaType.COUNTRY: "E92000001",
}


def _label(area_type: AreaType) -> str:
    name = area_type.value.upper() if area_type in _ARTICLE else area_type.value
    return f"{_ARTICLE.get(area_type, 'a')} {name}"


def _expected_text(expected: AreaType | None) -> str:
    if expected is None:
        return "expected an ONS GSS code like E01012345 (9 characters: E or W, then 8 digits)"
    prefixes = "/".join(p for p, t in PREFIXES.items() if t == expected)
    return (
        f"expected an ONS GSS code like {_EXAMPLE[expected]} (9 characters) for "
        f"{_label(expected)} (prefix {prefixes})"
    )


def area_type_of(code: str) -> AreaType:
    """The area type a well-formed GSS code names; ``InputError`` when it is malformed or unknown."""
    return validate_code(code)


def validate_code(
    code: object,
    expected: AreaType | str | None = None,
    *,
    file: str | Path | None = None,
    row: int | None = None,
    column: str | None = None,
) -> AreaType:
    """Check ``code`` is a 9-character GSS code (of the ``expected`` type if given); return its type."""
    want = AreaType(expected) if expected is not None else None
    text = code if isinstance(code, str) else ""
    found = PREFIXES.get(text[:3]) if CODE_PATTERN.match(text) else None
    if found is None or (want is not None and found != want):
        shown = repr(code) if isinstance(code, str) and len(code) <= 20 else "the value"
        got = f"; {shown} is {_label(found)} code" if found is not None else f"; got {shown}"
        raise InputError(_expected_text(want) + got, file=file, row=row, column=column)
    return found


def invalid_codes(series: pd.Series, expected: AreaType | str | None = None) -> pd.Series:
    """Boolean mask, aligned with ``series``, of values that are not valid codes of ``expected``."""
    text = series.astype("string[pyarrow]")
    well_formed = text.str.fullmatch(r"[EW]\d{8}").fillna(False).astype(bool)
    prefix = text.str.slice(0, 3)
    if expected is None:
        allowed = set(PREFIXES)
    else:
        want = AreaType(expected)
        allowed = {p for p, t in PREFIXES.items() if t == want}
    known = prefix.isin(allowed).fillna(False).astype(bool)
    return ~(well_formed & known)


def first_invalid(
    series: pd.Series,
    expected: AreaType | str | None = None,
    *,
    file: str | Path | None = None,
    column: str | None = None,
    header_rows: int = 1,
) -> None:
    """Raise ``InputError`` for the first invalid code in ``series`` (row numbers count the header)."""
    bad = invalid_codes(series, expected)
    if bad.any():
        position = int(bad.to_numpy().argmax())
        validate_code(
            series.iloc[position],
            expected,
            file=file,
            row=position + 1 + header_rows,
            column=column,
        )
