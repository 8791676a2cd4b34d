"""English Indices of Deprivation: IoD2019 (LSOA 2011) and IoD2025 (LSOA 2021).

Ranks: 1 = most deprived, so a higher rank is better (``higher_better``). Deciles: 1 = most
deprived 10% (``higher_better``). Scores: higher = more deprived (``higher_worse``).
"""

from __future__ import annotations

from lantern.sources.wide import Measure, slug, wide

# (indicator slug, title, IoD2019 rank/decile column stem, IoD2019 score column, IoD2025 stem, unit)
DOMAINS = [
    ("imd", "Index of Multiple Deprivation", "IMD", "imd_score", "IMD", "score"),
    (
        "income",
        "Income deprivation",
        "Income",
        "income_score_rate",
        "Income",
        "proportion of people",
    ),
    (
        "employment",
        "Employment deprivation",
        "Employment",
        "employment_score_rate",
        "Employment",
        "proportion of working-age people",
    ),
    (
        "education",
        "Education, skills and training deprivation",
        "Education",
        "education_skills_training_score",
        "Education",
        "score",
    ),
    (
        "health",
        "Health deprivation and disability",
        "Health",
        "health_deprivation_disability_score",
        "Health",
        "score",
    ),
    ("crime", "Crime", "Crime", "crime_score", "Crime", "score"),
    (
        "barriers",
        "Barriers to housing and services",
        "Housing_and_Access",
        "barriers_housing_services_score",
        "Housing_and_Services",
        "score",
    ),
    (
        "living_environment",
        "Living environment deprivation",
        "Environment",
        "living_environment_score",
        "Environment",
        "score",
    ),
]
SUBDOMAINS = [
    ("children_young_people", "Children and young people sub-domain", "Children_and_young_people"),
    ("adult_skills", "Adult skills sub-domain", "Adult_skills"),
    ("geographical_barriers", "Geographical barriers sub-domain", "Geographical_barriers"),
    ("wider_barriers", "Wider barriers sub-domain", "Wider_barriers"),
    ("indoors", "Indoors living environment sub-domain", "Indoors"),
    ("outdoors", "Outdoors living environment sub-domain", "Outdoors"),
]
RANK_NOTE = "Rank among all LSOAs in England; 1 = most deprived."
DECILE_NOTE = "Decile of the national rank; 1 = most deprived 10% of LSOAs in England."
HINT_2011 = {"lsoa11_code": "lsoa21_code"}
HINT_2021 = {"lsoa21_code": "lsoa11_code"}


def _rank_decile(prefix: str, key: str, title: str, stem: str) -> list[Measure]:
    return [
        Measure(
            f"{prefix}.{key}_rank",
            f"{title}: rank",
            "rank",
            "rank",
            "higher_better",
            column=f"{stem}_rank",
            description=f"{title}. {RANK_NOTE}",
        ),
        Measure(
            f"{prefix}.{key}_decile",
            f"{title}: decile",
            "decile",
            "decile",
            "higher_better",
            column=f"{stem}_decile",
            description=f"{title}. {DECILE_NOTE}",
        ),
    ]


@wide("lsoa11_code", hint=HINT_2011)
def load_iod2019_ranks() -> list[Measure]:
    measures = [
        m for key, title, stem, *_ in DOMAINS for m in _rank_decile("iod2019", key, title, stem)
    ]
    return measures


@wide("lsoa11_code", hint=HINT_2011)
def load_iod2019_scores() -> list[Measure]:
    measures = [
        Measure(
            f"iod2019.{key}_score",
            f"{title}: score",
            unit,
            "score",
            "higher_worse",
            column=col,
            description=f"{title} score (IoD2019 File 7); higher = more deprived.",
        )
        for key, title, _, col, _, unit in DOMAINS
    ]
    measures += [
        Measure(
            "iod2019.idaci_score",
            "Income deprivation affecting children (IDACI)",
            "proportion of children",
            "score",
            "higher_worse",
            column="idaci_score_rate",
        ),
        Measure(
            "iod2019.idaopi_score",
            "Income deprivation affecting older people (IDAOPI)",
            "proportion of people aged 60+",
            "score",
            "higher_worse",
            column="idaopi_score_rate",
        ),
    ]
    measures += [
        Measure(
            f"iod2019.{key}_score",
            f"{title}: score",
            "score",
            "score",
            "higher_worse",
            column=f"{key}_subdomain_score",
        )
        for key, title, _ in SUBDOMAINS
    ]
    for column, title in [
        ("pop_total_mid2015", "all ages"),
        ("pop_0_15_mid2015", "aged 0-15"),
        ("pop_16_59_mid2015", "aged 16-59"),
        ("pop_60plus_mid2015", "aged 60+"),
        ("pop_working_age_mid2015", "working age"),
    ]:
        measures.append(
            Measure(
                f"iod2019.{column}",
                f"IoD2019 denominator population, {title} (mid-2015)",
                "people",
                "count",
                "neutral",
                column=column,
            )
        )
    return measures


