"""Audit logs an insider cannot quietly rewrite: keyed hash chains, signed heads, witnessed anchors.

Each line is a JSON entry ``{seq, time, event, details, prev, key, hash}`` where ``hash`` is
HMAC-SHA256, under the project's audit key (held in a key store, never beside the log), over the
previous entry's hash and the canonical JSON of this entry. ``<log>.head`` holds the entry count
and last hash, authenticated by the same key, so truncation shows too. A chain recomputed
without the key (plain SHA-256, or HMAC under another key) does not verify.

Whoever holds the key could still rebuild the whole log, so its head is periodically
countersigned by a second party (``lantern.keys.witness``): an Ed25519 signature over the entry
count and head, kept in ``<log>.anchors`` and published. A rewrite then has to match every
published anchor, which needs the witness's private key too.

An export (``export_text``) is one file: a header line (head, its MAC, the anchors) and the
entries; it verifies on its own with the audit key. See docs/privacy.md for the threat model.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lantern.errors import IntegrityError
from lantern.keys.store import AuditKey

GENESIS = "0" * 64
EXPORT_FORMAT = "lantern-audit-export/1"


def canonical(record: Mapping[str, Any]) -> str:
    """Stable JSON text for hashing: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_mac(key: AuditKey, prev_hash: str, body: Mapping[str, Any]) -> str:
    """The keyed hash of one entry, binding it to everything before it."""
    return key.mac(prev_hash + "\n" + canonical(body))


def head_mac(key: AuditKey, entries: int, head: str) -> str:
    return key.mac(f"lantern-audit-head/v1\n{entries}\n{head}")


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    key_id: str = ""
    anchors: int = 0


def verify_entries(entries: list[dict[str, Any]], key: AuditKey) -> Verification:
    """Check a keyed chain of entries; raise on the first break, naming the entry by its ``seq``."""
    prev = GENESIS
    for i, entry in enumerate(entries):
        body = {k: v for k, v in entry.items() if k != "hash"}
        if entry.get("seq") != i:
            raise IntegrityError(
                f"audit entry {i}: found sequence number {entry.get('seq')!r} where {i} was "
                "expected (entry deleted, inserted or reordered)"
            )
        if "key" in body and body["key"] != key.key_id:
            raise IntegrityError(
                f"audit entry {i}: written under audit key {body['key']}, not {key.key_id} "
                "(the chain was rebuilt with another key, or this is the wrong key store)"
            )
        if body.get("prev") != prev:
            raise IntegrityError(
                f"audit entry {i}: previous-hash link broken (entry deleted, inserted or reordered)"
            )
        if entry_mac(key, prev, body) != entry.get("hash"):
            raise IntegrityError(
                f"audit entry {i}: content does not match its hash (entry edited, or the chain "
                "recomputed without the audit key)"
            )
        prev = entry["hash"]
    return Verification(entries=len(entries), head=prev, key_id=key.key_id)


