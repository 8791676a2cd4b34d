"""ONS Census 2021 topic summaries (Nomis bulk tables) on LSOA 2021, and TS022 on MSOA 2021."""

from __future__ import annotations

from lantern.sources.wide import Measure, count, rate, wide

HINT = {"lsoa21_code": "lsoa11_code"}
AGE_BANDS = [
    ("0_15", "Aged 15 years and under"),
    ("16_24", "Aged 16 to 24 years"),
    ("25_34", "Aged 25 to 34 years"),
    ("35_49", "Aged 35 to 49 years"),
    ("50_64", "Aged 50 to 64 years"),
    ("65_plus", "Aged 65 years and over"),
]


@wide("lsoa21_code", hint=HINT)
def load_ts007a() -> list[Measure]:
    total = "total_usual_residents"
    measures = [count("census2021.usual_residents", total, "Usual residents (Census 2021)")]
    measures += [
        count(f"census2021.age_{key}", col, f"Usual residents {col.lower()}")
        for key, col in AGE_BANDS
    ]
    measures.append(
        rate(
            "census2021.aged_65_plus_pct",
            "Usual residents aged 65 and over (%)",
            ["Aged 65 years and over"],
            total,
        )
    )
    return measures


@wide("lsoa21_code", hint=HINT)
def load_ts011() -> list[Measure]:
    total = "total_households"
    two_plus = [
        "Household is deprived in two dimensions",
        "Household is deprived in three dimensions",
        "Household is deprived in four dimensions",
    ]
    measures = [
        count("census2021.households", total, "Households (Census 2021)", unit="households"),
        rate(
            "census2021.deprived_2plus_dimensions_pct",
            "Households deprived in two or more dimensions (%)",
            two_plus,
            total,
            description="TS011: households deprived in 2, 3 or 4 of the dimensions employment, "
            "education, health and disability, and housing, as % of households.",
        ),
        rate(
            "census2021.not_deprived_pct",
            "Households not deprived in any dimension (%)",
            ["Household is not deprived in any dimension"],
            total,
            polarity="higher_better",
        ),
    ]
    return measures


ETHNIC_LSOA = [
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "Other ethnic group",
]


@wide("lsoa21_code", hint=HINT)
def load_ts021() -> list[Measure]:
    total = "total_residents"
    measures = [
        rate(
            "census2021.ethnic_minority_pct",
            "Residents from ethnic groups other than White (%)",
            ETHNIC_LSOA,
            total,
            description="TS021: Asian, Black, Mixed or Other ethnic group, as % of "
            "usual residents (a COVID-19 risk factor in 2020).",
        ),
        rate(
            "census2021.asian_pct", "Residents of Asian ethnic group (%)", [ETHNIC_LSOA[0]], total
        ),
        rate(
            "census2021.black_pct", "Residents of Black ethnic group (%)", [ETHNIC_LSOA[1]], total
        ),
        rate(
            "census2021.mixed_pct",
            "Residents of Mixed or Multiple ethnic groups (%)",
            [ETHNIC_LSOA[2]],
            total,
        ),
    ]
    return measures


@wide("lsoa21_code", hint=HINT)
def load_ts038() -> list[Measure]:
    measures = [
        rate(
            "census2021.disabled_pct",
            "Residents disabled under the Equality Act (%)",
            ["Disabled under the Equality Act"],
            "total_residents",
        )
    ]
    return measures


@wide("lsoa21_code", hint=HINT)
def load_ts052() -> list[Measure]:
    measures = [
        rate(
            "census2021.overcrowded_pct",
            "Overcrowded households (bedrooms) (%)",
            ["-1 (overcrowded)", "-2 or less (overcrowded)"],
            "total_households",
            description="TS052: households with an occupancy rating (bedrooms) of -1 or -2 or "
            "less, as % of households.",
        )
    ]
    return measures


@wide("lsoa21_code", hint=HINT)
def load_ts054() -> list[Measure]:
    total = "total_households"
    measures = [
        rate(
            "census2021.social_rented_pct",
            "Households renting socially (%)",
            [
                "Social rented: Rents from council or Local Authority",
                "Social rented: Other social rented",
            ],
            total,
        ),
        rate(
            "census2021.private_rented_pct",
            "Households renting privately (%)",
            [
                "Private rented: Private landlord or letting agency",
                "Private rented: Other private rented",
            ],
            total,
            polarity="neutral",
        ),
        rate(
            "census2021.owned_pct",
            "Households owning their home (%)",
            ["Owned: Owns outright", "Owned: Owns with a mortgage or loan"],
            total,
            polarity="higher_better",
        ),
    ]
    return measures


@wide("lsoa21_code", hint=HINT)
def load_ts044() -> list[Measure]:
    flats = [
        "In a purpose-built block of flats or tenement",
        "Part of a converted or shared house, including bedsits",
        "Part of another converted building, for example, former school, church or warehouse",
        "In a commercial building, for example, in an office building, hotel or over a shop",
    ]
    measures = [
        rate(
            "census2021.flats_pct",
            "Households living in a flat, maisonette or apartment (%)",
            flats,
            "total_households",
            description="TS044: purpose-built flats, converted or shared houses, "
            "other converted buildings and commercial buildings, as % of households.",
        ),
        rate(
            "census2021.caravan_pct",
            "Households in a caravan or other temporary structure (%)",
            ["A caravan or other mobile or temporary structure"],
            "total_households",
        ),
    ]
    return measures


ETHNIC_MSOA = [
    ("asian", "Asian, Asian British or Asian Welsh"),
    ("black_african", "Black, Black British, Black Welsh of African background"),
    ("black_caribbean", "Black, Black British, Black Welsh or Caribbean background"),
    ("mixed", "Mixed or Multiple ethnic groups"),
    ("other", "Other ethnic group"),
]


@wide("msoa21_code", hint={"msoa21_code": "msoa11_code"})
def load_ts022() -> list[Measure]:
    total = "total_residents"
    measures: list[Measure] = [
        count("census2021.msoa_usual_residents", total, "Usual residents (MSOA)")
    ]
    measures.append(
        rate(
            "census2021.msoa_ethnic_minority_pct",
            "Residents from ethnic groups other than White (%)",
            [c for _, c in ETHNIC_MSOA],
            total,
        )
    )
    measures += [
        rate(f"census2021.msoa_{key}_pct", f"Residents: {col} (%)", [col], total)
        for key, col in ETHNIC_MSOA
    ]
    return measures
