"""The objection form's back end: identifiers become keyed tokens at once; only tokens are kept.

Two kinds of token are made from what the resident gives:

* for every active project release in the key store (``<root>/<agreement id>/<release>.key``),
  ``lantern.linkage.tokens.objection_tokens``, written to the linkage objection register
  (``release,key,token``) by ``export_register``;
* **match tokens** under a key derived from the portal's data key, which household lists carry
  too (``household_match``): an objection removes matching households from every loaded list at
  once, and keeps them out of every later import.

The same person objecting twice is stored once (``fingerprint``); the confirmation is the same
either way, so the form reveals nothing about who has objected or who is on a list.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lantern.errors import ConfigError
from lantern.linkage.keystore import KeyStore
from lantern.linkage.normalise import normalise_date, normalise_nhs_number
from lantern.linkage.objections import REGISTER_COLUMNS
from lantern.linkage.tokens import objection_tokens
from lantern.portal import agreements as agreements_mod
from lantern.portal import audit_db
from lantern.portal.models import ContactOutcome, Household, HouseholdMatch, Objection

IDENTIFIER_FIELDS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode")
#: household-file columns used only to match objections: never stored, never shown
MATCH_COLUMNS = IDENTIFIER_FIELDS
MATCH_RELEASE = "portal-objection-match"
MAX_LENGTH = 100


def match_key(data_key: bytes) -> bytes:
    """The portal's match-token key, derived from the data key (HKDF-SHA256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"lantern/portal/objection-match/v1"
    ).derive(data_key)


def match_tokens(identifiers: Mapping[str, Any], key: bytes) -> list[str]:
    """Every match token the identifiers can form (NHS number; name and date of birth; …),
    as unpadded base64url."""
    found = objection_tokens(identifiers, key, MATCH_RELEASE).values()
    return sorted({_b64(bytes.fromhex(t)) for t in found})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class Checked:
    """Identifiers that passed validation, and what the resident will be told was recorded."""

    identifiers: dict[str, str]
    routes: list[str] = field(default_factory=list)


def validate(form: Mapping[str, str], today: date) -> tuple[Checked | None, list[FieldError]]:
    """Check the form as a resident filled it in; every problem is named with its field."""
    raw = {k: (form.get(k) or "").strip() for k in IDENTIFIER_FIELDS}
    errors: list[FieldError] = []
    for k, v in raw.items():
        if len(v) > MAX_LENGTH:
            errors.append(FieldError(k, f"This must be {MAX_LENGTH} characters or fewer."))
    if errors:
        return None, errors
    out: dict[str, str] = {}
    routes: list[str] = []
    if raw["nhs_number"]:
        nhs = normalise_nhs_number(raw["nhs_number"])
        if nhs is None:
            errors.append(
                FieldError(
                    "nhs_number",
                    "This is not a valid NHS number: it has 10 digits, like 943 476 5919. "
                    "Check it, or leave it empty and give your name and date of birth.",
                )
            )
        else:
            out["nhs_number"] = nhs
            routes.append("nhs_number")
    named = [k for k in ("given_name", "family_name", "date_of_birth") if raw[k]]
    if named:
        for k, label in (
            ("given_name", "Enter your first name."),
            ("family_name", "Enter your last name."),
            ("date_of_birth", "Enter your date of birth."),
        ):
            if not raw[k]:
                errors.append(FieldError(k, label))
        if raw["date_of_birth"]:
            dob = normalise_date(raw["date_of_birth"])
            born = date(int(dob[:4]), int(dob[4:6]), int(dob[6:])) if dob else None
            if born is None:
                errors.append(
                    FieldError("date_of_birth", "Enter a real date, for example 1950-03-27.")
                )
            elif born > today:
                errors.append(
                    FieldError("date_of_birth", "Your date of birth must be in the past.")
                )
            elif born.year < today.year - 130:
                errors.append(FieldError("date_of_birth", "Check the year of your date of birth."))
            else:
                out["date_of_birth"] = born.isoformat()
        for k in ("given_name", "family_name"):
            if raw[k]:
                out[k] = raw[k]
        if len(out.keys() & {"given_name", "family_name", "date_of_birth"}) == 3:
            routes.append("name_and_date_of_birth")
    if raw["postcode"]:
        out["postcode"] = raw["postcode"]
    if not errors and not routes:
        errors.append(
            FieldError(
                "nhs_number",
                "Give your NHS number, or your first name, last name and date of birth.",
            )
        )
    return (None, errors) if errors else (Checked(out, routes), [])


