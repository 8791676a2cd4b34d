"""``lantern validate``: set the index against COVID-19 deaths by MSOA and simpler baselines.

The index is computed on LSOA 2011 boundaries (the warehouse moves 2021-vintage indicators back
through the crosswalk), averaged to MSOA 2011 weighted by population (IoD Appendix N "average
score"), and compared with ONS deaths involving COVID-19, March–December 2020, per 100,000
residents (ONS mid-2019 MSOA population). Baselines: the IMD 2019 score alone and the share of
residents aged 70+. Weights fitted to the outcome are reported only on held-out areas: fitted on
MSOAs in other regions, tested on the county's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import ConfigError, InputError, Problem
from lantern.index import INDEX, compute_index
from lantern.index.note import VALIDATION_END, VALIDATION_START
from lantern.index.summaries import area_summaries
from lantern.index.validation import fit_weights_held_out, rates_by_decile, spearman
from lantern.paths import shared_data_dir
from lantern.pipeline.build import note_paths, read_inputs, resolve_spec
from lantern.pipeline.progress import Progress, or_quiet

OUTCOME_ID = "ons.covid_deaths_mar_dec2020"
DEATHS_FILE = Path("covid_deaths") / "ons_covid_deaths_msoa11_mar-dec2020_england.csv"
POPULATION_FILE = Path("population") / "mid2019_msoa11_5yr_bands_ew.csv"
BASELINES = {"imd": "iod2019.imd_score", "aged_70_plus": "pop.aged_70_plus_pct"}
BASELINE_PERIODS = {"pop.aged_70_plus_pct": "2020-06-30"}


@dataclass
class ValidationReport:
    index_id: str
    n_msoas: int
    correlations: dict[str, float]
    rates: dict[str, pd.DataFrame]
    held_out: str
    population_source: str
    note_path: Path

    def summary_text(self) -> str:
        lines = [
            f"{self.index_id} against COVID-19 deaths (Mar–Dec 2020) for {self.n_msoas} MSOAs (2011):"
        ]
        for name, rho in self.correlations.items():
            r = self.rates[name]
            lines.append(
                f"  {name:<14} Spearman {rho:+.3f}; deaths per 100,000: decile 1 {r.rate.iloc[0]:.0f}, "
                f"decile 10 {r.rate.iloc[-1]:.0f}"
            )
        lines.append(f"  fitted weights: {self.held_out}")
        return "\n".join(lines)


def _find(config, relative: Path) -> Path | None:
    for folder in (Path(config.data_dir), shared_data_dir()):
        if folder is not None and (folder / relative).is_file():
            return folder / relative
    return None


def _msoa_average(
    scores: pd.Series, links: pd.DataFrame, population: pd.Series | None
) -> pd.Series:
    msoa = links[links.parent_type == "msoa"][["child_code", "parent_code"]]
    pop = (
        population.reindex(scores.index).fillna(0.0)
        if population is not None
        else pd.Series(1.0, scores.index)
    )
    f = pd.DataFrame(
        {
            "area_code": scores.index,
            "score": scores.to_numpy(),
            "population": pop.to_numpy(),
            "rank": scores.rank(ascending=False).to_numpy(),
        }
    )
    f = f.merge(msoa, left_on="area_code", right_on="child_code")
    s = area_summaries(f, n_total=len(scores))
    return pd.Series(s["average_score"].to_numpy(), index=s["parent_code"])


def _outcome(config, msoas: pd.Index, wh) -> tuple[pd.DataFrame, str]:
    deaths_path = _find(config, DEATHS_FILE)
    if deaths_path is None:
        raise InputError("COVID-19 deaths by MSOA not found in the data folder", file=DEATHS_FILE)
    deaths = pd.read_csv(deaths_path).set_index("msoa11_code")
    column = "deaths_involving_covid19_mar_dec2020"
    if column not in deaths.columns:
        raise InputError("column missing", file=deaths_path, column=column)
    pop_path = _find(config, POPULATION_FILE)
    if pop_path is not None:
        pop = pd.read_csv(pop_path).set_index("msoa11_code")["total_population"]
        source = "ONS mid-2019 MSOA population estimates (SAPE22)"
    else:
        pop = wh.indicator_frame(
            ["pop.total"], vintage=2011, area_type="msoa", period="2020-06-30"
        )["pop.total"]
        source = (
            "ONS mid-2020 LSOA population estimates summed to MSOA (mid-2019 MSOA file not found)"
        )
    out = pd.DataFrame({"deaths": deaths[column].reindex(msoas), "population": pop.reindex(msoas)})
    return out, source


def validate(config, *, progress: Progress | None = None) -> ValidationReport:
    """Compute the validation statistics, store them in ``index_validation`` and the method note."""
    from lantern.warehouse import Warehouse

    say = or_quiet(progress)
    spec, _ = resolve_spec(config)
    note_path = note_paths(Path(config.output_dir), spec.id)[0]
    if not note_path.exists():
        raise ConfigError(
            "Validate",
            [Problem("no method note yet; run `lantern build` first", file=str(note_path))],
        )
    if spec.area_type != "lsoa":
        raise ConfigError(
            "Validate", [f"validation needs an LSOA index; {spec.id} is on {spec.area_type}"]
        )
    with Warehouse.update(config.warehouse, command="validate") as wh:
        say("Computing the index on LSOA 2011 boundaries")
        inputs = read_inputs(wh, spec, vintage=2011, area_codes=config.area_codes)
        result = compute_index(spec, inputs.county, parents=inputs.parents, source="warehouse")
        population = wh.population(2011)
        index_lsoa = pd.Series(result.components[INDEX]["score"], index=result.areas)
        predictors = {"index": _msoa_average(index_lsoa, inputs.links, population)}
        msoas = predictors["index"].index
        base = wh.indicator_frame(
            list(BASELINES.values()),
            vintage=2011,
            area_type="msoa",
            areas=config.area_codes,
            period=BASELINE_PERIODS,
        )
        for name, ind in BASELINES.items():
            predictors[name] = base[ind].reindex(msoas)
        say("Reading COVID-19 deaths by MSOA")
        outcome, pop_source = _outcome(config, msoas, wh)
        rate = outcome["deaths"] / outcome["population"] * 100_000
        correlations = {k: spearman(v.to_numpy(), rate.to_numpy()) for k, v in predictors.items()}
        rates = {
            k: rates_by_decile(
                v.to_numpy(), outcome["deaths"].to_numpy(), outcome["population"].to_numpy()
            )
            for k, v in predictors.items()
        }
        held_out = _held_out(spec, inputs, population, config=config)
        rows = [(spec.id, OUTCOME_ID, k, "spearman", v) for k, v in correlations.items()]
        rows += [(spec.id, OUTCOME_ID, "index", "n_areas", float(len(msoas)))]
        for k, table in rates.items():
            rows += [
                (spec.id, OUTCOME_ID, k, f"rate_decile_{int(r.decile)}", float(r.rate))
                for r in table.itertuples()
            ]
        frame = pd.DataFrame(
            rows, columns=["index_id", "outcome_id", "predictor", "measure", "value"]
        )
        wh.replace_validation(spec.id, OUTCOME_ID, frame)
    report = ValidationReport(
        spec.id, len(msoas), correlations, rates, held_out, pop_source, note_path
    )
    _write_into_note(note_path, validation_markdown(report))
    return report


def _held_out(spec, inputs, population, *, config) -> str:
    """Fit domain weights on other regions and report on the county, when the warehouse allows."""
    if len(inputs.everywhere.dropna(how="all")) <= len(inputs.county):
        return (
            "not run: the warehouse holds only the county, and weights fitted to the outcome are reported "
            "only on areas they were not fitted on (fit on other regions, test on the county)"
        )
    deaths_path = _find(config, DEATHS_FILE)
    pop_path = _find(config, POPULATION_FILE)
    if deaths_path is None or pop_path is None:
        return "not run: England-wide deaths or MSOA population file not found"
    everywhere = inputs.everywhere.dropna(how="all")
    result = compute_index(spec, everywhere, parents=inputs.parents, source="warehouse")
    msoa_inputs = {}
    for k, d in enumerate(spec.domains):
        msoa_inputs[d.id] = _msoa_average(
            pd.Series(result.combined_inputs[:, k], index=result.areas), inputs.links, population
        )
    x = pd.DataFrame(msoa_inputs)
    deaths = pd.read_csv(deaths_path).set_index("msoa11_code")[
        "deaths_involving_covid19_mar_dec2020"
    ]
    pop = pd.read_csv(pop_path).set_index("msoa11_code")["total_population"]
    rate = (deaths / pop * 100_000).reindex(x.index)
    county_msoas = set(
        _msoa_average(pd.Series(1.0, index=inputs.county.index), inputs.links, population).index
    )
    fit = fit_weights_held_out(x.to_numpy(), rate.to_numpy(), x.index.isin(county_msoas))
    weights = ", ".join(f"{d} {w:.3f}" for d, w in zip(x.columns, fit.weights, strict=True))
    return (
        f"fitted on {fit.n_train} MSOAs outside the county (Spearman {fit.spearman_train:+.3f}); "
        f"on the county's {fit.n_held_out} held-out MSOAs Spearman {fit.spearman_held_out:+.3f}; weights {weights}"
    )


def validation_markdown(report: ValidationReport) -> str:
    names = {
        "index": f"`{report.index_id}` index",
        "imd": "IMD 2019 score alone",
        "aged_70_plus": "share aged 70+",
    }
    lines = [
        "## Validation against COVID-19 deaths",
        "",
        f"Outcome: ONS deaths involving COVID-19, March–December 2020, by MSOA 2011, per 100,000 residents "
        f"({report.population_source}). The LSOA 2011 index is averaged to each of the {report.n_msoas} "
        "MSOAs weighted by population. Deciles are of the county's MSOAs (1 = most vulnerable).",
        "",
        "| predictor | Spearman ρ | " + " | ".join(f"d{i}" for i in range(1, 11)) + " |",
        "|---|---|" + "---|" * 10,
    ]
    for key, rho in report.correlations.items():
        r = report.rates[key].set_index("decile")["rate"]
        cells = " | ".join(f"{r.get(float(i), np.nan):.0f}" for i in range(1, 11))
        lines.append(f"| {names.get(key, key)} | {rho:+.3f} | {cells} |")
    lines += [
        "",
        "Cells d1…d10: deaths per 100,000 residents in each decile of the predictor.",
        "",
        f"Weights fitted to the outcome: {report.held_out}.",
        "",
    ]
    return "\n".join(lines)


def _write_into_note(path: Path, markdown: str) -> None:
    text = path.read_text("utf-8")
    block = f"{VALIDATION_START}\n{markdown}\n{VALIDATION_END}"
    if VALIDATION_START in text and VALIDATION_END in text:
        head, rest = text.split(VALIDATION_START, 1)
        tail = rest.split(VALIDATION_END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
