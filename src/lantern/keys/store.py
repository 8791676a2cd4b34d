"""Key stores: one folder per party holding, for each project, a key-encryption key (KEK), the
wrapped data keys of every linkage batch, and the project's audit key.

Layout (``<root>/<project>/``):

- ``project.kek``: the project's 256-bit KEK (mode 0600). Every other key is stored wrapped
  (AES-256-GCM) under it and bound to its owner (``project/batch/name``).
- ``<batch>.key``: one linkage batch — its ``storage_key`` (AES-256-GCM for files at rest;
  partners and the hub) and ``token_secret`` (HMAC tokens; partners only), wrapped, plus the
  agreement and retention date it was made under.
- ``audit.secret``: the HMAC-SHA256 key that authenticates the project's audit logs, wrapped.
- ``project.json``: the project's declared data roots (the only places retention deletes from).

``destroy`` is crypto-shredding: it overwrites and removes the batch's key file, then replaces
the KEK and re-wraps what remains, so a stray copy of the destroyed key file can no longer be
unwrapped either. Other batches stay readable. A ``LANTERN-KEYSTORE`` marker at the root lets
every writer refuse to put data beside keys (``lantern.keys.placement``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lantern.errors import GovernanceError, IntegrityError
from lantern.keys import aead
from lantern.keys.placement import KEYSTORE_MARKER, require_keystore_location

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
KEK_FILE = "project.kek"
SECRET_SUFFIX = ".secret"
PROJECT_FILE = "project.json"
FORMAT = 2


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _check_name(label: str, value: str) -> None:
    if not _NAME.match(value or ""):
        raise GovernanceError(f"{label} {value!r} may use only letters, digits, '.', '_' and '-'")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, repr=False)
class AuditKey:
    """The HMAC-SHA256 key of one project's audit logs; ``key_id`` names it without revealing it."""

    key: bytes
    #: the key store folder it came from: the latest head of every log it writes is kept there
    home: Path | None = field(default=None, compare=False)

    def __repr__(self) -> str:  # never show key material
        return f"AuditKey(id={self.key_id})"

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"lantern/audit-key-id/v1\n" + self.key).hexdigest()[:16]

    def mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, repr=False)
class ReleaseKeys:
    """The keys of one linkage batch as one party holds them (the hub has no token secret)."""

    project: str
    release: str
    storage_key: bytes
    token_secret: bytes | None = None
    audit_key: AuditKey | None = None
    agreement: str | None = None
    retain_until: date | None = None
    store_root: Path | None = None

    def __repr__(self) -> str:  # never show key material
        return f"ReleaseKeys(project={self.project!r}, batch={self.release!r})"

    @property
    def batch(self) -> str:
        return self.release

    def require_token_secret(self) -> bytes:
        if self.token_secret is None:
            raise GovernanceError(
                f"the key file for {self.project}/{self.release} holds no token secret "
                "(hub key files cannot make tokens); use the partner key file"
            )
        return self.token_secret


def _write_private(path: Path, body: dict[str, Any], *, replace: bool = False) -> None:
    """Write a 0600 JSON file: exclusively, or atomically replacing an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_name(path.name + ".new") if replace else path
    if replace and target.exists():
        target.unlink()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(body, fh)
        fh.flush()
        os.fsync(fh.fileno())
    if replace:
        os.replace(target, path)


def shred_file(path: Path) -> None:
    """Overwrite a file with random bytes, flush, then remove it."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.write(secrets.token_bytes(max(size, 64)))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()


