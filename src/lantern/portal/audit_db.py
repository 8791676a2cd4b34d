"""The portal's tamper-evident audit log, held in the database.

Entries carry the same fields and hash chain as ``lantern.audit.AuditLog`` (``seq``, ``time``,
``event``, ``details``, ``prev``, ``hash``), so ``lantern.audit.verify_entries`` checks them.
Details never hold resident identifiers: only staff user names, area codes, household
references, agreement ids and purposes.
"""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select, text
from sqlalchemy.orm import Session

from lantern.audit import GENESIS, Verification, chain_hash, verify_entries
from lantern.portal.models import AuditEntry

_LOCK = threading.Lock()
_PG_LOCK_KEY = 0x1A17E5


def record(session: Session, event: str, **details: Any) -> AuditEntry:
    """Append one event and commit it together with the session's pending changes."""
    with _LOCK:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
        seq, prev = (last.seq + 1, last.hash) if last else (0, GENESIS)
        body = {
            "seq": seq,
            "time": datetime.now(UTC).isoformat(timespec="microseconds"),
            "event": event,
            "details": details,
            "prev": prev,
        }
        entry = AuditEntry(**body, hash=chain_hash(prev, body))
        session.add(entry)
        session.commit()
        return entry


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": entry.time,
        "event": entry.event,
        "details": entry.details,
        "prev": entry.prev,
        "hash": entry.hash,
    }


def verify(session: Session) -> Verification:
    """Check the whole chain in order; raises ``IntegrityError`` on the first break."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    return verify_entries([as_dict(r) for r in rows])


def search_query(
    *, event: str | None = None, text_contains: str | None = None, since: str | None = None
) -> Select[tuple[AuditEntry]]:
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
    """Entries in ``AuditLog`` file form, oldest first (verifiable when complete)."""
    from lantern.audit import canonical

    return "".join(canonical(as_dict(e)) + "\n" for e in sorted(entries, key=lambda e: e.seq))


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
