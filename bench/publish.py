"""Publish benchmark: ``lantern publish`` of one warehouse by this code and by a baseline copy of
the code (another checkout's ``src``), alternating, with wall time, CPU time (user + system, the
tippecanoe processes included) and load average, and whether the two sites hold the same files.

    git worktree add /tmp/lantern-old main --detach   # the code to compare against
    flock /tmp/lantern-bench.lock python bench/publish.py -c england.toml \\
        --baseline /tmp/lantern-old/src --runs 2

``england.toml`` names the England warehouse (area_codes = ["E92000001"], built with ``lantern
ingest`` and ``lantern build``). The baseline runs from the same virtual environment with its
``src`` first on the import path (copy this checkout's built ``publish/assets`` into it: they are
not in git). Prints each run and the ratio of the medians (issue 17: England publish ≤ 60 s).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from lantern.cli import main; sys.argv[0] = 'lantern'; main()"


def run(src: Path, config: Path, site: Path) -> dict:
    """One publish in a child process; its wall and CPU time (children of the child included)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    load = os.getloadavg()[0]
    before = os.times()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", RUN, "publish", "-c", str(config), "-o", str(site)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    return {"wall": wall, "cpu": cpu, "load": load, "mb": size / 1e6}


def _content(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def differing(a: Path, b: Path) -> list[str]:
    """Data and detail files whose JSON differs between two sites (downloads and tiles are
    compared by the tests; here the files the page reads)."""
    out = []
    for path in sorted((a / "data").rglob("*.json.gz")):
        rel = path.relative_to(a)
        other = b / rel
        if not other.exists() or json.loads(_content(path)) != json.loads(_content(other)):
            out.append(str(rel))
    extra = {p.relative_to(b) for p in (b / "data").rglob("*.json.gz")} - {
        p.relative_to(a) for p in (a / "data").rglob("*.json.gz")
    }
    return out + sorted(map(str, extra))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, required=True, help="the baseline's src folder")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"baseline": [], "current": []}
    with tempfile.TemporaryDirectory(prefix="lantern-bench-publish-") as tmp:
        sites = {name: Path(tmp) / name for name in results}
        for i in range(args.runs):
            for name, src in (("baseline", args.baseline), ("current", ROOT / "src")):
                shutil.rmtree(sites[name], ignore_errors=True)
                r = run(src, args.config.resolve(), sites[name])
                results[name].append(r)
                print(
                    f"run {i + 1} {name:8} {r['wall']:6.1f} s wall {r['cpu']:6.1f} s CPU "
                    f"load {r['load']:.1f}  site {r['mb']:.1f} MB",
                    flush=True,
                )
        diff = differing(sites["baseline"], sites["current"])
    med = {
        name: {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu")}
        for name, runs in results.items()
    }
    print(
        f"median baseline {med['baseline']['wall']:.1f} s wall {med['baseline']['cpu']:.1f} s CPU; "
        f"current {med['current']['wall']:.1f} s wall {med['current']['cpu']:.1f} s CPU; "
        f"ratio {med['baseline']['wall'] / med['current']['wall']:.2f}x wall, "
        f"{med['baseline']['cpu'] / med['current']['cpu']:.2f}x CPU"
    )
    print("data files differing:", diff or "none")


if __name__ == "__main__":
    main()
