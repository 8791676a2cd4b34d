import numpy as np
import pandas as pd
import pytest

from lantern.index.validation import fit_weights_held_out, rates_by_decile, spearman


def test_rates_by_decile_by_hand():
    predictor = np.arange(20, dtype=float)  # decile 1 = the two highest values
    events = np.ones(20)
    population = np.full(20, 1000.0)
    population[19] = 3000.0
    table = rates_by_decile(predictor, events, population, per=1000)
    top = table.set_index("decile").loc[1]
    assert top["events"] == 2 and top["population"] == 4000 and top["rate"] == 0.5
    assert len(table) == 10


def test_spearman_ignores_missing():
    assert spearman([1, 2, 3, np.nan], [10, 20, 30, 5]) == pytest.approx(1.0)


def test_imd_relates_to_covid_deaths_by_msoa(shared_data):
    deaths = pd.read_csv(
        shared_data / "covid_deaths" / "ons_covid_deaths_msoa11_mar-dec2020_england.csv"
    )
    pop = pd.read_csv(shared_data / "population" / "mid2019_msoa11_5yr_bands_ew.csv")
    f = deaths.merge(pop, on="msoa11_code")
    rate = f["deaths_involving_covid19_mar_dec2020"] / f["total_population"]
    assert spearman(f["imd2019_msoa_popweighted_score"], rate) > 0.1  # 0.17 for crude 2020 rates
    table = rates_by_decile(
        f["imd2019_msoa_popweighted_score"].to_numpy(),
        f["deaths_involving_covid19_mar_dec2020"].to_numpy(),
        f["total_population"].to_numpy(),
    )
    assert (
        table.loc[0, "rate"] > table.loc[9, "rate"]
    )  # most deprived decile has the higher death rate


def test_held_out_fit_reports_on_unseen_areas():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = 2 * x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.1, size=400)
    held = np.zeros(400, bool)
    held[:100] = True
    fit = fit_weights_held_out(x, y, held)
    assert fit.weights.sum() == pytest.approx(1.0)
    assert fit.weights[0] > fit.weights[1] > fit.weights[2]
    assert fit.n_train == 300 and fit.n_held_out == 100
    assert fit.spearman_held_out > 0.9


def test_held_out_fit_of_iod_domains_on_real_deaths(iod_result, shared_data):
    """Fit the seven IoD domain weights to 2020 COVID-19 death rates on MSOAs outside the Essex area,
    and report the rank correlation on the Essex area's 211 MSOAs, which the fit never saw."""
    from lantern.index.summaries import area_summaries

    lookup = pd.read_csv(
        shared_data / "lookups" / "lsoa11_msoa11_lad21_utla21_region21_ew.csv"
    ).set_index("lsoa11_code")
    pop = pd.read_csv(shared_data / "imd2019" / "imd2019_lsoa11_all_scores_england.csv").set_index(
        "lsoa11_code"
    )
    msoa = lookup.loc[iod_result.areas, "msoa11_code"].to_numpy()
    inputs = {}
    for k, d in enumerate(iod_result.spec.domains):
        f = pd.DataFrame(
            {
                "parent_code": msoa,
                "population": pop.loc[iod_result.areas, "pop_total_mid2015"].to_numpy(),
                "score": iod_result.combined_inputs[:, k],
                "rank": iod_result.components[d.id]["rank"],
            }
        )
        inputs[d.id] = area_summaries(f, n_total=len(f)).set_index("parent_code")["average_score"]
    x = pd.DataFrame(inputs)
    deaths = pd.read_csv(
        shared_data / "covid_deaths" / "ons_covid_deaths_msoa11_mar-dec2020_england.csv"
    ).set_index("msoa11_code")
    msoa_pop = pd.read_csv(
        shared_data / "population" / "mid2019_msoa11_5yr_bands_ew.csv"
    ).set_index("msoa11_code")
    rate = (
        deaths["deaths_involving_covid19_mar_dec2020"] / msoa_pop["total_population"] * 1e5
    ).reindex(x.index)
    essex = lookup[lookup.utla21_code.isin(["E10000012", "E06000033", "E06000034"])][
        "msoa11_code"
    ].unique()
    fit = fit_weights_held_out(x.to_numpy(), rate.to_numpy(), x.index.isin(essex))
    assert fit.n_held_out == 211 and fit.n_train > 6000
    assert fit.weights.sum() == pytest.approx(1.0)
    assert -1 <= fit.spearman_held_out <= 1 and fit.spearman_train > 0
