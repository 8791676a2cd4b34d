"""Where Lantern finds its bundled sample and the England-wide open data."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "bundled"
BUNDLED_ESSEX = BUNDLED_DIR / "essex"


def repo_root() -> Path | None:
    """The source checkout holding this package, if it is one (editable install)."""
    candidate = PACKAGE_DIR.parent.parent
    return candidate if (candidate / "pyproject.toml").exists() else None


def shared_data_dir() -> Path | None:
    """England-wide official files: ``$LANTERN_SHARED_DATA`` or ``../shared/data`` beside the repo."""
    env = os.environ.get("LANTERN_SHARED_DATA")
    if env:
        path = Path(env)
        return path if path.is_dir() else None
    root = repo_root()
    if root is not None:
        path = root.parent / "shared" / "data"
        if path.is_dir():
            return path
    return None
