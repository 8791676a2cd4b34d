"""Identifier normalisation: one canonical text per value, or None when it cannot be used.

Pure functions over single values and pandas Series. Nothing here logs values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from lantern.errors import InputError

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_NON_ALPHA = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\D+")
_TITLES = {"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "SIR", "DAME", "LADY", "LORD"}
_SEX = {
    "M": "M",
    "MALE": "M",
    "1": "M",
    "F": "F",
    "FEMALE": "F",
    "2": "F",
    "X": "X",
    "I": "X",
    "9": "X",
}


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus-11 check digit for nine digits; None when 10 (no valid number has those digits)."""
    total = sum(int(d) * w for d, w in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and nhs_check_digit(value[:9]) == int(value[9])


def normalise_nhs_number(value: object) -> str | None:
    """Ten digits with a correct modulus-11 check digit (spaces and dashes removed), else None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    digits = re.sub(r"[\s-]", "", str(value))
    return digits if is_valid_nhs_number(digits) else None


def normalise_name(value: object) -> str | None:
    """Upper case A–Z, accents folded, punctuation dropped, titles removed, spaces collapsed."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().upper()
    text = _NON_ALPHA.sub(" ", text.replace("'", ""))
    words = [w for w in _SPACES.split(text) if w and w not in _TITLES]
    return " ".join(words) or None


def normalise_date(value: object) -> str | None:
    """A real calendar date as YYYYMMDD from ISO, YYYYMMDD or DD/MM/YYYY text; else None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    text = str(value).strip()
    if "/" in text or "." in text:
        parts = re.split(r"[/.]", text)
        if len(parts) == 3 and len(parts[2]) == 4:
            text = f"{parts[2]}{parts[1].zfill(2)}{parts[0].zfill(2)}"
    digits = _DIGITS.sub("", text)
    if len(digits) != 8:
        return None
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return digits


def normalise_sex(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return _SEX.get(str(value).strip().upper())


def normalise_postcode(value: object) -> str | None:
    """A UK postcode in the ONS ``pcds`` form ``CM1 1AA``, else None."""
    if not isinstance(value, str):
        return None
    # imported here: the postcode module brings GeoPandas, which pseudonymisation never needs
    from lantern.geography.postcodes import normalise_postcode as geo_normalise_postcode

    try:
        return geo_normalise_postcode(value)
    except InputError:
        return None


def normalise_text(value: object) -> str | None:
    """Generic identifier text: upper case, trimmed, inner spaces collapsed."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = _SPACES.sub(" ", str(value).strip().upper())
    return text or None


NORMALISERS = {
    "nhs_number": normalise_nhs_number,
    "given_name": normalise_name,
    "family_name": normalise_name,
    "date_of_birth": normalise_date,
    "sex": normalise_sex,
    "postcode": normalise_postcode,
    "identifier": normalise_text,
    "text": normalise_text,
}


def expand(mapped: list[str | None], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Per-distinct results back to rows (``codes`` from ``pd.factorize``; -1, missing, → None)."""
    table = np.empty(len(mapped) + 1, dtype=object)
    table[:-1] = mapped
    table[-1] = None
    return pd.Series(table[codes], index=index, dtype=object)


def per_distinct(values: pd.Series, func: Callable[[Any], str | None]) -> pd.Series:
    """``func`` applied once per distinct non-missing value; missing values give None."""
    codes, uniques = pd.factorize(values)
    return expand([func(v) for v in uniques], codes, values.index)


def normalise_series(series: pd.Series, kind: str) -> pd.Series:
    """Normalise a column by identifier kind, working once per distinct value."""
    return per_distinct(series, NORMALISERS[kind])
