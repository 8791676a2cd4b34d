"""The portal's tamper-evident audit log, held in the database.

Entries carry the fields of ``lantern.audit.AuditLog`` (``seq``, ``time``, ``event``,
``details``, ``prev``, ``hash``) and the same keyed chain: ``hash`` is HMAC-SHA256 under the
portal's audit key, kept in this machine's key store (``$LANTERN_KEYS``), never in the
database, so someone who can edit the database cannot rebuild a chain that verifies. Details
never hold resident identifiers: only staff user names, area codes, household references,
agreement ids and purposes.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, Table, cast, func, insert, or_, select, text
from sqlalchemy.orm import Session

from lantern.audit import GENESIS, Verification, entry_mac, export_text, verify_entries
from lantern.keys.store import AuditKey
from lantern.portal.db import take_write_lock
from lantern.portal.models import AuditEntry

_PG_LOCK_KEY = 0x1A17E5
_KEYS: dict[str, AuditKey] = {}

_TABLE: Table = AuditEntry.__table__  # type: ignore[assignment]


def audit_key() -> AuditKey:
    """The portal's audit key in this machine's key store (made on first use)."""
    from lantern.keys.local import PORTAL_PROJECT, local_root, local_store

    root = str(local_root())
    if root not in _KEYS:
        _KEYS[root] = local_store().audit_key(PORTAL_PROJECT)
    return _KEYS[root]


def record(session: Session, event: str, **details: Any) -> AuditEntry:
    """Append one event and commit it together with the session's pending changes.

    Appends are serialised by the database, never by a lock held in this process: PostgreSQL
    takes a transaction-level advisory lock, SQLite its write lock. Either is taken *before*
    the chain's head is read, so two requests (threads or processes) never compute the same
    ``seq``, and a request that already holds the write lock (it changed data earlier in its
    transaction) is never made to wait behind one that does not.
    """
    session.flush()  # the caller's changes are written before the lock, not while holding it
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    else:
        take_write_lock(session)
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (0, GENESIS)
    body = {
        "seq": seq,
        "time": datetime.now(UTC).isoformat(timespec="microseconds"),
        "event": event,
        "details": details,
        "prev": prev,
    }
    mac = entry_mac(audit_key(), prev, body)
    session.execute(insert(_TABLE).values(**body, hash=mac))  # no unit of work
    session.commit()
    return AuditEntry(**body, hash=mac)


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": entry.time,
        "event": entry.event,
        "details": entry.details,
        "prev": entry.prev,
        "hash": entry.hash,
    }


def verify(session: Session, key: AuditKey | None = None) -> Verification:
    """Check the whole chain in order; raises ``IntegrityError`` naming the first broken entry."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    return verify_entries([as_dict(r) for r in rows], key or audit_key())


def search_query(
    *, event: str | None = None, text_contains: str | None = None, since: str | None = None
) -> Select[AuditEntry]:
    stmt = select(AuditEntry)
    if event:
        stmt = stmt.where(AuditEntry.event == event)
    if since:
        stmt = stmt.where(AuditEntry.time >= since)
    if text_contains:
        needle = f"%{text_contains.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(AuditEntry.event).like(needle),
                func.lower(cast(AuditEntry.details, String)).like(needle),
            )
        )
    return stmt.order_by(AuditEntry.seq.desc())


def search(session: Session, *, limit: int = 200, **filters: str | None) -> list[AuditEntry]:
    return list(session.scalars(search_query(**filters).limit(limit)))


def to_jsonl(entries: list[AuditEntry]) -> str:
    """A self-contained audit export, oldest first: ``lantern audit verify FILE`` checks it.

    The header line carries the head and its MAC under the portal's audit key, so the export
    verifies on its own when complete, and a removed or altered entry is named by its ``seq``.
    """
    ordered = [as_dict(e) for e in sorted(entries, key=lambda e: e.seq)]
    return export_text(ordered, audit_key(), log="portal")


def to_csv(entries: list[AuditEntry]) -> str:
    from lantern.portal.csvsafe import SafeWriter

    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["seq", "time", "event", "details", "hash"])
    for e in sorted(entries, key=lambda e: e.seq):
        writer.writerow([e.seq, e.time, e.event, canonical_details(e.details), e.hash])
    return out.getvalue()


def canonical_details(details: dict[str, Any]) -> str:
    from lantern.audit import canonical

    return canonical(details)
