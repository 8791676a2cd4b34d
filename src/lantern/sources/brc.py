"""British Red Cross COVID-19 Vulnerability Index, 2020-04-26 version (MSOA 2011, CC BY 4.0).

Every input indicator is kept as ``brc2020.<slug of its column>``, with the domain and overall
scores, ranks and deciles. In this file rank 1 = least vulnerable and decile 10 = most vulnerable.
"""

from __future__ import annotations

from lantern.sources.context import LoadContext
from lantern.sources.model import Loaded, Source
from lantern.sources.reading import read_raw
from lantern.sources.wide import Measure, load_wide, slug

CODE = "Code"


SHORT_SLUGS = {
    "Modelled prevalence of people aged 15 who are regular smokers": "smoking_prevalence",
    "Older people social care benefit (Attendance Allowance)": "attendance_allowance",
    "Employment and Support Allowance claimants, disease code nervous system": "esa_nervous_system",
    "Employment and Support Allowance claimants, disease code respiratory or circulatory": "esa_respiratory_circulatory",
    "People receiving Disability Benefits": "disability_benefits",
    "Personal Independence Payment (PIP), respiratory disease claimants": "pip_respiratory",
    "Households on Universal Credit - Limited Capability for Work Entitlement": "uc_limited_capability_for_work",
    "Universal Credit claimants - Conditionality Regime: No work requirements": "uc_no_work_requirements",
}


def brc_measure(column: str, prefix: str = "brc2020") -> Measure:
    """Kind, unit and polarity for one BRC column, from its name."""
    key = f"{prefix}.{SHORT_SLUGS.get(column) or slug(column)}"
    lower = column.lower()
    if lower.endswith("vulnerability score"):
        return Measure(
            key,
            column,
            "score",
            "score",
            "higher_worse",
            column=column,
            description=f"{column}: sum of exponentially transformed ranks; higher = more vulnerable.",
        )
    if lower.endswith("vulnerability rank"):
        return Measure(
            key,
            column,
            "rank",
            "rank",
            "higher_worse",
            column=column,
            description=f"{column}: 1 = least vulnerable MSOA in England.",
        )
    if lower.endswith("vulnerability decile"):
        return Measure(
            key,
            column,
            "decile",
            "decile",
            "higher_worse",
            column=column,
            description=f"{column}: 10 = most vulnerable 10% of MSOAs.",
        )
    if lower == "frailty rank":
        return Measure(
            key,
            column,
            "rank",
            "rank",
            "higher_worse",
            column=column,
            description="Frailty rank as supplied to the BRC index; higher = more frail.",
        )
    unit = "km" if "(km)" in lower else ("proportion" if lower.startswith("proportion") else "%")
    if unit == "%" and "prevalence" not in lower and "obese" not in lower:
        unit = "indicator"
    return Measure(
        key,
        column,
        unit,
        "score",
        "higher_worse",
        column=column,
        description=f"{column} (BRC input indicator; higher = more vulnerable).",
    )


def load_brc(source: Source, ctx: LoadContext) -> Loaded:
    header = read_raw(source.file(ctx.data_dir)).header
    columns = [c for c in header if c not in (CODE, "Name")]
    if not columns:
        columns = ["Vulnerability score"]  # lets the header check name what is missing
    return load_wide(source, ctx, CODE, [brc_measure(c) for c in columns])


def load_brc_published(source: Source, ctx: LoadContext) -> Loaded:
    """The index as the British Red Cross published it (July 2020: factor-analysis and PCA
    weights; domain and overall scores, ranks and deciles) as ``brcvi2020.*``: the version users
    have, and the comparator ``lantern validate`` reports."""
    header = read_raw(source.file(ctx.data_dir)).header
    columns = [c for c in header if c not in (CODE, "Name")] or ["Vulnerability score"]
    return load_wide(source, ctx, CODE, [brc_measure(c, "brcvi2020") for c in columns])
