"""Retention: past an agreement's retention date, delete its data and destroy its keys.

Destroying the release keys is crypto-shredding: every encrypted copy anywhere becomes
unreadable, and no token of that release can ever be recomputed, so nothing can be re-linked.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lantern import __version__
from lantern.audit import AuditLog
from lantern.governance.agreement import Agreement
from lantern.linkage.keystore import KeyStore


@dataclass
class RetentionResult:
    expired: bool
    days_left: int
    files_deleted: int = 0
    keys_destroyed: list[str] = field(default_factory=list)


def apply_retention(
    *,
    agreement: Agreement,
    project: str,
    keystore: KeyStore,
    data_paths: Iterable[str | Path],
    audit_log: str | Path,
    today: date | None = None,
    dry_run: bool = False,
) -> RetentionResult:
    """Delete the data paths and destroy every release key of the project once expired."""
    today = today or date.today()
    days_left = (agreement.retention_end - today).days
    result = RetentionResult(expired=days_left < 0, days_left=days_left)
    if not result.expired:
        return result
    for path in (Path(p) for p in data_paths):
        if path.is_dir():
            result.files_deleted += sum(1 for p in path.rglob("*") if p.is_file())
            if not dry_run:
                shutil.rmtree(path)
        elif path.exists():
            result.files_deleted += 1
            if not dry_run:
                path.unlink()
    for proj, release in keystore.releases():
        if proj == project:
            if not dry_run:
                keystore.destroy(proj, release)
            result.keys_destroyed.append(release)
    AuditLog(audit_log, key=keystore.audit_key(project)).append(
        "retention",
        agreement=agreement.id,
        retention_end=agreement.retention_end.isoformat(),
        code_version=__version__,
        dry_run=dry_run,
        files_deleted=result.files_deleted,
        releases_keys_destroyed=result.keys_destroyed,
    )
    return result
