"""``validate``: set the index against COVID-19 deaths by MSOA and what users already have.

Method (docs/index.md, "Validation"): the index is computed on LSOA 2021 as built, moved to LSOA
2011 (Census 2021 population-weighted mean over each LSOA 2011's linked LSOA 2021s, a merged LSOA
2021 sharing its weight equally), then to MSOA 2011 (mid-2020 population-weighted mean), and
compared with ONS deaths involving COVID-19, March–December 2020, per resident (mid-2020
population summed to MSOA) by Spearman's ρ with a bootstrap interval, for every MSOA in England
(when the warehouse holds England) and for the county's. Beside it: the British Red Cross
COVID-19 Vulnerability Index as published, the IMD 2019 score, the share aged 70+ and the single
strongest indicator the warehouse holds. Domain weights fitted to the outcome are only ever
reported on areas they were not fitted on: each region is left out in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.config import Config
from lantern.errors import ConfigError, Problem
from lantern.index import INDEX, compute_index
from lantern.index.note import VALIDATION_END, VALIDATION_START
from lantern.index.validation import (
    bootstrap_spearman,
    leave_one_group_out,
    lsoa21_to_lsoa11,
    rates_by_decile,
    spearman,
    weighted_mean_by,
)
from lantern.index.validation_note import comparison_table, validation_markdown
from lantern.pipeline.build import build_place, note_paths, read_inputs, resolve_spec
from lantern.pipeline.progress import Progress, or_quiet

OUTCOME_ID = "ons.covid_deaths_mar_dec2020"
DEATHS = "ons_covid_deaths.deaths_mar_dec2020"
POPULATION_2011 = "pop.total"
POPULATION_PERIOD = "2020-06-30"  # mid-2020 estimates
POPULATION_2021 = "census2021.usual_residents"
BRC = "brcvi2020.vulnerability_score"
BASELINES = {"imd": "iod2019.imd_score", "aged_70_plus": "pop.aged_70_plus_pct"}
BASELINE_PERIODS = {"pop.aged_70_plus_pct": POPULATION_PERIOD}
LABELS = {
    "brc_vi": "British Red Cross COVID-19 Vulnerability Index (published, July 2020)",
    "imd": "IMD 2019 score (population-weighted)",
    "aged_70_plus": "share of residents aged 70+ (mid-2020)",
}
# Each domain keeps this share of the weight when weights are fitted to the outcome.
WEIGHT_FLOOR = 0.1
# Not candidates for "the single strongest indicator": outcomes, and published composite indices.
NOT_INDICATORS = ("ons_covid_deaths", "phe_cases", "brcvi2020")
BOOTSTRAP_DRAWS = 1000


@dataclass
class ValidationReport:
    index_id: str
    rows: pd.DataFrame
    note_path: Path
    place: str = ""

    def summary_text(self) -> str:
        table = comparison_table(self.rows, self.place)
        width = max(len(r[0]) for r in table)
        lines = [f"{self.index_id} against COVID-19 deaths (Mar–Dec 2020), Spearman ρ (95% CI):"]
        lines += ["  " + r[0].ljust(width) + "  " + "   ".join(r[1:]) for r in table]
        return "\n".join(lines)

    def rho(self, predictor: str, scope: str) -> float:
        r = self.rows
        hit = r[(r.predictor == predictor) & (r.scope == scope) & (r.measure == "spearman")]
        return float(hit["value"].iloc[0]) if len(hit) else float("nan")


@dataclass
class _Geography:
    msoa_of: pd.Series  # LSOA 2011 → MSOA 2011
    region_of: pd.Series  # MSOA 2011 → region
    crosswalk: pd.DataFrame
    pop11: pd.Series
    pop21: pd.Series
    county_msoas: pd.Index


def _geography(wh, area_codes: list[str]) -> _Geography:
    links = wh.area_links(child_type="lsoa", vintage=2011)
    msoa = links[links.parent_type == "msoa"].drop_duplicates("child_code")
    msoa_of = pd.Series(msoa["parent_code"].to_numpy(), index=msoa["child_code"])
    region = links[links.parent_type == "region"].drop_duplicates("child_code")
    region_of_lsoa = pd.Series(region["parent_code"].to_numpy(), index=region["child_code"])
    region_of = region_of_lsoa.groupby(msoa_of.reindex(region_of_lsoa.index)).first()
    pop11 = wh.indicator_frame(
        [POPULATION_2011], vintage=2011, area_type="lsoa", period=POPULATION_PERIOD
    )[POPULATION_2011]
    pop21 = wh.indicator_frame([POPULATION_2021], vintage=2021, area_type="lsoa")[POPULATION_2021]
    county_lsoas = wh.area_codes("lsoa", 2011, area_codes)
    county = pd.Index(sorted(set(msoa_of.reindex(county_lsoas).dropna())))
    return _Geography(msoa_of, region_of, wh.crosswalk(), pop11, pop21, county)


def _to_msoa(values21: pd.Series, geo: _Geography) -> pd.Series:
    lsoa11 = lsoa21_to_lsoa11(values21, geo.crosswalk, geo.pop21)
    return weighted_mean_by(lsoa11, geo.msoa_of, geo.pop11)


def _lsoa11_to_msoa(values11: pd.Series, geo: _Geography) -> pd.Series:
    return weighted_mean_by(values11, geo.msoa_of, geo.pop11)


def _strongest(wh, geo: _Geography, rate: pd.Series, msoas: pd.Index) -> tuple[str, pd.Series]:
    """The indicator with the largest ρ (in its vulnerable direction) over ``msoas``."""
    meta = wh.meta()
    meta = meta[
        meta.kind.isin(["rate", "score"])
        & meta.polarity.isin(["higher_worse", "higher_better"])
        & ~meta.source_id.isin(NOT_INDICATORS)
        & ~meta.indicator_id.str.contains("vulnerability_score|imd_score", regex=True)
        & ~meta.indicator_id.str.match(r"iod20\d\d\.\w+_score$")
    ]
    candidates: dict[str, pd.Series] = {}
    lsoa = meta[meta.area_type == "lsoa"].indicator_id.tolist()
    if lsoa:
        frame = wh.indicator_frame(lsoa, vintage=2011, area_type="lsoa")
        for column in frame.columns:
            candidates[column] = _lsoa11_to_msoa(frame[column], geo)
    msoa = meta[(meta.area_type == "msoa") & (meta.vintage == 2011)].indicator_id.tolist()
    if msoa:
        frame = wh.indicator_frame(msoa, vintage=2011, area_type="msoa")
        candidates.update({c: frame[c] for c in frame.columns})
    sign = dict(
        zip(meta.indicator_id, np.where(meta.polarity == "higher_better", -1.0, 1.0), strict=True)
    )
    best, best_rho = "", -np.inf
    for indicator_id, values in candidates.items():
        x = values.reindex(msoas) * sign[indicator_id]
        if x.notna().sum() < 0.9 * len(msoas):
            continue
        rho = spearman(x.to_numpy(), rate.reindex(msoas).to_numpy())
        if rho > best_rho:
            best, best_rho = indicator_id, rho
    title = meta.set_index("indicator_id").loc[best, "title"] if best else ""
    return f"{title} (`{best}`)", candidates[best] * sign[best]


def validate(config: Config, *, progress: Progress | None = None) -> ValidationReport:
    """Compute the validation statistics into ``index_validation`` and the method note."""
    from lantern.warehouse import Warehouse

    say = or_quiet(progress)
    spec, _ = resolve_spec(config)
    note_path = note_paths(Path(config.output_dir), spec.id)[0]
    if not note_path.exists():
        raise ConfigError(
            "Validate",
            [Problem("no method note yet; run `lantern build` first", file=str(note_path))],
        )
    if spec.area_type != "lsoa" or str(spec.vintage) != "2021":
        raise ConfigError(
            "Validate",
            [
                f"validation needs an LSOA 2021 index; {spec.id} is on {spec.area_type} {spec.vintage}"
            ],
        )
    with Warehouse(config.warehouse) as wh:
        say("Reading the index's indicators and the geography", step=0, of=5)
        inputs = read_inputs(wh, spec, vintage=2021, area_codes=config.area_codes)
        place = build_place(wh, config.area_codes)
        geo = _geography(wh, config.area_codes)
        deaths = wh.indicator_frame([DEATHS], vintage=2011, area_type="msoa")[DEATHS]
        population = geo.pop11.groupby(geo.msoa_of.reindex(geo.pop11.index)).sum()
        rate = (deaths / population.reindex(deaths.index)).dropna()
        everywhere = inputs.everywhere.dropna(how="all")
        national = len(everywhere) > len(inputs.county)
        say("Computing the index", step=1, of=5)
        county_result = compute_index(
            spec, inputs.county, parents=inputs.parents, source="warehouse"
        )
        national_result = (
            compute_index(spec, everywhere, parents=inputs.parents, source="warehouse")
            if national
            else None
        )
        reference = "national" if config.index.reference in ("england", "national") else "county"
        county_scores = (
            national_result
            if national_result is not None and reference == "national"
            else county_result
        )
        scopes = {"county": geo.county_msoas.intersection(rate.index)}
        if national:
            scopes = {"england": rate.index, **scopes}
        predictors: dict[str, dict[str, pd.Series]] = {s: {} for s in scopes}
        for scope in scopes:
            # the "england" scope exists only when the national result was computed
            result = (
                national_result
                if scope == "england" and national_result is not None
                else county_scores
            )
            predictors[scope]["index"] = _to_msoa(
                pd.Series(result.components[INDEX]["score"], index=result.areas), geo
            )
        say("Reading the comparators", step=2, of=5)
        meta = wh.meta()
        held = set(meta.indicator_id)
        if BRC in held:
            brc = wh.indicator_frame([BRC], vintage=2011, area_type="msoa")[BRC]
            for scope in scopes:
                predictors[scope]["brc_vi"] = brc
        lsoa11 = [i for i in BASELINES.values() if i in held]
        base = (
            wh.indicator_frame(lsoa11, vintage=2011, area_type="lsoa", period=BASELINE_PERIODS)
            if lsoa11
            else None
        )
        for key, indicator_id in BASELINES.items():
            if base is not None and indicator_id in base.columns:
                values = _lsoa11_to_msoa(base[indicator_id], geo)
                for scope in scopes:
                    predictors[scope][key] = values
        say("Finding the strongest single indicator", step=3, of=5)
        choose_on = scopes["england"] if national else scopes["county"]
        strongest_label, strongest = _strongest(wh, geo, rate, choose_on)
        for scope in scopes:
            predictors[scope]["strongest"] = strongest
        say("Bootstrap intervals and held-out weights", step=4, of=5)
        labels = {
            **LABELS,
            "index": f"`{spec.id}` index ({spec.title})",
            "strongest": f"strongest single indicator: {strongest_label}",
        }
        rows = _rows(spec.id, scopes, predictors, rate, deaths, population, labels)
        if national_result is not None:
            rows += _held_out_rows(spec, national_result, geo, rate, scopes)
        rows.append(
            (spec.id, OUTCOME_ID, "county", "outcome", "deaths", float(deaths.sum()), _OUTCOME)
        )
        frame = pd.DataFrame(
            rows,
            columns=["index_id", "outcome_id", "scope", "predictor", "measure", "value", "detail"],
        )
    section = validation_markdown(frame, place=place)
    with Warehouse.update(config.warehouse, command="validate") as wh:
        _replace_validation(wh, spec.id, frame)
        runs = wh.index_runs(spec.id)
        if (
            "method_note" in runs.columns
            and len(runs)
            and isinstance(runs.method_note.iloc[0], str)
        ):
            wh.execute(
                "index_runs",
                "UPDATE index_runs SET method_note = ? WHERE index_id = ?",
                [_with_section(runs.method_note.iloc[0], section), spec.id],
            )
    _write_into_note(note_path, section)
    return ValidationReport(spec.id, frame, note_path, place)


_OUTCOME = (
    "Outcome: ONS deaths involving COVID-19, March–December 2020, by MSOA 2011, per resident "
    "(ONS mid-2020 LSOA population estimates summed to MSOA). The LSOA 2021 index is moved to "
    "LSOA 2011 (Census 2021 population-weighted mean over each LSOA 2011's linked LSOA 2021s; "
    "a merged LSOA 2021 shares its weight equally) and to MSOA 2011 (mid-2020 population-weighted "
    "mean); the IMD 2019 score and the share aged 70+ are population-weighted from LSOA 2011; the "
    "British Red Cross index is published by MSOA 2011."
)


def _rows(index_id, scopes, predictors, rate, deaths, population, labels) -> list[tuple]:
    rows = []
    for scope, msoas in scopes.items():
        y = rate.reindex(msoas).to_numpy()
        for key, values in predictors[scope].items():
            x = values.reindex(msoas).to_numpy(dtype=float)
            rho = spearman(x, y)
            low, high = bootstrap_spearman(x, y, draws=BOOTSTRAP_DRAWS)
            n = int(np.sum(~(np.isnan(x) | np.isnan(y))))
            label = labels[key]
            rows += [
                (index_id, OUTCOME_ID, scope, key, "spearman", rho, label),
                (index_id, OUTCOME_ID, scope, key, "spearman_low", low, label),
                (index_id, OUTCOME_ID, scope, key, "spearman_high", high, label),
                (index_id, OUTCOME_ID, scope, key, "n_areas", float(n), label),
            ]
            table = rates_by_decile(
                x,
                deaths.reindex(msoas).to_numpy(dtype=float),
                population.reindex(msoas).to_numpy(dtype=float),
            )
            rows += [
                (
                    index_id,
                    OUTCOME_ID,
                    scope,
                    key,
                    f"rate_decile_{int(r.decile)}",
                    float(r.rate),
                    label,
                )
                for r in table.itertuples()
            ]
    return rows


def _held_out_rows(spec, national, geo: _Geography, rate: pd.Series, scopes) -> list[tuple]:
    """Domain weights refitted leaving each region out; ρ of the held-out predictions."""
    x = pd.DataFrame(
        {
            d.id: _to_msoa(pd.Series(national.combined_inputs[:, k], index=national.areas), geo)
            for k, d in enumerate(spec.domains)
        }
    ).reindex(rate.index)
    regions = geo.region_of.reindex(rate.index).to_numpy(dtype=object)
    loo = leave_one_group_out(x.to_numpy(), rate.to_numpy(), regions, floor=WEIGHT_FLOOR)
    predicted = pd.Series(loo.predictions, index=rate.index)
    label = (
        f"`{spec.id}` with domain weights refitted to the outcome, each region held out "
        f"({int(WEIGHT_FLOOR * 100)}% floor per domain)"
    )
    rows = []
    for scope, msoas in scopes.items():
        xs = predicted.reindex(msoas).to_numpy()
        ys = rate.reindex(msoas).to_numpy()
        low, high = bootstrap_spearman(xs, ys, draws=BOOTSTRAP_DRAWS)
        rows += [
            (spec.id, OUTCOME_ID, scope, "index_held_out", "spearman", spearman(xs, ys), label),
            (spec.id, OUTCOME_ID, scope, "index_held_out", "spearman_low", low, label),
            (spec.id, OUTCOME_ID, scope, "index_held_out", "spearman_high", high, label),
        ]
    county_regions = sorted(set(geo.region_of.reindex(scopes["county"]).dropna()))
    if len(county_regions) == 1 and county_regions[0] in loo.weights:
        region = county_regions[0]
        for d, w in zip(spec.domains, loo.weights[region], strict=True):
            rows.append((spec.id, OUTCOME_ID, "county", "held_out_weights", d.id, float(w), region))
        note = (
            f"Held out: weights fitted without region {region} (which holds the county) give the "
            "county's ρ above; across England each region's MSOAs are scored with weights fitted "
            "on the other regions. The preset's own domain weights are the same fit made once, "
            "without the county's region, and rounded."
        )
        rows.append((spec.id, OUTCOME_ID, "county", "held_out_note", "text", np.nan, note))
    return rows


def _replace_validation(wh, index_id: str, frame: pd.DataFrame) -> None:
    """Replace this index's validation rows (an older table without ``scope`` is recreated)."""
    if wh.has("index_validation"):
        columns = set(wh.query("SELECT * FROM index_validation LIMIT 0").columns)
        if "scope" not in columns:
            wh.execute("index_validation", "DROP TABLE index_validation")
    wh.replace_validation(index_id, OUTCOME_ID, frame)


def _with_section(text: str, markdown: str) -> str:
    """``text`` with its validation section replaced by ``markdown`` (rendered from the table)."""
    block = f"{VALIDATION_START}\n{markdown}\n{VALIDATION_END}"
    if VALIDATION_START in text and VALIDATION_END in text:
        head, rest = text.split(VALIDATION_START, 1)
        tail = rest.split(VALIDATION_END, 1)[1]
        return head + block + tail
    return text.rstrip() + "\n\n" + block + "\n"


def _write_into_note(path: Path, markdown: str) -> None:
    text = _with_section(path.read_text("utf-8"), markdown)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
