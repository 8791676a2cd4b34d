"""Retention: crypto-shredding of expired linkage batches, and deletion of their files.

A batch is bound to the agreement it is first used under (``bind_batch``) and expires the day
after ``min(its retain-until date, the agreement's retention end)``. For every expired batch,
``apply_retention`` destroys its key material in every key store it is given (partner, hub,
portal): the wrapped key file is overwritten and removed, and the store's key-encryption key is
replaced so a stray copy of that key file cannot be unwrapped either. Every encrypted copy of the
batch — backups and key maps included — is then unreadable, and no token of the batch can ever be
recomputed. Other batches stay readable.

Files are deleted only inside the project's declared data roots (the folders Lantern wrote the
project's data into, recorded in the key stores and on this machine, plus any declared by hand),
and only files that belong to an expired batch: Lantern files whose authenticated header names it,
its manifests and the hub's reports. A path outside every data root is refused before anything is
touched, and unrelated files are never deleted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lantern import __version__
from lantern.audit import AuditLog
from lantern.errors import GovernanceError, IntegrityError
from lantern.governance.agreement import Agreement
from lantern.keys.files import MAGIC, read_header
from lantern.keys.placement import DATA_MARKER
from lantern.keys.store import KeyStore, ReleaseKeys

HUB_REPORTS = ("quality.json", "settings.json")


@dataclass
class RetentionResult:
    expired: bool
    days_left: int
    files_deleted: int = 0
    keys_destroyed: list[str] = field(default_factory=list)
    stores_shredded: int = 0
    kept: list[str] = field(default_factory=list)
    unbound: list[str] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)


def bind_batch(keys: ReleaseKeys, agreement: Agreement) -> None:
    """Record, on first use, which agreement a batch belongs to; refuse any other agreement."""
    if keys.agreement not in (None, agreement.id):
        raise GovernanceError(
            f"batch {keys.release} belongs to agreement {keys.agreement}, not {agreement.id}: "
            "a batch's keys serve one agreement; create a new batch"
        )
    if keys.store_root is not None and keys.agreement is None:
        KeyStore(keys.store_root).bind(
            keys.project, keys.release, agreement.id, agreement.retention_end
        )


def record_data_roots(keys: ReleaseKeys, folders: Iterable[str | Path]) -> None:
    """Declare folders Lantern writes the project's data into (in the key store and locally)."""
    from lantern.keys.local import local_store

    folders = [Path(f) for f in folders]
    stores = [local_store()] + ([KeyStore(keys.store_root)] if keys.store_root else [])
    for store in stores:
        store.declare_data_roots(keys.project, folders)


def data_roots(project: str, stores: Iterable[KeyStore]) -> list[Path]:
    from lantern.keys.local import local_store

    roots: set[Path] = set()
    for store in [*stores, local_store()]:
        roots.update(p.resolve() for p in store.data_roots(project))
    return sorted(roots)


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _batch_of(path: Path) -> tuple[str | None, str | None]:
    """``(project, batch)`` a Lantern-written file says it belongs to, or ``(None, None)``."""
    try:
        if path.name.endswith(".manifest.json") or path.name == "quality.json":
            body = json.loads(path.read_text("utf-8"))
            return body.get("project"), body.get("release")
        with path.open("rb") as fh:
            if fh.read(len(MAGIC)) != MAGIC:
                return None, None
        header = read_header(path)
        return header.get("project"), header.get("batch")
    except (OSError, ValueError, IntegrityError, AttributeError):
        return None, None


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for dirpath, _, names in os.walk(root):
        for name in names:
            yield Path(dirpath) / name


def _doomed(root: Path, project: str, batches: set[str]) -> list[Path]:
    """Files under ``root`` that belong to an expired batch (and the reports beside its outputs)."""
    out: list[Path] = []
    hub_folders: set[Path] = set()
    for path in _files(root):
        proj, batch = _batch_of(path)
        if batch in batches and proj in (project, None):
            if proj is None and not path.name.endswith(".json"):
                continue
            out.append(path)
            if path.suffix == ".lnt":
                hub_folders.add(path.parent)
    for folder in hub_folders:
        out += [folder / n for n in HUB_REPORTS if (folder / n).exists() and folder / n not in out]
    return sorted(set(out))


