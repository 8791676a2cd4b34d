"""The registry: every official dataset Lantern loads, with publisher, licence, vintage and loader.

``path`` is relative to the data root (the bundled Essex sample or the England-wide folder share
one layout). ``CHECKSUMS`` pins the SHA-256 of each England-wide file, which ``lantern fetch``
verifies before it keeps a download.
"""

from __future__ import annotations

from lantern.sources import brc, cases, census, iod, misc, population, qof, vulnerable_groups
from lantern.sources.model import OGL, Source

IOD2019_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
IOD2025_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
NOMIS_URL = "https://www.nomisweb.co.uk/sources/census_2021_bulk"
MHCLG = "Ministry of Housing, Communities and Local Government"
ONS = "Office for National Statistics"
CENSUS = "Census 2021 topic summaries"
REG_PARQUET = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_england.parquet"
REG_CSV = "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv"


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
    ),
    Source(
        "qof1920",
        "qof_practice_nhsd/qof_prevalence_practice_2019_20_england.csv",
        "NHS Digital",
        "Quality and Outcomes Framework 2019-20: prevalence by practice, apportioned to LSOA by "
        "Patients Registered at a GP Practice (July 2022)",
        OGL,
        2011,
        "lsoa",
        "2019/20",
        "https://digital.nhs.uk/data-and-information/publications/statistical/"
        "quality-and-outcomes-framework-achievement-prevalence-and-exceptions-data/2019-20",
        qof.load_qof_apportioned,
        extra_paths=(REG_PARQUET, REG_CSV),
        download_url="https://raw.githubusercontent.com/datascience2021-web/hyp/"
        "2ca2ffd811a019d75969ec946c68366e2337560e/PREVALENCE_1920.csv",
    ),
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
    ),
]

BY_ID = {s.source_id: s for s in SOURCES}

