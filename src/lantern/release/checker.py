"""``check_folder``: verify every table a release folder publishes against its declared policy."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lantern.disclosure.check import Failure, check_table
from lantern.errors import InputError
from lantern.release.history import STATE_DIR, earlier_releases
from lantern.release.manifest import (
    DATA_SUFFIXES,
    MANIFEST_NAME,
    Manifest,
    TableSpec,
    load_manifest,
)
from lantern.release.tables import read_table

RECORD_NAME = "disclosure-record.json"


@dataclass(frozen=True)
class TableReport:
    """What was checked for one table."""

    name: str
    path: str
    identity: str
    policy: dict
    rules: tuple[str, ...]
    cells: int
    withheld: int
    earlier_releases: int
    area_type: str | None = None
    vintage: int | None = None


@dataclass
class CheckResult:
    """Outcome of checking a folder: ``ok`` when no table fails any rule."""

    folder: Path
    manifest: Manifest | None
    failures: list[Failure] = field(default_factory=list)
    tables: list[TableReport] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        n = len(self.tables)
        if self.ok:
            return f"{self.folder}: {n} table(s) pass disclosure control"
        return f"{self.folder}: {len(self.failures)} failure(s) in {n} table(s)"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_files(folder: Path) -> dict[str, dict]:
    """sha256 and size of every file in the folder (except release state and the record)."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(STATE_DIR + "/") or rel == RECORD_NAME:
            continue
        out[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return out


def _rules(spec: TableSpec) -> tuple[str, ...]:
    p = spec.policy
    if p.method == "none":
        return ("official statistics: published unchanged",)
    rules = []
    if p.suppresses:
        rules.append(f"suppressed-range {p.suppressed_low}..{p.threshold}")
    rules.append(
        "midpoint6 values" if p.method == "midpoint6" else f"rounding-base {p.rounding_base}"
    )
    if spec.totals or spec.column_totals:
        rules.append(f"totals ({p.totals})")
    if p.totals == "protected" and (spec.totals or spec.column_totals):
        rules.append("differencing (exact recovery, with earlier releases)")
    if p.noise != "none":
        rules.append(f"noise: {p.noise}" + (f" epsilon {p.epsilon}" if p.epsilon else ""))
    return tuple(rules)


def check_spec(folder: Path, spec: TableSpec) -> tuple[list[Failure], TableReport]:
    """Check one declared table and its totals files."""
    try:
        table = read_table(
            folder / spec.path,
            key_columns=(spec.geography, *spec.levels),
            count_columns=spec.count_columns,
        )
        totals = {
            level: read_table(folder / rel, key_columns=(level,), count_columns=spec.count_columns)
            for level, rel in spec.totals.items()
        }
        history = earlier_releases(folder, spec)
    except InputError as exc:
        failure = Failure(
            spec.path, spec.geography, "-", exc.column or "-", "input", str(exc), exc.row
        )
        return [failure], TableReport(
            spec.name, spec.path, spec.identity, spec.policy.to_dict(), _rules(spec), 0, 0, 0
        )
    failures = check_table(
        spec.path,
        table,
        count_columns=spec.count_columns,
        policy=spec.policy,
        hierarchy=spec.hierarchy,
        totals=totals,
        history=history,
        total_names=spec.totals,
    )
    row_of = {a: i + 2 for i, a in enumerate(table[spec.geography].astype(str))}
    failures = [
        f
        if f.row is not None or f.level != spec.geography
        else Failure(**{**f.to_dict(), "row": row_of.get(f.area)})
        for f in failures
    ]
    frames = [table, *totals.values()]
    cells = sum(len(f) * len(spec.count_columns) for f in frames)
    withheld = (
        int(sum(np.isnan(f[list(spec.count_columns)].to_numpy(dtype=float)).sum() for f in frames))
        if spec.count_columns
        else 0
    )
    report = TableReport(
        spec.name,
        spec.path,
        spec.identity,
        spec.policy.to_dict(),
        _rules(spec),
        cells,
        withheld,
        len(history),
        spec.area_type,
        spec.vintage,
    )
    return failures, report


def check_folder(
    folder: str | Path, *, progress: Callable[[str], None] | None = None
) -> CheckResult:
    """Check every table declared in ``<folder>/disclosure-policy.json``.

    Also fails any data file (CSV, TSV, Parquet, GeoJSON) the manifest neither declares nor
    exempts. ``progress`` is called with each table's name before it is checked.
    """
    folder = Path(folder)
    manifest = load_manifest(folder)
    result = CheckResult(folder=folder, manifest=manifest)
    for spec in manifest.tables:
        if progress:
            progress(spec.name)
        failures, report = check_spec(folder, spec)
        result.failures += failures
        result.tables.append(report)
    declared = manifest.declared()
    result.files = folder_files(folder)
    for rel in result.files:
        if rel == MANIFEST_NAME or not rel.lower().endswith(DATA_SUFFIXES):
            continue
        if rel not in declared:
            result.failures.append(
                Failure(
                    rel,
                    "-",
                    "-",
                    "-",
                    "undeclared",
                    f"data file is not declared in {MANIFEST_NAME} (declare it as a table or exempt it with a reason)",
                )
            )
    return result