def active_releases(session: Session, keystore: KeyStore, today: date) -> list[tuple[str, str]]:
    """(project, release) pairs whose agreement is loaded and active and whose keys exist."""
    active = {a.id for a in agreements_mod.all_agreements(session) if a.is_active(today)}
    return [(p, r) for p, r in keystore.releases() if p in active]


def new_reference() -> str:
    raw = secrets.token_hex(5).upper()
    return f"OBJ-{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class Receipt:
    """What the resident is told: reference, routes recorded, projects covered."""

    reference: str
    routes: list[str]
    projects: list[str]
    lists_checked: bool


def submit(
    session: Session,
    checked: Checked,
    *,
    keystore: KeyStore | None,
    data_key: bytes | None,
    today: date,
) -> Receipt:
    """Record an objection; identifiers are turned into tokens here and not stored or logged."""
    if keystore is None:
        raise ConfigError("objections", ["no key store is configured (LANTERN_PORTAL_KEYSTORE)"])
    tokens: dict[str, dict[str, str]] = {}
    for project, release in active_releases(session, keystore, today):
        secret = keystore.load(project, release).require_token_secret()
        found = objection_tokens(checked.identifiers, secret, release)
        if found:
            tokens[f"{project}/{release}"] = found
    if not tokens:
        raise ConfigError("objections", ["no active project holds keys in the key store"])
    matches = match_tokens(checked.identifiers, match_key(data_key)) if data_key else []
    basis = "\n".join(matches) if matches else json.dumps(tokens, sort_keys=True)
    fingerprint = _b64(hashlib.sha256(basis.encode()).digest())
    reference = new_reference()
    existing = session.scalar(select(Objection).where(Objection.fingerprint == fingerprint))
    if existing is None:
        session.add(
            Objection(
                reference=reference, tokens=tokens, match_tokens=matches, fingerprint=fingerprint
            )
        )
    else:  # the same person again: one record, newer release tokens merged in
        existing.tokens = {**existing.tokens, **tokens}
    removed = remove_matching_households(session, matches)
    audit_db.record(
        session,
        "objection.received",
        reference=reference,
        duplicate_of=existing.reference if existing is not None else None,
        routes=checked.routes,
        projects=sorted(tokens),
        households_removed=removed,
    )
    projects = sorted({k.partition("/")[0] for k in tokens})
    return Receipt(reference, checked.routes, projects, lists_checked=bool(matches))


def remove_matching_households(session: Session, tokens: Iterable[str]) -> dict[str, int]:
    """Delete every household whose match tokens meet ``tokens``; counts per agreement."""
    tokens = list(tokens)
    if not tokens:
        return {}
    ids = select(HouseholdMatch.household_id).where(HouseholdMatch.token.in_(tokens))
    counts = dict(
        session.execute(
            select(Household.agreement_id, func.count())
            .where(Household.id.in_(ids))
            .group_by(Household.agreement_id)
        ).all()
    )
    if counts:
        doomed = list(session.scalars(ids.distinct()))
        session.execute(delete(ContactOutcome).where(ContactOutcome.household_id.in_(doomed)))
        session.execute(delete(HouseholdMatch).where(HouseholdMatch.household_id.in_(doomed)))
        session.execute(delete(Household).where(Household.id.in_(doomed)))
    return {str(k): int(v) for k, v in counts.items()}


def objected_tokens(session: Session) -> set[str]:
    """Every match token of every objection (for keeping objectors out of later imports)."""
    out: set[str] = set()
    for found in session.scalars(select(Objection.match_tokens)):
        out.update(found or ())
    return out


def export_register(session: Session, project: str, path: Path) -> int:
    """Write every objection for ``project`` as a linkage objection register; returns rows."""
    rows = []
    for objection in session.scalars(select(Objection).order_by(Objection.id)):
        for key_name, found in objection.tokens.items():
            proj, _, release = key_name.partition("/")
            if proj == project:
                rows.extend((release, k, t) for k, t in sorted(found.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(REGISTER_COLUMNS)
        writer.writerows(rows)
    return len(rows)
