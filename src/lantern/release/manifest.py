"""The release manifest, ``disclosure-policy.json``: which tables a folder publishes and how each
is protected. Every problem in a manifest is reported at once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantern.disclosure.hierarchy import Hierarchy
from lantern.disclosure.policy import Policy, policy_from
from lantern.errors import ConfigError, Problem

MANIFEST_NAME = "disclosure-policy.json"
DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".geojson", ".zip")
TABLE_KEYS = {
    "name",
    "path",
    "policy",
    "count_columns",
    "geography",
    "area_type",
    "vintage",
    "period",
    "levels",
    "totals",
    "column_totals",
    "description",
}


@dataclass(frozen=True)
class TableSpec:
    """One declared table: its file, policy, counts and the totals published with it."""

    name: str
    path: str
    policy: Policy
    count_columns: tuple[str, ...]
    geography: str
    area_type: str | None = None
    vintage: int | None = None
    period: str | None = None
    levels: tuple[str, ...] = ()
    totals: dict[str, str] = field(default_factory=dict)
    column_totals: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def hierarchy(self) -> Hierarchy:
        return Hierarchy(
            geography=self.geography, levels=self.levels, column_totals=self.column_totals
        )

    @property
    def identity(self) -> str:
        """Name and period: earlier releases with the same identity publish the same counts."""
        return f"{self.name}@{self.period}" if self.period else self.name

    def files(self) -> list[str]:
        return [self.path, *self.totals.values()]


@dataclass(frozen=True)
class Manifest:
    path: Path
    tables: tuple[TableSpec, ...]
    exempt: dict[str, str]
    release: str | None = None

    def declared(self) -> set[str]:
        out = set(self.exempt)
        for t in self.tables:
            out.update(t.files())
        return out


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def parse_manifest(data: Any, *, where: str) -> Manifest:
    """Validate a manifest's parsed JSON; raise ``ConfigError`` listing every problem."""
    problems: list[Problem | str] = []
    if not isinstance(data, dict):
        raise ConfigError(f"Invalid release manifest {where}", ["the file must hold a JSON object"])
    raw_tables = data.get("tables")
    if not isinstance(raw_tables, list) or not raw_tables:
        problems.append("'tables' must be a non-empty list")
        raw_tables = []
    tables = []
    names: set[str] = set()
    for i, t in enumerate(raw_tables):
        at = f"tables[{i}]"
        if not isinstance(t, dict):
            problems.append(f"{at}: must be an object")
            continue
        for key in sorted(set(t) - TABLE_KEYS):
            problems.append(f"{at}: unknown key {key!r}")
        path = t.get("path")
        if not isinstance(path, str) or not path:
            problems.append(f"{at}: 'path' (the table file, relative to the folder) is required")
            continue
        at = f"tables[{i}] ({path})"
        policy = None
        try:
            policy = policy_from(t.get("policy", "nhs_small_area"), where=at)
        except ConfigError as exc:
            problems += [f"{at}: {p}" for p in exc.problems]
        counts = t.get("count_columns", [])
        if not _str_list(counts):
            problems.append(f"{at}: 'count_columns' must be a list of column names")
            counts = []
        if policy is not None and policy.method != "none" and not counts:
            problems.append(f"{at}: 'count_columns' is required unless the policy is 'official'")
        geography = t.get("geography")
        if not isinstance(geography, str) or not geography:
            problems.append(f"{at}: 'geography' (the column of area codes) is required")
        levels = t.get("levels", [])
        if not _str_list(levels):
            problems.append(f"{at}: 'levels' must be a list of parent-area columns")
            levels = []
        totals = t.get("totals", {})
        if not isinstance(totals, dict) or not all(isinstance(v, str) for v in totals.values()):
            problems.append(f"{at}: 'totals' must map a level column to a totals file")
            totals = {}
        for level in totals:
            if level not in levels:
                problems.append(f"{at}: totals given for {level!r}, which is not in 'levels'")
        col_totals = t.get("column_totals", {})
        if not isinstance(col_totals, dict) or not all(_str_list(v) for v in col_totals.values()):
            problems.append(
                f"{at}: 'column_totals' must map a column to the list of columns it sums"
            )
            col_totals = {}
        for total, parts in col_totals.items():
            for c in (total, *parts):
                if c not in counts:
                    problems.append(f"{at}: column_totals names {c!r}, which is not a count column")
        name = t.get("name") or Path(path).stem
        if name in names and t.get("period") is None:
            problems.append(f"{at}: table name {name!r} is used twice")
        names.add(name)
        vintage = t.get("vintage")
        if vintage is not None and vintage not in (2011, 2021):
            problems.append(f"{at}: 'vintage' must be 2011 or 2021")
        if policy is None or not isinstance(geography, str):
            continue
        tables.append(
            TableSpec(
                name=name,
                path=path,
                policy=policy,
                count_columns=tuple(counts),
                geography=geography,
                area_type=t.get("area_type"),
                vintage=vintage,
                period=None if t.get("period") is None else str(t.get("period")),
                levels=tuple(levels),
                totals=dict(totals),
                column_totals={k: tuple(v) for k, v in col_totals.items()},
            )
        )
    exempt_raw = data.get("exempt", [])
    exempt: dict[str, str] = {}
    if not isinstance(exempt_raw, list):
        problems.append("'exempt' must be a list of {path, reason}")
        exempt_raw = []
    for j, e in enumerate(exempt_raw):
        if not isinstance(e, dict) or not isinstance(e.get("path"), str) or not e.get("reason"):
            problems.append(
                f"exempt[{j}]: needs 'path' and a 'reason' (e.g. 'boundaries only, no counts')"
            )
            continue
        exempt[e["path"]] = str(e["reason"])
    if problems:
        raise ConfigError(f"Invalid release manifest {where}", problems)
    return Manifest(
        path=Path(where), tables=tuple(tables), exempt=exempt, release=data.get("release")
    )


def load_manifest(folder: str | Path) -> Manifest:
    """Read ``<folder>/disclosure-policy.json``."""
    path = Path(folder) / MANIFEST_NAME
    if not path.exists():
        raise ConfigError(
            f"No release manifest in {folder}",
            [
                f"write {MANIFEST_NAME} declaring each table, its policy and its count columns (see docs/disclosure.md)"
            ],
        )
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"Invalid release manifest {path}",
            [Problem(f"not valid JSON: {exc.msg}", str(path), exc.lineno)],
        ) from exc
    manifest = parse_manifest(data, where=str(path))
    return Manifest(
        path=path, tables=manifest.tables, exempt=manifest.exempt, release=manifest.release
    )


def write_manifest(
    folder: str | Path,
    tables: list[dict[str, Any]],
    *,
    exempt: list[dict[str, str]] | None = None,
    release: str | None = None,
) -> Path:
    """Write a manifest from plain dicts (validated first); returns its path."""
    data: dict[str, Any] = {"tables": tables}
    if exempt:
        data["exempt"] = exempt
    if release:
        data["release"] = release
    path = Path(folder) / MANIFEST_NAME
    parse_manifest(data, where=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return path
