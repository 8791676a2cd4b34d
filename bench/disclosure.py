"""Benchmark: the disclosure gate over an England-wide LSOA table beside a plain pandas baseline.

33,755 LSOA 2021 areas x 20 count measures from Census 2021 tables, with MSOA 2021 and district
(LAD 2024) totals. Run: ``python -m bench.disclosure`` (needs the England-wide data folder).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from lantern.disclosure import Hierarchy, check_table, protect_table
from lantern.paths import shared_data_dir

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


def main() -> None:
    df, columns = england_table()
    print(
        f"table: {len(df):,} LSOA21 x {len(columns)} measures; {df.msoa21_code.nunique():,} MSOA21, "
        f"{df.ltla24_code.nunique()} LAD24"
    )
    t0 = time.perf_counter()
    base = baseline(df, columns)
    t_base = time.perf_counter() - t0
    withheld_base = int(sum(f.isna().sum().sum() for f in base.values()))

    hierarchy = Hierarchy("lsoa21_code", ("msoa21_code", "ltla24_code"))
    t0 = time.perf_counter()
    out = protect_table(df, count_columns=columns, policy="nhs_small_area", hierarchy=hierarchy)
    t_protect = time.perf_counter() - t0
    t0 = time.perf_counter()
    failures = check_table(
        "england",
        out.table,
        count_columns=columns,
        policy=out.policy,
        hierarchy=hierarchy,
        totals=out.totals,
    )
    t_check = time.perf_counter() - t0
    reasons = out.suppressed["reason"].value_counts().to_dict()
    print(f"baseline pandas round-and-suppress: {t_base:7.2f} s, {withheld_base:,} cells withheld")
    print(
        f"gate protect_table (with audit):   {t_protect:7.2f} s, {len(out.suppressed):,} cells withheld {reasons}"
    )
    print(f"gate check_table:                  {t_check:7.2f} s, {len(failures)} failures")
    print(
        f"ratio protect/baseline: {t_protect / t_base:.1f}x; (protect+check)/baseline: "
        f"{(t_protect + t_check) / t_base:.1f}x"
    )
    assert not failures and np.isfinite(t_protect)


if __name__ == "__main__":
    main()
