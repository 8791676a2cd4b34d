"""Batch manifests bind what a partner's files are for: agreement, batch and purpose.

A partner's ``<partner>.manifest.json`` is authenticated with HMAC-SHA256 under a key derived
from the batch's storage key (which the partner and the hub hold, and nobody else), and the same
purpose is written into the authenticated header of every encrypted file. Every later step
(``link``, ``cohort count``) names its purpose and is refused, naming both purposes, when it
differs from the one the data was pseudonymised for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lantern.errors import GovernanceError, IntegrityError

MAC_FIELD = "mac"


def _key(storage_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"lantern/manifest/v1"
    ).derive(storage_key)


def _mac(manifest: dict[str, Any], storage_key: bytes) -> str:
    body = {k: v for k, v in manifest.items() if k != MAC_FIELD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(_key(storage_key), text.encode("utf-8"), hashlib.sha256).hexdigest()


def seal_manifest(manifest: dict[str, Any], storage_key: bytes) -> dict[str, Any]:
    """The manifest with its MAC."""
    return {**manifest, MAC_FIELD: _mac(manifest, storage_key)}


def require_purpose_match(made_for: str | None, purpose: str, what: str) -> None:
    """Refuse to use data made for one purpose under another, naming both."""
    if made_for is None:
        raise GovernanceError(
            f"{what} does not say which purpose it was made for (made by an older version): "
            "pseudonymise again"
        )
    if made_for != purpose:
        raise GovernanceError(
            f"{what} was pseudonymised for purpose {made_for!r}; it cannot be used for "
            f"{purpose!r}. Run under {made_for!r}, or pseudonymise again for {purpose!r} if the "
            "agreement permits it"
        )


def check_manifest(
    manifest: dict[str, Any],
    path: str | Path,
    *,
    agreement_id: str,
    release: str,
    purpose: str | None = None,
    storage_key: bytes | None = None,
) -> None:
    """Authenticate a partner manifest, then refuse another agreement, batch or purpose."""
    if storage_key is not None:
        mac = manifest.get(MAC_FIELD)
        if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(manifest, storage_key)):
            raise IntegrityError(
                f"{path}: manifest altered, or not made with this batch's keys (its MAC does not "
                "match)"
            )
    if manifest.get("agreement") != agreement_id:
        raise GovernanceError(
            f"{path}: made under agreement {manifest.get('agreement')!r}, not {agreement_id}"
        )
    if manifest.get("release") != release:
        raise GovernanceError(
            f"{path}: batch {manifest.get('release')!r} does not match the keys' {release!r}"
        )
    if purpose is not None:
        require_purpose_match(manifest.get("purpose"), purpose, str(path))
