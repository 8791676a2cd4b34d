"""ONS's spring-2020 "coronavirus vulnerable groups" small-area tables (Census 2011, LSOA 2011).

The published percentages are kept as values, with the published counts as numerators; the files
carry no denominators.
"""

from __future__ import annotations

from lantern.sources.wide import Measure, wide

# (indicator slug, count column, % column, title, unit of the denominator)
CENSUS2011 = [
    (
        "one_person_65plus_pct",
        "QS113: One person household: Age 65 and over",
        "QS113: One person household: Age 65 and over %",
        "One-person households aged 65 and over (%)",
        "households",
    ),
    (
        "one_person_pct",
        "QS113: One person household: Total",
        "QS113: One person household: Total %",
        "One-person households (%)",
        "households",
    ),
    (
        "limited_a_lot_pct",
        "KS301: Day-to-day activities limited a lot",
        "KS301: Day-to-day activities limited a lot %",
        "Residents whose day-to-day activities are limited a lot (%)",
        "residents",
    ),
    (
        "limited_70plus_pct",
        "CT108: Day-to-day activities limited - 70+",
        "CT108: Day-to-day activities limited - 70+ %",
        "Residents aged 70+ with activities limited (%)",
        "residents",
    ),
    (
        "bad_health_pct",
        "KS301: Very bad and bad health",
        "KS301: Very bad and bad health %",
        "Residents in bad or very bad health (%)",
        "residents",
    ),
    (
        "bad_health_70plus_pct",
        "CT108: Very bad and bad health - 70+",
        "CT108: Very bad and bad health % - 70+",
        "Residents aged 70+ in bad or very bad health (%)",
        "residents",
    ),
    (
        "one_person_ltc_pct",
        "KS106: One person in household with a long-term health problem or disability",
        "KS106: One person in household with a long-term health problem or disability %",
        "Households with one person with a long-term health problem or disability (%)",
        "households",
    ),
    (
        "one_person_ltc_children_pct",
        "KS106: One person in household with a long-term health problem or disability: With dependent children",
        "KS106: One person in household with a long-term health problem or disability: With dependent children %",
        "Households with a person with a long-term health problem and dependent children (%)",
        "households",
    ),
    (
        "unpaid_care_65plus_pct",
        "LC3304: Provides unpaid care age 65+: Total",
        "LC3304: Provides unpaid care age 65+: Total %",
        "Residents aged 65+ providing unpaid care (%)",
        "residents",
    ),
    (
        "unpaid_care_65plus_50h_pct",
        "LC3304: Age 65+ Provides 50 or more hours unpaid care a week",
        "LC3304: Age 65+ Provides 50 or more hours unpaid care a week %",
        "Residents aged 65+ providing 50+ hours of unpaid care a week (%)",
        "residents",
    ),
    (
        "carers_in_household_pct",
        "LC3301: People who provide unpaid care for 1 or more people in household with a long-term health problem or disability",
        "LC3301: People who provide unpaid care for 1 or more people in household with a long-term health problem or disability %",
        "Residents caring for someone in their household (%)",
        "residents",
    ),
]
NOTE = "Census 2011, as published in ONS's 2020 coronavirus vulnerable-groups maps (% of {unit})."


@wide("LSOA Code")
def load_census2011_groups() -> list[Measure]:
    measures = [
        Measure(
            f"ons2020.{key}",
            title,
            "%",
            "rate",
            "higher_worse",
            column=pct,
            numerator=(num,),
            description=NOTE.format(unit=unit),
        )
        for key, num, pct, title, unit in CENSUS2011
    ]
    return measures


@wide("lsoa11cd")
def load_older_people_density() -> list[Measure]:
    note = "ONS mid-year estimates (probably mid-2018) as used in ONS's 2020 coronavirus maps."
    measures = [
        Measure(
            "ons2020.aged_70plus_pct",
            "Residents aged 70 and over (%)",
            "%",
            "rate",
            "higher_worse",
            column="seventyper",
            numerator=("seventy",),
            description=note,
        ),
        Measure(
            "ons2020.aged_85plus_pct",
            "Residents aged 85 and over (%)",
            "%",
            "rate",
            "higher_worse",
            column="eighty5per",
            numerator=("eighty5",),
            description=note,
        ),
        Measure(
            "ons2020.pop_density",
            "Population density",
            "people per km²",
            "score",
            "higher_worse",
            column="pden_ppkm",
            description="Residents per square kilometre; " + note,
        ),
    ]
    return measures
