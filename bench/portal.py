"""Benchmark: the partner portal under its real mix of load on loopback (locust, headless).

Run with ``python bench/portal.py --postgres`` (a throwaway PostgreSQL cluster from Debian's
binaries, 2 server processes) or ``python bench/portal.py`` (SQLite, 1 process); ``--db URL``
uses an existing database; ``--users 50 --seconds 60`` by default. It builds the synthetic demo
world (real Essex areas and IoD2025 scores, synthetic households) in a fresh database, serves
the portal with uvicorn in a subprocess, signs in a hub worker and a district officer, then runs
50 concurrent locust users (hub workers 3 : officers 2 : public 1, each waiting 0.5–1.5 s between
tasks) for 60 s over the real mix: API reads, pages (dashboard, district and LSOA pages), audited
household views (API and page), audited household CSV exports, contact outcomes recorded,
aggregates read and downloaded through the disclosure gate (API, CSV, page), objections sent
through the public form, and the public register.
Prints requests/s, p50/p99 latency and errors per kind, each kind's p99 against the baseline
(``/api/health``: no database work) in the same run and its p99 from 5 s on (the run without the
opening burst), the p99 and requests over 200 ms of each 5 s of the run (is a tail from the start
or from the whole run?), and the machine's load average.
Target: 0 errors and p99 < 200 ms for every kind over the whole run.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
PASSWORD = "benchmark password only"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_world(url: str, folder: Path, key: str):  # noqa: ANN201
    from lantern.portal import synthetic
    from lantern.portal.db import make_engine, migrate, session_factory
    from lantern.portal.settings import PortalSettings

    engine = make_engine(url)
    migrate(engine)
    settings = PortalSettings(database_url=url, data_key=key)
    with session_factory(engine)() as session:
        world = synthetic.build(
            session, folder, key=settings.key_bytes(), password=PASSWORD, today=date.today()
        )
    engine.dispose()
    return world


def sign_in(base: str, username: str) -> tuple[str, str]:
    """The session cookie and CSRF token of a signed-in user."""
    import re

    with httpx.Client(base_url=base, follow_redirects=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        r = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert r.status_code == 303, r.text
        cookie = client.cookies["lantern_session"]
        return cookie, client.get("/api/me").json()["csrf_token"]


def warm_up(base: str, config: dict) -> None:
    """Call each endpoint a few times first, so the run measures the steady state."""
    ind = "iod2025.imd_score"
    paths = {
        "hub": [
            f"/api/areas/{config['hub_lsoas'][0]}",
            f"/api/areas/{config['hub_lsoas'][0]}/indicators",
            f"/api/areas?within={config['hub_ward']}",
            f"/api/indicators/{ind}/values?within={config['hub_ward']}",
            f"/api/areas/{config['hub_ward']}/aggregate?indicator_id={ind}",
            f"/api/households?agreement={config['agreement']}&purpose={config['purpose']}",
            f"/households?agreement={config['agreement']}&purpose={config['purpose']}&show=1",
            f"/api/households/export?agreement={config['agreement']}&purpose={config['purpose']}",
            f"/api/aggregates?agreement={config['agreement']}&table=outcomes&area_type=ward",
        ],
        "officer": [
            "/dashboard",
            f"/areas/{config['district']}",
            f"/areas/{config['hub_lsoas'][0]}",
            f"/api/areas?area_type=lsoa&within={config['district']}&limit=100",
            f"/api/areas/{config['district']}/aggregate?indicator_id={ind}",
            "/api/areas?q=colchester",
            f"/api/aggregates?agreement={config['agreement']}&table=outcomes&area_type=ward",
            f"/aggregates/export?agreement={config['agreement']}&table=households&area_type=lsoa",
            f"/aggregates?agreement={config['agreement']}&table=outcomes&area_type=lsoa",
        ],
    }
    for who, urls in paths.items():
        with httpx.Client(
            base_url=base, cookies={"lantern_session": config["cookies"][who]}
        ) as client:
            for _ in range(5):
                for url in [*urls, "/api/register", "/register", "/api/health"]:
                    client.get(url).raise_for_status()


def hub_references(base: str, cookie: str, agreement: str) -> list[str]:
    """References of the households on the hub worker's list (for recording outcomes)."""
    with httpx.Client(base_url=base, cookies={"lantern_session": cookie}) as client:
        listed = client.get(
            "/api/households", params={"agreement": agreement, "purpose": "hub-outreach"}
        )
        listed.raise_for_status()
        return [h["reference"] for h in listed.json()["households"]]


