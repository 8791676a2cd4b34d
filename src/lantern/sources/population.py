"""ONS small area population estimates on 2011 boundaries.

``pop.*`` (LSOA 2011) has two periods of the same indicators: mid-2019 (single year of age,
published here for the Essex area) and mid-2020 (England and Wales, 5-year bands); the bands,
65+, 70+ and 80+ counts and shares are the same in both. ``pop2019_msoa.*`` is mid-2019 by MSOA.
"""

from __future__ import annotations

from lantern.sources.wide import Measure, count, rate, wide

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


def _lsoa_measures(columns: dict[str, tuple[str, ...]]) -> list[Measure]:
    """``pop.*`` from per-band column groups (one column each for 5-year bands, several for single years)."""
    total = "total_population"
    note = "ONS small area population estimates (mid-year, LSOA 2011)"
    measures = [
        count("pop.total", total, "Population, all ages (mid-year estimate)", description=note)
    ]
    for band in BANDS:
        measures.append(
            _sum_count(f"pop.age_{band}", columns[band], f"Population {_band_title(band)}")
        )
    for age in ("65", "70", "80"):
        measures.append(
            _sum_count(
                f"pop.aged_{age}_plus", columns[f"{age}plus"], f"Population aged {age} and over"
            )
        )
        measures.append(
            rate(
                f"pop.aged_{age}_plus_pct",
                f"Population aged {age} and over (%)",
                list(columns[f"{age}plus"]),
                total,
                description=f"People aged {age}+ as % of all people ({note}); age is the strongest "
                "COVID-19 risk factor.",
            )
        )
    return measures


def _sum_count(indicator_id: str, columns: tuple[str, ...], title: str) -> Measure:
    if len(columns) == 1:
        return count(indicator_id, columns[0], title)
    return Measure(indicator_id, title, "people", "count", "neutral", numerator=tuple(columns))


@wide("lsoa11_code", hint={"lsoa11_code": "lsoa21_code"})
def load_mid2020_lsoa() -> list[Measure]:
    """Mid-2020, England and Wales, in 5-year bands with 65+, 70+ and 80+ columns."""
    columns: dict[str, tuple[str, ...]] = {b: (f"age_{b}",) for b in BANDS}
    columns |= {f"{a}plus": (f"age_{a}plus",) for a in ("65", "70", "80")}
    return _lsoa_measures(columns)


def _single_years(low: int, high: int | None) -> tuple[str, ...]:
    top = 89 if high is None else high
    ages = tuple(str(a) for a in range(low, top + 1))
    return ages + (("90plus",) if high is None else ())


@wide("lsoa11_code", hint={"lsoa11_code": "lsoa21_code"})
def load_mid2019_lsoa() -> list[Measure]:
    """Mid-2019, single year of age (published here for the Essex area), summed to the same bands."""
    columns = {
        b: ("90plus",) if b == "90plus" else _single_years(*map(int, b.split("_"))) for b in BANDS
    }
    columns |= {f"{a}plus": _single_years(int(a), None) for a in ("65", "70", "80")}
    return _lsoa_measures(columns)


@wide("msoa11_code", hint={"msoa11_code": "msoa21_code"})
def load_mid2019_msoa() -> list[Measure]:
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
    return measures
