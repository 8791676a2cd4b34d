"""England-wide geography benchmark: hierarchy build and crosswalk moves against DuckDB baselines.

Run: ``python bench/geography.py`` (needs the England-wide data; prints times and ratios).

1. Hierarchy: ``load_hierarchy`` for both vintages (read, validate every code, build areas and
   transitive links) against DuckDB's ``read_csv`` of the same lookup files.
2. Crosswalk: ``move`` of 20 count indicators for every LSOA 2011 to LSOA 2021 against the same
   join and weighted sum written in DuckDB SQL; the two results are checked to agree.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from lantern.geography.crosswalk import load_crosswalk, move
from lantern.geography.hierarchy import (
    LAD_REGION,
    LAD_UTLA,
    LOOKUP_2011,
    LOOKUP_2021,
    load_hierarchy,
)
from lantern.paths import shared_data_dir


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall time over ``runs`` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    data = shared_data_dir()
    if data is None:
        print("England-wide data not found; set LANTERN_SHARED_DATA")
        return 1
    con = duckdb.connect()
    files = [data / p for p in (LOOKUP_2011, LOOKUP_2021, LAD_UTLA, LAD_REGION)]

    def duck_read() -> int:
        return sum(
            con.execute(f"select count(*) from read_csv('{f}')").fetchone()[0] for f in files
        )

    base, _ = best_of(3, duck_read)
    ours, hierarchies = best_of(3, lambda: [load_hierarchy(data, v) for v in (2011, 2021)])
    links = sum(len(h.links) for h in hierarchies)  # type: ignore[union-attr]
    print(
        f"hierarchy (2011 + 2021, {links:,} links): {ours:.3f} s; DuckDB read_csv of the lookups into DataFrames "
        f"{base:.3f} s; ratio {ours / base:.2f}x"
    )

    cw = load_crosswalk(data)
    rng = np.random.default_rng(2020)
    codes = cw["lsoa11_code"].unique()
    values = pd.DataFrame(
        {
            "area_code": np.repeat(codes, 20),
            "indicator_id": np.tile([f"bench.count_{i:02d}" for i in range(20)], len(codes)),
            "value": rng.integers(0, 1000, len(codes) * 20).astype(float),
        }
    )
    con = duckdb.connect()
    con.register("v", values)
    con.register("cw", cw)
    sql = """select c.lsoa21_code as area_code, v.indicator_id, sum(v.value * c.weight) as value
             from v join cw c on v.area_code = c.lsoa11_code group by all"""
    base, expected = best_of(3, lambda: con.execute(sql).df())
    ours, moved = best_of(3, lambda: move(values, "count", cw))
    got = moved.set_index(["area_code", "indicator_id"])["value"].sort_index()  # type: ignore[union-attr]
    want = expected.set_index(["area_code", "indicator_id"])["value"].sort_index()  # type: ignore[union-attr]
    assert np.allclose(got.to_numpy(), want.reindex(got.index).to_numpy())
    print(
        f"crosswalk move ({len(values):,} values → {len(got):,}): {ours:.3f} s; DuckDB SQL "
        f"{base:.3f} s; ratio {ours / base:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
