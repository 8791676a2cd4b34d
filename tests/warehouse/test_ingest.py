"""`ingest`: complete Essex and England builds, atomic swaps, idempotence and the run log."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pytest

from lantern.errors import InputError
from lantern.pipeline.ingest import ingest, run_log_path
from lantern.sources import SOURCES, LoadContext, get_source, load_source
from lantern.warehouse import Warehouse

from .helpers import build

# Indicator ids other parts of Lantern (index presets, site) rely on.
REQUIRED = [
    "iod2019.imd_score",
    "iod2019.imd_rank",
    "iod2019.imd_decile",
    *[
        f"iod2019.{d}_{k}"
        for d in (
            "income",
            "employment",
            "education",
            "health",
            "crime",
            "barriers",
            "living_environment",
        )
        for k in ("score", "rank", "decile")
    ],
    *[
        f"iod2025.{d}_{k}"
        for d in (
            "imd",
            "income",
            "employment",
            "education",
            "health",
            "crime",
            "barriers",
            "living_environment",
        )
        for k in ("score", "rank", "decile")
    ],
    "pop.total",
    "pop.aged_65_plus_pct",
    "pop.aged_70_plus_pct",
    "pop.aged_80_plus_pct",
    "census2021.usual_residents",
    "census2021.households",
    "census2021.aged_65_plus_pct",
    "census2021.overcrowded_pct",
    "census2021.ethnic_minority_pct",
    "census2021.disabled_pct",
    "census2021.social_rented_pct",
    "census2021.deprived_2plus_dimensions_pct",
    "census2021.flats_pct",
    "ons2020.one_person_65plus_pct",
    "ons2020.one_person_pct",
    "ons2020.limited_a_lot_pct",
    "ons2020.limited_70plus_pct",
    "ons2020.bad_health_pct",
    "ons2020.unpaid_care_65plus_pct",
    "ons2020.unpaid_care_65plus_50h_pct",
    "ons2020.aged_70plus_pct",
    "ons2020.aged_85plus_pct",
    "ons2020.pop_density",
    "cls.lonely_pct",
    "ons_covid_deaths.deaths_mar_dec2020",
    "pop2019_msoa.total",
    "pop2019_msoa.aged_70_plus",
    "brc2020.vulnerability_score",
    *[
        f"qof.{g}_prevalence"
        for g in (
            "ast",
            "af",
            "can",
            "chd",
            "ckd",
            "copd",
            "cvdpp",
            "dem",
            "dep",
            "dm",
            "ep",
            "hf",
            "hyp",
            "ld",
            "mh",
            "ob",
            "ost",
            "pad",
            "pc",
            "ra",
            "stia",
        )
    ],
    *[f"hoc_qof1920.{g}_prevalence" for g in ("dm", "copd", "hyp")],
]
EXPECTED_AREAS = {
    ("lsoa", 2011): 1077,
    ("lsoa", 2021): 1111,
    ("msoa", 2011): 211,
    ("district", 2011): 14,
}


def table_digest(path, table: str, order: str) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            f"SELECT * EXCLUDE (loaded_at) FROM {table} ORDER BY {order}"
            if table == "sources"
            else f"SELECT * FROM {table} ORDER BY {order}"
        ).fetchall()
    finally:
        con.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_bundled_sample_loads_every_area_and_indicator(essex):
    counts = dict(
        ((t, v), n)
        for t, v, n in essex.con.execute(
            "SELECT area_type, vintage, count(*) FROM areas GROUP BY ALL"
        ).fetchall()
    )
    for key, n in EXPECTED_AREAS.items():
        assert counts[key] == n, key
    meta = essex.meta().set_index("indicator_id")
    assert not set(REQUIRED) - set(meta.index)
    # per period: an indicator with several periods (weeks, years) covers the area in each one
    coverage = essex.query("""SELECT m.indicator_id, m.area_type, m.vintage, i.period,
                                     count(i.value) AS n, count(DISTINCT i.area_code) AS areas
                              FROM indicator_meta m LEFT JOIN indicators i
                              ON i.indicator_id = m.indicator_id AND i.area_code <> 'E92000001'
                              GROUP BY ALL""")  # England's benchmark rows are counted apart
    for row in coverage.itertuples():
        expected = counts[(row.area_type, row.vintage)]
        if row.indicator_id.startswith("phe_cases."):
            # weekly cases: 0-2 suppressed at source are missing values, but every area is there
            assert row.areas == expected and row.n <= expected, (row.indicator_id, row.period)
            continue
        # IoD2019 File 8 numerators are suppressed (blank) for a few LSOAs; everything else is complete
        floor = 0.85 * expected if row.indicator_id.endswith("_numerator") else expected
        assert floor <= row.n <= expected, (row.indicator_id, row.n, expected)


def test_every_table_is_filled_and_sources_have_checksums(essex):
    for table in (
        "areas",
        "area_links",
        "crosswalk",
        "indicators",
        "indicator_meta",
        "sources",
        "geometries",
        "runs",
    ):
        assert essex.query(f"SELECT count(*) AS n FROM {table}")["n"][0] > 0, table
    sources = essex.table("sources")
    assert sources["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert set(sources["source_id"]) == {s.source_id for s in SOURCES}
    geoms = essex.query("SELECT area_type, vintage, count(*) AS n FROM geometries GROUP BY ALL")
    got = {(r.area_type, r.vintage): r.n for r in geoms.itertuples()}
    assert got[("lsoa", 2011)] == 1077 and got[("lsoa", 2021)] == 1111


def test_postcode_lookup_is_loaded_for_the_area_and_marked_approximate(essex, bundled_essex):
    lookup = pd.read_csv(bundled_essex / "postcodes" / "nspl_derived_essex.csv", dtype=str)
    pcs = essex.table("postcodes")
    lsoa21 = set(
        essex.query("SELECT area_code FROM areas WHERE area_type = 'lsoa' AND vintage = 2021")[
            "area_code"
        ]
    )
    assert pcs["postcode"].is_unique
    assert pcs["lsoa21_code"].isin(lsoa21).mean() > 0.99
    # every bundled postcode whose LSOA is one of the area's is there, with the file's LSOAs
    expected = lookup[lookup["lsoa21"].isin(lsoa21)].set_index("pcds")
    got = pcs.set_index("postcode")
    assert set(expected.index) <= set(got.index)
    assert (got.loc[expected.index, "lsoa21_code"] == expected["lsoa21"]).all()
    assert (got.loc[expected.index, "lsoa11_code"] == expected["lsoa11"]).all()
    # the bundled file is derived from grid references, not the ONS directory
    assert pcs["approximate"].all()


def test_known_values_survive_the_load(essex, bundled_essex):
    """Jaywick (E01021988), the most deprived LSOA in England in IoD2019."""
    rows = essex.query("SELECT indicator_id, value FROM indicators WHERE area_code = 'E01021988'")
    values = dict(zip(rows["indicator_id"], rows["value"], strict=True))
    assert values["iod2019.imd_rank"] == 1
    assert values["iod2019.imd_score"] == pytest.approx(92.735)
    assert values["iod2019.income_score"] == pytest.approx(0.569, abs=5e-4)


def test_rates_are_computed_from_their_counts(essex, bundled_essex):
    import pandas as pd

    census = pd.read_csv(
        bundled_essex / "census2021/ts052_occupancy_rating_bedrooms_lsoa21_ew.csv"
    ).iloc[0]
    row = essex.query(
        "SELECT * FROM indicators WHERE indicator_id = 'census2021.overcrowded_pct' AND area_code = ?",
        [census["lsoa21_code"]],
    ).iloc[0]
    numerator = census["-1 (overcrowded)"] + census["-2 or less (overcrowded)"]
    assert row["numerator"] == numerator and row["denominator"] == census["total_households"]
    assert row["value"] == pytest.approx(100 * numerator / census["total_households"])


def test_ingest_is_idempotent(essex_build, tmp_path, bundled_essex):
    config, _ = essex_build
    again, _ = build(tmp_path, bundled_essex)
    for table, order in [
        ("areas", "area_code, vintage"),
        ("area_links", "ALL"),
        ("crosswalk", "ALL"),
        ("indicators", "indicator_id, area_code, period"),
        ("indicator_meta", "indicator_id"),
        ("sources", "source_id, file"),
        ("geometries", "area_type, vintage, area_code"),
    ]:
        assert table_digest(config.warehouse, table, order) == table_digest(
            again.warehouse, table, order
        ), table


def test_failed_run_keeps_the_previous_warehouse_and_is_logged(
    tmp_path, bundled_essex, monkeypatch
):
    config, first = build(tmp_path, bundled_essex)
    before = config.warehouse.read_bytes()
    broken = [
        *SOURCES[:3],
        get_source("cls_loneliness").__class__(
            **{**get_source("cls_loneliness").__dict__, "path": "loneliness/absent.csv"}
        ),
    ]
    with pytest.raises(InputError, match="absent.csv"):
        ingest(config, sources=broken)
    assert config.warehouse.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            config.warehouse.name,
            run_log_path(config.warehouse).name,
            run_log_path(config.warehouse).name + ".head",
        ]
    )
    second = ingest(config)
    with Warehouse(config.warehouse) as wh:
        runs = wh.table("runs").set_index("run_id")
    assert list(runs["status"]) == ["ok", "failed", "ok"]
    assert runs.loc[first.run_id, "status"] == "ok" and runs.loc[second.run_id, "status"] == "ok"
    assert "absent.csv" in runs[runs["status"] == "failed"]["details"].iloc[0]


def test_loaders_drop_rows_outside_the_area(bundled_essex):
    from lantern.pipeline.ingest import geography

    _, _, ctx = geography(bundled_essex, ["E07000066"])  # Basildon only
    loaded = load_source(get_source("iod2019_ranks"), ctx)
    assert loaded.rows["area_code"].nunique() == len(ctx.wanted[("lsoa", 2011)]) < 1077
    assert loaded.files[0].rows == 1077  # the whole file was validated
    assert LoadContext(bundled_essex).keep(loaded.rows["area_code"], "lsoa", 2011).all()


@pytest.mark.slow
def test_england_wide_ingest(england):
    counts = dict(
        ((t, v), n)
        for t, v, n in england.con.execute(
            "SELECT area_type, vintage, count(*) FROM areas WHERE area_type IN ('lsoa', 'msoa') GROUP BY ALL"
        ).fetchall()
    )
    assert counts[("lsoa", 2011)] == 32844
    assert counts[("lsoa", 2021)] == 33755
    assert counts[("msoa", 2011)] == 6791
    n = england.query("""SELECT indicator_id, count(value) AS n FROM indicators
                         WHERE indicator_id IN ('iod2019.imd_score', 'iod2025.imd_score', 'pop.total',
                                                'census2021.overcrowded_pct', 'qof.dm_prevalence')
                         AND period IN ('2019', '2025', '2020-06-30', '2021-03-21', '2019/20')
                         AND area_code <> 'E92000001' GROUP BY ALL""").set_index("indicator_id")[
        "n"
    ]
    # England's own value of each rate is stored once, for E92000001 (lantern.benchmarks)
    england_rows = england.query(
        "SELECT indicator_id FROM indicators WHERE area_code = 'E92000001'"
    )
    assert {"census2021.overcrowded_pct", "qof.dm_prevalence"} <= set(england_rows["indicator_id"])
    assert n["iod2019.imd_score"] == 32844 and n["pop.total"] == 32844
    assert n["iod2025.imd_score"] == 33755 and n["census2021.overcrowded_pct"] == 33755
    assert n["qof.dm_prevalence"] == 32844
    # every QOF year covers every English LSOA; mid-2019 LSOA populations cover Essex only
    years = england.periods(["qof.dm_prevalence", "pop.total"]).set_index(
        ["indicator_id", "period"]
    )
    assert list(years.loc["qof.dm_prevalence"].index) == [
        "2018/19",
        "2019/20",
        "2020/21",
        "2021/22",
    ]
    # LSOAs whose patients are all at practices not yet in an earlier year's file have no value
    assert (years.loc["qof.dm_prevalence", "areas"] >= 32_800).all()
    assert years.loc[("qof.dm_prevalence", "2019/20"), "areas"] == 32844
    assert years.loc[("pop.total", "2019-06-30"), "areas"] == 1077
    geoms = england.query("SELECT count(*) AS n FROM geometries WHERE area_type = 'lsoa'")["n"][0]
    assert geoms == 32844 + 33755


@pytest.mark.slow
def test_england_qof_practices_without_registrations_are_counted(england, shared_data):
    """Oracle: the practices of each QOF file (with a register) absent from the Parquet."""
    import pyarrow.parquet as pq

    from lantern.sources.qof import YEARS

    registered = set(
        pq.read_table(
            shared_data / "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_england.parquet",
            columns=["OrganisationCode"],
        )
        .column(0)
        .to_pylist()
    )
    gaps = england.source_gaps()
    gaps = gaps[gaps["area_type"] == "practice"].set_index("source_id")
    for source_id, year in YEARS.items():
        frame = pd.read_csv(shared_data / year.path, dtype=str)
        code = "PRACTICE_CODE" if "PRACTICE_CODE" in frame else frame.columns[0]
        if not year.rates_only:
            frame = frame[frame["REGISTER"].notna() & frame[year.list_column].notna()]
        practices = set(frame[code])
        missing = practices - registered
        assert gaps.loc[source_id, "missing"] == len(missing), source_id
        assert gaps.loc[source_id, "wanted"] == len(practices), source_id
        assert gaps.loc[source_id, "example"] == min(missing)
    assert gaps.loc["qof1819", "missing"] > gaps.loc["qof2122", "missing"] > 0


def test_errors_come_in_step_order_while_sources_load_ahead(tmp_path, bundled_essex):
    """Sources load in a second thread as soon as the hierarchy is known; an error met there
    waits its turn. With a header-only population file (read by the crosswalk step) and an empty
    first source (already being read ahead), the run stops on the population file, leaves no
    warehouse and no loading thread behind."""
    import threading

    from lantern.config import config_from_mapping
    from lantern.geography.tables import POPULATION_2021

    data = tmp_path / "data"
    for path in bundled_essex.rglob("*"):
        if path.is_file():
            target = data / path.relative_to(bundled_essex)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    population = data / POPULATION_2021
    header = population.read_bytes().splitlines(keepends=True)[0]
    population.unlink()
    population.write_bytes(header)
    first = data / SOURCES[0].path
    first.unlink()
    first.write_bytes(b"")
    config = config_from_mapping(
        {"name": "t", "data_dir": str(data), "warehouse": str(tmp_path / "out" / "w.duckdb")},
        root=tmp_path,
    )
    with pytest.raises(InputError) as raised:
        ingest(config)
    message = str(raised.value)
    assert str(population) in message and "no data rows" in message, message
    assert SOURCES[0].path not in message
    assert not config.warehouse.exists()
    assert not [t for t in threading.enumerate() if t.name.startswith("lantern-load")]
