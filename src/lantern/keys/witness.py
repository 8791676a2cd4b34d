"""A second party countersigns audit-log heads (Ed25519), so the log's own key cannot rewrite it.

The witness (the portal's operator, or whoever runs the transparency register) keeps an Ed25519
private key in its own key store. ``anchor`` signs ``{log, entries, head, time}`` for a log's
current head; the anchor is appended to ``<log>.anchors`` and published (the register lists
them). ``check_anchors`` proves every anchor lies on the chain: rebuilding the log, even with the
audit key, breaks every anchor made after the first rewritten entry unless the witness signs the
forgery too. The witness's public key is published, and verifiers pin it (``--witness``).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lantern.errors import InputError, IntegrityError
from lantern.keys.store import KeyStore

WITNESS_PROJECT = "lantern-witness"


def _canonical(record: dict[str, Any]) -> bytes:
    from lantern.audit import canonical

    return canonical(record).encode("utf-8")


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def witness_key(store: KeyStore) -> Ed25519PrivateKey:
    """The witness's signing key in its key store (made on first use)."""
    return Ed25519PrivateKey.from_private_bytes(store.secret(WITNESS_PROJECT, "witness"))


def public_pem(store: KeyStore) -> bytes:
    return (
        witness_key(store)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def load_public(path: str | Path) -> Ed25519PublicKey:
    path = Path(path)
    if not path.exists():
        raise InputError("witness public key not found", file=path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except ValueError as exc:
        raise InputError("not a PEM public key", file=path) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("not an Ed25519 public key", file=path)
    return key


def sign_anchor(store: KeyStore, *, log: str, entries: int, head: str) -> dict[str, Any]:
    """A countersigned statement that the log ``log`` had ``entries`` entries ending at ``head``."""
    key = witness_key(store)
    statement = {
        "log": log,
        "entries": entries,
        "head": head,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "witness": fingerprint(key.public_key()),
        "public_key": base64.b64encode(
            key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ).decode("ascii"),
    }
    signature = key.sign(_canonical(statement))
    return {**statement, "signature": base64.b64encode(signature).decode("ascii")}


def check_anchors(
    anchors: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    where: str,
    *,
    witness: Ed25519PublicKey | None = None,
) -> int:
    """Every anchor is signed and lies on the chain; with ``witness``, at least one is its own."""
    log_id = entries[0]["hash"] if entries else ""
    own = 0
    for n, anchor in enumerate(anchors, start=1):
        statement = {k: v for k, v in anchor.items() if k != "signature"}
        try:
            raw = base64.b64decode(anchor["public_key"])
            public = Ed25519PublicKey.from_public_bytes(raw)
            public.verify(base64.b64decode(anchor["signature"]), _canonical(statement))
        except (KeyError, ValueError, InvalidSignature) as exc:
            raise IntegrityError(f"{where}: anchor {n} does not carry a valid signature") from exc
        if fingerprint(public) != anchor.get("witness"):
            raise IntegrityError(f"{where}: anchor {n} names another witness than its key")
        count = anchor.get("entries")
        if anchor.get("log") != log_id:
            raise IntegrityError(
                f"{where}: anchor {n} was made for another log, or entry 0 was rewritten"
            )
        if not isinstance(count, int) or count < 1 or count > len(entries):
            raise IntegrityError(
                f"{where}: anchor {n} countersigned {count} entries but the log holds "
                f"{len(entries)} (entries removed after they were anchored)"
            )
        if entries[count - 1].get("hash") != anchor.get("head"):
            raise IntegrityError(
                f"{where}: anchor {n} countersigned a different entry {count - 1} (the log was "
                "rewritten after the witness signed its head)"
            )
        if witness is not None and fingerprint(public) == fingerprint(witness):
            own += 1
    if witness is not None and not own:
        raise IntegrityError(
            f"{where}: no anchor countersigned by witness {fingerprint(witness)} (anchors missing "
            "or removed)"
        )
    return len(anchors)
