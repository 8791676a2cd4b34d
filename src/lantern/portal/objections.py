"""The objection form's back end: identifiers become keyed tokens at once; only tokens are kept.

For every active project release in the key store (``<root>/<agreement id>/<release>.key``)
the identifiers are turned into ``lantern.linkage.tokens.objection_tokens``. The resident gets
a reference. ``export_register`` writes the linkage objection register file
(``release,key,token``) that later pseudonymisation and linkage runs apply.
"""

from __future__ import annotations

import csv
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.errors import ConfigError, InputError
from lantern.linkage.keystore import KeyStore
from lantern.linkage.objections import REGISTER_COLUMNS
from lantern.linkage.tokens import objection_tokens
from lantern.portal import agreements as agreements_mod
from lantern.portal import audit_db
from lantern.portal.models import Objection

IDENTIFIER_FIELDS = ("nhs_number", "given_name", "family_name", "date_of_birth")


def active_releases(session: Session, keystore: KeyStore, today: date) -> list[tuple[str, str]]:
    """(project, release) pairs whose agreement is loaded and active and whose keys exist."""
    active = {a.id for a in agreements_mod.all_agreements(session) if a.is_active(today)}
    return [(p, r) for p, r in keystore.releases() if p in active]


def new_reference() -> str:
    raw = secrets.token_hex(5).upper()
    return f"OBJ-{raw[:5]}-{raw[5:]}"


def submit(
    session: Session, identifiers: dict[str, Any], *, keystore: KeyStore | None, today: date
) -> str:
    """Record an objection and return its reference; identifiers are not stored or logged."""
    if keystore is None:
        raise ConfigError("objections", ["no key store is configured (LANTERN_PORTAL_KEYSTORE)"])
    given = {k: identifiers.get(k) for k in IDENTIFIER_FIELDS if identifiers.get(k)}
    tokens: dict[str, dict[str, str]] = {}
    for project, release in active_releases(session, keystore, today):
        secret = keystore.load(project, release).require_token_secret()
        found = objection_tokens(given, secret, release)
        if found:
            tokens[f"{project}/{release}"] = found
    if not tokens:
        if not active_releases(session, keystore, today):
            raise ConfigError("objections", ["no active project holds keys in the key store"])
        raise InputError("give a valid NHS number, or your first name, last name and date of birth")
    reference = new_reference()
    session.add(Objection(reference=reference, tokens=tokens))
    audit_db.record(session, "objection.received", reference=reference, projects=sorted(tokens))
    return reference


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
