"""Files in a release folder that describe the data rather than hold it: the manifest, the
disclosure record and a Frictionless ``datapackage.json``. Each is checked against what it may
hold, so none is a hiding place: a number in a data package must be a resource's real size in
bytes or a year, and no description may pair an area code with a count.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lantern.disclosure.check import Failure
from lantern.release.columns import numbers_in_text
from lantern.release.files import Part
from lantern.release.manifest import MANIFEST_NAME

RECORD_NAME = "disclosure-record.json"
RECORD_FORMAT = "lantern-disclosure-record/1"
DATAPACKAGE = "datapackage.json"
YEAR_KEYS = {"vintage", "year", "boundary_year", "period"}
PRECISION = re.compile(r"^/resources/\d+/geometry/coordinatePrecision$")
"""A resource's coordinate precision (decimal places of its coordinates, 0-15): not a count."""
AREA = re.compile(r"\b[EWSNK]\d{8}\b")


def _leaves(value: Any, path: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}/{i}")
    else:
        yield path or "/", value


def pairs_area_with_number(text: str) -> bool:
    """Whether free text names an area code together with a number (a cell written as words)."""
    return bool(AREA.search(text)) and bool(numbers_in_text(AREA.sub(" ", text)))


def is_record(path: Path) -> bool:
    """Whether the file is a disclosure record the gate wrote (it is rewritten at every release)."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == RECORD_FORMAT


def _allowed(key: str, path: str, value: Any) -> bool:
    """A year under a year key, or a resource's coordinate precision."""
    if not isinstance(value, int):
        return False
    if key in YEAR_KEYS:
        return 1900 <= value <= 2100
    return bool(PRECISION.match(path)) and 0 <= value <= 15


def _datapackage(folder: Path, rel: str) -> list[Failure]:
    out: list[Failure] = []
    try:
        data = json.loads((folder / rel).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return [Failure(rel, "-", "-", "-", "unreadable", f"not valid JSON: {exc}")]
    base = (folder / rel).parent
    resources = data.get("resources", []) if isinstance(data, dict) else []
    for path, value in _leaves(data):
        key = path.rsplit("/", 1)[-1]
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            parts = path.strip("/").split("/")
            if key == "bytes" and len(parts) == 3 and parts[0] == "resources":
                res = resources[int(parts[1])]
                target = base / str(res.get("path", ""))
                if target.is_file() and target.stat().st_size == value:
                    continue
                why = "is not the size of the resource file it describes"
            elif _allowed(key, path, value):
                continue
            else:
                why = "is a number outside the fields a data package may hold (resource sizes, years, coordinate precision)"
            out.append(Failure(rel, "-", "-", path, "metadata", f"value {value!r} at {path} {why}"))
        elif isinstance(value, str) and pairs_area_with_number(value):
            out.append(
                Failure(
                    rel,
                    "-",
                    "-",
                    path,
                    "metadata",
                    f"text at {path} pairs an area code with a number",
                )
            )
    return out


def _manifest(folder: Path) -> list[Failure]:
    data = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
    return [
        Failure(
            MANIFEST_NAME,
            "-",
            "-",
            path,
            "metadata",
            f"text at {path} pairs an area code with a number",
        )
        for path, value in _leaves(data)
        if isinstance(value, str) and pairs_area_with_number(value)
    ]


def metadata_failures(folder: Path, parts: dict[str, list[Part]]) -> list[Failure]:
    """Check the metadata files and take them out of ``parts`` (which is then the data)."""
    out = _manifest(folder)
    for rel in list(parts):
        name = rel.rsplit("/", 1)[-1]
        if name == DATAPACKAGE and all(p.kind in ("table", "json") for p in parts[rel]):
            out += _datapackage(folder, rel)
            parts.pop(rel)
    return out
