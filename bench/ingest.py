"""Benchmark: England-wide `ingest` against DuckDB's own `read_csv` of the same files.

Run with ``python bench/ingest.py`` (needs the England-wide files: ``$LANTERN_SHARED_DATA`` or
``../shared/data``). In one run it times:

* the baseline: DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(…)`` (types auto-detected) of
  every CSV the ingest reads, plus ``read_parquet`` of the GP registrations, into a fresh
  DuckDB file — reading only, no validation, no reshaping;
* ``ingest`` without boundaries (the same files: lookups and every source with every check on —
  value rules, unknown codes, completeness, manifest row counts and checksums, lookup
  cross-checks — reshaped to 8.8 million tidy indicator rows over every period, crosswalk and
  hierarchy built) — the like-for-like ratio;
* the full ``ingest`` as ``lantern ingest`` runs it (adds LSOA/MSOA/district boundaries).

All files are read once first so every timing starts from a warm OS cache. Each timing runs in a
fresh process (so its peak resident memory is its own) and is the best of N runs (default 3:
`python bench/ingest.py 5` for five) because the machine may be shared. CPU counts every thread.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from lantern.config import config_from_mapping
from lantern.geography.tables import SPECS
from lantern.paths import shared_data_dir
from lantern.pipeline.ingest import ingest
from lantern.sources import SOURCES

TARGET_RATIO = 1.5


def files_read(data_dir: Path) -> list[Path]:
    """Every tabular file the ingest reads: each source's tables and the geography files."""
    relative = [t.path for s in SOURCES for t in s.tables()] + list(SPECS)
    paths = [data_dir / r for r in dict.fromkeys(relative)]
    return [p for p in paths if p.exists()]


def best_of(repeats: int, phase: str, data_dir: Path, folder: Path) -> tuple[float, float, float]:
    """Best wall and CPU seconds over ``repeats`` runs, each in a fresh process, and the largest
    peak resident memory (MB) of any run."""
    walls, cpus, peaks = [], [], []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, __file__, "--phase", phase, str(data_dir), str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
        wall, cpu, peak = json.loads(out.stdout.strip().splitlines()[-1])
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
    return min(walls), min(cpus), max(peaks)


def run_phase(phase: str, data_dir: Path, folder: Path) -> None:
    """One timed run in this process; prints wall, CPU (all threads) and peak RSS as JSON."""
    files = files_read(data_dir)
    wall, cpu = time.perf_counter(), time.process_time()
    if phase == "baseline":
        baseline(files, folder / "baseline.duckdb")
    else:
        england_ingest(data_dir, folder / phase, geometries=phase == "full")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps([wall, cpu, peak_mb]))


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
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        run_phase(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return 0
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
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for phase in ("tables", "full"):
            (folder / phase).mkdir()
        base = best_of(repeats, "baseline", data_dir, folder)
        only = best_of(repeats, "tables", data_dir, folder)
        full = best_of(repeats, "full", data_dir, folder)
    print(
        f"files: {len(files)} ({size / 1e6:.1f} MB), every check on; best of {repeats}, each run in a fresh process"
    )
    print("                                      wall (s)  ratio   CPU (s)  ratio  peak MB")
    for label, (wall, cpu, peak) in [
        ("DuckDB read_csv baseline", base),
        ("lantern ingest without boundaries", only),
        ("lantern ingest, full (+ boundaries)", full),
    ]:
        print(
            f"{label:<37} {wall:8.2f} {wall / base[0]:6.2f}x {cpu:8.2f} {cpu / base[1]:6.2f}x {peak:8.0f}"
        )
    print(
        f"target for the like-for-like ratio (without boundaries): <= {TARGET_RATIO}x; peak < 1,000 MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