def wait_until_up(base: str, proc: subprocess.Popen) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit("the portal server exited during start-up")
        try:
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the portal server did not start")


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by a process and all its descendants (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    wanted, total, frontier = {root}, 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0.0))[1]
        for child, (parent, _) in stats.items():
            if parent == pid and child not in wanted:
                wanted.add(child)
                frontier.append(child)
    return total


def renice_tree(root: int, niceness: int) -> None:
    """Set the niceness of a process and its descendants (new children inherit it)."""
    for pid in [root, *descendants(root)]:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, niceness)


def descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    out, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [c for c, p in parents.items() if p == pid]
        out += kids
        frontier += kids
    return out


def cpu_per_request(base: str, config: dict, server: int, database: int | None) -> list[tuple]:
    """Server (and database) CPU milliseconds per request of each kind, one request at a time:
    a measure of the work each request costs that does not depend on how busy the machine is."""
    agreement, purpose = config["agreement"], config["purpose"]
    ind = "iod2025.imd_score"
    lsoa = config["hub_lsoas"][0]
    kinds = {
        "api: LSOA detail + indicators": ("hub", [f"/api/areas/{lsoa}", f"/api/areas/{lsoa}/indicators"]),
        "api: ward listing + values": ("hub", [f"/api/areas?within={config['hub_ward']}", f"/api/indicators/{ind}/values?within={config['hub_ward']}"]),
        "page: district": ("officer", [f"/areas/{config['district']}"]),
        "page: LSOA": ("officer", [f"/areas/{lsoa}"]),
        "page: dashboard": ("officer", ["/dashboard"]),
        "households: list (API)": ("hub", [f"/api/households?agreement={agreement}&purpose={purpose}"]),
        "export: households CSV": ("hub", [f"/api/households/export?agreement={agreement}&purpose={purpose}"]),
        "aggregates: outcomes by ward": ("officer", [f"/api/aggregates?agreement={agreement}&table=outcomes&area_type=ward"]),
        "public: register (page)": (None, ["/register"]),
        "baseline: health": (None, ["/api/health"]),
    }  # fmt: skip
    out = []
    for name, (who, urls) in kinds.items():
        cookies = {"lantern_session": config["cookies"][who]} if who else {}
        with httpx.Client(base_url=base, cookies=cookies) as client:
            for url in urls:
                client.get(url).raise_for_status()
            n = 20
            app0, db0 = tree_cpu(server), tree_cpu(database) if database else 0.0
            for _ in range(n):
                for url in urls:
                    client.get(url).raise_for_status()
            app1, db1 = tree_cpu(server), tree_cpu(database) if database else 0.0
        out.append((name, 1000 * (app1 - app0) / n, 1000 * (db1 - db0) / n))
    return out


def read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


KINDS = {
    "API reads": "api:",
    "pages": "page:",
    "household views": "households:",
    "exports": "export:",
    "aggregates": "aggregates:",
    "writes": "write:",
    "public register": "public:",
    "baseline (/api/health)": "baseline:",
}


def summarise(rows: list[dict[str, str]], seconds: float) -> dict[str, dict[str, float]]:
    """Per kind (area queries, public register, baseline): requests/s, p50, p99, errors.

    Percentiles of a kind are the worst of its request names (locust reports each name separately).
    """
    out = {}
    for kind, prefix in KINDS.items():
        mine = [r for r in rows if r["Name"].startswith(prefix)]
        if not mine:
            continue
        out[kind] = {
            "requests": sum(int(r["Request Count"]) for r in mine),
            "rps": sum(int(r["Request Count"]) for r in mine) / seconds,
            "p50": max(float(r["50%"]) for r in mine),
            "p99": max(float(r["99%"]) for r in mine),
            "errors": sum(int(r["Failure Count"]) for r in mine),
        }
    return out


