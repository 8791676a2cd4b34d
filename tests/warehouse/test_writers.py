"""One writer at a time: the lock, refused second writers, and runs killed with real signals.

Each test runs `lantern ingest` in a real subprocess on the bundled sample and interferes with it
while it writes: a second writer, SIGKILL, SIGTERM. The warehouse in place must stay
byte-identical until a run finishes, nothing may be left behind for long, and the run log must
say what happened to every run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lantern.audit import AuditLog
from lantern.cli import main
from lantern.errors import WarehouseError
from lantern.warehouse import Warehouse, run_log_path
from lantern.warehouse.lock import lock_path, orphans
from lantern.warehouse.runs import KILLED

RUN_CLI = "import sys; from lantern.cli import main; sys.exit(main(sys.argv[1:]))"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path, essex_build):
    """A project on the bundled sample whose warehouse already holds a good build."""
    config, _ = essex_build
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(config.warehouse, out / "lantern.duckdb")
    settings = tmp_path / "lantern.toml"
    settings.write_text(
        f'name = "test"\ndata_dir = "bundled"\nwarehouse = "{out / "lantern.duckdb"}"\n',
        encoding="utf-8",
    )
    return settings, out / "lantern.duckdb"


def start_ingest(settings: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "ingest", "--config", str(settings), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_until(condition, proc: subprocess.Popen, what: str, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"ingest ended before {what}: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def building(warehouse: Path) -> bool:
    """The running ingest has begun writing its temporary warehouse."""
    return any(p.name.endswith(".building") and p.stat().st_size > 0 for p in orphans(warehouse))


def run_statuses(warehouse: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in AuditLog(run_log_path(warehouse)).entries():
        d = entry["details"]
        out.setdefault(d["run_id"], []).append(d["status"])
    return out


HOLD_LOCK = """
import sys
from lantern.warehouse import Warehouse
with Warehouse.rebuild(sys.argv[1], command="ingest") as wh:
    wh.create_tables()
    print("holding", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin
"""


def test_real_ingest_takes_the_lock_in_its_own_name(project):
    settings, warehouse = project
    proc = start_ingest(settings)
    try:
        wait_until(lambda: lock_path(warehouse).exists() and building(warehouse), proc, "the lock")
        holder = json.loads(lock_path(warehouse).read_text())
        assert holder["command"] == "ingest" and holder["pid"] == proc.pid
    finally:
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    assert not lock_path(warehouse).exists() and orphans(warehouse) == []


def test_a_second_writer_is_refused_naming_the_running_one(project, capsys):
    """A writer that holds the lock for as long as the test needs: no race with a fast ingest."""
    settings, warehouse = project
    before = digest(warehouse)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout.readline().decode().strip() == "holding", proc.stderr.read().decode()
        holder = json.loads(lock_path(warehouse).read_text())
        assert holder["command"] == "ingest" and holder["pid"] == proc.pid
        for command in (["build"], ["ingest", "--quiet"]):
            code = main([*command, "--config", str(settings)])
            err = " ".join(capsys.readouterr().err.split())
            assert code == 7, err
            assert "being written by `lantern ingest`" in err and f"process {proc.pid}" in err
            assert "Traceback" not in err
        with (
            pytest.raises(WarehouseError, match="lantern ingest"),
            Warehouse.update(warehouse, command="cohort"),
        ):
            pass
        assert digest(warehouse) == before  # refused writers touched nothing
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    # the holder finished; the lock is gone and a writer may start again
    assert not lock_path(warehouse).exists() and orphans(warehouse) == []
    with Warehouse(warehouse) as wh:
        assert list(wh.runs()["status"])[-1] == "ok"
    with Warehouse.update(warehouse, command="cohort"):
        pass


def test_sigkill_leaves_the_warehouse_and_the_next_writer_cleans_up(project):
    settings, warehouse = project
    before = digest(warehouse)
    proc = start_ingest(settings)
    wait_until(lambda: building(warehouse), proc, "the temporary warehouse")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert digest(warehouse) == before
    left = orphans(warehouse)
    assert left, "a killed run leaves its temporary file for the next writer"
    killed = [r for r, s in run_statuses(warehouse).items() if s[-1] == "started"]
    assert len(killed) == 1
    # the next writer (any command) removes the files and records the killed run as failed
    with Warehouse.update(warehouse, command="validate") as wh:
        cleaned = wh.run.details["cleaned_up"]
    assert sorted(cleaned["files"]) == sorted(p.name for p in left)
    assert cleaned["unfinished_runs"] == killed
    assert orphans(warehouse) == []
    assert run_statuses(warehouse)[killed[0]][-1] == "failed"
    with Warehouse(warehouse) as wh:
        runs = wh.runs().set_index("run_id")
    assert runs.loc[killed[0], "status"] == "failed"
    assert KILLED in runs.loc[killed[0], "details"]
    AuditLog(run_log_path(warehouse)).verify()


def test_sigterm_unwinds_removes_its_files_and_logs_the_run(project):
    settings, warehouse = project
    before = digest(warehouse)
    proc = start_ingest(settings)
    wait_until(lambda: building(warehouse), proc, "the temporary warehouse")
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()
    assert b"Traceback" not in err
    assert digest(warehouse) == before
    assert orphans(warehouse) == [] and not lock_path(warehouse).exists()
    last = list(run_statuses(warehouse).values())[-1]
    assert last == ["started", "interrupted"]


def test_update_swaps_atomically_and_a_failure_keeps_the_old_file(project):
    _, warehouse = project
    before = digest(warehouse)
    with pytest.raises(RuntimeError), Warehouse.update(warehouse, command="build") as wh:
        wh.execute("indicator_values", "DELETE FROM indicator_values")
        raise RuntimeError("boom")
    assert digest(warehouse) == before and orphans(warehouse) == []
    with Warehouse.update(warehouse, command="build") as wh:
        wh.delete_indicator("cls.lonely_pct")
    with Warehouse(warehouse) as wh:
        assert "cls.lonely_pct" not in set(wh.indicator_values()["indicator_id"])
        statuses = list(wh.runs()["status"])[-2:]
    assert statuses == ["failed", "ok"]


def test_database_errors_name_the_table(project):
    _, warehouse = project
    with Warehouse(warehouse) as wh:
        with pytest.raises(WarehouseError, match=r"table 'nonesuch'.*"):
            wh.query("SELECT * FROM nonesuch")
        with pytest.raises(WarehouseError, match=r"table 'indicators': .*no_column"):
            wh.query("SELECT no_column FROM indicators")
        # a read-only warehouse refuses writes with a clear message, never a DuckDB traceback
        with pytest.raises(WarehouseError, match="read-only"):
            wh.execute("indicators", "DELETE FROM indicators")
    with pytest.raises(ValueError, match=r"Warehouse\.update"):
        Warehouse(warehouse, read_only=False)


def test_a_damaged_warehouse_is_a_clear_error(tmp_path, capsys):
    broken = tmp_path / "lantern.duckdb"
    broken.write_bytes(b"not a database" * 100)
    with pytest.raises(WarehouseError, match="cannot open the warehouse"):
        Warehouse(broken)
    settings = tmp_path / "lantern.toml"
    settings.write_text(f'name = "t"\ndata_dir = "bundled"\nwarehouse = "{broken}"\n')
    assert main(["sources", "--indicators", "--config", str(settings)]) == 7
    assert "Traceback" not in capsys.readouterr().err
