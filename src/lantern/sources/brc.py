"""British Red Cross COVID-19 Vulnerability Index, 2020-04-26 version (MSOA 2011, CC BY 4.0).

Every input indicator is kept as ``brc2020.<slug of its column>``, with the domain and overall
scores, ranks and deciles. In this file rank 1 = least vulnerable and decile 10 = most vulnerable.
"""

from __future__ import annotations

from lantern.sources.context import LoadContext
from lantern.sources.model import Loaded, Source
from lantern.sources.table import TableSpec
from lantern.sources.wide import Measure, load_wide, slug, wide_spec

CODE = "Code"
# The 50 columns of the 2020-04-26 release, in file order (any other header is refused).
COLUMNS = (
    "Modelled prevalence of people aged 15 who are regular smokers",
    "Obese adults",
    "Cancer prevalence",
    "Asthma prevalence",
    "Atrial Fibrillation prevalence",
    "Cardiovascular Disease prevalence",
    "COPD prevalence",
    "Diabetes prevalence",
    "Coronary Heart Disease prevalence",
    "Heart Failure prevalence",
    "High Blood Pressure prevalence",
    "Chronic Kidney Disease prevalence",
    "Peripheral Arterial Disease prevalence",
    "Proportion people over 70",
    "Clinical Vulnerability score",
    "Clinical Vulnerability rank",
    "Clinical Vulnerability decile",
    "Dementia prevalence",
    "Learning Disabilities prevalence",
    "Serious Mental Illness prevalence",
    "Loneliness",
    "Frailty rank",
    "Health/Wellbeing Vulnerability score",
    "Health/Wellbeing Vulnerability rank",
    "Health/Wellbeing Vulnerability decile",
    "Older people social care benefit (Attendance Allowance)",
    "Employment and Support Allowance claimants, disease code nervous system",
    "Employment and Support Allowance claimants, disease code respiratory or circulatory",
    "People receiving Disability Benefits",
    "Personal Independence Payment (PIP), respiratory disease claimants",
    "Households on Universal Credit - Limited Capability for Work Entitlement",
    "Universal Credit claimants - Conditionality Regime: No work requirements",
    "Economic Vulnerability score",
    "Economic Vulnerability rank",
    "Economic Vulnerability decile",
    "Longest distance to supermarket (km)",
    "Longest distance to GP surgery (km)",
    "Longest distance to hospital (km)",
    "Longest distance to food bank (km)",
    "Household overcrowding",
    "Homelessness",
    "Housing in poor condition",
    "Houses without central heating",
    "Air quality",
    "Social Vulnerability score",
    "Social Vulnerability rank",
    "Social Vulnerability decile",
    "Vulnerability score",
    "Vulnerability rank",
    "Vulnerability decile",
)


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


def _spec(source: Source) -> TableSpec:
    return wide_spec(source, CODE, [brc_measure(c) for c in COLUMNS])


def load_brc(source: Source, ctx: LoadContext) -> Loaded:
    """Every column of the release but the code and name is an indicator."""
    return load_wide(source, ctx, CODE, [brc_measure(c) for c in COLUMNS], spec=_spec(source))


load_brc.tables = lambda source: [_spec(source)]  # type: ignore[attr-defined]


# The columns of the published scores (last changed 2020-07-01), in file order.
PUBLISHED_COLUMNS = (
    "Clinical Vulnerability score",
    "Clinical Vulnerability rank",
    "Clinical Vulnerability decile",
    "Health/Wellbeing Vulnerability score",
    "Health/Wellbeing Vulnerability rank",
    "Health/Wellbeing Vulnerability decile",
    "Financial Vulnerability score",
    "Economic Vulnerability score",
    "Economic Vulnerability rank",
    "Economic Vulnerability decile",
    "Digital Vulnerability rank",
    "Social Vulnerability score",
    "Social Vulnerability rank",
    "Social Vulnerability decile",
    "Socioeconomic Vulnerability score",
    "Socioeconomic Vulnerability rank",
    "Socioeconomic Vulnerability decile",
    "Vulnerability score",
    "Vulnerability rank",
    "Vulnerability decile",
)


def _published_measures() -> list[Measure]:
    return [brc_measure(c, "brcvi2020") for c in PUBLISHED_COLUMNS]


def _published_spec(source: Source) -> TableSpec:
    return wide_spec(source, CODE, _published_measures())


def load_brc_published(source: Source, ctx: LoadContext) -> Loaded:
    """The index as the British Red Cross published it (July 2020: factor-analysis and PCA
    weights; domain and overall scores, ranks and deciles) as ``brcvi2020.*``: the version users
    have, and the comparator ``lantern validate`` reports."""
    return load_wide(source, ctx, CODE, _published_measures(), spec=_published_spec(source))


load_brc_published.tables = lambda source: [_published_spec(source)]  # type: ignore[attr-defined]
