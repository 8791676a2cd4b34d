"""Lantern files (``.lnt``): AES-256-GCM over Parquet bytes, with a readable, authenticated header.

Layout: ``LNTN2``, a 4-byte big-endian header length, the header (canonical JSON: ``label``
such as ``<batch>/<partner>/tokens``, and what the file is — project, batch, agreement,
purpose), a 12-byte nonce, then the ciphertext with its tag. The associated data is the magic
and the header, so a file cannot be relabelled (another batch, party, kind or purpose) or
swapped for another undetected, and anyone can read the header without a key (``lantern show``,
retention) while only the key holder reads the rows. Files of the first layout (``LNTN1``, label
as associated data, no header) are still read.
"""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path
from typing import Any

import pandas as pd

from lantern.errors import GovernanceError, IntegrityError
from lantern.keys import aead

MAGIC = b"LNTN2"
MAGIC_V1 = b"LNTN1"
_LEN = struct.Struct(">I")


def _header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def encrypt(key: bytes, plaintext: bytes, label: str, meta: dict[str, Any] | None = None) -> bytes:
    header = _header_bytes({**(meta or {}), "label": label})
    nonce, body = aead.seal(key, plaintext, MAGIC + header)
    return MAGIC + _LEN.pack(len(header)) + header + nonce + body


def parse(blob: bytes, *, file: str = "") -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """``(header, associated data, nonce, ciphertext)`` of a Lantern file; no key needed."""
    what = file or "data"
    if blob.startswith(MAGIC_V1):
        rest = blob[len(MAGIC_V1) :]
        return {}, b"", rest[:12], rest[12:]
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise IntegrityError(f"{what}: not a Lantern encrypted file")
    (n,) = _LEN.unpack_from(blob, len(MAGIC))
    start = len(MAGIC) + 4
    raw = blob[start : start + n]
    try:
        header = json.loads(raw)
    except ValueError as exc:
        raise IntegrityError(f"{what}: its header is damaged") from exc
    rest = blob[start + n :]
    return header, MAGIC + raw, rest[:12], rest[12:]


def read_header(path: str | Path) -> dict[str, Any]:
    """What a Lantern file says it is (project, batch, kind, purpose, …), without decrypting it."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(len(MAGIC) + 4)
        if head.startswith(MAGIC_V1):
            return {}
        if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 4:
            raise IntegrityError(f"{path}: not a Lantern encrypted file")
        (n,) = _LEN.unpack_from(head, len(MAGIC))
        try:
            return json.loads(fh.read(n))
        except ValueError as exc:
            raise IntegrityError(f"{path}: its header is damaged") from exc


def decrypt(
    key: bytes, blob: bytes, label: str, *, file: str = "", purpose: str | None = None
) -> bytes:
    header, aad, nonce, body = parse(blob, file=file)
    what = file or "data"
    if not header:  # first layout: the label is the associated data
        return aead.unseal(key, nonce, body, label.encode(), what=f"{what} as {label!r}")
    if header.get("label") != label:
        raise IntegrityError(f"{what}: holds {header.get('label')!r}, not {label!r}")
    if purpose is not None and header.get("purpose") not in (None, purpose):
        raise GovernanceError(
            f"{what} was made for purpose {header['purpose']!r}; it cannot be used for {purpose!r}"
        )
    return aead.unseal(key, nonce, body, aad, what=f"{what} as {label!r}")


def write_frame(
    frame: pd.DataFrame,
    path: str | Path,
    key: bytes,
    label: str,
    meta: dict[str, Any] | None = None,
) -> bytes:
    """Write a frame as encrypted Parquet (atomically); return the bytes written."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    blob = encrypt(key, buf.getvalue(), label, meta)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)
    return blob


def read_frame(
    path: str | Path, key: bytes, label: str, *, purpose: str | None = None
) -> pd.DataFrame:
    blob = Path(path).read_bytes()
    plain = decrypt(key, blob, label, file=str(path), purpose=purpose)
    return pd.read_parquet(io.BytesIO(plain))


def open_any(path: str | Path, keys: list[bytes]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Decrypt a file with whichever of ``keys`` opens it; ``IntegrityError`` if none does."""
    blob = Path(path).read_bytes()
    header, aad, nonce, body = parse(blob, file=str(path))
    if not header:
        raise IntegrityError(f"{path}: a first-layout file; read it with its label")
    for key in keys:
        try:
            plain = aead.unseal(key, nonce, body, aad, what=str(path))
        except IntegrityError:
            continue
        return header, pd.read_parquet(io.BytesIO(plain))
    raise IntegrityError(
        f"{path}: none of the keys given opens it (another batch, or its keys were destroyed)"
    )
