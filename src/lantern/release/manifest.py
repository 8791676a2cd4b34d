"""The release manifest, ``disclosure-policy.json``: a description of the folder's tables.

The manifest *describes*: which file (and sheet or archive member) holds each table, its area
code column, its cohort and period, which numeric columns are measures (rates, shares) with their
numerator and denominator, which constant columns hold a year. It does not set the rules: those
are the project's (``lantern.disclosure.project``). A table may name a ``policy`` only to make the
rules stricter; a weaker one, ``official``, or an ``exempt`` file is a relaxation the project must
have approved. Every numeric column not declared a measure or a constant is checked as a count.
Every problem in a manifest is reported at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantern.disclosure.hierarchy import Hierarchy
from lantern.disclosure.policy import Policy, policy_from
from lantern.errors import ConfigError, Problem

MANIFEST_NAME = "disclosure-policy.json"
TABLE_KEYS = {
    "name",
    "path",
    "part",
    "policy",
    "cohort",
    "count_columns",
    "measures",
    "constants",
    "geography",
    "area_type",
    "vintage",
    "period",
    "levels",
    "totals",
    "column_totals",
    "description",
}
MEASURE_KEYS = {"numerator", "denominator", "per"}
TOP_KEYS = {"tables", "exempt", "release", "output", "description"}


@dataclass(frozen=True)
class Measure:
    """A numeric column that is not a count: ``numerator / denominator * per``."""

    numerator: str
    denominator: str
    per: float = 1.0


@dataclass(frozen=True)
class TableSpec:
    """One declared table. ``policy`` is what the folder asks for (``None``: the project's)."""

    name: str
    path: str
    policy: Policy | None
    count_columns: tuple[str, ...]
    geography: str
    area_type: str | None = None
    vintage: int | None = None
    period: str | None = None
    cohort: str | None = None
    part: str | None = None
    levels: tuple[str, ...] = ()
    totals: dict[str, str] = field(default_factory=dict)
    column_totals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    total_of: str | None = None

    @property
    def hierarchy(self) -> Hierarchy:
        return Hierarchy(
            geography=self.geography, levels=self.levels, column_totals=self.column_totals
        )

    @property
    def cohort_id(self) -> str:
        """The population counted: the declared cohort, else the table name."""
        return self.cohort or self.name

    @property
    def identity(self) -> str:
        """Cohort and period: earlier releases with the same identity publish the same counts."""
        return f"{self.cohort_id}@{self.period}" if self.period else self.cohort_id

    def files(self) -> list[str]:
        return [self.path, *self.totals.values()]


@dataclass(frozen=True)
class Manifest:
    path: Path
    tables: tuple[TableSpec, ...]
    exempt: dict[str, str]
    release: str | None = None
    output: str | None = None

    def declared(self) -> set[str]:
        out = set(self.exempt)
        for t in self.tables:
            out.update(t.files())
        return out


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _measures(raw: Any, at: str, problems: list[Problem | str]) -> dict[str, Measure]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{at}: 'measures' must map a column to {{numerator, denominator, per}}")
        return {}
    out = {}
    for col, m in raw.items():
        if (
            not isinstance(m, dict)
            or not isinstance(m.get("numerator"), str)
            or not isinstance(m.get("denominator"), str)
        ):
            problems.append(f"{at}: measure {col!r} needs 'numerator' and 'denominator' columns")
            continue
        for key in sorted(set(m) - MEASURE_KEYS):
            problems.append(f"{at}: measure {col!r} has unknown key {key!r}")
        per = m.get("per", 1)
        if isinstance(per, bool) or not isinstance(per, int | float) or per <= 0:
            problems.append(f"{at}: measure {col!r}: 'per' must be a positive number (e.g. 1000)")
            per = 1
        out[col] = Measure(m["numerator"], m["denominator"], float(per))
    return out


def _constants(raw: Any, at: str, problems: list[Problem | str]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{at}: 'constants' must map a column to its one value (a year)")
        return {}
    for col, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, int) or not 1900 <= v <= 2100:
            problems.append(
                f"{at}: constant {col!r} must be a year (1900-2100); other numbers are counts"
            )
    return dict(raw)


def parse_manifest(data: Any, *, where: str) -> Manifest:
    """Validate a manifest's parsed JSON; raise ``ConfigError`` listing every problem."""
    problems: list[Problem | str] = []
    if not isinstance(data, dict):
        raise ConfigError(f"Invalid release manifest {where}", ["the file must hold a JSON object"])
    for key in sorted(set(data) - TOP_KEYS):
        problems.append(f"unknown key {key!r} (known: {', '.join(sorted(TOP_KEYS))})")
    raw_tables = data.get("tables")
    if not isinstance(raw_tables, list) or not raw_tables:
        problems.append("'tables' must be a non-empty list")
        raw_tables = []
    tables: list[TableSpec] = []
    names: set[tuple[str, str | None]] = set()
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
        if t.get("policy") is not None:
            try:
                policy = policy_from(t["policy"], where=at)
            except ConfigError as exc:
                problems += [f"{at}: {p}" for p in exc.problems]
        counts = t.get("count_columns", [])
        if not _str_list(counts):
            problems.append(f"{at}: 'count_columns' must be a list of column names")
            counts = []
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
        measures = _measures(t.get("measures"), at, problems)
        constants = _constants(t.get("constants"), at, problems)
        for col, m in measures.items():
            if col in counts or col in constants:
                problems.append(f"{at}: {col!r} is declared both a measure and a count or constant")
            for c in (m.numerator, m.denominator):
                if c in measures:
                    problems.append(
                        f"{at}: measure {col!r} names another measure {c!r}; name counts"
                    )
        name = t.get("name") or Path(path).stem
        period = None if t.get("period") is None else str(t.get("period"))
        if (name, period) in names:
            problems.append(f"{at}: table name {name!r} is used twice for the same period")
        names.add((name, period))
        vintage = t.get("vintage")
        if vintage is not None and vintage not in (2011, 2021):
            problems.append(f"{at}: 'vintage' must be 2011 or 2021")
        cohort = t.get("cohort")
        if cohort is not None and (not isinstance(cohort, str) or not cohort.strip()):
            problems.append(f"{at}: 'cohort' must name the population counted")
            cohort = None
        part = t.get("part")
        if part is not None and not isinstance(part, str):
            problems.append(f"{at}: 'part' must name a sheet or archive member")
            part = None
        if not isinstance(geography, str) or not geography:
            continue
        spec = TableSpec(
            name=name,
            path=path,
            policy=policy,
            count_columns=tuple(counts),
            geography=geography,
            area_type=t.get("area_type"),
            vintage=vintage,
            period=period,
            cohort=cohort,
            part=part,
            levels=tuple(levels),
            totals=dict(totals),
            column_totals={k: tuple(v) for k, v in col_totals.items()},
            measures=measures,
            constants=constants,
        )
        tables.append(spec)
        for level, rel in totals.items():
            tables.append(
                TableSpec(
                    name=f"{name} [{level} totals]",
                    path=rel,
                    policy=policy,
                    count_columns=tuple(counts),
                    geography=level,
                    period=period,
                    cohort=spec.cohort_id,
                    measures=measures,
                    constants=constants,
                    total_of=name,
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
    output = data.get("output")
    if output is not None and not isinstance(output, str):
        problems.append("'output' must name the output kind")
    if problems:
        raise ConfigError(f"Invalid release manifest {where}", problems)
    return Manifest(Path(where), tuple(tables), exempt, data.get("release"), output)


def load_manifest(folder: str | Path) -> Manifest:
    """Read ``<folder>/disclosure-policy.json``."""
    path = Path(folder) / MANIFEST_NAME
    if not path.exists():
        raise ConfigError(
            f"No release manifest in {folder}",
            [f"write {MANIFEST_NAME} describing each table (see docs/disclosure.md)"],
        )
    try:
        data = json.loads(path.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Invalid release manifest {path}",
            [Problem(f"not valid JSON: {exc}", str(path))],
        ) from exc
    m = parse_manifest(data, where=str(path))
    return Manifest(path, m.tables, m.exempt, m.release, m.output)


def write_manifest(
    folder: str | Path,
    tables: list[dict[str, Any]],
    *,
    exempt: list[dict[str, str]] | None = None,
    release: str | None = None,
    output: str | None = None,
) -> Path:
    """Write a manifest from plain dicts (validated first); returns its path."""
    data: dict[str, Any] = {"tables": tables}
    if exempt:
        data["exempt"] = exempt
    if release:
        data["release"] = release
    if output:
        data["output"] = output
    path = Path(folder) / MANIFEST_NAME
    parse_manifest(data, where=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return path
