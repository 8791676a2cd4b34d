"""England benchmark values: hand-worked totals, an independent oracle, the shipped file, ingest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lantern import benchmarks
from lantern.config import load_config
from lantern.errors import InputError
from lantern.pipeline.ingest import ingest
from lantern.sources import SOURCES
from lantern.sources.model import IndicatorMeta
from lantern.warehouse import Warehouse


def _meta(indicator_id: str, kind: str = "rate", unit: str = "%") -> IndicatorMeta:
    return IndicatorMeta(
        indicator_id, indicator_id, "", unit, kind, "higher_worse", "lsoa", 2021, "2021",
        "test", "pub", "ds", "OGL", "https://example.org",
    )  # fmt: skip


def test_hand_worked_totals():
    rows = pd.DataFrame(
        {
            "area_code": ["A", "B", "C", "A", "B", "A", "B"],
            "indicator_id": ["r", "r", "r", "gap", "gap", "n", "n"],
            "period": ["2021"] * 7,
            # r: 10/100 + 30/200 + 0/100 = 40/400 = 10%; gap: one numerator missing → no total
            "value": [10.0, 15.0, 0.0, 5.0, np.nan, 3.0, 4.0],
            "numerator": [10.0, 30.0, 0.0, 5.0, np.nan, np.nan, np.nan],
            "denominator": [100.0, 200.0, 100.0, 100.0, 100.0, np.nan, np.nan],
        }
    )
    meta = [_meta("r"), _meta("gap"), _meta("n", kind="count", unit="people")]
    out = benchmarks.england_totals(rows, meta).set_index("indicator_id")
    assert list(out.index) == ["r"]
    assert out.loc["r", "value"] == pytest.approx(10.0)
    assert out.loc["r", "numerator"] == 40 and out.loc["r", "denominator"] == 400
    assert out.loc["r", "value_max"] == out.loc["r", "value"] and out.loc["r", "areas"] == 3


def test_shipped_file_is_what_the_england_files_give(shared_data, bundled_essex):
    shipped = benchmarks.read(bundled_essex / benchmarks.FILE)
    fresh = benchmarks.compute(shared_data)
    key = ["indicator_id", "period"]
    merged = shipped.merge(fresh, on=key, suffixes=("", "_fresh"), validate="one_to_one")
    assert len(merged) == len(shipped) == len(fresh)
    for column in ("value", "numerator", "denominator", "value_max"):
        assert np.allclose(merged[column], merged[f"{column}_fresh"], rtol=1e-10), column


def test_independent_oracle_from_the_raw_files(shared_data, bundled_essex):
    shipped = benchmarks.read(bundled_essex / benchmarks.FILE)
    shipped = shipped[shipped["period"].isin(["2021-03-21", "2019/20"])].set_index("indicator_id")
    # Census 2021 aged 65+: plain sums over every English LSOA of the national file
    raw = pd.read_csv(shared_data / "census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv")
    code = next(c for c in raw.columns if c.startswith("lsoa21"))
    england = raw[raw[code].str.startswith("E01")]
    num_col = next(c for c in raw.columns if "65" in c)
    den_col = next(c for c in raw.columns if "total" in c.lower() or "all" in c.lower())
    want = 100 * england[num_col].sum() / england[den_col].sum()
    assert shipped.loc["census2021.aged_65_plus_pct", "value"] == pytest.approx(want, rel=1e-9)
    assert round(want, 1) == 18.4  # ONS: 18.4% of England's residents were 65 or over in 2021
    # QOF 2019/20 diabetes: apportioning keeps England's register within 0.5% of the practices'
    qof = pd.read_csv(shared_data / "qof_practice_nhsd/qof_prevalence_practice_2019_20_england.csv")
    dm = qof[qof["GROUP_CODE"] == "DM"]
    practice_rate = 100 * dm["REGISTER"].sum() / dm["PATIENT_LIST_SIZE"].sum()
    got = shipped.loc["qof.dm_prevalence", "value"]
    assert got == pytest.approx(practice_rate, rel=0.02)


def test_weekly_cases_for_england_are_a_range(shared_data, bundled_essex):
    weekly = benchmarks.read(bundled_essex / benchmarks.FILE)
    weekly = weekly[weekly["indicator_id"] == "phe_cases.weekly_rate"].set_index("period")
    assert len(weekly) == 37
    assert (weekly["value_max"] >= weekly["value"]).all()
    raw = pd.read_csv(
        shared_data
        / "covid_cases/phe_covid_cases_weekly_msoa11_england_2020wk05-41_snapshot2020-10-20.csv"
    )
    english = raw[raw["msoa11_cd"].str.startswith("E02")]
    unallocated = raw[raw["msoa11_hclnm"] == "unallocated"]
    for week in ("wk_14", "wk_41"):
        published = english[week].clip(lower=0).sum() + unallocated[week].clip(lower=0).sum()
        suppressed = int((english[week] == -99).sum())
        row = weekly.loc[f"2020-W{week[3:]}"]
        assert row["numerator"] == published
        pop = row["denominator"]
        assert row["value_max"] == pytest.approx((published + 2 * suppressed) / pop * 1e5)


def test_a_bad_benchmarks_file_names_row_and_column(tmp_path, bundled_essex):
    path = tmp_path / "england.csv"
    frame = benchmarks.read(bundled_essex / benchmarks.FILE)
    frame.loc[3, "value"] = -1
    benchmarks.write(frame, path)
    with pytest.raises(InputError, match="zero or more") as err:
        benchmarks.read(path)
    assert "row 5" in str(err.value) and "'value'" in str(err.value)
    with pytest.raises(InputError, match="England-wide"):
        benchmarks.compute(bundled_essex)


def test_every_essex_rate_with_counts_has_an_england_value(tmp_path, bundled_essex):
    """The bundled build: an England row for every indicator and period with numerators and
    denominators (Fingertips compares every such value with England)."""
    cfg_path = tmp_path / "lantern.toml"
    cfg_path.write_text(
        f'area_codes = ["E10000012", "E06000033", "E06000034"]\ndata_dir = "{bundled_essex}"\n'
        f'warehouse = "{tmp_path / "w.duckdb"}"\n',
        encoding="utf-8",
    )
    result = ingest(load_config(cfg_path), progress=False, geometries=False)
    with Warehouse(result.warehouse) as wh:
        missing = wh.query(
            """SELECT DISTINCT indicator_id, period FROM indicators i
               WHERE area_code <> 'E92000001' AND numerator IS NOT NULL AND denominator > 0
               AND NOT EXISTS (SELECT 1 FROM indicators e WHERE e.area_code = 'E92000001'
                               AND e.indicator_id = i.indicator_id AND e.period = i.period)"""
        )
        # a period published for part of England only (mid-2019 LSOA populations, Essex) has
        # no England value: its total would be a county's
        ids = sorted(s.source_id for s in SOURCES if not benchmarks.covers_england(s))
        partial = wh.query(
            "SELECT indicator_id, period FROM indicator_periods WHERE list_contains(?, source_id)",
            [ids],
        )
        missing = missing.merge(partial, how="left", indicator=True)
        missing = missing[missing["_merge"] == "left_only"]
        assert missing.empty, missing.head()
        england = wh.query("SELECT * FROM indicators WHERE area_code = 'E92000001'")
        assert england["indicator_id"].nunique() >= 60
        assert len(wh.table("benchmarks")) == len(england)


def test_part_of_england_on_england_wide_files(shared_data, bundled_essex):
    """A district from the England-wide folder gets the same England values as the bundle."""
    from lantern.sources import get_source

    assert not (shared_data / benchmarks.FILE).exists()
    frame, origin = benchmarks.for_ingest(
        shared_data, [get_source("census2021_ts007a")], ["E07000066"], pd.DataFrame, []
    )
    assert "England-wide" in origin and len(frame)
    shipped = benchmarks.read(bundled_essex / benchmarks.FILE).set_index(["indicator_id", "period"])
    got = frame.set_index(["indicator_id", "period"])
    assert np.allclose(got["value"], shipped.loc[got.index, "value"], rtol=1e-10)
