"""AES-256-GCM, the one authenticated cipher Lantern uses for data at rest and for wrapping keys.

Every ciphertext is bound to associated data naming what it is (a file label, a household
reference, a wrapped key's owner), so a ciphertext moved to another place does not decrypt.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lantern.errors import IntegrityError

KEY_BYTES = 32
NONCE_BYTES = 12


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt; returns ``(nonce, ciphertext with its 16-byte tag)``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes, *, what: str) -> bytes:
    """Decrypt and authenticate; ``IntegrityError`` naming ``what`` if the key, place or bytes differ."""
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError) as exc:
        raise IntegrityError(
            f"{what}: cannot be decrypted (wrong key, moved from its place, altered, or its key "
            "was destroyed)"
        ) from exc


def seal_blob(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """``nonce || ciphertext`` in one byte string."""
    nonce, body = seal(key, plaintext, aad)
    return nonce + body


def unseal_blob(key: bytes, blob: bytes, aad: bytes, *, what: str) -> bytes:
    return unseal(key, blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad, what=what)


def wrap(kek: bytes, key: bytes, owner: str) -> bytes:
    """Wrap a data key under a key-encryption key, bound to its owner (e.g. ``project/release/name``)."""
    return seal_blob(kek, key, f"lantern/wrap/v1/{owner}".encode())


def unwrap(kek: bytes, wrapped: bytes, owner: str) -> bytes:
    return unseal_blob(kek, wrapped, f"lantern/wrap/v1/{owner}".encode(), what=f"key {owner}")
