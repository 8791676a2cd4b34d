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
from lantern.geography.codes import AreaType
from lantern.sources.context import LoadContext
from lantern.sources.model import TIDY_COLUMNS, FileRead, Loaded, Source
from lantern.sources.reading import (
    check_codes,
    check_header,
    check_unique,
    numeric,
    parse_csv,
    read_raw,
)

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


def weekly_counts(raw_frame: pd.DataFrame, values: pd.DataFrame, file: str) -> pd.DataFrame:
    """Counts with the suppression marker turned into missing; any other negative or fractional
    count is an error naming its row and column."""
    out = values.copy()
    for column in out.columns:
        col = out[column].to_numpy()
        bad = (col < 0) & (col != SUPPRESSED) | (np.isfinite(col) & (col != np.round(col)))
        if bad.any():
            row = int(out.index[int(bad.argmax())]) + 2
            raise InputError(
                f"expected a whole number of cases, or {SUPPRESSED} for a suppressed count (0-2)",
                file=file,
                row=row,
                column=column,
            )
        out[column] = np.where(col == SUPPRESSED, np.nan, col)
    return out


def read_population(ctx: LoadContext) -> tuple[pd.Series, FileRead]:
    raw = read_raw(ctx.data_dir / POPULATION)
    check_header(raw, ["msoa11_code", "total_population"])
    frame = parse_csv(
        raw, usecols=["msoa11_code", "total_population"], text_columns=["msoa11_code"]
    )
    check_codes(raw, frame, "msoa11_code", AreaType.MSOA, vintage=2011)
    pop = numeric(raw, frame, ["total_population"])["total_population"]
    check_unique(raw, frame, ["msoa11_code"])
    series = pd.Series(pop.to_numpy(), index=frame["msoa11_code"].astype(object).to_numpy())
    return series, FileRead("phe_cases", POPULATION, raw.sha256, raw.size, len(frame))


def load_weekly_cases(source: Source, ctx: LoadContext) -> Loaded:
    raw = read_raw(source.file(ctx.data_dir))
    weeks = week_columns(raw.header)
    if not weeks:
        raise InputError(
            "no weekly case columns; expected columns wk_05, wk_06, … (one per ISO week)",
            file=raw.path,
            row=1,
        )
    check_header(raw, [CODE, *weeks], vintage_hint={CODE: "msoa21_cd"})
    frame = parse_csv(raw, usecols=[CODE, *weeks], text_columns=[CODE])
    frame = frame[frame[CODE] != UNALLOCATED]  # national cases without an MSOA: not an area
    check_codes(
        raw,
        frame,
        CODE,
        AreaType.MSOA,
        vintage=2011,
        other_vintage_codes=ctx.other_vintage_codes("msoa", 2011),
    )
    counts = weekly_counts(frame, numeric(raw, frame, weeks), source.path)
    check_unique(raw, frame, [CODE])
    population, pop_file = read_population(ctx)
    codes = frame[CODE].astype(object).to_numpy()
    missing = ~pd.Index(codes).isin(population.index)
    if missing.any():
        position = int(missing.argmax())
        row = int(frame.index[position]) + 2
        raise InputError(
            f"{codes[position]} has no mid-2019 population in {POPULATION}; expected every MSOA "
            "of the cases file there",
            file=raw.path,
            row=row,
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
    files = [FileRead(source.source_id, source.path, raw.sha256, raw.size, len(frame)), pop_file]
    return Loaded(rows=rows, meta=meta, files=files)


def england_weekly(data_dir: Path, loaded: Loaded | None = None) -> pd.DataFrame:
    """England's weekly counts and rates over the mid-2019 population of England's MSOAs: at
    least the published MSOA counts plus the unallocated cases, at most that plus 2 for each
    suppressed MSOA-week (``value_max``)."""
    from lantern.benchmarks import COLUMNS

    source = next(s for s in _sources() if s.source_id == "phe_cases")
    raw = read_raw(source.file(data_dir))
    weeks = week_columns(raw.header)
    frame = parse_csv(raw, usecols=[CODE, *weeks], text_columns=[CODE])
    counts = numeric(raw, frame, weeks)
    unallocated = (frame[CODE] == UNALLOCATED).to_numpy()
    english = frame[CODE].str.startswith("E02").fillna(False).to_numpy(dtype=bool)
    population, _file = read_population(LoadContext(data_dir))
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
