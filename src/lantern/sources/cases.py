"""PHE weekly confirmed COVID-19 cases by MSOA 2011 (coronavirus dashboard, weeks 5–41 of 2020).

The file has one row per MSOA and one column per ISO week (``wk_05`` … ``wk_41``), and a row of
cases PHE could not place in an MSOA (code ``xxxxxxxxx``, "unallocated"), which is no area and is
left out here (it counts towards England's total, see ``lantern.benchmarks``). Counts of 0–2
were suppressed by PHE and appear as ``-99``: they are stored as *missing*, never as zero, so a
suppressed week never looks like a week without cases. Each week becomes one period
(``2020-W05`` …) of one indicator, the crude weekly rate per 100,000 residents, with the case
count as numerator and the ONS mid-2019 MSOA population (the denominator PHE used) as
denominator, so confidence limits and aggregates are computed from counts.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.sources.checked import read_table
from lantern.sources.context import LoadContext
from lantern.sources.manifest import Manifest
from lantern.sources.model import TIDY_COLUMNS, FileRead, Loaded, Source
from lantern.sources.reading import header_of
from lantern.sources.rules import POSITIVE, Rule
from lantern.sources.table import Codes, TableSpec

CODE = "msoa11_cd"
NAME = "msoa11_hclnm"
UNALLOCATED = "xxxxxxxxx"  # PHE's row of cases it could not place in an MSOA
SUPPRESSED = -99
WEEK = re.compile(r"wk_(\d{2})")
INDICATOR = "phe_cases.weekly_rate"
POPULATION = "population/mid2019_msoa11_5yr_bands_ew.csv"
YEAR = 2020


def week_columns(header: list[str]) -> list[str]:
    """The ``wk_NN`` columns of the header, in week order."""
    weeks = [c for c in header if WEEK.fullmatch(c)]
    return sorted(weeks, key=lambda c: int(c[3:]))


def period_of(column: str) -> str:
    """``wk_05`` → ``2020-W05`` (ISO week of 2020)."""
    return f"{YEAR}-W{column[3:]}"


WEEKLY = Rule(
    "whole number of cases ≥ 0 (−99: suppressed, 0–2)", low=0, whole=True, markers=(SUPPRESSED,)
)
WEEKS = tuple(f"wk_{w:02d}" for w in range(5, 42))  # ISO weeks 5-41 of 2020, this release
LABELS = ("msoa11_hclnm", "rgn19_cd", "rgn19_nm", "utla19_cd", "utla19_nm", "lad19_cd", "lad19_nm")


def cases_spec(source: Source, weeks: tuple[str, ...] | None = None) -> TableSpec:
    """The weekly cases file: MSOA 2011 codes (PHE's unallocated row is no area), whole counts."""
    return TableSpec(
        source.source_id,
        source.path,
        codes=(Codes(CODE, "msoa", 2011, markers=(UNALLOCATED,)),),
        numbers=tuple(weeks or WEEKS),
        rules=(("wk_*", WEEKLY),),
        vintage_hint=((CODE, "msoa21_cd"),),
        gaps=tuple(source.gaps),
    )


def population_spec(source: Source) -> TableSpec:
    return TableSpec(
        source.source_id,
        POPULATION,
        codes=(Codes("msoa11_code", "msoa", 2011),),
        numbers=("total_population",),
        rules=(("total_population", POSITIVE),),
        complete=False,
    )


def weekly_counts(values: pd.DataFrame) -> pd.DataFrame:
    """Counts with the suppression marker turned into missing (the rules checked the rest)."""
    return values.where(values != SUPPRESSED)


def read_population(source: Source, ctx: LoadContext) -> tuple[pd.Series, FileRead]:
    # totals only: the file is checked whole (and against the manifest) as source pop2019_msoa
    table = read_table(population_spec(source), ctx, checksum=False)
    codes = table.frame["msoa11_code"].astype(object).to_numpy()
    series = pd.Series(table.values["total_population"].to_numpy(), index=codes)
    return series, table.file


def load_weekly_cases(source: Source, ctx: LoadContext) -> Loaded:
    path = source.file(ctx.data_dir)
    if path.exists() and not week_columns(header_of(path)):
        raise InputError(
            "no weekly case columns; expected columns wk_05, wk_06, … (one per ISO week)",
            file=path,
            row=1,
        )
    table = read_table(cases_spec(source, WEEKS), ctx)
    weeks = list(WEEKS)
    frame = table.areas
    counts = weekly_counts(table.area_values())
    population, pop_file = read_population(source, ctx)
    codes = frame[CODE].astype(object).to_numpy()
    missing = ~pd.Index(codes).isin(population.index)
    if missing.any():
        position = int(missing.argmax())
        raise InputError(
            f"{codes[position]} has no mid-2019 population in {POPULATION}; expected every MSOA "
            "of the cases file there",
            file=table.path,
            row=table.row(frame.index[position]),
            column=CODE,
        )
    keep = ctx.keep(frame[CODE], "msoa", 2011).to_numpy()
    codes, counts = codes[keep], counts[keep]
    pop = population.reindex(codes).to_numpy(dtype=float)
    n, k = len(codes), len(weeks)
    cases = counts[weeks].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(pop[:, None] > 0, cases / pop[:, None] * 100_000, np.nan)
    rows = pd.DataFrame(
        {
            "area_code": np.repeat(codes, k),
            "vintage": 2011,
            "indicator_id": INDICATOR,
            "period": np.tile(np.array([period_of(w) for w in weeks], dtype=object), n),
            "value": rate.reshape(-1),
            "numerator": cases.reshape(-1),
            "denominator": np.repeat(pop, k),
        },
        columns=TIDY_COLUMNS,
    )
    meta = [
        source.meta(
            INDICATOR,
            "COVID-19 confirmed cases in the week, per 100,000 residents",
            unit="per 100,000",
            kind="rate",
            polarity="higher_worse",
            period=f"{period_of(weeks[0])}/{period_of(weeks[-1])}",
            description="People with a positive COVID-19 test (pillars 1 and 2) in the ISO week, per "
            "100,000 residents (ONS mid-2019 MSOA population). Weeks with 0-2 cases were "
            "suppressed by PHE and are missing, not zero.",
        )
    ]
    return Loaded(rows=rows, meta=meta, files=[table.file, pop_file], gaps=table.gaps)


load_weekly_cases.tables = lambda source: [cases_spec(source), population_spec(source)]  # type: ignore[attr-defined]


def england_weekly(data_dir: Path, loaded: Loaded | None = None) -> pd.DataFrame:
    """England's weekly counts and rates over the mid-2019 population of England's MSOAs: at
    least the published MSOA counts plus the unallocated cases, at most that plus 2 for each
    suppressed MSOA-week (``value_max``)."""
    from lantern.benchmarks import COLUMNS

    source = next(s for s in _sources() if s.source_id == "phe_cases")
    ctx = LoadContext(Path(data_dir), manifest=Manifest.for_data_dir(Path(data_dir)))
    table = read_table(cases_spec(source, WEEKS), ctx)
    weeks = list(WEEKS)
    frame, counts = table.frame, table.values
    unallocated = (frame[CODE] == UNALLOCATED).to_numpy()
    english = frame[CODE].str.startswith("E02").fillna(False).to_numpy(dtype=bool)
    population, _file = read_population(source, ctx)
    pop = float(population[population.index.str.startswith("E02")].sum())
    rows = []
    for week in weeks:
        col = counts[week].to_numpy()
        published = float(col[english & (col >= 0)].sum() + col[unallocated & (col >= 0)].sum())
        suppressed = int((english & (col == SUPPRESSED)).sum())
        rows.append(
            {
                "indicator_id": INDICATOR,
                "vintage": 2011,
                "period": period_of(week),
                "value": published / pop * 100_000,
                "numerator": published,
                "denominator": pop,
                "value_max": (published + 2 * suppressed) / pop * 100_000,
                "areas": int(english.sum()),
                "method": "published MSOA counts + unallocated cases (a lower bound)",
                "note": f"{suppressed} MSOA-weeks suppressed (0-2 each): between "
                f"{published:.0f} and {published + 2 * suppressed:.0f} cases",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _sources() -> list[Source]:
    from lantern.sources.registry import SOURCES

    return SOURCES
