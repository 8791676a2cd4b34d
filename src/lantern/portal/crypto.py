"""Encryption at rest for household contact details (AES-256-GCM from ``lantern.keys.aead``).

The associated data binds each ciphertext to its household reference and agreement, so a
ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from lantern.errors import IntegrityError
from lantern.keys import aead


def new_key() -> str:
    """A fresh base64 AES-256 key for ``LANTERN_PORTAL_DATA_KEY``."""
    return base64.b64encode(aead.new_key()).decode("ascii")


def _aad(reference: str, agreement_id: str) -> bytes:
    return f"{agreement_id}\x1f{reference}".encode()


def seal(
    key: bytes, reference: str, agreement_id: str, contact: dict[str, Any]
) -> tuple[bytes, bytes]:
    """Encrypt a contact record; returns ``(nonce, ciphertext)``."""
    plaintext = json.dumps(contact, sort_keys=True).encode("utf-8")
    return aead.seal(key, plaintext, _aad(reference, agreement_id))


def unseal(
    key: bytes, reference: str, agreement_id: str, nonce: bytes, ciphertext: bytes
) -> dict[str, Any]:
    try:
        plaintext = aead.unseal(
            key, nonce, ciphertext, _aad(reference, agreement_id), what=f"household {reference}"
        )
    except IntegrityError as exc:
        raise IntegrityError(
            f"household {reference}: contact details do not decrypt (wrong key or altered row)"
        ) from exc
    return json.loads(plaintext)
