"""The portal's objection register: every objector's identifiers, encrypted, re-tokenised for
every list and every batch that needs them, now and later.

An objection must reach household lists loaded after it, and linkage batches whose keys do not
exist yet when the resident objects; tokens made at the time cannot do that. So the register
keeps each objector's *normalised* identifiers (``lantern.governance.objections``'s
normalisation), AES-256-GCM encrypted under the register's own key (``objection-register`` of
the portal project in this machine's key store, ``$LANTERN_KEYS``), and turns them into tokens
whenever they are needed:

* **household lists**: every household file's identifier columns become match tokens under a
  key derived from the register key (``match_key``), never from the data key, so replacing the
  data key changes nothing; every import re-tokenises every objector and leaves matches out, and
  a new objection removes matching households from every loaded list at once;
* **linkage batches**: ``export_to_register`` writes every objector into a project's linkage
  objection register (``lantern.governance.objections.ObjectionRegister``), which re-tokenises
  them for every batch of the project, including batches created later.

Lists loaded and objections made before identifiers were kept carry tokens under a key derived
from the data key of the time (``legacy_match_key``); they are still matched both ways.
Identifiers never leave this module in clear: not in the database, the audit log, or errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from lantern.governance.objections import KINDS, normalise_objectors
from lantern.keys import aead
from lantern.linkage.normalise import NORMALISERS
from lantern.linkage.tokens import Tokeniser, cached_tokeniser, composite_texts, composite_tokens
from lantern.portal.models import ContactOutcome, Household, HouseholdMatch, Objection

SECRET = "objection-register"
MATCH_RELEASE = "portal-objection-match"
_PG_LOCK_KEY = 0x0B1EC7
_KEYS: dict[str, bytes] = {}


def register_key() -> bytes:
    """The register's own key, in this machine's key store (made on first use)."""
    from lantern.keys.local import PORTAL_PROJECT, local_root, local_store

    root = str(local_root())
    if root not in _KEYS:
        _KEYS[root] = local_store().secret(PORTAL_PROJECT, SECRET)
    return _KEYS[root]


@lru_cache(maxsize=64)
def _derive(key: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 of ``key`` for one purpose (kept: every objection needs the same few)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def match_key() -> bytes:
    """The household match-token key (HKDF-SHA256 of the register key)."""
    return _derive(register_key(), b"lantern/portal/household-match/v2")


def legacy_match_key(data_key: bytes) -> bytes:
    """The match-token key of lists loaded before the register kept identifiers."""
    return _derive(data_key, b"lantern/portal/objection-match/v1")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


# -- normalised identifiers -------------------------------------------------------------------
def normalise(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per person: normalised ``KINDS`` (None where absent or unusable).

    Columns must be named by their kind; other columns are ignored."""
    mapping = {c: c for c in rows.columns if c in KINDS}
    return normalise_objectors(rows.reset_index(drop=True).astype(object), mapping)


def normalise_one(identifiers: Mapping[str, object]) -> dict[str, str | None]:
    """``normalise`` for one person, without building a frame (the same values)."""
    out: dict[str, str | None] = {}
    for kind in KINDS:
        value = identifiers.get(kind)
        missing = value is None or (not isinstance(value, str) and bool(pd.isna(value)))
        out[kind] = None if missing else NORMALISERS[kind](value)
    return out


def token_frame(normalised: pd.DataFrame, secret: bytes, release: str) -> pd.DataFrame:
    """Per person, every objection token the identifiers form (NHS number, name and date of
    birth, and the tolerant composites), as hex; None where a token cannot be formed."""
    tk = Tokeniser(secret, release=release)
    frame = normalised[list(KINDS)].reset_index(drop=True).astype(object)
    out = {"nhs_number": tk.token_series("nhs_number", frame["nhs_number"])}
    names = {k: frame[k] for k in KINDS if k != "nhs_number"}
    out.update(composite_tokens(tk, names))
    return pd.DataFrame(out, index=frame.index)


def match_tokens(normalised: pd.DataFrame, key: bytes) -> list[list[str]]:
    """Each person's household match tokens under ``key`` (unpadded base64url)."""
    tokens = token_frame(normalised, key, MATCH_RELEASE)
    out: list[list[str]] = []
    for row in tokens.itertuples(index=False):
        out.append(sorted({_b64(bytes.fromhex(t)) for t in row if isinstance(t, str)}))
    return out


def match_tokens_one(normalised: Mapping[str, str | None], key: bytes) -> list[str]:
    """``match_tokens`` for one person's normalised identifiers, without building a frame."""
    tk = cached_tokeniser(key, MATCH_RELEASE)
    texts = {"nhs_number": normalised.get("nhs_number"), **composite_texts(normalised)}
    tokens = (tk.token(domain, text) for domain, text in texts.items())
    return sorted({_b64(bytes.fromhex(t)) for t in tokens if t is not None})


# -- the encrypted register -------------------------------------------------------------------
def _aad(reference: str) -> bytes:
    return f"lantern/portal/objector/v1\x1f{reference}".encode()


