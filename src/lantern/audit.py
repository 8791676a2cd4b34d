"""Tamper-evident, hash-chained, append-only logs.

Each line is a JSON object whose ``hash`` is SHA-256 over the previous line's hash and the
canonical JSON of the record. A sidecar ``<log>.head`` holds the line count and last hash, so
truncation is detected as well as editing, deleting and reordering lines.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lantern.errors import IntegrityError

GENESIS = "0" * 64


def canonical(record: Mapping[str, Any]) -> str:
    """Stable JSON text for hashing: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def chain_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """The hash of one entry, binding it to everything before it."""
    return hashlib.sha256((prev_hash + "\n" + canonical(record)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str


def verify_entries(entries: list[dict[str, Any]]) -> Verification:
    """Check a chain of entries (each with ``seq``, ``prev``, ``hash``); raise on the first break."""
    prev = GENESIS
    for i, entry in enumerate(entries):
        body = {k: v for k, v in entry.items() if k != "hash"}
        if entry.get("seq") != i:
            raise IntegrityError(
                f"audit entry {i + 1}: sequence number {entry.get('seq')} != {i} (line deleted or reordered)"
            )
        if body.get("prev") != prev:
            raise IntegrityError(
                f"audit entry {i + 1}: previous-hash link broken (line deleted, inserted or reordered)"
            )
        if chain_hash(prev, body) != entry.get("hash"):
            raise IntegrityError(
                f"audit entry {i + 1}: content does not match its hash (line edited)"
            )
        prev = entry["hash"]
    return Verification(entries=len(entries), head=prev)


class AuditLog:
    """An append-only JSON-lines audit log on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")

    def _head(self) -> tuple[int, str]:
        if not self.head_path.exists():
            return 0, GENESIS
        data = json.loads(self.head_path.read_text("utf-8"))
        return int(data["entries"]), str(data["head"])

    def append(self, event: str, **details: Any) -> dict[str, Any]:
        """Append one event; details must not contain personal identifiers."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        count, prev = self._head()
        body = {
            "seq": count,
            "time": datetime.now(UTC).isoformat(timespec="microseconds"),
            "event": event,
            "details": details,
            "prev": prev,
        }
        entry = {**body, "hash": chain_hash(prev, body)}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(canonical(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp = self.head_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"entries": count + 1, "head": entry["hash"]}), "utf-8")
        os.replace(tmp, self.head_path)
        return entry

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise IntegrityError(f"{self.path}: line {n} is not valid JSON") from exc

    def verify(self) -> Verification:
        """Verify the whole chain and that it ends where the head file says."""
        result = verify_entries(list(self.entries()))
        count, head = self._head()
        if (count, head) != (result.entries, result.head):
            raise IntegrityError(
                f"{self.path}: log holds {result.entries} entries but its head records {count} "
                "(lines removed from the end, or the head file altered)"
            )
        return result
