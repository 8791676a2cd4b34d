"""The disclosure record written beside the outputs, the project's release history, and the gate
that refuses failing folders."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lantern import __version__
from lantern.errors import DisclosureError
from lantern.release.checker import DEFAULT_OUTPUT, CheckResult, check_folder, folder_files
from lantern.release.history import History
from lantern.release.metadata import RECORD_FORMAT, RECORD_NAME
from lantern.release.settings import ProjectRules, project_rules

MAX_LISTED = 20


def record_data(result: CheckResult, *, release_id: str | None = None) -> dict[str, Any]:
    """The record as plain data: rules applied, relaxations and who approved them, cells
    withheld, failures and file checksums."""
    return {
        "format": RECORD_FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "lantern_version": __version__,
        "release_id": release_id,
        "output": result.output,
        "rules_from": result.rules_source,
        "ok": result.ok,
        "relaxations": result.relaxations,
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


def record_history(
    result: CheckResult,
    *,
    release_id: str,
    rules: ProjectRules | None = None,
    folder: str | Path | None = None,
) -> None:
    """Add a passed release to the project's history (no-op for a failed one)."""
    if not result.ok:
        return
    rules = rules or project_rules()
    History(rules.history_dir).record(
        result.publications,
        release_id=release_id,
        folder=str(Path(folder or result.folder).resolve()),
        output=result.output,
        files=result.files,
    )


def write_disclosure_record(
    folder: str | Path,
    result: CheckResult,
    *,
    release_id: str | None = None,
    keep_history: bool = True,
    rules: ProjectRules | None = None,
) -> Path:
    """Write ``disclosure-record.json`` beside the outputs; when the check passed (and
    ``keep_history``), append the release to the project's history for later audits."""
    folder = Path(folder)
    release_id = release_id or new_release_id()
    if keep_history:
        record_history(result, release_id=release_id, rules=rules, folder=folder)
    data = record_data(result, release_id=release_id)
    path = folder / RECORD_NAME
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    os.replace(tmp, path)
    return path


def new_release_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def failure_message(result: CheckResult) -> str:
    lines = [result.summary()]
    lines += [f"  - {f}" for f in result.failures[:MAX_LISTED]]
    if len(result.failures) > MAX_LISTED:
        lines.append(f"  … and {len(result.failures) - MAX_LISTED} more (see {RECORD_NAME})")
    return "\n".join(lines)


def gate(
    folder: str | Path,
    *,
    release_id: str | None = None,
    rules: ProjectRules | None = None,
    output: str = DEFAULT_OUTPUT,
    verified: Mapping[str, Mapping[str, str]] | None = None,
    keep_history: bool = True,
) -> CheckResult:
    """Check a folder, write its record (and, on a pass and with ``keep_history``, add it to the
    project's history), and raise ``DisclosureError`` if anything fails. ``verified``: see
    ``check_folder``. Writers that stage outputs pass ``keep_history=False`` and call
    ``record_history`` once the outputs are in place."""
    rules = rules or project_rules()
    result = check_folder(folder, rules=rules, output=output, verified=verified)
    write_disclosure_record(
        folder, result, release_id=release_id, rules=rules, keep_history=keep_history
    )
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