def seal(reference: str, normalised: Mapping[str, str | None]) -> bytes:
    body = json.dumps({k: normalised.get(k) for k in KINDS}, sort_keys=True).encode()
    return aead.seal_blob(
        _derive(register_key(), b"lantern/portal/objector-seal/v1"), body, _aad(reference)
    )


def unseal(reference: str, blob: bytes) -> dict[str, str | None]:
    body = aead.unseal_blob(
        _derive(register_key(), b"lantern/portal/objector-seal/v1"),
        blob,
        _aad(reference),
        what=f"objection {reference}",
    )
    return json.loads(body)


def fingerprint(normalised: Mapping[str, str | None]) -> str:
    """A keyed digest of the normalised identifiers: the same person objecting twice with the
    same details is stored once, and the digest cannot be guessed from a name without the key."""
    canonical = json.dumps({k: normalised.get(k) for k in KINDS}, sort_keys=True)
    key = _derive(register_key(), b"lantern/portal/objector-fingerprint/v1")
    return _b64(hmac.new(key, canonical.encode(), hashlib.sha256).digest())


def objectors(session: Session) -> pd.DataFrame:
    """Every objector in the register: ``reference``, ``received`` and the normalised ``KINDS``."""
    rows = session.execute(
        select(Objection.reference, Objection.received_at, Objection.sealed)
        .where(Objection.sealed.is_not(None))
        .order_by(Objection.id)
    ).all()
    records = [
        {"reference": ref, "received": at.date().isoformat(), **unseal(ref, blob)}
        for ref, at, blob in rows
        if blob is not None
    ]
    return pd.DataFrame(records, columns=["reference", "received", *KINDS], dtype=object)


def objected_match_tokens(session: Session, data_key: bytes | None = None) -> set[str]:
    """Every objector's match tokens, re-tokenised from the register, plus the tokens of
    objections recorded before identifiers were kept. With ``data_key``, also every objector's
    tokens under that key's legacy match key (to reach lists loaded before)."""
    found: set[str] = set()
    frame = objectors(session)
    if len(frame):
        keys = [match_key()] + ([legacy_match_key(data_key)] if data_key else [])
        for key in keys:
            for tokens in match_tokens(frame, key):
                found.update(tokens)
    found |= legacy_objection_tokens(session)
    return found


def legacy_objection_tokens(session: Session) -> set[str]:
    """Match tokens of objections recorded before identifiers were kept (data key of the time)."""
    out: set[str] = set()
    for legacy in session.scalars(select(Objection.match_tokens).where(Objection.sealed.is_(None))):
        out.update(legacy or ())
    return out


# -- applying the register to household lists -------------------------------------------------
def serialise(session: Session) -> None:
    """Hold the register's lock until the transaction ends: an import and an objection never
    interleave, so a household cannot slip onto a list between the two."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    else:
        from lantern.portal.db import take_write_lock

        take_write_lock(session)


def remove_matching_households(session: Session, tokens: Iterable[str]) -> dict[str, int]:
    """Delete every household whose match tokens meet ``tokens``; counts per agreement."""
    tokens = sorted(set(tokens))
    if not tokens:
        return {}
    doomed: set[int] = set()
    for start in range(0, len(tokens), 500):  # bounded IN lists on every backend
        chunk = tokens[start : start + 500]
        doomed.update(
            session.scalars(
                select(HouseholdMatch.household_id).where(HouseholdMatch.token.in_(chunk))
            )
        )
    if not doomed:
        return {}
    ids = sorted(doomed)
    counts: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        for agreement, n in session.execute(
            select(Household.agreement_id, func.count())
            .where(Household.id.in_(batch))
            .group_by(Household.agreement_id)
        ).all():
            counts[str(agreement)] = counts.get(str(agreement), 0) + int(n)
        session.execute(delete(ContactOutcome).where(ContactOutcome.household_id.in_(batch)))
        session.execute(delete(HouseholdMatch).where(HouseholdMatch.household_id.in_(batch)))
        session.execute(delete(Household).where(Household.id.in_(batch)))
    return counts


def sweep(session: Session, data_key: bytes | None = None) -> dict[str, int]:
    """Re-apply the whole register to every loaded list (every purge runs it); counts removed."""
    return remove_matching_households(session, objected_match_tokens(session, data_key))


# -- linkage ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Exported:
    objectors: int
    register_total: int
    batches: list[str]


def export_to_register(
    session: Session, project: str, tokens_path: Path, store_root: Path
) -> Exported:
    """Write every objector into the project's linkage objection register at ``tokens_path``
    (held with ``store_root``'s key store), which re-tokenises them for every batch the store
    holds now and, at pseudonymisation, for every later batch."""
    from lantern.governance.objections import ObjectionRegister
    from lantern.keys.store import KeyStore

    register = ObjectionRegister(tokens_path, KeyStore(store_root), project)
    frame = objectors(session)
    if frame.empty:
        batches = register.write_tokens_for_store()
        return Exported(0, len(register.read()), batches)
    summary = register.add_frame(
        frame[["reference", *KINDS]], {c: c for c in ("reference", *KINDS)}, source="portal"
    )
    return Exported(len(frame), summary.register_total, summary.batches)
