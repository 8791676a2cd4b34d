"""Helpers for the command-line tests: a mirrored data folder and a project settings file."""

from __future__ import annotations

import hashlib
from pathlib import Path


def mirror_data(source: Path, dest: Path) -> Path:
    """Symlink every file of ``source`` under ``dest`` so single files can be swapped for bad ones."""
    for path in source.rglob("*"):
        if path.is_file():
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    return dest


def write_config(folder: Path, data_dir: Path) -> Path:
    config = folder / "lantern.toml"
    config.write_text(
        f'name = "test"\ndata_dir = "{data_dir}"\nwarehouse = "{folder / "out" / "lantern.duckdb"}"\n',
        encoding="utf-8",
    )
    return config


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
