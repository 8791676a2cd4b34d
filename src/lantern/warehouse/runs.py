"""The run log: every write to the warehouse, started and finished, in a hash-chained file.

``<warehouse>.runs.log`` (an :class:`~lantern.audit.AuditLog`) gets a ``started`` entry when a
writer takes the lock and an ``ok``, ``failed`` or ``interrupted`` entry when it ends. A run
killed outright (``kill -9``, power cut) never writes its end; the next writer, holding the lock,
finds the unfinished run and records it as ``failed``. The log is copied into the ``runs`` table
of every warehouse written, so ``SELECT * FROM runs`` shows the history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lantern import __version__
from lantern.audit import AuditLog

KILLED = (
    "the run ended without finishing (killed or crashed); "
    "its temporary files were removed by the next run"
)


def run_log_path(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).name + ".runs.log")


@dataclass
class Run:
    """One command writing the warehouse."""

    run_id: str
    command: str
    config_sha256: str | None = None
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    details: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "started_at": self.started_at,
            "lantern_version": __version__,
            "config_sha256": self.config_sha256,
        }


def start(log: AuditLog, run: Run) -> None:
    log.append("run", **run.record(), status="started", details={})


def finish(log: AuditLog, run: Run, status: str, details: dict[str, Any]) -> dict[str, Any]:
    return log.append(
        "run",
        **run.record(),
        finished_at=datetime.now(UTC).isoformat(),
        status=status,
        details=details,
    )


def recover_unfinished(log: AuditLog, *, removed: list[str]) -> list[str]:
    """Record runs that started but never finished as failed; returns their run ids."""
    last: dict[str, dict[str, Any]] = {}
    for entry in log.entries():
        details = entry.get("details", {})
        if entry.get("event") == "run" and "run_id" in details:
            last[details["run_id"]] = details
    unfinished = [d for d in last.values() if d.get("status") == "started"]
    for d in unfinished:
        log.append(
            "run",
            **{k: d.get(k) for k in Run("", "").record()},
            finished_at=datetime.now(UTC).isoformat(),
            status="failed",
            details={"error": KILLED, "removed": removed},
        )
    return [d["run_id"] for d in unfinished]


def runs_frame(log: AuditLog) -> pd.DataFrame:
    """The ``runs`` table rows: the latest entry of each run in the log."""
    rows = []
    for entry in log.entries():
        d = entry.get("details", {})
        if entry.get("event") != "run" or "run_id" not in d:
            continue
        rows.append(
            {
                "run_id": d["run_id"],
                "command": d.get("command"),
                "started_at": d.get("started_at"),
                "finished_at": d.get("finished_at"),
                "status": d.get("status"),
                "lantern_version": d.get("lantern_version"),
                "config_sha256": d.get("config_sha256"),
                "details": json.dumps(d.get("details", {}), sort_keys=True),
            }
        )
    columns = [
        "run_id",
        "command",
        "started_at",
        "finished_at",
        "status",
        "lantern_version",
        "config_sha256",
        "details",
    ]
    return pd.DataFrame(rows, columns=columns).drop_duplicates("run_id", keep="last")
