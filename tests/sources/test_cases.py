"""PHE weekly COVID-19 cases by MSOA: suppressed weeks stay missing; rates from counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lantern.errors import InputError
from lantern.sources import LoadContext, get_source, load_source
from lantern.sources.cases import INDICATOR, POPULATION

SOURCE = get_source("phe_cases")


def _independent(data_dir: Path) -> pd.DataFrame:
    """An independent reading of the file: plain csv module, -99 → missing."""
    import csv

    rows = []
    with (data_dir / SOURCE.path).open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["msoa11_hclnm"] == "unallocated":
                continue
            for key, text in rec.items():
                if key.startswith("wk_"):
                    n = int(text)
                    rows.append((rec["msoa11_cd"], f"2020-W{key[3:]}", None if n == -99 else n))
    return pd.DataFrame(rows, columns=["area_code", "period", "cases"])


@pytest.mark.parametrize("root", ["bundled", "shared"])
def test_every_week_and_area_with_suppression_as_missing(root, bundled_essex, request):
    data_dir = bundled_essex if root == "bundled" else request.getfixturevalue("shared_data")
    loaded = load_source(SOURCE, LoadContext(data_dir))
    rows = loaded.rows
    assert set(rows["indicator_id"]) == {INDICATOR}
    want = _independent(data_dir)
    assert len(rows) == len(want) == want["area_code"].nunique() * 37
    assert rows["period"].min() == "2020-W05" and rows["period"].max() == "2020-W41"
    merged = rows.merge(want, on=["area_code", "period"], validate="one_to_one")
    suppressed = merged["cases"].isna()
    assert suppressed.any() and (~suppressed).any()
    # a suppressed week is missing in value and numerator, never zero
    assert merged.loc[suppressed, ["value", "numerator"]].isna().all().all()
    assert (merged.loc[~suppressed, "numerator"] == merged.loc[~suppressed, "cases"]).all()
    pop = pd.read_csv(data_dir / POPULATION, index_col="msoa11_code")["total_population"]
    expected = merged["cases"] / merged["area_code"].map(pop) * 100_000
    assert np.allclose(merged["value"], expected, equal_nan=True)
    assert (merged["denominator"] == merged["area_code"].map(pop)).all()
    if root == "bundled":
        assert rows["area_code"].nunique() == 211


def _copy(tmp_path: Path, bundled: Path) -> Path:
    for rel in (SOURCE.path, POPULATION):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(bundled / rel, tmp_path / rel)
    return tmp_path


def _edit(path: Path, row: int, column: str, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 2, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "whole number of cases"), ("2.5", "whole number of cases"), ("many", "number")],
)
def test_bad_counts_name_file_row_and_column(tmp_path, bundled_essex, value, message):
    data = _copy(tmp_path, bundled_essex)
    _edit(data / SOURCE.path, 7, "wk_20", value)
    with pytest.raises(InputError, match=message) as err:
        load_source(SOURCE, LoadContext(data))
    assert "row 7" in str(err.value) and "wk_20" in str(err.value)
    assert SOURCE.path.split("/")[-1] in str(err.value)


def test_no_week_columns_and_unknown_population(tmp_path, bundled_essex):
    data = _copy(tmp_path, bundled_essex)
    frame = pd.read_csv(data / SOURCE.path, dtype=str)
    frame[["msoa11_cd", "msoa11_hclnm"]].to_csv(data / SOURCE.path, index=False)
    with pytest.raises(InputError, match="no weekly case columns"):
        load_source(SOURCE, LoadContext(data))
    data = _copy(tmp_path, bundled_essex)
    _edit(data / SOURCE.path, 3, "msoa11_cd", "E02999999")
    with pytest.raises(InputError, match="no mid-2019 population") as err:
        load_source(SOURCE, LoadContext(data))
    assert "row 3" in str(err.value)
