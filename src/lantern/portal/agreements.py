"""The agreements register: load agreement files, review them, and enforce them.

Agreement files are read with ``lantern.governance.load_agreement``; the portal keeps the
parsed document (and the file's SHA-256) so the register and the checks use exactly what was
loaded. The portal enforces an agreement's parties, purposes, fields, permitted outputs and
retention end.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.errors import GovernanceError, InputError
from lantern.portal import audit_db
from lantern.portal.models import AgreementRecord


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump())
    return value


def document_from_agreement(agreement: Any) -> dict[str, Any]:
    """A JSON-ready dict from a ``lantern.governance.Agreement`` (a pydantic model)."""
    return _plain(agreement.model_dump(mode="json", by_alias=True))


def read_agreement_file(path: Path) -> dict[str, Any]:
    from lantern.governance import load_agreement

    return document_from_agreement(load_agreement(path))


@dataclass(frozen=True)
class AgreementView:
    """What the portal needs from one loaded agreement (a ``lantern.governance.Agreement`` dump)."""

    id: str
    title: str
    parties: tuple[dict[str, str], ...]
    purposes: tuple[dict[str, str], ...]
    fields: tuple[dict[str, Any], ...]
    permitted_outputs: tuple[str, ...]
    retention_end: date
    start: date
    lawful_basis: dict[str, Any]
    document: dict[str, Any]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> AgreementView:
        return cls(
            id=str(doc["id"]),
            title=str(doc.get("title") or doc["id"]),
            parties=tuple(doc.get("parties") or ()),
            purposes=tuple(doc.get("purposes") or ()),
            fields=tuple(doc.get("fields") or ()),
            permitted_outputs=tuple(doc.get("permitted_outputs") or ()),
            retention_end=date.fromisoformat(str(doc["retention_end"])[:10]),
            start=date.fromisoformat(str(doc["start_date"])[:10]),
            lawful_basis=dict(doc.get("lawful_basis") or {}),
            document=doc,
        )

    @property
    def party_ids(self) -> tuple[str, ...]:
        return tuple(p["id"] for p in self.parties)

    @property
    def purpose_codes(self) -> tuple[str, ...]:
        return tuple(p["code"] for p in self.purposes)

    def fields_for(self, party: str) -> tuple[str, ...]:
        return tuple(f["name"] for f in self.fields if f.get("party") == party)

    def is_active(self, today: date) -> bool:
        return self.start <= today <= self.retention_end

    def status(self, today: date) -> str:
        if today < self.start:
            return "not yet in force"
        return "active" if self.is_active(today) else "expired"


def view(record: AgreementRecord) -> AgreementView:
    return AgreementView.from_document(record.document)


def load(session: Session, path: Path, *, actor: str) -> AgreementView:
    """Load (or replace) an agreement from its file and audit the change."""
    if not path.is_file():
        raise InputError("agreement file not found", file=path)
    raw = path.read_bytes()
    doc = read_agreement_file(path)
    return store(
        session, doc, sha256=hashlib.sha256(raw).hexdigest(), actor=actor, source=path.name
    )


def store(
    session: Session, doc: dict[str, Any], *, sha256: str, actor: str, source: str
) -> AgreementView:
    agreement = AgreementView.from_document(doc)
    record = session.get(AgreementRecord, agreement.id)
    event = "agreement.updated" if record else "agreement.loaded"
    if record is None:
        record = AgreementRecord(id=agreement.id)
        session.add(record)
    elif record.source_sha256 == sha256:
        return agreement
    record.title = agreement.title
    record.document = doc
    record.source_sha256 = sha256
    record.retention_end = agreement.retention_end
    record.loaded_by = actor
    audit_db.record(
        session,
        event,
        actor=actor,
        agreement=agreement.id,
        sha256=sha256,
        source=source,
        retention_end=agreement.retention_end.isoformat(),
    )
    return agreement


def all_agreements(session: Session) -> list[AgreementView]:
    return [view(r) for r in session.scalars(select(AgreementRecord).order_by(AgreementRecord.id))]


def get(session: Session, agreement_id: str) -> AgreementView:
    record = session.get(AgreementRecord, agreement_id)
    if record is None:
        raise InputError(f"no agreement {agreement_id!r} is loaded")
    return view(record)


def household_agreements(session: Session, organisation: str, today: date) -> list[AgreementView]:
    """Active agreements naming ``organisation`` as a party that have household lists loaded."""
    from lantern.portal.models import Household

    with_lists = set(session.scalars(select(Household.agreement_id).distinct()))
    return [
        a
        for a in all_agreements(session)
        if a.id in with_lists and a.is_active(today) and organisation in a.party_ids
    ]


def authorise_household_access(
    agreement: AgreementView, *, organisation: str, purpose: str, today: date
) -> None:
    """Raise ``GovernanceError`` unless this organisation may see households for this purpose."""
    if not agreement.is_active(today):
        raise GovernanceError(
            f"agreement {agreement.id} is {agreement.status(today)}: household access has ended"
        )
    if organisation not in agreement.party_ids:
        raise GovernanceError(f"your organisation is not a party to agreement {agreement.id}")
    if purpose not in agreement.purpose_codes:
        raise GovernanceError(
            f"purpose {purpose!r} is not one of agreement {agreement.id}'s purposes"
        )
