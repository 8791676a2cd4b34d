"""``check_folder``: the release gate. Everything in the folder is inspected under the project's
rules, and every table is audited together with every other table of the release and every
earlier release of the same cohort, linked by geography.

Steps: read every file (``files``); match tables to the manifest; refuse anything unreadable and
any number in a file, sheet, column, JSON value or line of text the manifest does not declare;
decide each table's policy (the project's floor, stricter if the table asks, weaker only with an
approval in ``lantern.toml``); check every count cell (suppressed range, rounding, whole numbers)
and every measure (withheld with its numerator, computed from published values); then the linked
audit (``lantern.disclosure.linked``) and the cross-period audit (``lantern.release.periods``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern.disclosure.check import Failure
from lantern.disclosure.linked import Publication, RowTotal, linked_audit
from lantern.disclosure.plausible import merge_link, value_links
from lantern.disclosure.policy import Policy, weaker_than
from lantern.release.columns import GSS, ParsedTable, numbers_in_text, numeric_columns, read_table
from lantern.release.files import Part, inspect_file, walk_folder
from lantern.release.geography import project_area_sets
from lantern.release.manifest import MANIFEST_NAME, Manifest, TableSpec, load_manifest
from lantern.release.metadata import RECORD_NAME, is_record, metadata_failures
from lantern.release.settings import ProjectRules, project_rules

DEFAULT_OUTPUT = "cohort_counts"
MAX_PER_PART = 5


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
    """Outcome of checking a folder: ``ok`` when nothing fails any rule."""

    folder: Path
    manifest: Manifest | None
    output: str = DEFAULT_OUTPUT
    rules_source: str = ""
    failures: list[Failure] = field(default_factory=list)
    tables: list[TableReport] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)
    relaxations: list[dict[str, Any]] = field(default_factory=list)
    publications: list[Publication] = field(default_factory=list)
    parsed: list[ParsedTable] = field(default_factory=list)

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
    """sha256 and size of every file in the folder (hidden ones included; not the record)."""
    out = {}
    for rel, path in walk_folder(Path(folder)):
        if rel == RECORD_NAME or path.is_symlink() or not path.is_file():
            continue
        out[rel] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    return out


def _rules_text(policy: Policy) -> tuple[str, ...]:
    if policy.method == "none":
        return ("official statistics: published unchanged (approved)",)
    rules = []
    if policy.suppresses:
        rules.append(f"suppressed-range {policy.suppressed_low}..{policy.threshold}")
    rules.append(
        "midpoint6 values"
        if policy.method == "midpoint6"
        else f"rounding-base {policy.rounding_base}"
    )
    rules.append("every numeric column a count unless a declared measure")
    rules.append("linked audit by geography with earlier releases of the cohort")
    if policy.suppresses:
        rules.append(f"protection: withheld cells must reach {policy.required_high:g}")
    return tuple(rules)


def _fail(
    result: CheckResult,
    label: str,
    rule: str,
    message: str,
    column: str = "-",
    row=None,
    area: str = "-",
) -> None:
    result.failures.append(Failure(label, "-", area, column, rule, message, row))


def _undeclared(result: CheckResult, part: Part) -> None:
    why = (
        "is not declared in "
        + MANIFEST_NAME
        + " as a table (nor exempted with the project's approval)"
    )
    if part.kind == "unreadable":
        _fail(
            result,
            part.label,
            "unreadable",
            f"{part.problem}; the gate cannot inspect it, so it cannot be published",
        )
    elif part.kind == "table" and part.frame is not None:
        for col, (row, value) in list(numeric_columns(part.frame).items())[:MAX_PER_PART]:
            _fail(
                result,
                part.label,
                "undeclared",
                f"holds numbers (e.g. {value!r}) but {why}",
                col,
                row,
            )
    elif part.kind == "text" and part.text is not None:
        hits = numbers_in_text(part.text)
        for line, token in hits[:MAX_PER_PART]:
            _fail(
                result,
                part.label,
                "undeclared",
                f"text holds the number {token!r} on line {line} but {why}",
                "-",
                line,
            )
    elif part.kind == "json" and part.leaves is not None:
        shown = 0
        for path, value in part.leaves:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if isinstance(value, str):
                numeric = bool(numbers_in_text(value))
            if numeric and shown < MAX_PER_PART:
                _fail(
                    result,
                    part.label,
                    "undeclared",
                    f"JSON value {value!r} at {path} is a number but {why}",
                    path,
                )
                shown += 1


def effective_policy(
    spec: TableSpec, rules: ProjectRules, output: str, result: CheckResult
) -> Policy:
    """The policy a table is checked under: the project's floor unless the table asks for a
    stricter one, or for a weaker one (or ``official``) the project approved."""
    floor = rules.floor(output)
    declared = spec.policy
    if declared is None:
        return floor
    names = [spec.name, spec.path, spec.total_of or ""]
    label = f"{spec.path} ({spec.name})"
    reasons = weaker_than(declared, floor)
    if not reasons:
        return declared
    if declared.method == "none":
        approval = rules.rules.approval("official", output, names)
    else:
        approval = rules.rules.approval("policy", output, names, declared)
    if approval is not None:
        result.relaxations.append(
            {
                "table": spec.name,
                "path": spec.path,
                **approval.to_dict(),
                "asked": declared.describe(),
            }
        )
        return declared
    _fail(
        result,
        label,
        "relaxation",
        f"the table asks for {declared.describe()!r}, weaker than the project's {output} policy "
        f"({floor.describe()}): {'; '.join(reasons)}. Only an approval in the project's settings "
        f"([[disclosure.approvals]] with approved_by, in {rules.source}) allows that; checked under the project's policy instead",
    )
    return floor


def _match_parts(spec: TableSpec, parts: list[Part]) -> tuple[Part | None, str | None]:
    tables = [p for p in parts if p.kind == "table"]
    if spec.part is not None:
        hit = [p for p in tables if p.member == spec.part or (p.member or "").endswith(spec.part)]
        return (
            (hit[0], None)
            if len(hit) == 1
            else (None, f"no single table named {spec.part!r} in the file")
        )
    if len(tables) == 1:
        return tables[0], None
    if not tables:
        return None, "the file holds no table the gate can read"
    names = ", ".join(repr(p.member) for p in tables[:6])
    return None, f"the file holds {len(tables)} tables ({names}); name one with 'part'"


def _publications(
    t: ParsedTable, frame, policy: Policy
) -> tuple[list[Publication], list[RowTotal]]:
    spec = t.spec
    cohort, period = spec.cohort_id.replace("|", "/"), (spec.period or "").replace("|", "/")
    prefix = f"{cohort}@{period}"
    cats = t.category_keys(frame)
    pubs = []
    for col, values in t.counts.items():
        series = np.array([f"{prefix}|{c}|{col}" for c in cats], dtype=object)
        column = np.full(len(values), col, dtype=object)
        pubs.append(
            Publication(
                t.label,
                policy,
                series,
                t.areas,
                values,
                t.rows,
                column,
                cohort=cohort,
                period=period,
            )
        )
    totals = []
    for total, parts in spec.column_totals.items():
        for c in dict.fromkeys(cats):
            totals.append(
                RowTotal(f"{prefix}|{c}|{total}", tuple(f"{prefix}|{c}|{p}" for p in parts))
            )
    return pubs, totals


def _finding(f, prefix: str = "") -> Failure:
    row = f.rows[0] if f.rows else None
    where = ", ".join(f.tables) if f.tables else "(not published: worked out from the others)"
    return Failure(where, f.series.split("|")[0], f.area, f.column, f.rule, prefix + f.message, row)


def check_folder(
    folder: str | Path,
    *,
    rules: ProjectRules | None = None,
    output: str = DEFAULT_OUTPUT,
    progress: Callable[[str], None] | None = None,
    history: Any = None,
    verified: Mapping[str, Mapping[str, str]] | None = None,
) -> CheckResult:
    """Check everything in ``folder`` under the project's ``rules`` for this ``output`` kind.

    ``verified`` (from a Lantern writer, never from the folder): per table name, columns the
    writer vouches republish official open data unchanged, with their provenance; they are not
    checked as counts and are listed with the relaxations in the record.
    """
    from lantern.release.history import History, cross_period_failures

    folder = Path(folder)
    rules = rules or project_rules()
    manifest = load_manifest(folder)
    floor = rules.floor(output)
    result = CheckResult(folder, manifest, output, rules.source)
    step = progress or (lambda _name: None)
    step("reading every file")
    parts: dict[str, list[Part]] = {}
    for rel, _path in walk_folder(folder):
        if rel == MANIFEST_NAME or (rel == RECORD_NAME and is_record(folder / rel)):
            continue
        parts[rel] = inspect_file(folder, rel)
    result.failures += metadata_failures(folder, parts)
    for rel, reason in manifest.exempt.items():
        approval = rules.rules.approval("exempt", output, [rel])
        if approval is None:
            _fail(
                result,
                rel,
                "relaxation",
                f'exempt ({reason!r}) but an exemption needs an approval in the project\'s settings ([[disclosure.approvals]] type = "exempt" with approved_by, in {rules.source}); inspected instead',
            )
            continue
        result.relaxations.append(
            {"table": rel, "path": rel, **approval.to_dict(), "asked": f"exempt: {reason}"}
        )
        for p in parts.pop(rel, []):
            p.kind = "exempt"
    sets = project_area_sets(rules.lookups)
    declared: set[int] = set()
    pubs: list[Publication] = []
    row_totals: list[RowTotal] = []
    for spec in manifest.tables:
        step(spec.name)
        label = f"{spec.path} ({spec.name})"
        policy = effective_policy(spec, rules, output, result)
        file_parts = parts.get(spec.path)
        if not file_parts:
            _fail(result, label, "input", "declared table file not found in the folder")
            continue
        part, problem = _match_parts(spec, file_parts)
        if part is None:
            _fail(result, label, "input", problem or "no table")
            continue
        declared.add(id(part))
        vouched = dict((verified or {}).get(spec.name, {}))
        frame = part.frame if part.frame is not None else pd.DataFrame()
        vouched = {c: why for c, why in vouched.items() if c in frame.columns}
        for col, why in vouched.items():
            result.relaxations.append(
                {"table": spec.name, "path": spec.path, "type": "official", "tables": [spec.name],
                 "outputs": [output], "approved_by": "lantern publish (warehouse provenance)",
                 "reason": why, "date": None, "policy": None, "asked": f"column {col}: official"}
            )  # fmt: skip
        t = read_table(frame, spec, part.label if part.member else label, policy, skip=set(vouched))
        result.parsed.append(t)
        result.failures += t.failures
        codes = pd.unique(t.areas)
        gss = pd.Series(codes, dtype=object).str.match(GSS.pattern).to_numpy(dtype=bool)
        unknown = codes[gss & ~sets.knows(codes)]
        for a in unknown[:MAX_PER_PART]:
            _fail(
                result,
                t.label,
                "geography",
                "area code is not in the project's geography lookups (2011/2021): the gate cannot tell which areas it overlaps",
                spec.geography,
                area=a,
            )
        table_pubs, totals = _publications(t, frame, policy)
        pubs += table_pubs
        row_totals += totals
        n_cells = sum(len(v) for v in t.counts.values())
        n_withheld = int(sum(np.isnan(v).sum() for v in t.counts.values()))
        result.tables.append(
            TableReport(
                spec.name,
                spec.path,
                spec.identity,
                policy.to_dict(),
                _rules_text(policy),
                n_cells,
                n_withheld,
                0,
                spec.area_type,
                spec.vintage,
            )
        )
    for file_parts in parts.values():
        for part in file_parts:
            if id(part) not in declared and part.kind != "exempt":
                _undeclared(result, part)
    store = history if history is not None else History(rules.history_dir)
    earlier = store.same_period(pubs)
    result.publications = pubs
    if pubs:
        step("linked audit")
        audit = linked_audit(pubs + earlier, sets, row_totals)
        seen = set()
        for f in audit.findings:
            seen.add((f.area, f.tables, f.rule))
            result.failures.append(_finding(f))
        step("series linked by their values")
        for a, b in value_links(pubs, sets):
            extra = linked_audit(merge_link(pubs + earlier, a, b), sets)
            names = f"{a.rsplit('|', 1)[-1]!r} and {b.rsplit('|', 1)[-1]!r}"
            for f in extra.findings:
                if f.rule == "totals" or (f.area, f.tables, f.rule) in seen:
                    continue
                seen.add((f.area, f.tables, f.rule))
                prefix = f"reading {names} as the same counts, as their values allow: "
                result.failures.append(_finding(f, prefix))
        step("earlier periods")
        result.failures += cross_period_failures(store, pubs, sets, floor)
    counts = store.counts(pubs)
    result.tables = [
        TableReport(**{**t.__dict__, "earlier_releases": counts.get(t.identity.split("@")[0], 0)})
        for t in result.tables
    ]
    result.files = folder_files(folder)
    return result


def manifest_text(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
