"""Restricted household lists: import (encrypted), scoped view, contact outcomes, export.

Every view, outcome and export is audited with the user, purpose and agreement. Only area
codes, household references and counts go into the audit — never contact details.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.errors import InputError
from lantern.portal import agreements as agreements_mod
from lantern.portal import audit_db, objections, objectors
from lantern.portal.crypto import seal, unseal
from lantern.portal.csvsafe import SafeWriter
from lantern.portal.models import Area, ContactOutcome, Household, HouseholdMatch, User, utcnow
from lantern.portal.scope import ScopedQueries
from lantern.portal.sessions import SignedIn

REQUIRED_COLUMNS = ("reference", "lsoa21_code", "reason")
OUTCOMES = (
    "contacted_support_arranged",
    "contacted_no_support_needed",
    "no_answer",
    "declined",
    "moved_or_unknown",
)


def import_csv(
    session: Session,
    path: Path,
    *,
    agreement_id: str,
    party: str,
    key: bytes,
    actor: str,
    skip_unmatchable: bool = False,
) -> int:
    """Import a data owner's household file; contact columns are encrypted before storage.

    Columns: ``reference``, ``lsoa21_code``, ``reason`` and contact columns, each of which the
    agreement must name as a field of ``party`` (the data owner). Identifier columns
    (``nhs_number``, ``given_name``, ``family_name``, ``date_of_birth``, ``postcode``) only
    become objection match tokens: they are neither stored nor shown. A household whose tokens
    meet any objection in the register is not imported. A row whose identifiers form no match
    token (no valid NHS number, nor names with date of birth) could be an objector no one can
    recognise: the file is refused naming the row, or with ``skip_unmatchable`` the row is left
    out. Nothing is written unless the whole file is accepted.
    """
    agreement = agreements_mod.get(session, agreement_id)
    if party not in agreement.party_ids:
        raise InputError(f"{party!r} is not a party to agreement {agreement.id}")
    allowed_fields = agreement.fields_for(party)
    known = set(session.scalars(select(Area.area_code).where(Area.area_type == "lsoa")))
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for col in REQUIRED_COLUMNS:
            if col not in header:
                raise InputError("missing required column", file=path, row=1, column=col)
        contact_cols = [c for c in header if c not in REQUIRED_COLUMNS]
        for col in contact_cols:
            if col not in allowed_fields:
                raise InputError(
                    f"agreement {agreement.id} does not name this field for {party}; drop the column",
                    file=path,
                    row=1,
                    column=col,
                )
        seen: set[str] = set(session.scalars(select(Household.reference)))
        match_cols = [c for c in contact_cols if c in objections.MATCH_COLUMNS]
        shown_cols = [c for c in contact_cols if c not in objections.MATCH_COLUMNS]
        parsed: list[tuple[str, str, str, dict[str, str], dict[str, str]]] = []
        for n, row in enumerate(reader, start=2):
            ref = (row["reference"] or "").strip()
            lsoa = (row["lsoa21_code"] or "").strip().upper()
            if not ref or len(ref) > 40:
                raise InputError(
                    "reference must be 1–40 characters", file=path, row=n, column="reference"
                )
            if ref in seen:
                raise InputError(
                    "duplicate household reference", file=path, row=n, column="reference"
                )
            if lsoa not in known:
                raise InputError(
                    "not an LSOA 2021 code in the portal's area table",
                    file=path,
                    row=n,
                    column="lsoa21_code",
                )
            seen.add(ref)
            contact = {c: (row[c] or "").strip() for c in shown_cols}
            parsed.append(
                (ref, lsoa, row["reason"] or "", contact, {c: row[c] for c in match_cols})
            )
    identifiers = (
        objectors.normalise(pd.DataFrame([p[4] for p in parsed])) if match_cols and parsed else None
    )
    tokens = (
        objectors.match_tokens(identifiers, objectors.match_key())
        if identifiers is not None
        else [[] for _ in parsed]
    )
    unmatchable = [i for i, found in enumerate(tokens) if not found]
    if unmatchable and not skip_unmatchable:
        rows_named = ", ".join(str(i + 2) for i in unmatchable[:20])
        raise InputError(
            f"{len(unmatchable)} row(s) have no identifier an objection can be matched on "
            f"(rows {rows_named}{' …' if len(unmatchable) > 20 else ''}): each household needs "
            "a valid NHS number, or given name, family name and date of birth, or one name with "
            "date of birth and postcode, so that residents' objections reach it. Fix them, or "
            "pass --skip-unmatchable to leave those households out",
            file=path,
            row=unmatchable[0] + 2,
            column=", ".join(match_cols) or "nhs_number",
        )
    objectors.serialise(session)  # no objection may interleave with this import
    objected = objectors.objected_match_tokens(session)
    legacy_objected = objectors.legacy_objection_tokens(session)
    legacy = (
        objectors.match_tokens(identifiers, objectors.legacy_match_key(key))
        if identifiers is not None and legacy_objected
        else [[] for _ in parsed]
    )
    rows: list[tuple[Household, list[str]]] = []
    withheld = 0
    skipped = 0
    for (ref, lsoa, reason, contact, _), found, old in zip(parsed, tokens, legacy, strict=True):
        if not found:
            skipped += 1  # no identifier to check against objections: never stored
            continue
        if objected.intersection(found) or legacy_objected.intersection(old):
            withheld += 1  # the resident objected: never stored
            continue
        nonce, blob = seal(key, ref, agreement.id, contact)
        rows.append(
            (
                Household(
                    reference=ref,
                    agreement_id=agreement.id,
                    owner_party=party,
                    lsoa_code=lsoa,
                    reason=reason.strip()[:200],
                    nonce=nonce,
                    contact_ciphertext=blob,
                ),
                found,
            )
        )
    session.add_all(h for h, _ in rows)
    session.flush()
    session.add_all(HouseholdMatch(household_id=h.id, token=t) for h, found in rows for t in found)
    audit_db.record(
        session,
        "households.imported",
        actor=actor,
        agreement=agreement.id,
        households=len(rows),
        withheld_by_objection=withheld,
        left_out_unmatchable=skipped,
        match_columns=match_cols,
        source=path.name,
    )
    return len(rows)


@dataclass(frozen=True)
class HouseholdRow:
    reference: str
    lsoa_code: str
    reason: str
    contact: dict[str, str]
    last_outcome: str | None


def _access(
    session: Session, user: User | SignedIn, agreement_id: str, purpose: str, today: date
) -> agreements_mod.AgreementView:
    agreement = agreements_mod.get(session, agreement_id)
    agreements_mod.authorise_household_access(
        agreement, organisation=user.organisation, purpose=purpose, today=today
    )
    return agreement


def _rows(
    session: Session, scoped: ScopedQueries, agreement: agreements_mod.AgreementView, key: bytes
) -> list[HouseholdRow]:
    last = (  # each household's latest outcome: one index lookup each, not every outcome ever
        select(ContactOutcome.outcome)
        .where(ContactOutcome.household_id == Household.id)
        .order_by(ContactOutcome.recorded_at.desc(), ContactOutcome.id.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    out = []
    for h, outcome in session.execute(scoped.households(agreement.id).add_columns(last)):
        allowed = set(agreement.fields_for(h.owner_party))  # the agreement as it stands today
        contact = unseal(key, h.reference, h.agreement_id, h.nonce, h.contact_ciphertext)
        out.append(
            HouseholdRow(
                h.reference,
                h.lsoa_code,
                h.reason,
                {k: v for k, v in contact.items() if k in allowed},
                outcome,
            )
        )
    return out


def view(
    session: Session,
    scoped: ScopedQueries,
    user: User | SignedIn,
    *,
    agreement_id: str,
    purpose: str,
    key: bytes,
    today: date,
) -> list[HouseholdRow]:
    agreement = _access(session, user, agreement_id, purpose, today)
    rows = _rows(session, scoped, agreement, key)
    audit_db.record(
        session,
        "households.viewed",
        actor=user.username,
        agreement=agreement.id,
        purpose=purpose,
        households=len(rows),
        areas=sorted({r.lsoa_code for r in rows}),
    )
    return rows


def record_outcome(
    session: Session,
    scoped: ScopedQueries,
    user: User | SignedIn,
    *,
    reference: str,
    outcome: str,
    agreement_id: str,
    purpose: str,
    today: date,
) -> None:
    if outcome not in OUTCOMES:
        raise InputError(f"outcome must be one of {', '.join(OUTCOMES)}")
    agreement = _access(session, user, agreement_id, purpose, today)
    household = scoped.household(reference, agreement.id)
    session.add(ContactOutcome(household_id=household.id, user_id=user.id, outcome=outcome))
    audit_db.record(
        session,
        "households.outcome_recorded",
        actor=user.username,
        agreement=agreement.id,
        purpose=purpose,
        household=household.reference,
        outcome=outcome,
    )


@dataclass(frozen=True)
class Export:
    export_id: str
    filename: str
    text: str
    rows: int


def export_csv(
    session: Session,
    scoped: ScopedQueries,
    user: User | SignedIn,
    *,
    agreement_id: str,
    purpose: str,
    key: bytes,
    today: date,
) -> Export:
    """A watermarked CSV: a header line naming user, time, purpose and agreement, and the export
    id on every row so a leaked copy can be traced."""
    agreement = _access(session, user, agreement_id, purpose, today)
    rows = _rows(session, scoped, agreement, key)
    export_id = "EXP-" + secrets.token_hex(6).upper()
    stamp = utcnow().isoformat(timespec="seconds") + "Z"
    fields = list(dict.fromkeys(f for r in rows for f in r.contact))
    out = io.StringIO()
    out.write(
        f"# RESTRICTED - {export_id} - exported by {user.username} ({user.organisation}) at {stamp} "
        f"for purpose '{purpose}' under agreement {agreement.id}; do not share; delete by "
        f"{agreement.retention_end.isoformat()}\n"
    )
    writer = SafeWriter(out)
    writer.writerow(["reference", "lsoa21_code", "reason", *fields, "last_outcome", "watermark"])
    for r in rows:
        writer.writerow(
            [
                r.reference,
                r.lsoa_code,
                r.reason,
                *(r.contact.get(f, "") for f in fields),
                r.last_outcome or "",
                f"{export_id}/{user.username}/{stamp}",
            ]
        )
    audit_db.record(
        session,
        "households.exported",
        actor=user.username,
        agreement=agreement.id,
        purpose=purpose,
        export=export_id,
        households=len(rows),
    )
    return Export(
        export_id, f"households-{agreement.id}-{export_id}.csv", out.getvalue(), len(rows)
    )


def summary(rows: list[HouseholdRow]) -> dict[str, Any]:
    done = sum(1 for r in rows if r.last_outcome)
    return {"households": len(rows), "with_outcome": done}