CHECKSUMS: dict[str, str] = {
    "imd2019/imd2019_lsoa11_ranks_deciles_england.csv": "a93e6a42e1af21a23ea2d355954776c62a05eae297725cdb1f5817d64c92d85d",
    "imd2019/imd2019_lsoa11_all_scores_england.csv": "1a2cc338cc4dbbea509af49e8ae5b669629d9daebfad03743bdb9aeaee30d9a6",
    "imd2019/imd2019_lsoa11_subdomain_ranks_deciles_england.csv": "e6f7c8145ff1289101d31d421aaac9e8616a2dd52922c43a0099a9121473a968",
    "imd2019/imd2019_lsoa11_underlying_indicators_england.csv": "46f700fbc5209387b1b8a4ee90506cd26b1f053aa2a7b7fbcff2e65be029586a",
    "imd2019/iod2025_lsoa21_scores_ranks_deciles_england.csv": "e82cc5533ba7c54e12426fbb39a1d472749e9c4115cc4cd3640f3ca59d77af08",
    "population/mid2020_lsoa11_5yr_bands_ew.csv": "b55ce9a2f4a0e135b142533acafdbceef1fa7a7d13cf9fcee61db10329e764f4",
    "population/mid2019_msoa11_5yr_bands_ew.csv": "43d0cebd54568ef1a3013f0bd800afc5611c724d310c0f3388f5a6c301b7274c",
    "census2021/ts007a_like_age6_usual_residents_lsoa21_ew.csv": "1c26bfa4280bc4c964d917653b0a70f74f165e135815556be0bf306ae35b4ae6",
    "census2021/ts011_household_deprivation_lsoa21_ew.csv": "207453a71b92692a027c431a8a288164f4b9ca7a4d9e72d95f4518746bb17e13",
    "census2021/ts021_ethnic_group_lsoa21_ew.csv": "9cda8fc1f27d59283dc2ae6d25419bd7ad23ffb08a27b2b70dd38fb03e8084ce",
    "census2021/ts022_ethnic_group_detailed_msoa21_ew.csv": "d56c705b2e1ba1c11416667076c764a4a0878c510ced2816978149b0bb349eb0",
    "census2021/ts038_disability_lsoa21_ew.csv": "ded83c7290e6b8080bf1b91f6eaa867b1b18179f3a8c80d5098428145be3d438",
    "census2021/ts044_accommodation_type_lsoa21_ew.csv": "14c11dd466fc06c4cab69e24301900a50939a3f5855b373850cdd72daaa53a27",
    "census2021/ts052_occupancy_rating_bedrooms_lsoa21_ew.csv": "53274f491dd621f24595a0e082f4f68bb79f7e31aa52008df8c8bd3c5aeca1a2",
    "census2021/ts054_tenure_lsoa21_ew.csv": "a908146c6f65c81b45653a0059eeb28d3816ce57bc4622d17a7197f100e6a6e0",
    "ons_covid_vulnerable_groups_2020/ons_covid_aged70plus_85plus_popdensity_lsoa11_ew.csv": "879197788787a28df2eb5d3ded377dd7052d12f3e8c418e0a0654d3dbfc28ac2",
    "ons_covid_vulnerable_groups_2020/ons_covid_census2011_household_health_care_lsoa11_ew.csv": "9f10bf18e831a19dc84b4d96a0936f12914f81ffd900b78be0a66d0c011c287f",
    "brc_covid_vulnerability/vulnerability-MSOA-England_full_2020-04-26_09117728.csv": "89b30be8b9bd7c87cfdfb39cb8d545303d9ed68db20b756c9b7f31e07730926d",
    "brc_covid_vulnerability/vulnerability-scores-MSOA-England_HEAD_abd0bcad.csv": "e7a564844f48a801b0d2906e6770115b19c2ee6632b11001a469c4532fc61547",
    "qof_practice_nhsd/qof_prevalence_practice_2019_20_england.csv": "6c0037be006286c4528459d1a91ade0b72eb44ee89271e7a08260036d79bbdb5",
    REG_PARQUET: "b039285e697264315beb13d8922a605bdb30fe668d598d4ce9d2360f099831a8",
    REG_CSV: "fd10a095fdaa4d1827d19f9f0541411f5ec3840c3fc730ae0f7e652cc049e179",
    "qof_hoc_library_2019_20/qof1920_modelled_prevalence_lad_england.csv": "d6ea8bdadb2a55ea0054d23a54f69f47453bd10dd5643d639c0c9d77067a10c7",
    "loneliness/cls_loneliness_modelled_lsoa21_essex.csv": "f396d9348f9b48a626acb9bf81f41102adbaf43ad4b9d218c8e471509c980b57",
    "covid_deaths/ons_covid_deaths_msoa11_mar-dec2020_england.csv": "9c5dd356577f053130774258da577e6eddaade1b6af5872904a7d940c7f33efe",
    "covid_cases/phe_covid_cases_weekly_msoa11_england_2020wk05-41_snapshot2020-10-20.csv": "d5d642f7d3a2197b1a41f722f2007afef557f2a9d2aa406e978cd32479a8cbfe",
    "lookups/lsoa11_msoa11_lad21_utla21_region21_ew.csv": "c3dc1a31951e1bf1520f450a30e7ea7dba2ffc1f541458d397d381af88667070",
    "lookups/lsoa21_msoa21_ward24_lad24_ew.csv": "7206df16d900e7b48417ad6770f15c60a6c08c213bc293db789561b24e252e66",
    "lookups/lsoa11_lsoa21_lad22_ew.csv": "0d79c59f12f416503dec40dcbb4ce2e1c3b43624126530b75cac4fc7b1309cb6",
    "lookups/lad21_utla21_ew.csv": "6a640ad0babf64942844131a3719a8dbfc5340e8f796b00a44a6c6c21ed11f4c",
    "lookups/lad21_region21_en.csv": "a92bc294c2f2c1a2c27a8e37c3a787bf030228df002998ecbf9ea348d2e7dfdf",
    "boundaries/lsoa11_ew_bsc.geojson": "5a5f131042841e876dd56523304b67422b69077e525e45c023e7340686d37ba7",
    "boundaries/lsoa21_ew_bsc.geojson": "c521fab0e91052ba2e0fd1a31af1ed08a2b53d3fa0e910d98116c69a68c5b67d",
    "boundaries/msoa11_ew_simplified.geojson": "e4df6abc8b68e7dc73ad9a34536e820de564c7499b848d817bbb3df101cc5eb7",
    "boundaries/msoa21_ew_bsc.geojson": "c0d604382e5241568af8fb96362326f6f3d2d1a1156e36718a1361006969ed9b",
    "boundaries/lad21_uk_bsc.geojson": "a8bb21f1a93a46f8577071ba79a9b04bdc86d3c1e524535acf0d1f7d1d06b533",
    "boundaries/utla21_uk_bsc.geojson": "df83e7150794ba7d5b2bcc06013ca1b1333d17e24715d6061f2450145fc8d8c4",
}


def get_source(source_id: str) -> Source:
    """The registry entry for ``source_id`` (``KeyError`` naming the known ids otherwise)."""
    try:
        return BY_ID[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(BY_ID)}") from None
