"""GSS code validation: types, exact pattern, clear errors naming file, row and column."""

from __future__ import annotations

import pandas as pd
import pytest

from lantern.errors import InputError
from lantern.geography.codes import AreaType, area_type_of, invalid_codes, validate_code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("E01021988", AreaType.LSOA),
        ("W01000001", AreaType.LSOA),
        ("E02004454", AreaType.MSOA),
        ("E05004273", AreaType.WARD),
        ("E06000033", AreaType.DISTRICT),
        ("E07000070", AreaType.DISTRICT),
        ("E08000025", AreaType.DISTRICT),
        ("E09000001", AreaType.DISTRICT),
        ("W06000015", AreaType.DISTRICT),
        ("E10000012", AreaType.COUNTY),
        ("E11000001", AreaType.COUNTY),
        ("E12000006", AreaType.REGION),
        ("E92000001", AreaType.COUNTRY),
    ],
)
def test_area_type_of_known_prefixes(code: str, expected: AreaType) -> None:
    assert area_type_of(code) == expected
    assert validate_code(code, expected) == expected


def test_short_lsoa_code_names_file_row_column_and_expectation() -> None:
    with pytest.raises(InputError) as info:
        validate_code("E0100001", "lsoa", file="imd.csv", row=7, column="lsoa11_code")
    message = str(info.value)
    assert "expected an ONS GSS code like E01012345 (9 characters) for an LSOA" in message
    assert message.startswith("imd.csv, row 7, column 'lsoa11_code'")
    assert info.value.row == 7 and info.value.column == "lsoa11_code"


@pytest.mark.parametrize(
    "code", ["E010000011", "e01000001", "E01 00001", "X01000001", "E03000001", "", None, 1]
)
def test_malformed_or_unknown_codes_are_refused(code: object) -> None:
    with pytest.raises(InputError):
        validate_code(code)


def test_wrong_type_is_named() -> None:
    with pytest.raises(InputError, match="'E02000001' is an MSOA code"):
        validate_code("E02000001", AreaType.LSOA)


def test_invalid_codes_is_vectorised_and_keeps_the_index() -> None:
    series = pd.Series(
        ["E01000001", "E0100001", None, "E02000001", "W01000005"], index=[5, 6, 7, 8, 9]
    )
    assert invalid_codes(series, "lsoa").tolist() == [False, True, True, True, False]
    assert invalid_codes(series).tolist() == [False, True, True, False, False]
    assert list(invalid_codes(series).index) == [5, 6, 7, 8, 9]
