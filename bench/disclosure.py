"""Benchmark: protecting and auditing an England LSOA table beside a plain pandas baseline.

33,755 LSOA 2021 areas x 20 count measures from Census 2021 tables, with MSOA 2021 and district
(LAD 2024) totals. The gate withholds counts 1..7, rounds the rest to 5 and keeps withholding
until no withheld cell can be pinned down or bounded at or below 7 from what is published (the
full audit: interval propagation over the nested sums, exact; an MSOA split between districts
becomes unpublished pieces so the sums stay acyclic). The baseline suppresses 1..7 and rounds,
with no audit at all. Each is timed as the best of several runs in the same process (wall clock
and CPU time), so the ratio holds on a busy machine too; the target is protect <= 25x baseline.

Run: ``python bench/disclosure.py`` (``make bench BENCH=disclosure``); needs the England-wide data.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from lantern.disclosure import Hierarchy, check_table, protect_table
from lantern.paths import shared_data_dir

RUNS = 5
TARGET = 25.0
MEASURES = {
    "ts007a_like_age6_usual_residents_lsoa21_ew.csv": [
        "Aged 65 years and over",
        "Aged 15 years and under",
    ],
    "ts011_household_deprivation_lsoa21_ew.csv": [
        "Household is deprived in three dimensions",
        "Household is deprived in four dimensions",
    ],
    "ts021_ethnic_group_lsoa21_ew.csv": [
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
        "Mixed or Multiple ethnic groups",
        "Other ethnic group",
    ],
    "ts038_disability_lsoa21_ew.csv": ["Disabled under the Equality Act"],
    "ts044_accommodation_type_lsoa21_ew.csv": [
        "A caravan or other mobile or temporary structure",
        "In a commercial building, for example, in an office building, hotel or over a shop",
        "Part of a converted or shared house, including bedsits",
    ],
    "ts052_occupancy_rating_bedrooms_lsoa21_ew.csv": [
        "-1 (overcrowded)",
        "-2 or less (overcrowded)",
    ],
    "ts054_tenure_lsoa21_ew.csv": [
        "Lives rent free",
        "Shared ownership: Shared ownership",
        "Social rented: Other social rented",
        "Social rented: Rents from council or Local Authority",
        "Private rented: Other private rented",
        "Owned: Owns outright",
    ],
}


def england_table() -> tuple[pd.DataFrame, list[str]]:
    data = shared_data_dir()
    if data is None:
        raise SystemExit("England-wide data not found (set LANTERN_SHARED_DATA)")
    lookup = pd.read_csv(data / "lookups/lsoa21_msoa21_ward24_lad24_ew.csv", dtype=str)
    table = lookup[["lsoa21_code", "msoa21_code", "ltla24_code"]]
    table = table[table["lsoa21_code"].str.startswith("E")]
    columns = []
    for file, cols in MEASURES.items():
        df = pd.read_csv(data / "census2021" / file, dtype={"lsoa21_code": str})
        renamed = {c: f"m{len(columns) + i:02d}" for i, c in enumerate(cols)}
        columns += list(renamed.values())
        table = table.merge(df[["lsoa21_code", *cols]].rename(columns=renamed), on="lsoa21_code")
    return table.reset_index(drop=True), columns


def baseline(df: pd.DataFrame, columns: list[str]) -> dict[str, pd.DataFrame]:
    """Plain pandas: suppress 1..7, round the rest to 5, totals from raw counts rounded."""
    out = {}
    for level in ("lsoa21_code", "msoa21_code", "ltla24_code"):
        frame = (
            df.groupby(level)[columns].sum()
            if level != "lsoa21_code"
            else df.set_index(level)[columns]
        )
        rounded = ((frame + 2) // 5) * 5
        out[level] = rounded.mask((frame >= 1) & (frame <= 7))
    return out


def best(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds over ``runs`` calls (after one warm-up call)."""
    result = fn()
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu), result


def main() -> None:
    df, columns = england_table()
    print(
        f"table: {len(df):,} LSOA21 x {len(columns)} measures; {df.msoa21_code.nunique():,} MSOA21, "
        f"{df.ltla24_code.nunique()} LAD24"
    )
    hierarchy = Hierarchy("lsoa21_code", ("msoa21_code", "ltla24_code"))
    b_wall, b_cpu, base = best(lambda: baseline(df, columns))
    withheld_base = int(sum(f.isna().sum().sum() for f in base.values()))  # type: ignore[union-attr]
    p_wall, p_cpu, out = best(
        lambda: protect_table(
            df, count_columns=columns, policy="nhs_small_area", hierarchy=hierarchy
        )
    )
    c_wall, c_cpu, failures = best(
        lambda: check_table(
            "england",
            out.table,  # type: ignore[union-attr]
            count_columns=columns,
            policy=out.policy,  # type: ignore[union-attr]
            hierarchy=hierarchy,
            totals=out.totals,  # type: ignore[union-attr]
        )
    )
    reasons = out.suppressed["reason"].value_counts().to_dict()  # type: ignore[union-attr]
    print(f"best of {RUNS}               wall s    cpu s")
    print(
        f"baseline round-and-suppress {b_wall:7.3f}  {b_cpu:7.3f}   {withheld_base:,} cells withheld"
    )
    print(
        f"gate protect_table + audit  {p_wall:7.3f}  {p_cpu:7.3f}   "
        f"{len(out.suppressed):,} cells withheld {reasons}"  # type: ignore[union-attr]
    )
    print(f"gate check_table (audit)    {c_wall:7.3f}  {c_cpu:7.3f}   {len(failures)} failures")  # type: ignore[arg-type]
    ratio = p_wall / b_wall
    print(
        f"ratio protect/baseline: {ratio:.1f}x wall, {p_cpu / b_cpu:.1f}x cpu (target <= {TARGET:g}x); "
        f"(protect+check)/baseline: {(p_wall + c_wall) / b_wall:.1f}x wall, "
        f"{(p_cpu + c_cpu) / b_cpu:.1f}x cpu"
    )
    assert not failures and np.isfinite(p_wall)


if __name__ == "__main__":
    main()
