"""``lantern build``, ``explain``, ``validate`` and ``index`` end to end on the bundled Essex data."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from lantern.cli import main
from lantern.index import load_preset, parse_spec_text


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A project on the bundled Essex sample: ``lantern init``, ``ingest``, ``build``, ``validate``."""
    root = tmp_path_factory.mktemp("essex")
    config = root / "lantern.toml"
    assert main(["init", "--out", str(config)]) == 0
    assert main(["ingest", "--config", str(config), "--quiet"]) == 0
    assert main(["build", "--config", str(config), "--draws", "100"]) == 0
    assert main(["validate", "--config", str(config)]) == 0
    return root


@pytest.fixture(scope="session")
def tables(project):
    con = duckdb.connect(str(project / "out" / "lantern.duckdb"), read_only=True)
    names = [
        "index_runs",
        "index_components",
        "index_scores",
        "index_indicator_values",
        "index_contributions",
        "index_weights",
        "index_summaries",
        "index_validation",
    ]
    out = {n: con.execute(f"SELECT * FROM {n} WHERE index_id = 'essex-covid'").df() for n in names}
    con.close()
    return out


@pytest.mark.slow
def test_essex_covid_builds_for_every_essex_lsoa(tables):
    run = tables["index_runs"].iloc[0]
    assert run["n_areas"] == 1111 and run["vintage"] == 2021 and run["reference"] == "county"
    s = tables["index_scores"]
    idx = s[(s.component == "index") & (s.reference == "county")]
    assert len(idx) == 1111 and idx["area_code"].str.startswith("E01").all()
    assert idx["score"].notna().all()
    assert sorted(idx["rank"]) == list(range(1, 1112))
    assert idx["decile"].value_counts().sort_index().tolist() == [
        111,
        111,
        111,
        111,
        111,
        111,
        111,
        111,
        111,
        112,
    ]
    assert (idx["rank_p05"] <= idx["rank_median"]).all() and (
        idx["rank_median"] <= idx["rank_p95"]
    ).all()
    assert set(s.component) == {
        "index",
        "frailty_care",
        "clinical_risk",
        "health_disability",
        "household_social",
        "deprivation",
    }


@pytest.mark.slow
def test_contributions_weights_and_summaries_are_consistent(tables):
    s = tables["index_scores"].query("component == 'index'").set_index("area_code")["score"]
    c = (
        tables["index_contributions"]
        .query("component == 'index'")
        .groupby("area_code")["contribution"]
        .sum()
    )
    np.testing.assert_allclose(c.reindex(s.index), s, rtol=1e-9)
    w = tables["index_weights"].groupby("component")["weight"].sum()
    np.testing.assert_allclose(w, 1.0)
    values = tables["index_indicator_values"]
    assert values["indicator_id"].nunique() == len(load_preset("essex-covid").indicators)
    summ = tables["index_summaries"].query("component == 'index'")
    districts = summ[(summ.area_type == "district") & (summ.measure == "proportion")]
    assert len(districts) == 14
    n = summ[(summ.area_type == "district") & (summ.measure == "n_areas")]["value"].sum()
    assert n == 1111


@pytest.mark.slow
def test_method_note_and_resolved_spec(project, tables):
    note = (project / "out" / "essex-covid-method.md").read_text()
    for text in (
        "## Worked example",
        "## Robustness",
        "## Validation against COVID-19 deaths",
        "Spearman",
        "qof.copd_prevalence",
        "= the index score",
        # the county build's areas are ranked among themselves, and named
        "Reference population for ranks: **Essex, Southend-on-Sea and Thurrock (its 1,111 LSOAs",
        "| Essex, Southend-on-Sea and Thurrock (211 MSOAs) |",  # the validation column too
    ):
        assert text in note
    spec = parse_spec_text((project / "out" / "essex-covid-spec.toml").read_text())
    assert spec == load_preset("essex-covid")
    v = tables["index_validation"]
    assert {"index", "imd", "aged_70_plus"} <= set(v.predictor)
    assert {"brc_vi", "strongest"} <= set(v.predictor)
    rho = v[(v.predictor == "index") & (v.measure == "spearman")]["value"].iloc[0]
    assert -1 <= rho <= 1
    assert set(v.scope) == {"county"}  # the bundled warehouse holds only the county
    low, high = (
        v[(v.predictor == "index") & (v.measure == m)]["value"].iloc[0]
        for m in ("spearman_low", "spearman_high")
    )
    assert low < rho < high
    assert "British Red Cross" in note and "(95%" not in note.split("## Validation")[0]


