"""Benchmark: England-wide `ingest` against DuckDB's own `read_csv` of the same files.

Run with ``python bench/ingest.py`` (needs the England-wide files: ``$LANTERN_SHARED_DATA`` or
``../shared/data``). In one run it times:

* the baseline: DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` (types auto-detected) of
  every CSV the ingest reads, plus ``read_parquet`` of the GP registrations, into a fresh
  DuckDB file — reading only, no validation, no reshaping;
* ``ingest`` without boundaries (the same files: lookups and every source, validated, reshaped
  to 6.5 million tidy indicator rows, crosswalk and hierarchy built) — the like-for-like ratio;
* the full ``ingest`` as ``lantern ingest`` runs it (adds LSOA/MSOA/district boundaries).

All files are read once first so every timing starts from a warm OS cache, and each timing is
the best of N runs (default 3: `python bench/ingest.py 5` for five) because the machine may be shared.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import duckdb

from lantern.config import config_from_mapping
from lantern.geography.crosswalk import CROSSWALK_LOOKUP, POPULATION_2011, POPULATION_2021
from lantern.geography.hierarchy import LAD_REGION, LAD_UTLA, LOOKUP_2011, LOOKUP_2021
from lantern.paths import shared_data_dir
from lantern.pipeline.ingest import ingest
from lantern.sources import SOURCES

TARGET_RATIO = 1.5


def files_read(data_dir: Path) -> list[Path]:
    """Every tabular file the ingest reads (sources, their extra inputs, lookups)."""
    relative = [s.path for s in SOURCES] + [p for s in SOURCES for p in s.extra_paths]
    relative += [
        LOOKUP_2011,
        LOOKUP_2021,
        LAD_UTLA,
        LAD_REGION,
        CROSSWALK_LOOKUP,
        POPULATION_2011,
        POPULATION_2021,
    ]
    paths = [data_dir / r for r in dict.fromkeys(relative)]
    return [p for p in paths if p.exists()]


def best_of(repeats: int, run) -> tuple[float, float]:  # noqa: ANN001
    """Minimum wall-clock and CPU seconds over ``repeats`` runs (the machine may be shared)."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def baseline(files: list[Path], target: Path) -> None:
    if target.exists():
        target.unlink()
    con = duckdb.connect(str(target))
    for i, path in enumerate(files):
        if path.suffix == ".parquet":
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_parquet(?)", [str(path)])
        else:
            con.execute(
                f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?, quote='\"', sample_size=-1)",
                [str(path)],
            )
    con.execute("CHECKPOINT")
    con.close()


def england_ingest(data_dir: Path, folder: Path, *, geometries: bool) -> int:
    config = config_from_mapping(
        {
            "area_codes": ["E92000001"],
            "data_dir": str(data_dir),
            "warehouse": str(folder / "england.duckdb"),
        },
        root=folder,
    )
    return ingest(config, geometries=geometries).rows


def main() -> int:
    data_dir = shared_data_dir()
    if data_dir is None:
        print(
            "England-wide data not found: set LANTERN_SHARED_DATA or place ../shared/data beside the repo"
        )
        return 1
    files = files_read(data_dir)
    size = sum(p.stat().st_size for p in files)
    for path in files:  # warm the OS cache for everyone
        path.read_bytes()
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def tables() -> None:
            nonlocal rows
            rows = england_ingest(data_dir, folder / "tables", geometries=False)

        base = best_of(repeats, lambda: baseline(files, folder / "baseline.duckdb"))
        only = best_of(repeats, tables)
        full = best_of(repeats, lambda: england_ingest(data_dir, folder / "full", geometries=True))
    print(
        f"files: {len(files)} ({size / 1e6:.1f} MB); indicator rows written: {rows:,}; best of {repeats}"
    )
    print("                                      wall (s)  ratio   CPU (s)  ratio")
    for label, (wall, cpu) in [
        ("DuckDB read_csv baseline", base),
        ("lantern ingest without boundaries", only),
        ("lantern ingest, full (+ boundaries)", full),
    ]:
        print(f"{label:<37} {wall:8.2f} {wall / base[0]:6.2f}x {cpu:8.2f} {cpu / base[1]:6.2f}x")
    print(f"target for the like-for-like ratio (without boundaries): <= {TARGET_RATIO}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