def _prune(deleted: list[Path], targets: list[Path]) -> None:
    """Remove folders that held deleted files and now hold nothing but Lantern's data marker."""
    folders: set[Path] = set()
    for path in deleted:
        for parent in path.parents:
            if not any(parent == t or t in parent.parents for t in targets):
                break
            folders.add(parent)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        _remove_if_empty(folder)


def _remove_if_empty(path: Path) -> None:
    if not path.is_dir():
        return
    left = [p for p in path.iterdir() if p.name != DATA_MARKER]
    if not left:
        (path / DATA_MARKER).unlink(missing_ok=True)
        path.rmdir()


def apply_retention(
    *,
    agreement: Agreement,
    project: str,
    audit_log: str | Path,
    keystore: KeyStore | None = None,
    keystores: Iterable[KeyStore] = (),
    data_paths: Iterable[str | Path] = (),
    batch: str | None = None,
    today: date | None = None,
    dry_run: bool = False,
) -> RetentionResult:
    """Shred every expired batch of ``agreement`` (or only ``batch``) in every key store given."""
    stores = [*([keystore] if keystore else []), *keystores]
    if not stores:
        raise GovernanceError("give at least one key store (--keys)")
    today = today or date.today()
    days_left = (agreement.retention_end - today).days
    result = RetentionResult(expired=False, days_left=days_left)
    expired: set[str] = set()
    for name in sorted({b for s in stores for p, b in s.releases() if p == project}):
        if batch is not None and name != batch:
            continue
        info = next(s.info(project, name) for s in stores if (project, name) in s.releases())
        bound = info.get("agreement")
        if bound is None and batch is None:
            result.unbound.append(name)
            continue
        if bound not in (None, agreement.id):
            if batch is not None:
                raise GovernanceError(
                    f"batch {name} belongs to agreement {bound}, not {agreement.id}"
                )
            continue
        until = agreement.retention_end
        if info.get("retain_until"):
            until = min(until, date.fromisoformat(info["retain_until"]))
        if today > until:
            expired.add(name)
        else:
            result.kept.append(name)
    if batch is not None and batch not in expired and batch not in result.kept:
        raise GovernanceError(f"no key store given holds batch {batch} of project {project}")
    result.expired = bool(expired)
    if not expired:
        return result

    roots = data_roots(project, stores)
    targets = [Path(p).resolve() for p in data_paths] or roots
    outside = [str(p) for p in targets if not _inside(p, roots)]
    if outside:
        raise GovernanceError(
            f"{', '.join(outside)} lie(s) outside the project's declared data roots "
            f"({', '.join(map(str, roots)) or 'none declared'}): retention deletes nothing there; "
            "declare the folder with `lantern keys roots` if it really holds this project's data"
        )
    doomed = sorted({p for t in targets if t.exists() for p in _doomed(t, project, expired)})
    result.deleted = doomed
    result.files_deleted = len(doomed)
    if not dry_run:
        for path in doomed:
            path.unlink(missing_ok=True)
        _prune(doomed, targets)
        for store in stores:
            shredded = [store.destroy(project, name) for name in sorted(expired)]
            result.stores_shredded += int(any(shredded))
    result.keys_destroyed = sorted(expired)
    AuditLog(audit_log, key=stores[0].audit_key(project)).append(
        "retention",
        agreement=agreement.id,
        retention_end=agreement.retention_end.isoformat(),
        code_version=__version__,
        dry_run=dry_run,
        files_deleted=result.files_deleted,
        releases_keys_destroyed=result.keys_destroyed,
        key_stores=len(stores),
        batches_kept=result.kept,
    )
    return result