@pytest.mark.slow
def test_explain_prints_contributions_and_decile_shift(project, tables, capsys):
    top = tables["index_scores"].query("component == 'index' and rank == 1")["area_code"].iloc[0]
    assert main(["explain", top, "--config", str(project / "lantern.toml")]) == 0
    out = capsys.readouterr().out
    assert top in out and "decile 1" in out and "To move to decile 2" in out
    assert main(["explain", "E01999999", "--config", str(project / "lantern.toml")]) == 3


def test_index_command_on_the_svi_county_file(shared_data, tmp_path):
    out = tmp_path / "svi.csv"
    code = main(
        [
            "index",
            "--spec",
            "cdc-svi",
            "--data",
            str(shared_data / "anchors" / "svi2020_pa_co.csv"),
            "--area-column",
            "FIPS",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    mine = pd.read_csv(out, dtype={"area_code": str}).set_index("area_code")
    published = pd.read_csv(
        shared_data / "anchors" / "svi2020_pa_co.csv", encoding="utf-8-sig", dtype={"FIPS": str}
    ).set_index("FIPS")
    np.testing.assert_array_equal(mine.loc[published.index, "index_prank"], published["RPL_THEMES"])
    for col in ("index_rank", "index_decile", "index_flag_count", "theme1_flag", "EP_POV150_flag"):
        assert col in mine.columns


def test_index_command_reports_bad_input(tmp_path, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('[index]\nid = "x"\n[[domains]]\nid = "d"\nnormalisation = "magic"\n')
    data = tmp_path / "data.csv"
    data.write_text("code,a\nX1,1\nX2,oops\n")
    assert (
        main(["index", "--spec", str(spec), "--data", str(data), "--out", str(tmp_path / "o.csv")])
        == 3
    )
    err = capsys.readouterr().err
    assert "index.title" in err and "normalisation" in err and "domains[0].indicators" in err
    spec.write_text(
        '[index]\nid = "x"\ntitle = "t"\n[[domains]]\nid = "d"\n[[domains.indicators]]\nid = "a"\n'
    )
    assert (
        main(["index", "--spec", str(spec), "--data", str(data), "--out", str(tmp_path / "o.csv")])
        == 2
    )
    err = capsys.readouterr().err
    assert "row 3" in err and "'a'" in err


ESSEX_DISTRICTS = [f"E070000{n}" for n in range(66, 78)] + ["E06000033", "E06000034"]


def test_reference_national_then_filter_against_within_county(
    iod_result, iod_domain_input, iod_ranks
):
    from lantern.index import compute_index
    from lantern.pipeline.build import reference_comparison

    essex = iod_ranks.index[iod_ranks["ltla19_code"].isin(ESSEX_DISTRICTS)]
    assert len(essex) == 1077
    county = compute_index(load_preset("iod2019"), iod_domain_input.loc[essex])
    # Within the county every decile holds a tenth of the county's LSOAs …
    assert np.bincount(county.components["index"]["decile"].astype(int))[1:].min() >= 107
    # … while ranked nationally the county's LSOAs keep their England deciles.
    national = iod_result.components["index"]["decile"][iod_result.subset(essex)]
    np.testing.assert_array_equal(national, iod_ranks.loc[essex, "IMD_decile"].to_numpy())
    md = reference_comparison(county, iod_result, essex)
    assert "| county \\ national |" in md and "1,077" not in md and "32,844" in md


@pytest.mark.slow
def test_lantern_index_on_exported_values_reproduces_the_build_exactly(project, tables, tmp_path):
    """The warehouse's own input values, exported to CSV with each LSOA's district, give the
    same scores, ranks and deciles through ``lantern index`` as ``lantern build`` stored."""
    values = tables["index_indicator_values"]
    wide = values.pivot(index="area_code", columns="indicator_id", values="value")
    con = duckdb.connect(str(project / "out" / "lantern.duckdb"), read_only=True)
    links = con.execute(
        "SELECT child_code, parent_code FROM area_links WHERE child_type = 'lsoa' "
        "AND parent_type = 'district' AND vintage = 2021"
    ).df()
    con.close()
    wide.insert(
        0, "district_code", links.set_index("child_code")["parent_code"].reindex(wide.index)
    )
    data = tmp_path / "exported.csv"
    wide.rename_axis("area_code").to_csv(data)
    out = tmp_path / "recomputed.csv"
    args = ["index", "--spec", "essex-covid", "--data", str(data), "--out", str(out)]
    assert main([*args, "--parent-column", "district_code"]) == 0
    mine = pd.read_csv(out, float_precision="round_trip").set_index("area_code")
    built = tables["index_scores"].query("reference == 'county'")
    for component, stored in built.groupby("component"):
        stored = stored.set_index("area_code").reindex(mine.index)
        for column in ("score", "rank", "decile"):
            np.testing.assert_array_equal(
                mine[f"{component}_{column}"].to_numpy(), stored[column].to_numpy(), err_msg=column
            )
    summaries = pd.read_csv(tmp_path / "recomputed-summaries.csv")
    assert set(summaries.parent_code) == set(links.parent_code)


def test_lantern_index_fills_a_gap_from_the_parent_or_says_what_is_needed(tmp_path, capsys):
    rng = np.random.default_rng(1)
    spec = load_preset("essex-covid")
    ids = [i.column for i in spec.indicators]
    frame = pd.DataFrame(rng.gamma(2.0, 3.0, (40, len(ids))), columns=ids)
    frame.insert(0, "district", [f"E0700000{k % 4}" for k in range(40)])
    frame.insert(0, "area_code", [f"E010{k:05d}" for k in range(40)])
    frame.loc[3, ids[0]] = np.nan
    data = tmp_path / "gap.csv"
    frame.to_csv(data, index=False)
    args = ["index", "--spec", "essex-covid", "--data", str(data), "--out", str(tmp_path / "o.csv")]
    assert main(args) == 2  # an input error: one clear line
    err = capsys.readouterr().err
    assert "--parent-column" in err and ids[0] in err and "Traceback" not in err
    assert main([*args, "--parent-column", "district"]) == 0
    out = pd.read_csv(tmp_path / "o.csv").set_index("area_code")
    assert out["index_rank"].notna().all()


@pytest.mark.slow
def test_every_domain_has_a_rank_interval(tables):
    """The domain ``rank_p05``/``rank_p95`` columns are filled (empty before), p05 ≤ median ≤ p95,
    and a one-indicator domain's interval is its rank (its order never changes)."""
    s = tables["index_scores"].query("reference == 'county'")
    for component, part in s.groupby("component"):
        assert part[["rank_p05", "rank_median", "rank_p95"]].notna().all().all(), component
        assert (part.rank_p05 <= part.rank_median).all() and (
            part.rank_median <= part.rank_p95
        ).all()
    dep = s[s.component == "deprivation"]
    assert (dep.rank_p05 == dep["rank"]).all() and (dep.rank_p95 == dep["rank"]).all()
    frail = s[s.component == "frailty_care"]
    assert (frail.rank_p95 - frail.rank_p05).median() > 0
