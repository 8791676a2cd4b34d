"""This machine's own key store (``$LANTERN_KEYS``, default ``~/.lantern/keys``).

It holds the audit keys of logs that belong to no linkage project (warehouse runs, two-person
release reviews, the portal), and remembers the other key stores created on this machine so that
``lantern audit verify`` finds the key a log was written under without being told where it is.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

LOCAL_PROJECT = "lantern-local"
PORTAL_PROJECT = "lantern-portal"
_KNOWN = "known-stores.json"


def local_root() -> Path:
    env = os.environ.get("LANTERN_KEYS")
    return Path(env) if env else Path.home() / ".lantern" / "keys"


def local_store():  # noqa: ANN201 - avoids an import cycle in the annotation
    from lantern.keys.store import KeyStore

    return KeyStore(local_root())


def remember_store(root: Path) -> None:
    """Note a key store's path in this machine's store (paths only, never keys)."""
    local = local_root()
    resolved = str(Path(root).resolve())
    if Path(resolved) == local.resolve():
        return
    path = local / _KNOWN
    try:
        known = json.loads(path.read_text("utf-8")) if path.exists() else []
    except (OSError, ValueError):
        known = []
    if resolved in known:
        return
    known.append(resolved)
    try:
        local.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_KNOWN}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known), "utf-8")
        os.replace(tmp, path)
    except OSError:
        return  # remembering is a convenience; verification can always be told --keys


def known_stores() -> list[Path]:
    """This machine's store first, then every key store created here that still exists."""
    out = [local_root()]
    path = local_root() / _KNOWN
    if path.exists():
        with contextlib.suppress(OSError, ValueError):
            out += [Path(p) for p in json.loads(path.read_text("utf-8"))]
    return [p for p in out if p.exists()]