@wide("lsoa11_code", hint=HINT_2011)
def load_iod2019_subdomains() -> list[Measure]:
    measures = [
        m for key, title, stem in SUBDOMAINS for m in _rank_decile("iod2019", key, title, stem)
    ]
    return measures


# Every IoD2019 underlying indicator is oriented so that higher = more deprived.
UNDERLYING_COLUMNS = [
    "income_domain_numerator",
    "income_deprivation_affecting_children_index_idaci_numerator",
    "income_deprivation_affecting_older_people_index_idaopi_numerator",
    "employment_domain_numerator",
    "staying_on_in_education_post_16_indicator",
    "entry_to_higher_education_indicator",
    "adult_skills_and_english_language_proficiency_indicator",
    "years_of_potential_life_lost_indicator",
    "comparative_illness_and_disability_ratio_indicator",
    "acute_morbidity_indicator",
    "mood_and_anxiety_disorders_indicator",
    "road_distance_to_a_post_office_indicator_km",
    "road_distance_to_a_primary_school_indicator_km",
    "road_distance_to_general_store_or_supermarket_indicator_km",
    "road_distance_to_a_gp_surgery_indicator_km",
    "household_overcrowding_indicator",
    "homelessness_indicator_rate_per_1000_households",
    "owner_occupation_affordability_component_of_housing_affordability_indicator",
    "private_rental_affordability_component_of_housing_affordability_indicator",
    "housing_affordability_indicator",
    "housing_in_poor_condition_indicator",
    "houses_without_central_heating_indicator",
    "road_traffic_accidents_indicator",
    "nitrogen_dioxide_component_of_air_quality_indicator",
    "benzene_component_of_air_quality_indicator",
    "sulphur_dioxide_component_of_air_quality_indicator",
    "particulates_component_of_air_quality_indicator",
    "air_quality_indicator",
]


SHORT_SLUGS = {
    "income_deprivation_affecting_children_index_idaci_numerator": "idaci_numerator",
    "income_deprivation_affecting_older_people_index_idaopi_numerator": "idaopi_numerator",
    "adult_skills_and_english_language_proficiency_indicator": "adult_skills_english_proficiency",
    "road_distance_to_general_store_or_supermarket_indicator_km": "road_distance_to_general_store_km",
    "homelessness_indicator_rate_per_1000_households": "homelessness_per_1000_households",
    "owner_occupation_affordability_component_of_housing_affordability_indicator": "owner_occupation_affordability",
    "private_rental_affordability_component_of_housing_affordability_indicator": "private_rental_affordability",
    "nitrogen_dioxide_component_of_air_quality_indicator": "air_quality_nitrogen_dioxide",
    "benzene_component_of_air_quality_indicator": "air_quality_benzene",
    "sulphur_dioxide_component_of_air_quality_indicator": "air_quality_sulphur_dioxide",
    "particulates_component_of_air_quality_indicator": "air_quality_particulates",
}


def underlying_slug(column: str) -> str:
    """``road_distance_to_a_gp_surgery_indicator_km`` → ``road_distance_to_a_gp_surgery_km``."""
    return SHORT_SLUGS.get(column) or slug(column.replace("_indicator", ""))


def _underlying_measure(column: str) -> Measure:
    title = column.replace("_", " ").replace(" km", " (km)").capitalize()
    if column.endswith("_numerator"):
        return Measure(
            f"iod2019.{underlying_slug(column)}",
            title,
            "people",
            "count",
            "higher_worse",
            column=column,
            description=f"{title} (IoD2019 File 8; blank where suppressed).",
        )
    unit = (
        "km"
        if column.endswith("_km")
        else ("per 1,000 households" if "per_1000" in column else "indicator")
    )
    return Measure(
        f"iod2019.{underlying_slug(column)}",
        title,
        unit,
        "score",
        "higher_worse",
        column=column,
        description=f"{title} (IoD2019 File 8 underlying indicator; higher = more deprived).",
    )


@wide("lsoa11_code", hint=HINT_2011)
def load_iod2019_indicators() -> list[Measure]:
    measures = [_underlying_measure(c) for c in UNDERLYING_COLUMNS]
    return measures


@wide("lsoa21_code", hint=HINT_2021)
def load_iod2025() -> list[Measure]:
    measures = []
    for key, title, _, _, stem, unit in DOMAINS:
        measures += _rank_decile("iod2025", key, title, stem)
        measures.append(
            Measure(
                f"iod2025.{key}_score",
                f"{title}: score",
                unit,
                "score",
                "higher_worse",
                column=f"{stem}_score",
                description=f"{title} score (IoD2025); higher = more deprived.",
            )
        )
    return measures