def p99_after(log: Path, seconds: float = 5) -> dict[str, float]:
    """Per kind, the p99 of requests started ``seconds`` or more after the first request (the
    worst of its request names, as ``summarise``): the run without its opening burst, when every
    user sends a first request at the same instant."""
    rows = [line.split("\t") for line in log.read_text().splitlines() if line]
    if not rows:
        return {}
    t0 = min(float(r[0]) for r in rows)
    by_name: dict[str, list[float]] = {}
    for start, name, ms in rows:
        if float(start) - t0 >= seconds:
            by_name.setdefault(name, []).append(float(ms))
    out: dict[str, float] = {}
    for name, times in by_name.items():
        times.sort()
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        for kind, prefix in KINDS.items():
            if name.startswith(prefix):
                out[kind] = max(out.get(kind, 0.0), p99)
    return out


def time_series(log: Path, step: int = 5) -> list[tuple[int, int, float, int]]:
    """(seconds from the start, requests, p99 ms, requests over 200 ms) per ``step`` seconds of
    request start time: shows whether a tail comes from the start or from the whole run."""
    rows = [line.split("\t") for line in log.read_text().splitlines() if line]
    if not rows:
        return []
    t0 = min(float(r[0]) for r in rows)
    windows: dict[int, list[float]] = {}
    for start, _name, ms in rows:
        windows.setdefault(int((float(start) - t0) // step) * step, []).append(float(ms))
    out = []
    for t, times in sorted(windows.items()):
        times.sort()
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        out.append((t, len(times), p99, sum(ms > 200 for ms in times)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--postgres", action="store_true", help="start a throwaway PostgreSQL cluster and use it"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="server processes (default 2 on PostgreSQL, 1 on SQLite)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=None,
        help="run the server, the database and the load generator at this niceness (negative "
        "needs root): on a machine shared with other work, approximates a machine of its own",
    )
    parser.add_argument(
        "--log",
        type=Path,
        default=None,
        help="also save every request of the run (start time, name, milliseconds; tab-separated)",
    )
    args = parser.parse_args(argv)
    args.db_pid = None
    from lantern.portal.crypto import new_key

    cluster = None
    if args.postgres:
        sys.path.insert(0, str(HERE.parent))
        from tests.portal import pg

        if pg.server_bin() is None:
            raise SystemExit("PostgreSQL server binaries not found (apt install postgresql)")
        cluster = pg.start_cluster()
        args.db = cluster.create_database("lantern_bench")
        pidfile = cluster.data / "postmaster.pid"
        args.db_pid = int(pidfile.read_text().split()[0]) if pidfile.exists() else None
        if args.nice is not None and args.db_pid:
            renice_tree(args.db_pid, args.nice)
    postgres = bool(args.db and args.db.startswith("postgresql"))
    workers = args.workers or (2 if postgres else 1)
    try:
        return run(args, workers, new_key())
    finally:
        if cluster is not None:
            cluster.stop()


def run(args: argparse.Namespace, workers: int, key: str) -> int:
    with tempfile.TemporaryDirectory(prefix="lantern-bench-portal-") as tmp:
        folder = Path(tmp)
        url = args.db or f"sqlite:///{folder / 'portal.db'}"
        t0 = time.perf_counter()
        world = build_world(url, folder / "world", key)
        print(f"demo world built in {time.perf_counter() - t0:.1f} s ({url.split(':')[0]})")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        from lantern.keys.store import KeyStore

        keys = KeyStore(folder / "keys")
        keys.create(world.agreement, "bench-batch")
        env = {
            **os.environ,
            "LANTERN_PORTAL_DB": url,
            "LANTERN_PORTAL_DATA_KEY": key,
            "LANTERN_PORTAL_KEYSTORE": str(keys.root),
            "LANTERN_PORTAL_WRITE_RATE_PER_MINUTE": "100000",
            "LANTERN_PORTAL_LOGIN_RATE_PER_MINUTE": "100000",
            "LANTERN_PORTAL_OBJECTION_RATE_PER_HOUR": "100000",
        }
        server = subprocess.Popen(
            [  # the command people run: ``lantern portal serve``
                sys.executable,
                "-c",
                "from lantern.cli import main; raise SystemExit(main())",
                "portal",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            preexec_fn=(lambda: os.nice(args.nice)) if args.nice is not None else None,
        )
        try:
            wait_until_up(base, server)
            hub, officer = sign_in(base, "hub"), sign_in(base, "officer")
            config = {
                "cookies": {"hub": hub[0], "officer": officer[0]},
                "csrf": {"hub": hub[1], "officer": officer[1]},
                "hub_refs": hub_references(base, hub[0], world.agreement),
                "hub_ward": world.hub_ward,
                "hub_lsoas": world.in_lsoas,
                "district": world.district,
                "out_lsoa": world.out_lsoa_other_district,
                "agreement": world.agreement,
                "purpose": "hub-outreach",
            }
            warm_up(base, config)
            prefix = folder / "locust"
            load_before = os.getloadavg()
            import resource

            generator0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            server0 = tree_cpu(server.pid)
            database0 = tree_cpu(args.db_pid) if args.db_pid else 0.0
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(HERE / "portal_locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(args.users),
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    base,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env={
                    **os.environ,
                    "LANTERN_BENCH_CONFIG": json.dumps(config),
                    "LANTERN_BENCH_REQUEST_LOG": str(folder / "requests.tsv"),
                },
                preexec_fn=(lambda: os.nice(args.nice)) if args.nice is not None else None,
                check=False,
                stdout=subprocess.DEVNULL
                if os.environ.get("LANTERN_BENCH_QUIET", "1") == "1"
                else None,
            )
            elapsed = time.perf_counter() - started
            load_after = os.getloadavg()
            generator1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            shares = {
                "server": tree_cpu(server.pid) - server0,
                "database": (tree_cpu(args.db_pid) - database0) if args.db_pid else 0.0,
                "load generator": (generator1.ru_utime + generator1.ru_stime)
                - (generator0.ru_utime + generator0.ru_stime),
            }
            rows = read_stats(prefix)
            stats = summarise(rows, args.seconds)
            series = time_series(folder / "requests.tsv")
            settled = p99_after(folder / "requests.tsv")
            if args.log is not None:
                args.log.write_bytes((folder / "requests.tsv").read_bytes())
            costs = cpu_per_request(base, config, server.pid, args.db_pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"\n{args.users} concurrent users for {args.seconds} s (wall {elapsed:.1f} s), "
        f"{workers} server process(es), {url.split(':')[0]}, {os.cpu_count()} CPUs; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min)"
        + (
            f"; server, database and load generator at niceness {args.nice}"
            if args.nice is not None
            else ""
        )
    )
    print(
        f"{'kind':<26}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'p99/base':>10}{'p99 after 5 s':>15}"
    )
    base = stats["baseline (/api/health)"]["p99"] or float("nan")
    for kind, s in stats.items():
        print(
            f"{kind:<26}{s['requests']:>10}{s['rps']:>9.1f}{s['p50']:>9.0f}{s['p99']:>9.0f}"
            f"{s['errors']:>8}{s['p99'] / base:>9.2f}x{settled.get(kind, float('nan')):>15.0f}"
        )
    print(
        "\nOver time (by 5 s of start time): requests, p99 ms, requests over 200 ms\n  "
        + "  ".join(f"{t:>2}s {n} {p99:.0f} {slow}" for t, n, p99, slow in series)
    )
    used = ", ".join(f"{k} {v / elapsed:.2f}" for k, v in shares.items())
    print(f"\nCores used during the run (of {os.cpu_count()}): {used}")
    print("\nCPU per request, one at a time (server + database), whatever the machine's load:")
    for name, app_ms, db_ms in costs:
        print(f"  {name:<34}{app_ms:>7.1f} ms + {db_ms:>5.1f} ms")
    errors = sum(s["errors"] for s in stats.values())
    worst = max(s["p99"] for s in stats.values())
    ok = errors == 0 and worst < 200 and len(stats) == len(KINDS)
    print(f"\nall kinds: {errors} errors, worst p99 {worst:.0f} ms")
    print("target (0 errors, every kind p99 < 200 ms):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
