"""The disclosure record written beside the outputs, and the gate that refuses failing folders."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lantern import __version__
from lantern.errors import DisclosureError
from lantern.release.checker import RECORD_NAME, CheckResult, check_folder, folder_files
from lantern.release.history import snapshot

RECORD_FORMAT = "lantern-disclosure-record/1"
MAX_LISTED = 20


def record_data(result: CheckResult, *, release_id: str | None = None) -> dict[str, Any]:
    """The record as plain data: rules applied, cells withheld, failures and file checksums."""
    return {
        "format": RECORD_FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "lantern_version": __version__,
        "release_id": release_id,
        "ok": result.ok,
        "tables": [
            {
                "name": t.name,
                "path": t.path,
                "identity": t.identity,
                "area_type": t.area_type,
                "vintage": t.vintage,
                "policy": t.policy,
                "rules": list(t.rules),
                "cells": t.cells,
                "cells_withheld": t.withheld,
                "earlier_releases_checked": t.earlier_releases,
            }
            for t in result.tables
        ],
        "failures": [f.to_dict() for f in result.failures],
        "files": result.files,
    }


def write_disclosure_record(
    folder: str | Path,
    result: CheckResult,
    *,
    release_id: str | None = None,
    keep_history: bool = True,
) -> Path:
    """Write ``disclosure-record.json`` beside the outputs; when the check passed (and
    ``keep_history``), keep a copy of each table for later releases' differencing checks."""
    folder = Path(folder)
    release_id = release_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if result.ok and keep_history and result.manifest is not None:
        for spec in result.manifest.tables:
            if spec.policy.method != "none":
                snapshot(folder, spec, release_id=release_id)
    data = record_data(result, release_id=release_id)
    path = folder / RECORD_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    os.replace(tmp, path)
    return path


def failure_message(result: CheckResult) -> str:
    lines = [result.summary()]
    lines += [f"  - {f}" for f in result.failures[:MAX_LISTED]]
    if len(result.failures) > MAX_LISTED:
        lines.append(f"  … and {len(result.failures) - MAX_LISTED} more (see {RECORD_NAME})")
    return "\n".join(lines)


def gate(folder: str | Path, *, release_id: str | None = None) -> CheckResult:
    """Check a folder, write its record, and raise ``DisclosureError`` if anything fails."""
    result = check_folder(folder)
    write_disclosure_record(folder, result, release_id=release_id)
    if not result.ok:
        raise DisclosureError(failure_message(result))
    return result


def verify_record(folder: str | Path) -> list[str]:
    """Files whose checksum no longer matches the record (added, changed or removed)."""
    folder = Path(folder)
    recorded = json.loads((folder / RECORD_NAME).read_text("utf-8"))["files"]
    now = folder_files(folder)
    changed = [p for p in recorded if p not in now or now[p]["sha256"] != recorded[p]["sha256"]]
    changed += [p for p in now if p not in recorded]
    return sorted(changed)
