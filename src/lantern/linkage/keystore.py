"""Per-project, per-release secrets, kept in a key folder apart from any data.

Each release has a ``token_secret`` (partners only: makes tokens) and a ``storage_key``
(partners and the linkage hub: AES-256-GCM for files at rest). ``export_for_hub`` writes a
key file without the token secret. ``destroy`` overwrites and removes a key file so tokens of
that release can never be reproduced and its encrypted files never read.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lantern.errors import GovernanceError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, repr=False)
class ReleaseKeys:
    project: str
    release: str
    storage_key: bytes
    token_secret: bytes | None = None

    def __repr__(self) -> str:  # never show key material
        return f"ReleaseKeys(project={self.project!r}, release={self.release!r})"

    def require_token_secret(self) -> bytes:
        if self.token_secret is None:
            raise GovernanceError(
                f"the key file for {self.project}/{self.release} holds no token secret "
                "(hub key files cannot make tokens); use the partner key file"
            )
        return self.token_secret


def _check_name(label: str, value: str) -> None:
    if not _NAME.match(value):
        raise GovernanceError(f"{label} {value!r} may use only letters, digits, '.', '_' and '-'")


class KeyStore:
    """A folder of key files, one per project release: ``<root>/<project>/<release>.key``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, project: str, release: str) -> Path:
        _check_name("project", project)
        _check_name("release", release)
        return self.root / project / f"{release}.key"

    def create(self, project: str, release: str) -> ReleaseKeys:
        path = self.path(project, release)
        if path.exists():
            raise GovernanceError(
                f"keys for {project}/{release} already exist; use a new release id"
            )
        keys = ReleaseKeys(project, release, secrets.token_bytes(32), secrets.token_bytes(32))
        self._write(path, keys)
        return keys

    def _write(self, path: Path, keys: ReleaseKeys) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "project": keys.project,
            "release": keys.release,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "storage_key": base64.b64encode(keys.storage_key).decode(),
        }
        if keys.token_secret is not None:
            body["token_secret"] = base64.b64encode(keys.token_secret).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh)

    def load(self, project: str, release: str) -> ReleaseKeys:
        path = self.path(project, release)
        if not path.exists():
            raise GovernanceError(
                f"no keys for {project}/{release} in {self.root} (never created, or destroyed by retention)"
            )
        body = json.loads(path.read_text("utf-8"))
        secret = body.get("token_secret")
        return ReleaseKeys(
            project,
            release,
            base64.b64decode(body["storage_key"]),
            base64.b64decode(secret) if secret else None,
        )

    def export_for_hub(self, project: str, release: str, hub_root: str | Path) -> Path:
        """Copy the storage key only (no token secret) into the hub's key folder."""
        keys = self.load(project, release)
        hub = KeyStore(hub_root)
        path = hub.path(project, release)
        if not path.exists():
            hub._write(path, ReleaseKeys(project, release, keys.storage_key))
        return path

    def releases(self) -> list[tuple[str, str]]:
        if not self.root.exists():
            return []
        return sorted((p.parent.name, p.stem) for p in self.root.glob("*/*.key"))

    def destroy(self, project: str, release: str) -> bool:
        """Overwrite the key file with random bytes, then remove it; True if one existed."""
        path = self.path(project, release)
        if not path.exists():
            return False
        size = path.stat().st_size
        with path.open("r+b") as fh:
            fh.write(secrets.token_bytes(max(size, 64)))
            fh.flush()
            os.fsync(fh.fileno())
        path.unlink()
        return True
