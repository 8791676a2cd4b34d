"""Release records for the transparency register, read from release folders (``lantern.release``).

An administrator registers a release folder under the agreement whose data it came from; every
request in it that reached ``released`` becomes a register entry with its tables' names, area
types and periods. Re-registering a folder updates the entries (idempotent).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from lantern.portal import agreements, audit_db
from lantern.portal.models import ReleaseRecord


def register_folder(session: Session, folder: Path, *, agreement_id: str, actor: str) -> int:
    """Record the released requests of ``folder`` as outputs of ``agreement_id``; returns how many."""
    from lantern.release import list_requests, load_manifest, view

    agreements.get(session, agreement_id)  # must be loaded
    manifest = load_manifest(folder)
    outputs = [
        {"table": t.name, "area_type": t.area_type, "period": t.period, "vintage": t.vintage}
        for t in manifest.tables
    ]
    prefix = manifest.release or folder.resolve().name
    count = 0
    for request in list_requests(folder):
        if request["state"] != "released":
            continue
        detail = view(folder, request["id"])
        release_id = f"{prefix}/{request['id']}"
        record = session.get(ReleaseRecord, release_id) or ReleaseRecord(release_id=release_id)
        record.agreement_id = agreement_id
        record.title = request["title"] or release_id
        record.released_at = str(detail.get("released", ""))
        record.outputs = outputs
        session.add(record)
        count += 1
    audit_db.record(
        session,
        "release.registered",
        actor=actor,
        agreement=agreement_id,
        folder=folder.name,
        releases=count,
    )
    return count
