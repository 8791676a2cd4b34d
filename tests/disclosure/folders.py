"""Release folders for gate tests: real Essex codes from the bundled lookups, and project rules.

MSOA 2021 ``M1`` (E02004447) holds exactly the LSOAs ``L1..L3``; ``M2`` (E02003296) holds
``L4..L8``; both lie in district ``D1``/``D2`` as the lookups say. Tests build folders from these
so the gate links them through the project's geography, never through what the folder declares.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lantern.disclosure.project import DisclosureRules, default_floor, parse_rules
from lantern.release.geography import lookup_dirs
from lantern.release.settings import ProjectRules

L1, L2, L3 = "E01021398", "E01021406", "E01021407"
M1 = "E02004447"
M2 = "E02003296"
M2_LSOAS = ("E01015943", "E01015944", "E01015946", "E01015997", "E01015998")


def history_dir() -> Path:
    return Path(os.environ["LANTERN_DISCLOSURE_HISTORY_DIR"])


def project_rules_with(
    *, approvals: list[dict[str, Any]] | None = None, history: Path | None = None, **floors: Any
) -> ProjectRules:
    """Project rules as ``lantern.toml`` would give them (floors per output kind, approvals)."""
    section: dict[str, Any] = dict(floors)
    if approvals is not None:
        section["approvals"] = approvals
    rules, problems = parse_rules(section, where="test lantern.toml")
    assert not problems, problems
    return ProjectRules(rules, history or history_dir(), lookup_dirs())


def default_rules() -> ProjectRules:
    return ProjectRules(DisclosureRules({}, (), "defaults"), history_dir(), lookup_dirs())


def write_folder(
    folder: Path,
    files: dict[str, str | bytes],
    tables: list[dict[str, Any]],
    *,
    exempt: list[dict[str, str]] | None = None,
) -> Path:
    """Write the files and a manifest describing ``tables``."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    manifest: dict[str, Any] = {"tables": tables}
    if exempt:
        manifest["exempt"] = exempt
    (folder / "disclosure-policy.json").write_text(json.dumps(manifest, indent=2))
    return folder


__all__ = [
    "L1",
    "L2",
    "L3",
    "M1",
    "M2",
    "M2_LSOAS",
    "default_floor",
    "default_rules",
    "write_folder",
]
