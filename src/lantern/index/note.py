"""The method note: a Markdown account of how an index was computed, checkable by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lantern.index.engine import INDEX, IndexResult
from lantern.index.explain import explain
from lantern.index.robustness import RobustnessResult
from lantern.index.spec import IndexSpec

VALIDATION_START = "<!-- validation -->"
VALIDATION_END = "<!-- /validation -->"

_NORMALISATION_TEXT = {
    "none": "used as published",
    "rank": "ranked, 1 = least vulnerable … N = most vulnerable",
    "percentile_rank": "percentile rank (rank_min − 1)/(n − 1)",
    "inverse_normal": "normal score Φ⁻¹((r − 0.5)/n) of the rank r (1 = least vulnerable)",
    "zscore": "z-score (x − mean)/sd",
    "minmax": "min–max (x − min)/(max − min)",
    "distance_to_reference": "ratio to the reference value x / x_ref",
}
_TRANSFORM_TEXT = {
    "none": "",
    "exponential": "then exponentially transformed X = −23 · ln(1 − R · (1 − e^(−100/23)))",
}
_R_TEXT = {
    "iod": "R = (N + 1 − rank)/N with rank 1 = most vulnerable",
    "unit": "R = (rank − 1)/(N − 1) with rank 1 = least vulnerable",
}


def reference_text(reference: str, place: str, n: int, area_type: str = "lsoa") -> str:
    """The reference population in words: the place whose areas are ranked together.

    ``reference`` is the build's code (``county``: the configured areas among themselves;
    ``national``: every area held), ``place`` the build's place ("England", "Essex, Southend-on-Sea
    and Thurrock"), ``n`` the areas ranked. No build is called a county unless it is one.
    """
    areas = f"{n:,} {area_type.upper()}s"
    place = place or "the configured areas"
    if reference == "national":
        if place == "England":
            return f"England (all {areas} ranked together)"
        return f"England (all {areas} held, ranked together; {place} reported)"
    if place == "England":
        return f"England (all {areas} ranked together)"
    return f"{place} (its {areas} ranked among themselves, not against England)"


def _fmt(x: float, digits: int = 4) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}g}"


def method_note(
    result: IndexResult,
    *,
    reference: str,
    place: str = "",
    reference_note: str = "",
    robustness: RobustnessResult | None = None,
    area_names: pd.Series | None = None,
    built_at: str = "",
    validation_md: str = "",
    comparison_md: str = "",
) -> str:
    """Markdown describing data, every step's formula, derived weights, missing values, a worked
    example for the most vulnerable area, robustness and (when run) validation."""
    spec = result.spec
    idx = result.components[INDEX]
    n = int(np.sum(~np.isnan(idx["rank"])))
    weights = result.weights()
    missing = result.missing_report()
    lines = [
        f"# {spec.title} — method note",
        "",
        f"Index `{spec.id}`, built {built_at}. {spec.description}",
        "",
        f"- Areas: {n:,} {spec.area_type.upper()}s, boundary vintage {spec.vintage}.",
        f"- Reference population for ranks: **{reference_text(reference, place, n, spec.area_type)}**."
        + (f" {reference_note}" if reference_note else ""),
        "- Rank 1 = most vulnerable; decile = ceil(10 · rank / N), so decile 1 = the most vulnerable 10%.",
        f"- Ties: `{spec.ties}` ranks; rounding: `{spec.rounding}`.",
        "",
        "## Domains and indicators",
        "",
    ]
    for k, d in enumerate(spec.domains):
        w = result.domain_weights[k]
        lines += [f"### {d.title} (`{d.id}`) — weight {w:.4f} in the index", ""]
        if d.description:
            lines += [d.description, ""]
        steps = _NORMALISATION_TEXT[d.normalisation]
        if d.transform != "none":
            steps += f", {_TRANSFORM_TEXT[d.transform]} with {_R_TEXT[d.r_convention]}"
        agg = {
            "arithmetic": "weighted mean Σ wᵢ xᵢ",
            "geometric": "weighted geometric mean Π xᵢ^wᵢ",
            "sum": "sum Σ xᵢ",
        }[d.aggregation]
        lines += [
            f"Each indicator is oriented so higher = more vulnerable, {steps}; the domain score is "
            f"the {agg} (weights: `{d.weighting}`).",
            "",
            "| indicator | polarity | weight | missing (policy) | source | why |",
            "|---|---|---|---|---|---|",
        ]
        dw = weights[weights.component == d.id].set_index("indicator_id")["weight"]
        dm = missing[missing.component == d.id].set_index("indicator_id")
        for ind in d.indicators:
            title = f"{ind.title} (`{ind.id}`)" if ind.title else f"`{ind.id}`"
            miss = dm.loc[ind.id]
            lines.append(
                f"| {title} | {ind.polarity.replace('_', ' ')} | {dw[ind.id]:.4f} | "
                f"{miss['n_missing']} ({miss['policy']}) | {ind.source} | {ind.reason} |"
            )
        lines.append("")
    c = spec.combine
    combine = _NORMALISATION_TEXT[c.normalisation]
    if c.transform != "none":
        combine += f", {_TRANSFORM_TEXT[c.transform]} with {_R_TEXT[c.r_convention]}"
    lines += [
        "## Combining the domains",
        "",
        f"Each domain score is {combine}. The index score is the "
        f"{ {'arithmetic': 'weighted mean', 'geometric': 'weighted geometric mean', 'sum': 'sum'}[c.aggregation] } "
        f"of these with weights (`{c.weighting}`): "
        + ", ".join(
            f"{d.id} {w:.4f}" for d, w in zip(spec.domains, result.domain_weights, strict=True)
        )
        + ".",
        "",
    ]
    if spec.classify.score_round is not None:
        lines += [f"Index scores are rounded to {spec.classify.score_round} dp before ranking.", ""]
    lines += _worked_example(result, area_names)
    if robustness is not None:
        lines += _robustness_section(result, robustness, spec)
    if comparison_md:
        lines += [comparison_md, ""]
    lines += [
        VALIDATION_START,
        validation_md or "## Validation\n\nNot run yet: `lantern validate`.",
        VALIDATION_END,
        "",
    ]
    return "\n".join(lines)


def _worked_example(result: IndexResult, area_names: pd.Series | None) -> list[str]:
    idx = result.components[INDEX]
    row = int(np.nanargmin(idx["rank"]))
    code = result.areas[row]
    name = f" ({area_names.get(code)})" if area_names is not None and code in area_names else ""
    e = explain(result, code)
    lines = [
        "## Worked example: the most vulnerable area",
        "",
        f"**{code}{name}**: index score {_fmt(e.score, 6)}, rank {e.rank:g} of {e.n_areas}, decile {e.decile:g}.",
        "",
        "| domain | indicator | value | normalised | weight | contribution |",
        "|---|---|---|---|---|---|",
    ]
    for r in e.indicators.itertuples():
        lines.append(
            f"| {r.component} | `{r.indicator_id}` | {_fmt(r.value, 6)}{' (imputed)' if r.imputed else ''} "
            f"| {_fmt(r.normalised, 6)} | {r.weight:.4f} | {_fmt(r.contribution, 6)} |"
        )
    lines += [
        "",
        "| domain | domain score | domain rank | value combined | weight | contribution to index |",
        "|---|---|---|---|---|---|",
    ]
    for r in e.domains.itertuples():
        lines.append(
            f"| {r.component} | {_fmt(r.score, 6)} | {r.rank:g} | {_fmt(r.input, 6)} | {r.weight:.4f} "
            f"| {_fmt(r.contribution, 6)} |"
        )
    lines += [
        "",
        f"Sum of contributions = {_fmt(float(e.domains['contribution'].sum()), 6)} = the index score.",
        "",
    ]
    return lines


def _robustness_section(result: IndexResult, rob: RobustnessResult, spec: IndexSpec) -> list[str]:
    width = rob.rank_p95 - rob.rank_p05
    top = result.components[INDEX]["decile"] == 1
    r = spec.robustness
    lines = [
        "## Robustness (Monte Carlo)",
        "",
        f"{rob.draws} draws. Each draw takes indicator and domain weights from a Dirichlet distribution "
        f"centred on the weights above (concentration {r.concentration:g})",
    ]
    if r.normalisations:
        lines[-1] += f", an indicator normalisation from {', '.join(r.normalisations)}"
    if r.transforms:
        lines[-1] += f", a domain transform from {', '.join(r.transforms)}"
    lines[-1] += ", and re-ranks every area."
    lines += [
        "",
        f"- Share of areas whose decile differs from the built one, averaged over draws: "
        f"**{100 * rob.share_changing_decile:.1f}%**.",
        f"- Median width of the 5–95% rank interval: {np.nanmedian(width):.0f} ranks "
        f"(of {int(np.sum(~np.isnan(width)))}).",
        f"- Of the {int(np.sum(top))} areas in decile 1, {int(np.sum(top & (rob.decile_change_share <= 0.1)))} "
        "stay in decile 1 in at least 90% of draws.",
        "",
    ]
    return lines
