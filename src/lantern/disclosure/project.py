"""The project's disclosure rules: a policy floor per output kind and named approvals.

Rules belong to the project (``[disclosure]`` in ``lantern.toml``), never to a release folder. A
folder may describe its tables and make a rule stricter; anything weaker — publishing a table
unchanged as ``official``, exempting a file from inspection, a lower threshold or finer rounding —
is a *relaxation* and passes only when the project lists an approval for it, naming who approved
it and why. Approvals are written into every disclosure record and shown at two-person review.

    [disclosure]
    threshold = 7
    rounding_base = 5
    cohort_counts = "nhs_small_area"          # floor per output kind (preset or table)

    [[disclosure.approvals]]
    type = "official"                          # official | exempt | policy
    tables = ["census_*"]                      # table names or file paths (glob)
    outputs = ["open_site"]                    # output kinds (default: all)
    approved_by = "A. Person, Caldicott Guardian"
    reason = "ONS Census 2021 tables republished unchanged"
    date = "2025-01-31"

Pure: parses a mapping, no file I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lantern.disclosure.policy import PRESETS, Policy, policy_from, weaker_than
from lantern.errors import ConfigError

OUTPUT_KINDS = ("open_site", "cohort_counts", "partner_extracts")
"""What a release folder is for; each has its own policy floor."""
APPROVAL_TYPES = ("official", "exempt", "policy")
APPROVAL_KEYS = {"type", "tables", "outputs", "approved_by", "reason", "date", "policy"}


@dataclass(frozen=True)
class Approval:
    """One relaxation the project approved, and who approved it."""

    type: str
    tables: tuple[str, ...]
    approved_by: str
    reason: str
    outputs: tuple[str, ...] = ()
    policy: Policy | None = None
    date: str | None = None

    def covers(self, output: str, names: Sequence[str]) -> bool:
        """Whether this approval applies to a table or file known by any of ``names``."""
        if self.outputs and output not in self.outputs:
            return False
        return any(glob_match(n, pat) for n in names if n for pat in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "tables": list(self.tables),
            "outputs": list(self.outputs),
            "approved_by": self.approved_by,
            "reason": self.reason,
            "date": self.date,
            "policy": None if self.policy is None else self.policy.describe(),
        }


@dataclass(frozen=True)
class DisclosureRules:
    """The project's floors per output kind and its approvals."""

    floors: Mapping[str, Policy] = field(default_factory=dict)
    approvals: tuple[Approval, ...] = ()
    source: str = "built-in defaults"

    def floor(self, output: str) -> Policy:
        if output not in OUTPUT_KINDS:
            raise ConfigError(
                "Unknown output kind", [f"{output!r} is not one of {', '.join(OUTPUT_KINDS)}"]
            )
        return self.floors.get(output, default_floor())

    def approval(
        self, type_: str, output: str, names: Sequence[str], policy: Policy | None = None
    ) -> Approval | None:
        """The first approval of this type covering the table (and, for ``policy``, allowing it)."""
        for a in self.approvals:
            if a.type != type_ or not a.covers(output, names):
                continue
            if type_ == "policy" and (a.policy is None or policy is None):
                continue
            if type_ == "policy" and weaker_than(policy, a.policy):  # type: ignore[arg-type]
                continue
            return a
        return None


def glob_match(name: str, pattern: str) -> bool:
    """Whether ``name`` matches a shell-style ``pattern`` (``*``, ``?``, ``[abc]``; case-sensitive)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[" and (j := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : j]
            neg = body.startswith("!")
            body = re.escape(body[1:] if neg else body).replace("\\-", "-")
            out.append(f"[{'^' if neg else ''}{body}]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name, flags=re.DOTALL) is not None


def default_floor(threshold: int = 7, base: int = 5) -> Policy:
    """The default policy for every output: counts 1..threshold withheld, others rounded."""
    return replace(PRESETS["nhs_small_area"], threshold=threshold, base=base)


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    return None


def parse_rules(
    section: Mapping[str, Any],
    *,
    threshold: int = 7,
    base: int = 5,
    where: str = "lantern.toml",
) -> tuple[DisclosureRules, list[str]]:
    """Rules from the ``[disclosure]`` section; also every problem found (empty when valid)."""
    problems: list[str] = []
    floor = default_floor(threshold, base)
    floors: dict[str, Policy] = {}
    for kind in OUTPUT_KINDS:
        spec = section.get(kind)
        if spec is None:
            floors[kind] = floor
            continue
        try:
            floors[kind] = policy_from(spec, where=f"disclosure.{kind}")
        except ConfigError as exc:
            problems += [f"disclosure.{kind}: {p.message}" for p in exc.problems]
    approvals = []
    raw = section.get("approvals", [])
    if not isinstance(raw, list):
        problems.append("disclosure.approvals: must be a list of tables ([[disclosure.approvals]])")
        raw = []
    for i, a in enumerate(raw):
        at = f"disclosure.approvals[{i}]"
        if not isinstance(a, Mapping):
            problems.append(f"{at}: must be a table")
            continue
        for key in sorted(set(a) - APPROVAL_KEYS):
            problems.append(f"{at}: unknown key {key!r}")
        type_ = a.get("type")
        if type_ not in APPROVAL_TYPES:
            problems.append(f"{at}: 'type' must be one of {', '.join(APPROVAL_TYPES)}")
        tables = _names(a.get("tables"))
        if tables is None:
            problems.append(
                f"{at}: 'tables' must name the tables or files it covers (globs allowed)"
            )
        who = _text(a.get("approved_by"))
        if who is None:
            problems.append(f"{at}: 'approved_by' must name the person who approved it")
        reason = _text(a.get("reason"))
        if reason is None:
            problems.append(f"{at}: 'reason' must say why the relaxation is safe")
        outputs = _names(a.get("outputs", [])) or ()
        for o in outputs:
            if o not in OUTPUT_KINDS:
                problems.append(f"{at}: output {o!r} is not one of {', '.join(OUTPUT_KINDS)}")
        policy = None
        if type_ == "policy":
            try:
                policy = policy_from(a.get("policy") or {}, where=at)
            except ConfigError as exc:
                problems += [f"{at}: {p.message}" for p in exc.problems]
        elif "policy" in a:
            problems.append(f"{at}: 'policy' is only for type = \"policy\"")
        date = a.get("date")
        if type_ in APPROVAL_TYPES and tables and who and reason:
            approvals.append(
                Approval(
                    type_,
                    tables,
                    who,
                    reason,
                    outputs,
                    policy,
                    None if date is None else str(date),
                )
            )
    return DisclosureRules(floors, tuple(approvals), where), problems