class KeyStore:
    """A party's key folder: ``<root>/<project>/{project.kek, <batch>.key, audit.key}``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"KeyStore({str(self.root)!r})"

    # -- layout -------------------------------------------------------------------------------
    def path(self, project: str, release: str) -> Path:
        _check_name("project", project)
        _check_name("batch", release)
        if release == "project":
            raise GovernanceError(f"batch id {release!r} is reserved; choose another")
        return self.root / project / f"{release}.key"

    def _project_dir(self, project: str) -> Path:
        _check_name("project", project)
        return self.root / project

    def _open(self, *, create: bool) -> None:
        """Check the store's place; create its root and marker when asked."""
        require_keystore_location(self.root)
        if not create and self.root.is_dir() and not (self.root / KEYSTORE_MARKER).exists():
            create = True  # a store of the first layout: mark it so data is never written beside it
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
            marker = self.root / KEYSTORE_MARKER
            if not marker.exists():
                marker.write_text(
                    "Lantern key store: secrets. Never copy, send or publish this folder.\n",
                    "utf-8",
                )
            from lantern.keys.local import remember_store

            remember_store(self.root)

    # -- key-encryption key ---------------------------------------------------------------------
    def _kek(self, project: str, *, create: bool) -> bytes:
        path = self._project_dir(project) / KEK_FILE
        if not path.exists():
            if not create:
                raise GovernanceError(
                    f"no key-encryption key for project {project!r} in {self.root} (never "
                    "created here, or the wrong --keys folder)"
                )
            _write_private(path, {"kek": _b64(aead.new_key()), "created": _now()})
        return _unb64(json.loads(path.read_text("utf-8"))["kek"])

    def _wrap_body(self, project: str, kek: bytes, owner: str, keys: dict[str, bytes]) -> dict:
        return {k: _b64(aead.wrap(kek, v, f"{project}/{owner}/{k}")) for k, v in keys.items()}

    def _unwrap_body(self, project: str, kek: bytes, owner: str, wrapped: dict) -> dict[str, bytes]:
        return {
            k: aead.unwrap(kek, _unb64(v), f"{project}/{owner}/{k}") for k, v in wrapped.items()
        }

    # -- linkage batches ----------------------------------------------------------------------
    def create(
        self,
        project: str,
        release: str,
        *,
        agreement: str | None = None,
        retain_until: date | None = None,
    ) -> ReleaseKeys:
        """New random secrets for a batch (the partners' key file)."""
        path = self.path(project, release)
        self._open(create=True)
        if path.exists():
            raise GovernanceError(f"keys for {project}/{release} already exist; use a new batch id")
        keys = ReleaseKeys(
            project, release, aead.new_key(), aead.new_key(), None, agreement, retain_until
        )
        self._write(keys, holder="partner")
        return self.load(project, release)

    def _write(self, keys: ReleaseKeys, *, holder: str, replace: bool = False) -> Path:
        kek = self._kek(keys.project, create=True)
        material = {"storage_key": keys.storage_key}
        if keys.token_secret is not None:
            material["token_secret"] = keys.token_secret
        body = {
            "lantern_keys": FORMAT,
            "project": keys.project,
            "batch": keys.release,
            "holder": holder,
            "agreement": keys.agreement,
            "retain_until": keys.retain_until.isoformat() if keys.retain_until else None,
            "created": _now(),
            "wrapped": self._wrap_body(keys.project, kek, keys.release, material),
        }
        path = self.path(keys.project, keys.release)
        _write_private(path, body, replace=replace)
        return path

    def bind(
        self, project: str, release: str, agreement: str, retain_until: date | None = None
    ) -> None:
        """Record the agreement a batch serves (once) and its retention date (never later)."""
        path = self.path(project, release)
        body = json.loads(path.read_text("utf-8"))
        if body.get("agreement") not in (None, agreement):
            raise GovernanceError(
                f"batch {release} belongs to agreement {body['agreement']}, not {agreement}"
            )
        body["agreement"] = agreement
        if retain_until is not None:
            current = body.get("retain_until")
            chosen = min(date.fromisoformat(current), retain_until) if current else retain_until
            body["retain_until"] = chosen.isoformat()
        _write_private(path, body, replace=True)

    def info(self, project: str, release: str) -> dict[str, Any]:
        """What a batch's key file says about it (no key material)."""
        path = self.path(project, release)
        if not path.exists():
            raise GovernanceError(
                f"no keys for {project}/{release} in {self.root} (never created, or destroyed "
                "by retention)"
            )
        body = json.loads(path.read_text("utf-8"))
        return {
            k: v for k, v in body.items() if k not in ("wrapped", "storage_key", "token_secret")
        }

    def load(self, project: str, release: str) -> ReleaseKeys:
        path = self.path(project, release)
        self._open(create=False)
        info = self.info(project, release)
        body = json.loads(path.read_text("utf-8"))
        if "wrapped" in body:
            material = self._unwrap_body(
                project, self._kek(project, create=False), release, body["wrapped"]
            )
        else:  # a key file of the first layout, not yet wrapped
            material = {k: _unb64(body[k]) for k in ("storage_key", "token_secret") if body.get(k)}
        until = info.get("retain_until")
        return ReleaseKeys(
            project,
            release,
            material["storage_key"],
            material.get("token_secret"),
            self.audit_key(project),
            info.get("agreement"),
            date.fromisoformat(until) if until else None,
            self.root.resolve(),
        )

    def export_for_hub(self, project: str, release: str, hub_root: str | Path) -> Path:
        """Copy the storage key only (no token secret) into the hub's key store."""
        keys = self.load(project, release)
        hub = KeyStore(hub_root)
        if hub.root.resolve() == self.root.resolve():
            raise GovernanceError("the hub's key store must be a different folder")
        path = hub.path(project, release)
        hub._open(create=True)
        if not path.exists():
            hub._write(
                ReleaseKeys(
                    project,
                    release,
                    keys.storage_key,
                    None,
                    None,
                    keys.agreement,
                    keys.retain_until,
                ),  # fmt: skip
                holder="hub",
            )
        return path

    def releases(self) -> list[tuple[str, str]]:
        """``(project, batch)`` of every batch key file held."""
        if not self.root.exists():
            return []
        return sorted((p.parent.name, p.stem) for p in self.root.glob("*/*.key"))

    def projects(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{KEK_FILE}"))

    def destroy(self, project: str, release: str) -> bool:
        """Shred one batch's keys here, then replace the KEK; True if the batch was held."""
        path = self.path(project, release)
        if not path.exists():
            return False
        shred_file(path)
        self.rotate_kek(project)
        return True

    def rotate_kek(self, project: str) -> None:
        """A new KEK; every remaining key re-wrapped under it; the old KEK shredded."""
        kek_path = self._project_dir(project) / KEK_FILE
        if not kek_path.exists():
            return
        old = self._kek(project, create=False)
        new = aead.new_key()
        rewrapped: list[tuple[Path, dict]] = []
        for proj, release in self.releases():
            if proj != project:
                continue
            path = self.path(project, release)
            body = json.loads(path.read_text("utf-8"))
            if "wrapped" in body:
                material = self._unwrap_body(project, old, release, body["wrapped"])
                body["wrapped"] = self._wrap_body(project, new, release, material)
                rewrapped.append((path, body))
        for secret_path in sorted(self._project_dir(project).glob(f"*{SECRET_SUFFIX}")):
            body = json.loads(secret_path.read_text("utf-8"))
            material = self._unwrap_body(project, old, body["name"], body["wrapped"])
            body["wrapped"] = self._wrap_body(project, new, body["name"], material)
            rewrapped.append((secret_path, body))
        staged = kek_path.with_name(KEK_FILE + ".next")
        if staged.exists():
            staged.unlink()
        _write_private(staged, {"kek": _b64(new), "created": _now()})
        for path, body in rewrapped:
            _write_private(path, body, replace=True)
        shred_file(kek_path)
        os.replace(staged, kek_path)

    # -- named secrets (audit key, witness key) ----------------------------------------------
    def secret(self, project: str, name: str, *, create: bool = True, size: int = 32) -> bytes:
        """A named random secret of the project, wrapped under the KEK (made on first use)."""
        _check_name("secret", name)
        path = self._project_dir(project) / f"{name}{SECRET_SUFFIX}"
        if not path.exists():
            if not create:
                raise GovernanceError(f"no {name} key for project {project!r} in {self.root}")
            self._open(create=True)
            kek = self._kek(project, create=True)
            body = {
                "lantern_keys": FORMAT,
                "project": project,
                "name": name,
                "created": _now(),
                "wrapped": self._wrap_body(project, kek, name, {"key": secrets.token_bytes(size)}),
            }
            with contextlib.suppress(FileExistsError):  # made meanwhile elsewhere: use that one
                _write_private(path, body)
        body = json.loads(path.read_text("utf-8"))
        kek = self._kek(project, create=False)
        return self._unwrap_body(project, kek, name, body["wrapped"])["key"]

    def audit_key(self, project: str, *, create: bool = True) -> AuditKey:
        """The project's audit key here (made on first use)."""
        return AuditKey(self.secret(project, "audit", create=create), self._project_dir(project))

    def audit_keys(self) -> Iterator[AuditKey]:
        for project in self.projects():
            if (self._project_dir(project) / f"audit{SECRET_SUFFIX}").exists():
                try:
                    yield self.audit_key(project, create=False)
                except IntegrityError:
                    continue

    # -- declared data roots ------------------------------------------------------------------
    def data_roots(self, project: str) -> list[Path]:
        path = self._project_dir(project) / PROJECT_FILE
        if not path.exists():
            return []
        return [Path(p) for p in json.loads(path.read_text("utf-8")).get("data_roots", [])]

    def declare_data_roots(self, project: str, roots: list[str | Path]) -> list[Path]:
        """Add folders where this party keeps the project's data (retention deletes only there)."""
        self._open(create=True)
        current = {str(p) for p in self.data_roots(project)}
        for root in roots:
            resolved = Path(root).resolve()
            if resolved == Path(resolved.anchor):
                raise GovernanceError(f"{root}: a whole file system cannot be a data root")
            if resolved == self.root.resolve() or self.root.resolve() in resolved.parents:
                raise GovernanceError(f"{root}: a data root cannot lie inside the key store")
            current.add(str(resolved))
        path = self._project_dir(project) / PROJECT_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"project": project, "data_roots": sorted(current)}), "utf-8")
        os.replace(tmp, path)
        return [Path(p) for p in sorted(current)]

    # -- for proofs ---------------------------------------------------------------------------
    def every_key(self) -> list[bytes]:
        """Every key held here, unwrapped (tests prove shredding against all of them)."""
        out: list[bytes] = []
        for project in self.projects():
            out.append(self._kek(project, create=False))
            for proj, release in self.releases():
                if proj == project:
                    k = self.load(project, release)
                    out += [k.storage_key] + ([k.token_secret] if k.token_secret else [])
            for path in sorted(self._project_dir(project).glob(f"*{SECRET_SUFFIX}")):
                out.append(self.secret(project, path.name[: -len(SECRET_SUFFIX)], create=False))
        return out
