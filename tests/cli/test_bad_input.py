"""Each kind of bad source file stops `lantern ingest` with a located error and a kept warehouse.

Every bad file is made in a temporary folder from a copy of a real bundled file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from lantern.cli import main

from .helpers import digest

IOD_RANKS = "imd2019/imd2019_lsoa11_ranks_deciles_england.csv"
IOD_SCORES = "imd2019/imd2019_lsoa11_all_scores_england.csv"
TS038 = "census2021/ts038_disability_lsoa21_ew.csv"
TS052 = "census2021/ts052_occupancy_rating_bedrooms_lsoa21_ew.csv"
TS021 = "census2021/ts021_ethnic_group_lsoa21_ew.csv"
POP = "population/mid2020_lsoa11_5yr_bands_ew.csv"
LONELY = "loneliness/cls_loneliness_modelled_lsoa21_essex.csv"
ONS = "ons_covid_vulnerable_groups_2020/ons_covid_census2011_household_health_care_lsoa11_ew.csv"


def edit_lines(data: Path, relative: str, edit) -> None:  # noqa: ANN001
    path = data / relative
    lines = path.resolve().read_bytes().split(b"\n")
    path.unlink()
    path.write_bytes(b"\n".join(edit(lines)))


def set_field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = value
    return b",".join(fields)


def wrong_header(data, bundled):
    edit_lines(data, IOD_RANKS, lambda ls: [ls[0].replace(b"IMD_rank", b"IMD_rnk"), *ls[1:]])
    return IOD_RANKS, 1, "IMD_rank"


def malformed_code(data, bundled):
    edit_lines(data, TS038, lambda ls: [*ls[:4], set_field(ls[4], 0, b"E0100001"), *ls[5:]])
    return TS038, 5, "lsoa21_code"


def non_numeric(data, bundled):
    column = "age_70plus"
    index = (data / POP).resolve().read_text().split("\n")[0].split(",").index(column)
    edit_lines(data, POP, lambda ls: [*ls[:3], set_field(ls[3], index, b"seventy"), *ls[4:]])
    return POP, 4, column


def duplicated_area(data, bundled):
    lines = (data / TS052).resolve().read_bytes().rstrip(b"\n").split(b"\n")
    edit_lines(data, TS052, lambda ls: [*lines, lines[2], b""])
    return TS052, len(lines) + 1, "lsoa21_code"


def wrong_vintage(data, bundled):
    cross = pd.read_csv(bundled / "lookups/lsoa11_lsoa21_lad22_ew.csv")
    only21 = sorted(set(cross["lsoa21_code"]) - set(cross["lsoa11_code"]))[0]
    edit_lines(
        data, IOD_SCORES, lambda ls: [*ls[:5], set_field(ls[5], 0, only21.encode()), *ls[6:]]
    )
    return IOD_SCORES, 6, "lsoa11_code"


def empty_file(data, bundled):
    edit_lines(data, LONELY, lambda ls: [b""])
    return LONELY, 1, None


def truncated_file(data, bundled):
    raw = (data / TS021).resolve().read_bytes()
    cut = raw[: int(len(raw) * 0.6)]
    cut = cut[: cut.rfind(b",") + 3]  # stop a few characters into a field
    (data / TS021).unlink()
    (data / TS021).write_bytes(cut)
    header = next(csv.reader([raw.split(b"\n")[0].decode()]))
    last_fields = next(csv.reader([cut.split(b"\n")[-1].decode()]))
    return TS021, cut.count(b"\n") + 1, header[len(last_fields) - 1]


def wrong_encoding(data, bundled):
    edit_lines(
        data,
        ONS,
        lambda ls: [
            *ls[:2],
            ls[2].replace(b"Southend", "Southénd".encode("cp1252"), 1)
            if b"Southend" in ls[2]
            else b"Caf\xe9" + ls[2],
            *ls[3:],
        ],
    )
    return ONS, 3, "LSOA Name"


CASES = [
    wrong_header,
    malformed_code,
    non_numeric,
    duplicated_area,
    wrong_vintage,
    empty_file,
    truncated_file,
    wrong_encoding,
]


@pytest.mark.parametrize("make_bad", CASES, ids=[c.__name__ for c in CASES])
def test_bad_file_is_located_and_the_warehouse_is_kept(project, bundled_essex, capsys, make_bad):
    config, data, warehouse = project
    before = digest(warehouse)
    relative, row, column = make_bad(data, bundled_essex)
    code = main(["ingest", "--config", str(config), "--quiet"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert relative in err
    assert f"row {row}" in err
    if column is not None:
        assert f"column '{column}'" in err or f'column "{column}"' in err
    assert "expected" in err
    assert digest(warehouse) == before
    assert [
        p.name
        for p in warehouse.parent.iterdir()
        if p.name != warehouse.name and "runs.log" not in p.name
    ] == []
