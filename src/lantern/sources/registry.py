"""The registry: every official dataset Lantern loads, with publisher, licence, vintage and loader.

``path`` is relative to the data root (the bundled Essex sample or the England-wide folder share
one layout). Each source also declares the value rules of its columns (``rules``, ``parts``; the
loaders add the rules implied by each measure's kind), the areas it does not cover (``gaps``) and
published values known to break a rule (``allowed``); ``Source.tables()`` lists every file it
reads with those checks. ``CHECKSUMS`` pins the SHA-256 of each England-wide file (from
``england_manifest.json``, which also pins row counts), which ``lantern fetch`` verifies.
"""

from __future__ import annotations

from lantern.sources import brc, cases, census, iod, misc, population, qof, vulnerable_groups
from lantern.sources.manifest import england
from lantern.sources.model import OGL, Source
from lantern.sources.rules import (
    COUNT,
    DECILE,
    FINITE,
    NON_NEGATIVE,
    PERCENT,
    POSITIVE,
    PROPORTION,
    STANDARDISED,
    PartsOf,
    bounded,
    rank,
)
from lantern.sources.table import Gap

IOD2019_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
IOD2025_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
NOMIS_URL = "https://www.nomisweb.co.uk/sources/census_2021_bulk"
MHCLG = "Ministry of Housing, Communities and Local Government"
ONS = "Office for National Statistics"
CENSUS = "Census 2021 topic summaries"
REG_PARQUET = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_england.parquet"
REG_CSV = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv"
ESSEX = ("E10000012", "E06000033", "E06000034")
ENGLAND_ONLY = Gap("an England-only dataset: no Welsh areas", outside=("E92000001",))
ESSEX_ONLY = Gap(
    "published here for the Essex area only (Essex County Council, Southend-on-Sea, Thurrock)",
    outside=ESSEX,
)
SCORE_100 = bounded(0, 100, "score")
LSOA11_RANK = rank(32_844, "LSOAs 2011 in England")
LSOA21_RANK = rank(33_755, "LSOAs 2021 in England")
MSOA11_RANK = rank(6_791, "MSOAs 2011 in England")
BANDS_5YR = tuple(f"age_{b}" for b in population.BANDS)
SINGLE_YEARS = tuple(str(a) for a in range(90)) + ("90plus",)
QOF_URL = (
    "https://digital.nhs.uk/data-and-information/publications/statistical/"
    "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data/"
)
QOF_DATASET = (
    "Quality and Outcomes Framework {year}: prevalence by practice, apportioned to LSOA by "
    "Patients Registered at a GP Practice (July 2022)"
)


def _census(table: str, path: str, title: str, loader, area_type: str = "lsoa") -> Source:  # noqa: ANN001
    return Source(
        f"census2021_{table}",
        path,
        ONS,
        f"{CENSUS}: {title} ({table.upper()})",
        OGL,
        2021,
        area_type,
        "2021-03-21",
        NOMIS_URL,
        loader,
        rules=(("total_*", POSITIVE),),
    )


def _qof(source_id: str, year: str, url: str, download_url: str | None = None) -> Source:
    return Source(
        source_id,
        qof.YEARS[source_id].path,
        "NHS Digital",
        QOF_DATASET.format(year=year),
        OGL,
        2011,
        "lsoa",
        qof.YEARS[source_id].period,
        QOF_URL + url,
        qof.load_qof_apportioned,
        extra_paths=(REG_PARQUET, REG_CSV),
        download_url=download_url,
        gaps=(qof.ENGLAND_ONLY, qof.UNREGISTERED),
        coverage="England (LSOAs where patients of English practices live)",
    )


