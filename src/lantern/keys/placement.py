"""Keys never travel: a key store and a folder of data to be sent are never one inside the other.

A key store holds a marker file at its root; every folder Lantern writes data into for another
party (a partner's outbox, the hub's output, a disclosure release folder) holds another. Creating
or opening a key store inside, above or equal to such a folder is refused, and so is writing
such a folder inside, above or equal to a key store, so a secret can never be copied, zipped or
uploaded along with the data it protects.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from lantern.errors import GovernanceError

KEYSTORE_MARKER = "LANTERN-KEYSTORE"
DATA_MARKER = ".lantern-data"
#: Files or folders that make a folder a release or outbox even without Lantern's marker.
RELEASE_SIGNS = (DATA_MARKER, "disclosure-policy.json", "disclosure-record.json", ".release")
#: Names that make a folder a key store (the marker, or a project's key-encryption key).
KEY_SIGNS = (KEYSTORE_MARKER, "project.kek")
_SCAN_LIMIT = 20_000


def _is_release(folder: Path) -> bool:
    if any((folder / name).exists() for name in RELEASE_SIGNS):
        return True
    try:
        return any(folder.glob("*.manifest.json"))
    except OSError:
        return False


def _is_keystore(folder: Path, *, any_key_file: bool = False) -> bool:
    """A key store's root or a project folder of one; with ``any_key_file``, also any folder
    holding a Lantern key file (a copy made by hand)."""
    if any((folder / name).exists() for name in KEY_SIGNS):
        return True
    if not any_key_file:
        return False
    try:
        for path in folder.glob("*.key"):
            with path.open("rb") as fh:
                head = fh.read(200)
            if b'"lantern_keys"' in head or b'"storage_key"' in head or b'"token_secret"' in head:
                return True
    except OSError:
        return False
    return False


def _up(path: Path) -> Iterator[Path]:
    yield path
    yield from path.parents


def _down(path: Path) -> Iterator[Path]:
    """Every folder below ``path`` (bounded, so a huge tree cannot stall a run)."""
    if not path.is_dir():
        return
    seen = 0
    for dirpath, dirnames, _ in os.walk(path):
        dirnames[:] = [d for d in dirnames if d != "node_modules"]
        for d in dirnames:
            seen += 1
            if seen > _SCAN_LIMIT:
                return
            yield Path(dirpath) / d


def require_keystore_location(root: str | Path) -> None:
    """Refuse a key store inside, above or equal to a release, outbox or other data folder."""
    root = Path(root).resolve()
    for folder in _up(root):
        if _is_release(folder):
            raise GovernanceError(
                f"key store {root} would lie inside the release/outbox folder {folder}: keys never "
                "travel with data; keep the key store in a folder of its own"
            )
    for folder in _down(root):
        if _is_release(folder):
            raise GovernanceError(
                f"key store {root} holds the release/outbox folder {folder}: keys never travel "
                "with data; move one of them"
            )


def require_data_location(folder: str | Path, *keystores: str | Path) -> None:
    """Refuse to write data for another party inside, above or equal to any key store."""
    folder = Path(folder).resolve()
    for store in keystores:
        store = Path(store).resolve()
        if store == folder or store in folder.parents or folder in store.parents:
            raise GovernanceError(
                f"{folder} and the key store {store} are one inside the other: keys never travel "
                "with data; write the data to a folder apart from every key store"
            )
    for candidate in _up(folder):
        if _is_keystore(candidate):
            raise GovernanceError(
                f"{folder} lies inside the key store {candidate}: keys never travel with data; "
                "write the data to a folder apart from every key store"
            )
    for candidate in [folder, *_down(folder)]:
        if _is_keystore(candidate, any_key_file=True):
            raise GovernanceError(
                f"{folder} holds the key store {candidate}: keys never travel with data; move the "
                "key store out, or write the data elsewhere"
            )


def mark_data_folder(folder: str | Path, kind: str) -> None:
    """Label a folder as data for another party, so no key store is ever created in it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / DATA_MARKER
    if not marker.exists():
        marker.write_text(f"{kind}\n", "utf-8")
