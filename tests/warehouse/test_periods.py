"""Several periods of one indicator: QOF 2018/19 to 2021/22, mid-2019 and mid-2020 populations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lantern.errors import ConfigError
from lantern.sources.qof import YEARS

QOF = "qof.dm_prevalence"


def test_every_qof_year_and_both_population_years_are_periods(essex):
    held = essex.periods([QOF, "pop.total"]).set_index(["indicator_id", "period"])
    assert list(held.loc[QOF].index) == ["2018/19", "2019/20", "2020/21", "2021/22"]
    assert list(held.loc["pop.total"].index) == ["2019-06-30", "2020-06-30"]
    assert (held["areas"] == 1077).all()
    # one description per indicator, from its latest period
    meta = essex.meta([QOF, "pop.total"]).set_index("indicator_id")
    assert meta.loc[QOF, "period"] == "2021/22" and meta.loc[QOF, "source_id"] == "qof2122"


def test_indicator_frame_takes_a_period_and_defaults_to_the_latest(essex):
    latest = essex.indicator_frame([QOF], vintage=2011)[QOF]
    explicit = essex.indicator_frame([QOF], vintage=2011, period="2021/22")[QOF]
    assert np.allclose(latest, explicit, equal_nan=True)
    years = {
        p: essex.indicator_frame([QOF], vintage=2011, period=p)[QOF] for p in ("2018/19", "2019/20")
    }
    assert not np.allclose(years["2018/19"], years["2019/20"])
    mixed = essex.indicator_frame(
        [QOF, "pop.total"], vintage=2011, period={QOF: "2018/19", "pop.total": "2019-06-30"}
    )
    assert mixed.attrs["periods"] == {QOF: "2018/19", "pop.total": "2019-06-30"}
    assert np.allclose(mixed[QOF], years["2018/19"])


def test_stored_values_follow_the_practice_files(essex, bundled_essex):
    """Essex-wide DM prevalence each year from the stored registers and lists equals the
    practices' registers × the share of their patients living in Essex (independent of the
    loader's sparse algebra)."""
    reg = pd.read_csv(
        bundled_essex / "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv"
    )
    share = (
        reg.groupby("practice_code")["number_of_patients"].sum()
        / reg.groupby("practice_code")["practice_total_patients"].first()
    )
    for source_id in ("qof1819", "qof1920", "qof2021"):
        year = YEARS[source_id]
        practices = pd.read_csv(bundled_essex / year.path)
        dm = practices[practices[year.group_column] == "DM"].dropna(subset=["REGISTER"])
        dm = dm[dm["PRACTICE_CODE"].isin(share.index)]
        expected = (dm["REGISTER"] * dm["PRACTICE_CODE"].map(share)).sum()
        rows = essex.query(
            "SELECT numerator FROM indicators WHERE indicator_id = ? AND period = ? "
            "AND area_code <> 'E92000001'",  # England's benchmark row is not an Essex LSOA
            [QOF, year.period],
        )
        assert rows["numerator"].sum() == pytest.approx(expected, rel=1e-9), source_id
    rates = essex.query(
        "SELECT value, numerator FROM indicators WHERE indicator_id = ? AND period = '2021/22' "
        "AND area_code <> 'E92000001'",
        [QOF],
    )
    assert rates["numerator"].isna().all() and rates["value"].between(1, 20).all()


def test_a_missing_period_or_a_renamed_id_is_a_clear_error(essex):
    with pytest.raises(ConfigError, match=r"no period '2017/18'.*2018/19, 2019/20"):
        essex.indicator_frame([QOF], vintage=2011, period="2017/18")
    with pytest.raises(ConfigError, match=r"now qof\.dm_prevalence with period = '2019/20'"):
        essex.indicator_frame(["qof1920.dm_prevalence"], vintage=2011)


def test_period_frames_give_every_period_on_the_target_geography(essex):
    frames = essex.period_frames([QOF, "pop.total"], vintage=2021, area_type="lsoa")
    assert list(frames[QOF].columns) == ["2018/19", "2019/20", "2020/21", "2021/22"]
    assert len(frames[QOF]) == 1111 and frames[QOF].notna().all().all()
    one = essex.indicator_frame([QOF], vintage=2021, period="2019/20")[QOF]
    assert np.allclose(frames[QOF]["2019/20"].to_numpy(), one.to_numpy())
    # counts moved to 2021 keep their totals in each period
    for period in ("2019-06-30", "2020-06-30"):
        moved = frames["pop.total"][period].sum()
        stored = essex.query(
            "SELECT sum(value) AS s FROM indicators WHERE indicator_id = 'pop.total' AND period = ?",
            [period],
        )["s"][0]
        assert moved == pytest.approx(stored, rel=1e-9)