SOURCES: list[Source] = [
    Source(
        "iod2019_ranks",
        "imd2019/imd2019_lsoa11_ranks_deciles_england.csv",
        MHCLG,
        "English Indices of Deprivation 2019: ranks and deciles (File 7)",
        OGL,
        2011,
        "lsoa",
        "2019",
        IOD2019_URL,
        iod.load_iod2019_ranks,
        rules=(("*_rank", LSOA11_RANK),),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "iod2019_scores",
        "imd2019/imd2019_lsoa11_all_scores_england.csv",
        MHCLG,
        "English Indices of Deprivation 2019: scores and denominators (File 7)",
        OGL,
        2011,
        "lsoa",
        "2019",
        IOD2019_URL,
        iod.load_iod2019_scores,
        rules=(
            ("imd_score", SCORE_100),
            ("*_score_rate", PROPORTION),
            ("education_skills_training_score", SCORE_100),
            ("barriers_housing_services_score", SCORE_100),
            ("living_environment_score", SCORE_100),
            ("adult_skills_subdomain_score", PROPORTION),
            ("health_deprivation_disability_score", STANDARDISED),
            ("crime_score", STANDARDISED),
            ("*_subdomain_score", STANDARDISED),
            ("pop_*_mid2015", POSITIVE),
        ),
        parts=(
            PartsOf(
                ("pop_0_15_mid2015", "pop_16_59_mid2015", "pop_60plus_mid2015"),
                "pop_total_mid2015",
            ),
        ),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "iod2019_subdomains",
        "imd2019/imd2019_lsoa11_subdomain_ranks_deciles_england.csv",
        MHCLG,
        "English Indices of Deprivation 2019: sub-domain ranks and deciles",
        OGL,
        2011,
        "lsoa",
        "2019",
        IOD2019_URL,
        iod.load_iod2019_subdomains,
        rules=(("*_rank", LSOA11_RANK),),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "iod2019_indicators",
        "imd2019/imd2019_lsoa11_underlying_indicators_england.csv",
        MHCLG,
        "English Indices of Deprivation 2019: underlying indicators (File 8)",
        OGL,
        2011,
        "lsoa",
        "2019",
        IOD2019_URL,
        iod.load_iod2019_indicators,
        rules=(
            ("staying_on_in_education_post_16_indicator", PROPORTION),
            ("entry_to_higher_education_indicator", PROPORTION),
            ("adult_skills_and_english_language_proficiency_indicator", PROPORTION),
            ("years_of_potential_life_lost_indicator", NON_NEGATIVE),
            ("comparative_illness_and_disability_ratio_indicator", NON_NEGATIVE),
            ("acute_morbidity_indicator", NON_NEGATIVE),
            ("*_km", NON_NEGATIVE),
            ("household_overcrowding_indicator", PROPORTION),
            ("homelessness_indicator_rate_per_1000_households", bounded(0, 1000, "rate per 1,000")),
            ("*_affordability_component_of_housing_affordability_indicator", PROPORTION),
            ("housing_in_poor_condition_indicator", PROPORTION),
            ("houses_without_central_heating_indicator", PROPORTION),
            ("road_traffic_accidents_indicator", NON_NEGATIVE),
            ("*air_quality_indicator", NON_NEGATIVE),
            ("mood_and_anxiety_disorders_indicator", STANDARDISED),
            ("housing_affordability_indicator", STANDARDISED),
        ),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "iod2025",
        "imd2019/iod2025_lsoa21_scores_ranks_deciles_england.csv",
        MHCLG,
        "English Indices of Deprivation 2025: scores, ranks and deciles",
        OGL,
        2021,
        "lsoa",
        "2025",
        IOD2025_URL,
        iod.load_iod2025,
        rules=(
            ("*_rank", LSOA21_RANK),
            ("IMD_score", SCORE_100),
            ("Health_score", STANDARDISED),
            ("Crime_score", STANDARDISED),
            ("Income_score", PROPORTION),
            ("Employment_score", PROPORTION),
            ("Education_score", SCORE_100),
            ("Housing_and_Services_score", SCORE_100),
            ("Environment_score", SCORE_100),
        ),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "pop2020",
        "population/mid2020_lsoa11_5yr_bands_ew.csv",
        ONS,
        "Lower layer Super Output Area population estimates, mid-2020 (SAPE23DT2)",
        OGL,
        2011,
        "lsoa",
        "2020-06-30",
        "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/"
        "datasets/lowersuperoutputareamidyearpopulationestimates",
        population.load_mid2020_lsoa,
        rules=(("total_population", POSITIVE),),
        parts=(PartsOf(BANDS_5YR, "total_population"),),
    ),
    Source(
        "pop2019",
        "population/mid2019_lsoa11_single_year_essex.csv",
        ONS,
        "Lower layer Super Output Area population estimates, mid-2019 (SAPE22DT2), single year of age",
        OGL,
        2011,
        "lsoa",
        "2019-06-30",
        "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/"
        "datasets/lowersuperoutputareamidyearpopulationestimates",
        population.load_mid2019_lsoa,
        rules=(("total_population", POSITIVE),),
        parts=(PartsOf(SINGLE_YEARS, "total_population"),),
        gaps=(ESSEX_ONLY,),
        coverage="Essex area",
    ),
    Source(
        "pop2019_msoa",
        "population/mid2019_msoa11_5yr_bands_ew.csv",
        ONS,
        "Middle layer Super Output Area population estimates, mid-2019 (SAPE22DT4)",
        OGL,
        2011,
        "msoa",
        "2019-06-30",
        "https://www.ons.gov.uk/peoplepopulationandcommunity/populationandmigration/populationestimates/"
        "datasets/middlesuperoutputareamidyearpopulationestimates",
        population.load_mid2019_msoa,
        rules=(("total_population", POSITIVE), ("age_*", COUNT)),
        parts=(PartsOf(BANDS_5YR, "total_population"),),
    ),
    _census(
        "ts007a",
        "census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv",
        "age by six groups",
        census.load_ts007a,
    ),
    _census(
        "ts011",
        "census2021/ts011_household_deprivation_lsoa21_ew.csv",
        "household deprivation",
        census.load_ts011,
    ),
    _census(
        "ts021", "census2021/ts021_ethnic_group_lsoa21_ew.csv", "ethnic group", census.load_ts021
    ),
    _census(
        "ts022",
        "census2021/ts022_ethnic_group_detailed_msoa21_ew.csv",
        "ethnic group (detailed)",
        census.load_ts022,
        area_type="msoa",
    ),
    _census("ts038", "census2021/ts038_disability_lsoa21_ew.csv", "disability", census.load_ts038),
    _census(
        "ts044",
        "census2021/ts044_accommodation_type_lsoa21_ew.csv",
        "accommodation type",
        census.load_ts044,
    ),
    _census(
        "ts052",
        "census2021/ts052_occupancy_rating_bedrooms_lsoa21_ew.csv",
        "occupancy rating (bedrooms)",
        census.load_ts052,
    ),
    _census("ts054", "census2021/ts054_tenure_lsoa21_ew.csv", "tenure", census.load_ts054),
    Source(
        "ons2020_census2011",
        "ons_covid_vulnerable_groups_2020/ons_covid_census2011_household_health_care_lsoa11_ew.csv",
        ONS,
        "Coronavirus and vulnerable groups: Census 2011 household, health and care measures",
        OGL,
        2011,
        "lsoa",
        "2011-03-27",
        "https://github.com/ONSvisual/corona-maps-plus",
        vulnerable_groups.load_census2011_groups,
    ),
    Source(
        "ons2020_older_density",
        "ons_covid_vulnerable_groups_2020/ons_covid_aged70plus_85plus_popdensity_lsoa11_ew.csv",
        ONS,
        "Coronavirus and vulnerable groups: people aged 70+ and 85+ and population density",
        OGL,
        2011,
        "lsoa",
        "2018",
        "https://github.com/ONSvisual/corona_maps",
        vulnerable_groups.load_older_people_density,
        rules=(("pden_ppkm", NON_NEGATIVE),),
        parts=(PartsOf(("eighty5",), "seventy"),),
    ),
    Source(
        "brc2020",
        "brc_covid_vulnerability/vulnerability-MSOA-England_full_2020-04-26_09117728.csv",
        "British Red Cross",
        "COVID-19 Vulnerability Index (MSOA, 2020-04-26)",
        "CC BY 4.0",
        2011,
        "msoa",
        "2020-04-26",
        "https://github.com/britishredcrosssociety/covid-19-vulnerability",
        brc.load_brc,
        rules=(
            ("*rank", MSOA11_RANK),
            ("*decile", DECILE),
            ("*prevalence*", PERCENT),
            ("Obese adults", PERCENT),
            ("Proportion*", PROPORTION),
            ("Longest distance*", NON_NEGATIVE),
            ("*Vulnerability score", NON_NEGATIVE),  # sums of exponentially transformed ranks
            ("Older people social care benefit*", PERCENT),
            ("Employment and Support Allowance*", PERCENT),
            ("People receiving Disability Benefits", PERCENT),
            ("Personal Independence Payment*", PERCENT),
            ("*Universal Credit*", PERCENT),
            ("Household overcrowding", PROPORTION),
            ("Housing in poor condition", PROPORTION),
            ("Houses without central heating", PROPORTION),
            ("Homelessness", NON_NEGATIVE),
            ("Air quality", NON_NEGATIVE),
            ("Loneliness", FINITE),  # a modelled score, negative in places
        ),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "brcvi2020",
        "brc_covid_vulnerability/vulnerability-scores-MSOA-England_HEAD_abd0bcad.csv",
        "British Red Cross",
        "COVID-19 Vulnerability Index, published scores (MSOA, last changed 2020-07-01)",
        "CC BY 4.0",
        2011,
        "msoa",
        "2020-07-01",
        "https://github.com/britishredcrosssociety/covid-19-vulnerability",
        brc.load_brc_published,
        rules=(
            ("Digital Vulnerability rank", NON_NEGATIVE),  # ranked among UK MSOAs, not England's
            ("Clinical*rank", MSOA11_RANK),
            ("Health*rank", MSOA11_RANK),
            ("Economic*rank", MSOA11_RANK),
            ("Social*rank", MSOA11_RANK),
            ("Socioeconomic*rank", MSOA11_RANK),
            ("Vulnerability rank", MSOA11_RANK),
            ("*decile", DECILE),
            ("Socioeconomic Vulnerability score", NON_NEGATIVE),
            ("Vulnerability score", NON_NEGATIVE),
            ("Clinical Vulnerability score", STANDARDISED),  # the domains' factor scores
            ("Health/Wellbeing Vulnerability score", STANDARDISED),
            ("Financial Vulnerability score", STANDARDISED),
            ("Economic Vulnerability score", STANDARDISED),
            ("Social Vulnerability score", STANDARDISED),
        ),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    _qof("qof1819", "2018-19", "2018-19"),
    _qof(
        "qof1920",
        "2019-20",
        "2019-20",
        download_url="https://raw.githubusercontent.com/datascience2021-web/hyp/"
        "2ca2ffd811a019d75969ec946c68366e2337560e/PREVALENCE_1920.csv",
    ),
    _qof("qof2021", "2020-21", "2020-21"),
    _qof("qof2122", "2021-22 (prevalence rates only)", "2021-22"),
    Source(
        "hoc_qof1920",
        "qof_hoc_library_2019_20/qof1920_modelled_prevalence_lad_england.csv",
        "House of Commons Library",
        "Local health data from QOF 2019/20 (modelled, by district)",
        "Open Parliament Licence v3.0",
        2011,
        "district",
        "2019/20",
        "https://github.com/houseofcommonslibrary/local-health-data-from-QOF",
        qof.load_hoc_qof,
        gaps=(
            ENGLAND_ONLY,
            Gap(
                "the model uses April 2020 districts: North and West Northamptonshire (2021) are "
                "not in it",
                codes=frozenset({"E06000061", "E06000062"}),
            ),
        ),
        coverage="England (April 2020 districts)",
    ),
    Source(
        "cls_loneliness",
        "loneliness/cls_loneliness_modelled_lsoa21_essex.csv",
        "British Red Cross / humaniverse (from DCMS Community Life Survey)",
        "Modelled loneliness by LSOA 2021 (not an official statistic)",
        "MIT (model); OGL v3.0 (survey)",
        2021,
        "lsoa",
        "2021",
        "https://github.com/humaniverse/loneliness",
        misc.load_loneliness,
        gaps=(ESSEX_ONLY,),
        coverage="Essex area",
    ),
    Source(
        "ons_covid_deaths",
        "covid_deaths/ons_covid_deaths_msoa11_mar-dec2020_england.csv",
        ONS,
        "Deaths involving COVID-19 by MSOA, March to December 2020",
        OGL,
        2011,
        "msoa",
        "2020-03/2020-12",
        "https://www.ons.gov.uk/peoplepopulationandcommunity/birthsdeathsandmarriages/deaths/datasets/"
        "deathsinvolvingcovid19bylocalareaanddeprivation",
        misc.load_covid_deaths,
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
    Source(
        "phe_cases",
        "covid_cases/phe_covid_cases_weekly_msoa11_england_2020wk05-41_snapshot2020-10-20.csv",
        "Public Health England",
        "Coronavirus (COVID-19) confirmed cases by MSOA, weekly, ISO weeks 5-41 of 2020 "
        "(dashboard snapshot 2020-10-20)",
        OGL,
        2011,
        "msoa",
        "2020-W05/2020-W41",
        "https://coronavirus.data.gov.uk/details/download",
        cases.load_weekly_cases,
        extra_paths=(cases.POPULATION,),
        gaps=(ENGLAND_ONLY,),
        coverage="England",
    ),
]

BY_ID = {s.source_id: s for s in SOURCES}

CHECKSUMS: dict[str, str] = {path: e.sha256 for path, e in england().entries.items()}


def get_source(source_id: str) -> Source:
    """The registry entry for ``source_id`` (``KeyError`` naming the known ids otherwise)."""
    try:
        return BY_ID[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(BY_ID)}") from None
