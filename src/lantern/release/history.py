"""What a release folder published before, kept under ``.release/history`` for the cross-release
differencing check. Each snapshot holds the table's files and its manifest entry."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

from lantern.disclosure.check import Release
from lantern.disclosure.policy import Policy
from lantern.disclosure.protect import published_layout
from lantern.release.manifest import TableSpec
from lantern.release.tables import read_table

STATE_DIR = ".release"
HISTORY_DIR = "history"


def _slug(identity: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in identity)


def history_dir(folder: Path, spec: TableSpec) -> Path:
    return folder / STATE_DIR / HISTORY_DIR / _slug(spec.identity)


def _digest(folder: Path, spec: TableSpec) -> str:
    h = hashlib.sha256()
    for rel in spec.files():
        h.update(rel.encode())
        h.update((folder / rel).read_bytes())
    return h.hexdigest()


def snapshot(folder: Path, spec: TableSpec, *, release_id: str) -> Path | None:
    """Keep a copy of a table as published now; ``None`` if identical to the latest snapshot."""
    digest = _digest(folder, spec)
    base = history_dir(folder, spec)
    for kept in sorted(base.glob("*/entry.json")):
        if json.loads(kept.read_text("utf-8")).get("sha256") == digest:
            return None
    n = len(list(base.glob("*/entry.json")))
    target = base / f"{n:04d}"
    for rel in spec.files():
        dest = target / "files" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, dest)
    entry = {
        "release_id": release_id,
        "sha256": digest,
        "name": spec.name,
        "period": spec.period,
        "path": spec.path,
        "totals": spec.totals,
        "geography": spec.geography,
        "levels": list(spec.levels),
        "count_columns": list(spec.count_columns),
        "column_totals": {k: list(v) for k, v in spec.column_totals.items()},
        "policy": asdict(spec.policy),
    }
    (target / "entry.json").write_text(json.dumps(entry, indent=2) + "\n", "utf-8")
    return target


def earlier_releases(folder: Path, spec: TableSpec) -> list[Release]:
    """Every kept publication of this table (same name and period), oldest first."""
    releases = []
    for entry_path in sorted(history_dir(folder, spec).glob("*/entry.json")):
        entry = json.loads(entry_path.read_text("utf-8"))
        files = entry_path.parent / "files"
        old = TableSpec(
            name=entry["name"],
            path=entry["path"],
            policy=Policy(**entry["policy"]),
            count_columns=tuple(entry["count_columns"]),
            geography=entry["geography"],
            levels=tuple(entry["levels"]),
            totals=dict(entry["totals"]),
            column_totals={k: tuple(v) for k, v in entry["column_totals"].items()},
            period=entry.get("period"),
        )
        table = read_table(
            files / old.path,
            key_columns=(old.geography, *old.levels),
            count_columns=old.count_columns,
        )
        totals = {
            level: read_table(files / rel, key_columns=(level,), count_columns=old.count_columns)
            for level, rel in old.totals.items()
        }
        layout = published_layout(
            table,
            totals,
            hierarchy=old.hierarchy,
            count_columns=old.count_columns,
            policy=old.policy,
        )
        releases.append(Release(layout=layout, policy=old.policy))
    return releases
