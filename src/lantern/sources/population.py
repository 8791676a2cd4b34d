"""ONS small area population estimates: mid-2020 LSOA 2011 and mid-2019 MSOA 2011, 5-year bands."""

from __future__ import annotations

from lantern.sources.context import LoadContext
from lantern.sources.model import Loaded, Source
from lantern.sources.wide import count, load_wide, rate

BANDS = [
    "0_4",
    "5_9",
    "10_14",
    "15_19",
    "20_24",
    "25_29",
    "30_34",
    "35_39",
    "40_44",
    "45_49",
    "50_54",
    "55_59",
    "60_64",
    "65_69",
    "70_74",
    "75_79",
    "80_84",
    "85_89",
    "90plus",
]


def _band_title(band: str) -> str:
    return "aged 90 and over" if band == "90plus" else "aged " + band.replace("_", " to ")


def load_mid2020_lsoa(source: Source, ctx: LoadContext) -> Loaded:
    total = "total_population"
    measures = [count("pop2020.total", total, "Population, all ages (mid-2020)")]
    measures += [
        count(f"pop2020.age_{b}", f"age_{b}", f"Population {_band_title(b)} (mid-2020)")
        for b in BANDS
    ]
    for age in ("65", "70", "80"):
        measures.append(
            count(
                f"pop2020.aged_{age}_plus",
                f"age_{age}plus",
                f"Population aged {age} and over (mid-2020)",
            )
        )
        measures.append(
            rate(
                f"pop2020.aged_{age}_plus_pct",
                f"Population aged {age} and over (%)",
                [f"age_{age}plus"],
                total,
                description=f"People aged {age}+ as % of all people (ONS mid-2020 estimates); "
                "age is the strongest COVID-19 risk factor.",
            )
        )
    return load_wide(
        source, ctx, "lsoa11_code", measures, vintage_hint={"lsoa11_code": "lsoa21_code"}
    )


def load_mid2019_msoa(source: Source, ctx: LoadContext) -> Loaded:
    measures = [
        count("pop2019_msoa.total", "total_population", "Population, all ages (mid-2019, MSOA)"),
        count(
            "pop2019_msoa.aged_70_plus",
            "age_70plus",
            "Population aged 70 and over (mid-2019, MSOA)",
        ),
        rate(
            "pop2019_msoa.aged_70_plus_pct",
            "Population aged 70 and over (%, MSOA)",
            ["age_70plus"],
            "total_population",
        ),
    ]
    return load_wide(
        source, ctx, "msoa11_code", measures, vintage_hint={"msoa11_code": "msoa21_code"}
    )
