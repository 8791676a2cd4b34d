"""One writer at a time: an exclusive lock beside the warehouse file.

The lock is an ``flock`` on ``<warehouse>.lock``, which the operating system releases when the
holding process ends for any reason (even ``kill -9``), so a lock can never be left stale. The
file records who holds it (command, process id, start time) so a refused writer can say which
run is in the way. Files a killed writer left behind (``.<name>.*.building`` and their DuckDB
``.wal``) are removed by the next writer once it holds the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lantern.errors import WarehouseError

TEMP_SUFFIXES = (".building", ".building.wal", ".updating", ".updating.wal")


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def temp_path(warehouse: Path, run_id: str, kind: str) -> Path:
    """Where a writer builds the next warehouse before swapping it in (``kind``: building/updating)."""
    return warehouse.with_name(f".{warehouse.name}.{run_id[:12]}.{kind}")


def orphans(warehouse: Path) -> list[Path]:
    """Temporary files of earlier writers (only safe to remove while holding the lock)."""
    prefix = f".{warehouse.name}."
    folder = warehouse.parent
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(TEMP_SUFFIXES)
    )


@dataclass
class WriterLock:
    """Held while one command writes the warehouse; ``acquire`` refuses a second writer."""

    warehouse: Path
    command: str
    run_id: str
    _fd: int | None = None

    @property
    def path(self) -> Path:
        return lock_path(self.warehouse)

    def acquire(self) -> WriterLock:
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise WarehouseError(self._busy_message(holder)) from None
            # The holder before us may have removed the file after we opened it: lock the new one.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                self._write_holder()
                return self
            os.close(fd)
        raise WarehouseError(f"{self.warehouse}: could not take the writer lock {self.path}")

    def _write_holder(self) -> None:
        assert self._fd is not None
        holder = {
            "command": self.command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": self.run_id,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(holder).encode(), 0)

    def _busy_message(self, holder: dict[str, Any]) -> str:
        who = f"`lantern {holder.get('command', '?')}`"
        if holder.get("pid"):
            who += f" (process {holder['pid']}"
            who += f" on {holder['host']}" if holder.get("host") != socket.gethostname() else ""
            who += f", started {holder.get('started_at', '?')}, run {str(holder.get('run_id', ''))[:12]})"
        return (
            f"{self.warehouse}: the warehouse is being written by {who}; "
            f"`lantern {self.command}` was refused so neither run loses the other's work — "
            "wait for it to finish, then run it again"
        )

    def release(self) -> None:
        if self._fd is None:
            return
        with suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = os.pread(fd, 4096, 0)
        holder = json.loads(data.decode("utf-8")) if data else {}
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


def remove_orphans(warehouse: Path) -> list[str]:
    """Delete temporary files left by killed writers; returns their names. Hold the lock first."""
    removed = []
    for path in orphans(warehouse):
        with suppress(FileNotFoundError):
            path.unlink()
            removed.append(path.name)
    return removed
