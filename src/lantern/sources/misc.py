"""Single-table sources: modelled loneliness and ONS COVID-19 deaths by MSOA."""

from __future__ import annotations

from lantern.sources.wide import Measure, wide


@wide("lsoa21_code", hint={"lsoa21_code": "lsoa11_code"})
def load_loneliness() -> list[Measure]:
    note = (
        "Modelled estimate, not an official statistic: % of adults who feel lonely often or always, "
        "modelled from the DCMS Community Life Survey onto LSOA 2021."
    )
    measures = [
        Measure(
            "cls.lonely_pct",
            "Adults often or always lonely (modelled, %)",
            "%",
            "rate",
            "higher_worse",
            column="perc",
            description=note,
        ),
        Measure(
            "cls.lonely_decile",
            "Loneliness decile (modelled)",
            "decile",
            "decile",
            "higher_worse",
            column="deciles",
            description="Decile of the modelled loneliness; 10 = loneliest 10%.",
        ),
    ]
    return measures


@wide("msoa11_code", hint={"msoa11_code": "msoa21_code"})
def load_covid_deaths() -> list[Measure]:
    measures = [
        Measure(
            "ons_covid_deaths.deaths_mar_dec2020",
            "Deaths involving COVID-19, March-December 2020",
            "deaths",
            "count",
            "higher_worse",
            column="deaths_involving_covid19_mar_dec2020",
            description="Death occurrences involving COVID-19 by MSOA 2011 (ONS); a validation outcome.",
        ),
    ]
    return measures