def check_head(result: Verification, head: Mapping[str, Any], key: AuditKey, where: str) -> None:
    """The chain must end exactly where the authenticated head says."""
    try:
        count, last, mac = int(head["entries"]), str(head["head"]), str(head["mac"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrityError(f"{where}: the head record is incomplete") from exc
    if head_mac(key, count, last) != mac:
        raise IntegrityError(f"{where}: the head record was altered (its MAC does not match)")
    if (count, last) != (result.entries, result.head):
        raise IntegrityError(
            f"{where}: the log holds {result.entries} entries but its head records {count} "
            "(entries removed from the end, or the head replaced by an older one)"
        )


HEADS_FILE = "audit-heads.json"


def _remember_head(key: AuditKey, log_id: str, entries: int, head: str) -> None:
    """Keep the log's latest head in the key store too, out of reach of whoever holds the log."""
    if key.home is None or not key.home.is_dir():
        return
    path = key.home / HEADS_FILE
    with (key.home / (HEADS_FILE + ".lock")).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        heads = json.loads(path.read_text("utf-8")) if path.exists() else {}
        heads[log_id] = {"entries": entries, "head": head, "mac": head_mac(key, entries, head)}
        tmp = path.with_name(f"{HEADS_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(heads), "utf-8")
        os.replace(tmp, path)


def check_remembered_head(key: AuditKey, entries: list[dict[str, Any]], where: str) -> None:
    """The log must reach the head its key store last recorded (an old head file put back, or
    entries cut off together with their head, show here)."""
    if key.home is None or not (key.home / HEADS_FILE).exists() or not entries:
        return
    record = json.loads((key.home / HEADS_FILE).read_text("utf-8")).get(entries[0]["hash"])
    if record is None or head_mac(key, record["entries"], record["head"]) != record.get("mac"):
        return
    n = int(record["entries"])
    if n > len(entries) or entries[n - 1]["hash"] != record["head"]:
        raise IntegrityError(
            f"{where}: the key store recorded {n} entries ending at {record['head'][:16]}…, but the "
            f"log holds {len(entries)} that do not reach it (entries removed, an older head file "
            "put back, or an earlier copy of a log that was continued elsewhere)"
        )


def candidate_keys(extra: Iterable[AuditKey] = ()) -> list[AuditKey]:
    """Keys given explicitly, then the audit keys of every key store this machine knows."""
    from lantern.keys.local import known_stores
    from lantern.keys.store import KeyStore

    out = list(extra)
    for root in known_stores():
        try:
            out += list(KeyStore(root).audit_keys())
        except Exception:  # noqa: BLE001 - an unreadable store is simply not a candidate
            continue
    return out


def pick_key(key_id: str | None, keys: Iterable[AuditKey], where: str) -> AuditKey:
    keys = list(keys)
    if key_id is None:
        if not keys:
            raise IntegrityError(f"{where}: no audit key available; pass --keys")
        return keys[0]
    for key in keys:
        if key.key_id == key_id:
            return key
    raise IntegrityError(
        f"{where}: written under audit key {key_id}, which no known key store holds (pass "
        "--keys with the key store of the party that wrote it; a log rebuilt with a key of "
        "one's own is refused)"
    )


def default_key() -> AuditKey:
    """This machine's audit key for logs outside any linkage project."""
    from lantern.keys.local import LOCAL_PROJECT, local_store

    return local_store().audit_key(LOCAL_PROJECT)


class AuditLog:
    """An append-only JSON-lines audit log on disk, keyed by an audit key."""

    def __init__(self, path: str | Path, key: AuditKey | None = None) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.anchors_path = self.path.with_name(self.path.name + ".anchors")
        self._key = key

    @property
    def key(self) -> AuditKey:
        if self._key is None:
            self._key = default_key()
        return self._key

    def _read_head(self) -> dict[str, Any] | None:
        if not self.head_path.exists():
            return None
        try:
            return json.loads(self.head_path.read_text("utf-8"))
        except ValueError as exc:
            raise IntegrityError(f"{self.head_path}: not valid JSON") from exc

    def append(self, event: str, **details: Any) -> dict[str, Any]:
        """Append one event; details must not contain personal identifiers."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        key = self.key
        with self.path.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                head = self._read_head()
                if head is None:
                    if self.path.stat().st_size:
                        raise IntegrityError(
                            f"{self.path}: its head file is missing; run `lantern audit verify`"
                        )
                    count, prev = 0, GENESIS
                else:
                    count, prev = int(head["entries"]), str(head["head"])
                    if head.get("key") not in (None, key.key_id):
                        raise IntegrityError(
                            f"{self.path} is written under audit key {head['key']}, not "
                            f"{key.key_id} (another project or key store): give this run "
                            "its own --audit log"
                        )
                    if head_mac(key, count, prev) != head.get("mac"):
                        raise IntegrityError(
                            f"{self.head_path}: not authenticated by this log's audit key "
                            "(altered, or the wrong key store)"
                        )
                body = {
                    "seq": count,
                    "time": datetime.now(UTC).isoformat(timespec="microseconds"),
                    "event": event,
                    "details": details,
                    "prev": prev,
                    "key": key.key_id,
                }
                mac = entry_mac(key, prev, body)
                entry = {**body, "hash": mac}
                fh.write(canonical(entry) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                new_head = {"entries": count + 1, "head": mac, "key": key.key_id}
                new_head["mac"] = head_mac(key, count + 1, mac)
                tmp = self.head_path.with_name(self.head_path.name + ".tmp")
                tmp.write_text(json.dumps(new_head), "utf-8")
                os.replace(tmp, self.head_path)
                log_id = mac if count == 0 else self._first_hash()
                _remember_head(key, log_id, count + 1, mac)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return entry

    def _first_hash(self) -> str:
        with self.path.open(encoding="utf-8") as fh:
            return str(json.loads(fh.readline())["hash"])

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        yield from parse_lines(self.path.read_text("utf-8").splitlines(), str(self.path))

    def anchors(self) -> list[dict[str, Any]]:
        if not self.anchors_path.exists():
            return []
        lines = self.anchors_path.read_text("utf-8").splitlines()
        return list(parse_lines(lines, str(self.anchors_path)))

    def verify(self, keys: Iterable[AuditKey] = (), *, witness: Any = None) -> Verification:
        """Verify the chain, the authenticated head and any anchors; raise on the first problem."""
        if not self.path.exists():
            raise IntegrityError(f"{self.path}: audit log not found")
        entries = list(self.entries())
        if not entries:
            raise IntegrityError(f"{self.path}: the audit log holds no entries")
        key = self._key or pick_key(entries[0].get("key"), candidate_keys(keys), str(self.path))
        result = verify_entries(entries, key)
        head = self._read_head()
        if head is None:
            raise IntegrityError(
                f"{self.head_path}: head file missing (it records where the log ends)"
            )
        check_head(result, head, key, str(self.path))
        check_remembered_head(key, entries, str(self.path))
        from lantern.keys.witness import check_anchors

        anchors = self.anchors()
        check_anchors(anchors, entries, str(self.anchors_path), witness=witness)
        return Verification(result.entries, result.head, key.key_id, len(anchors))

    def anchor(self, witness_store: Any, keys: Iterable[AuditKey] = ()) -> dict[str, Any]:
        """Have the witness countersign the current head; append the anchor and return it.

        The witness need not hold the audit key: it countersigns the head the log and its head
        file agree on. Where the key is at hand, the whole log is verified first.
        """
        from lantern.keys.witness import sign_anchor

        entries = list(self.entries())
        head = self._read_head()
        if not entries or head is None:
            raise IntegrityError(f"{self.path}: no log, or no head file, to anchor")
        if (int(head.get("entries", -1)), head.get("head")) != (len(entries), entries[-1]["hash"]):
            raise IntegrityError(f"{self.path}: the log and its head file disagree; not anchored")
        try:
            self.verify(keys)
        except IntegrityError as exc:
            if "no known key store holds" not in str(exc):
                raise
        anchor = sign_anchor(
            witness_store, log=entries[0]["hash"], entries=len(entries), head=entries[-1]["hash"]
        )
        append_anchor(self.anchors_path, anchor)
        return anchor

    def export_text(self, keys: Iterable[AuditKey] = ()) -> str:
        """The verified log as one self-contained file (header line, then the entries)."""
        self.verify(keys)
        entries = list(self.entries())
        key = self._key or pick_key(entries[0].get("key"), candidate_keys(keys), str(self.path))
        return export_text(entries, key, anchors=self.anchors())


def append_anchor(path: Path, anchor: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(canonical(anchor) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def parse_lines(lines: list[str], where: str, *, first_line: int = 1) -> Iterator[dict[str, Any]]:
    for n, line in enumerate(lines, start=first_line):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise IntegrityError(f"{where}: line {n} is not valid JSON") from exc


def export_text(
    entries: list[dict[str, Any]],
    key: AuditKey,
    *,
    anchors: list[dict[str, Any]] = (),  # type: ignore[assignment]
    log: str = "",
) -> str:
    """A header line carrying the authenticated head and anchors, then every entry, oldest first."""
    head = entries[-1]["hash"] if entries else GENESIS
    header = {
        "format": EXPORT_FORMAT,
        "log": log or (entries[0]["hash"] if entries else ""),
        "entries": len(entries),
        "head": head,
        "key": key.key_id,
        "mac": head_mac(key, len(entries), head),
        "anchors": list(anchors),
    }
    return "".join(canonical(x) + "\n" for x in [header, *entries])


def is_export(path: str | Path) -> bool:
    with Path(path).open(encoding="utf-8") as fh:
        first = fh.readline()
    try:
        return json.loads(first).get("format") == EXPORT_FORMAT
    except (ValueError, AttributeError):
        return False


def verify_export(
    path: str | Path, keys: Iterable[AuditKey] = (), *, witness: Any = None
) -> Verification:
    """Verify an exported log on its own: chain, head MAC, anchors (no sidecar files)."""
    path = Path(path)
    if not path.exists():
        raise IntegrityError(f"{path}: audit export not found")
    lines = path.read_text("utf-8").splitlines()
    header = next(parse_lines(lines[:1], str(path)), None)
    if not header or header.get("format") != EXPORT_FORMAT:
        raise IntegrityError(f"{path}: not a Lantern audit export (no header line)")
    entries = list(parse_lines(lines[1:], str(path), first_line=2))
    if not entries:
        raise IntegrityError(f"{path}: the export holds no entries")
    key_id = header.get("key") or entries[0].get("key")
    key = pick_key(key_id, candidate_keys(keys), str(path))
    result = verify_entries(entries, key)
    check_head(result, header, key, str(path))
    from lantern.keys.witness import check_anchors

    check_anchors(header.get("anchors") or [], entries, str(path), witness=witness)
    return Verification(result.entries, result.head, key.key_id, len(header.get("anchors") or []))
