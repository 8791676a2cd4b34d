"""Files at rest: AES-256-GCM over Parquet bytes, bound to what the file is.

Layout: ``LNTN1`` magic, 12-byte nonce, then ciphertext with its 16-byte tag. The associated
data is the file's label (e.g. ``release/partner/tokens``), so a file cannot be swapped for
another undetected.
"""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

import pandas as pd
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lantern.errors import IntegrityError

MAGIC = b"LNTN1"


def encrypt(key: bytes, plaintext: bytes, label: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, label.encode())


def decrypt(key: bytes, blob: bytes, label: str, *, file: str = "") -> bytes:
    if not blob.startswith(MAGIC):
        raise IntegrityError(f"{file or 'data'}: not a Lantern encrypted file")
    nonce, body = blob[len(MAGIC) : len(MAGIC) + 12], blob[len(MAGIC) + 12 :]
    try:
        return AESGCM(key).decrypt(nonce, body, label.encode())
    except InvalidTag as exc:
        raise IntegrityError(
            f"{file or 'data'}: cannot be decrypted as {label!r} (wrong key, wrong file, or altered)"
        ) from exc


def write_frame(frame: pd.DataFrame, path: str | Path, key: bytes, label: str) -> bytes:
    """Write a frame as encrypted Parquet; return the bytes written (for checksums)."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    blob = encrypt(key, buf.getvalue(), label)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)
    return blob


def read_frame(path: str | Path, key: bytes, label: str) -> pd.DataFrame:
    blob = Path(path).read_bytes()
    return pd.read_parquet(io.BytesIO(decrypt(key, blob, label, file=str(path))))
