"""The objection form's back end: validation, and recording into the objection register.

The resident's identifiers are normalised and kept only encrypted, in the portal's objection
register (``lantern.portal.objectors``), which re-tokenises them for every key that needs them:
every household list already loaded loses the objector at once, every later import leaves them
out, under any data key, and every linkage batch of every project gets their tokens when the
register is exported (``lantern portal data objections``), batches created after the objection
included. For the linkage batches held when the objection is made, tokens are also recorded at
once (``tokens``).

The same person objecting twice with the same details is stored once (``fingerprint``); the
confirmation is the same either way, so the form reveals nothing about who has objected or who
is on a list.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.errors import ConfigError
from lantern.linkage.keystore import KeyStore
from lantern.linkage.normalise import normalise_date, normalise_nhs_number, normalise_postcode
from lantern.linkage.objections import REGISTER_COLUMNS
from lantern.linkage.tokens import objection_tokens
from lantern.portal import agreements as agreements_mod
from lantern.portal import audit_db, objectors
from lantern.portal.models import Objection

IDENTIFIER_FIELDS = ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode")
#: household-file columns used only to match objections: never stored, never shown
MATCH_COLUMNS = IDENTIFIER_FIELDS
MAX_LENGTH = 100


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
    # one name with date of birth and postcode is enough (a name recorded differently elsewhere)
    one_name = (
        bool(raw["given_name"]) != bool(raw["family_name"])
        and bool(raw["date_of_birth"])
        and normalise_postcode(raw["postcode"]) is not None
    )
    if named:
        for k, label in (
            ("given_name", "Enter your first name."),
            ("family_name", "Enter your last name."),
            ("date_of_birth", "Enter your date of birth."),
        ):
            if not raw[k] and not (one_name and k != "date_of_birth"):
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
        elif one_name and "date_of_birth" in out:
            routes.append("one_name_date_of_birth_and_postcode")
    if raw["postcode"]:
        if normalise_postcode(raw["postcode"]) is None:
            errors.append(
                FieldError("postcode", "Enter a full UK postcode, like CO1 1AA, or leave it empty.")
            )
        else:
            out["postcode"] = raw["postcode"]
    if not errors and not routes:
        errors.append(
            FieldError(
                "nhs_number",
                "Give your NHS number, or your first name, last name and date of birth "
                "(or one of your names with your date of birth and postcode).",
            )
        )
    return (None, errors) if errors else (Checked(out, routes), [])


def active_releases(
    session: Session,
    keystore: KeyStore,
    today: date,
    agreements: list[agreements_mod.AgreementView] | None = None,
) -> list[tuple[str, str]]:
    """(project, batch) pairs whose agreement is loaded and active and whose keys exist."""
    loaded = agreements if agreements is not None else agreements_mod.all_agreements(session)
    active = {a.id for a in loaded if a.is_active(today)}
    return [(p, r) for p, r in keystore.releases() if p in active]


#: token secrets already read: by key file, with the SHA-256 of the file they were read from
_SECRETS: dict[tuple[str, str, str], tuple[bytes, bytes]] = {}


def release_secret(keystore: KeyStore, project: str, release: str) -> bytes:
    """A batch's token secret, unwrapped once per process and again whenever its key file's
    bytes change (a batch destroyed and created again under the same name, re-wrapped keys);
    a missing key file is ``KeyStore.load``'s error, as before."""
    path = keystore.path(project, release)
    try:
        digest = hashlib.sha256(path.read_bytes()).digest()
    except FileNotFoundError:
        return keystore.load(project, release).require_token_secret()  # raises: no keys
    held = (str(path.resolve()), project, release)
    known = _SECRETS.get(held)
    if known is not None and hmac.compare_digest(known[0], digest):
        return known[1]
    secret = keystore.load(project, release).require_token_secret()
    _SECRETS[held] = (digest, secret)  # read before load: a change in between is read again
    return secret


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
    titles: dict[str, str] = field(default_factory=dict)  # every loaded agreement's title


def submit(
    session: Session,
    checked: Checked,
    *,
    keystore: KeyStore | None,
    data_key: bytes | None,
    today: date,
) -> Receipt:
    """Record an objection in the register and apply it to every loaded household list.

    Identifiers are normalised, encrypted and turned into tokens here; they are never stored in
    clear or logged. Needs the portal's key store (``LANTERN_PORTAL_KEYSTORE``), whose linkage
    batches get the objection's tokens.
    """
    if keystore is None:
        raise ConfigError("objections", ["no key store is configured (LANTERN_PORTAL_KEYSTORE)"])
    normalised = objectors.normalise_one(checked.identifiers)
    loaded = agreements_mod.all_agreements(session)
    tokens: dict[str, dict[str, str]] = {}
    for project, release in active_releases(session, keystore, today, loaded):
        secret = release_secret(keystore, project, release)
        found = objection_tokens(normalised, secret, release)
        if found:
            tokens[f"{project}/{release}"] = found
    matches = objectors.match_tokens_one(normalised, objectors.match_key())
    # lists loaded before the register kept identifiers carry tokens under the data key
    legacy = (
        objectors.match_tokens_one(normalised, objectors.legacy_match_key(data_key))
        if data_key
        else []
    )
    fingerprint = objectors.fingerprint(normalised)
    reference = new_reference()
    objectors.serialise(session)  # no import may interleave with this objection
    existing = session.scalar(select(Objection).where(Objection.fingerprint == fingerprint))
    if existing is None:
        session.add(
            Objection(
                reference=reference,
                tokens=tokens,
                match_tokens=None,
                fingerprint=fingerprint,
                sealed=objectors.seal(reference, normalised),
            )
        )
    else:  # the same person again: one record, newer batches' tokens merged in
        existing.tokens = {**existing.tokens, **tokens}
    removed = objectors.remove_matching_households(session, [*matches, *legacy])
    audit_db.record(
        session,
        "objection.received",
        reference=reference,
        duplicate_of=existing.reference if existing is not None else None,
        routes=checked.routes,
        projects=sorted({k.partition("/")[0] for k in tokens}),
        households_removed=removed,
    )
    active = sorted(a.id for a in loaded if a.is_active(today))
    titles = {a.id: a.title for a in loaded}
    return Receipt(reference, checked.routes, active, lists_checked=bool(matches), titles=titles)


def export_register(
    session: Session, project: str, path: Path, keystore: KeyStore
) -> objectors.Exported:
    """Put every objection into ``project``'s linkage objection register at ``path`` (the token
    list; the encrypted register beside it), re-tokenised for every batch ``keystore`` holds.

    Objections recorded before identifiers were kept reach only the batches they were
    tokenised for; their tokens are added to the list for those batches.
    """
    exported = objectors.export_to_register(session, project, path, keystore.root)
    legacy = [
        (release, key, token)
        for found in session.scalars(select(Objection.tokens).where(Objection.sealed.is_(None)))
        for name, per_key in (found or {}).items()
        if name.partition("/")[0] == project
        for release in [name.partition("/")[2]]
        for key, token in sorted(per_key.items())
    ]
    if legacy:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], [tuple(r) for r in rows[1:]]
        merged = body + [r for r in legacy if r not in set(body)]
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header or list(REGISTER_COLUMNS))
            writer.writerows(merged)
        tmp.replace(path)
    return exported
