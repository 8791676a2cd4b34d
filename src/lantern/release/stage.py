"""Nothing reaches its destination until the gate passes: build in a temporary folder beside the
destination, gate it, then swap it in atomically. A refusal (or any error) removes the temporary
folder and leaves the destination exactly as it was.

    with staged_folder(dest) as tmp:          # a folder destination (a release folder, a site)
        write_tables(tmp)
        gate(tmp, ...)                        # raises DisclosureError: dest untouched
    # here dest holds the new folder

``Stage`` does the same for several outputs at once (a CSV and a release folder from one run):
every output is built and gated before any of them is swapped in.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), RENAME_EXCHANGE)
    return rc == 0


def swap_in(built: Path, dest: Path) -> None:
    """Put ``built`` at ``dest``. Files are replaced atomically; a folder is exchanged with the
    old one in one step where the system allows, else renamed aside first, then removed."""
    built, dest = Path(built), Path(dest)
    if built.is_file() or not dest.exists():
        os.replace(built, dest)
        return
    if _exchange(built, dest):
        shutil.rmtree(built, ignore_errors=True)
        return
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    os.rename(dest, old)
    try:
        os.rename(built, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)


@dataclass
class Stage:
    """Outputs built in temporary folders, swapped in together by ``commit``."""

    pending: list[tuple[Path, Path]] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)

    def folder(self, dest: str | Path, prefix: str | None = None) -> Path:
        """A temporary folder that will become ``dest`` (a folder)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        prefix = prefix or f".{dest.name}.building-"
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))
        self.temps.append(tmp)
        self.pending.append((tmp, dest))
        return tmp

    def file(self, dest: str | Path) -> Path:
        """A temporary folder to build ``dest`` (a file) in; the file is written as
        ``<tmp>/<dest name>`` and anything else there (manifest, record) stays behind."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.building-", dir=dest.parent))
        self.temps.append(tmp)
        self.pending.append((tmp / dest.name, dest))
        return tmp

    def commit(self) -> None:
        for built, dest in self.pending:
            swap_in(built, dest)
        self.pending.clear()

    def discard(self) -> None:
        for tmp in self.temps:
            shutil.rmtree(tmp, ignore_errors=True)
        self.temps.clear()
        self.pending.clear()


@contextmanager
def staged() -> Iterator[Stage]:
    """Build several outputs; they are swapped in only if the block finishes without error."""
    stage = Stage()
    try:
        yield stage
        stage.commit()
    finally:
        stage.discard()


@contextmanager
def staged_folder(dest: str | Path, prefix: str | None = None) -> Iterator[Path]:
    """Build one folder destination; see the module docstring."""
    with staged() as stage:
        yield stage.folder(dest, prefix)
