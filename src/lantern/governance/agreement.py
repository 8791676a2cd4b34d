"""Data-sharing agreements: the schema, loading, and whole-file validation.

An agreement names the parties, the purposes, the lawful bases, every field each party may
supply (with its class), the permitted output levels, the disclosure and objection policies,
the retention end date and the DPIA and ethics references. ``check_agreement`` reports every
problem at once; ``load_agreement`` raises ``ConfigError`` carrying them all.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lantern.errors import ConfigError, Problem

ARTICLE_6 = {f"6(1)({c})" for c in "abcdef"}
ARTICLE_9 = {f"9(2)({c})" for c in "abcdefghij"}
COMMON_LAW_BASES = {
    "consent",
    "section_251",
    "copi_notice",
    "statutory_gateway",
    "overriding_public_interest",
    "not_confidential",
}
OUTPUT_LEVELS = ("lsoa", "msoa", "ward", "district", "county")


class FieldClass(StrEnum):
    DIRECT_IDENTIFIER = "direct_identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    ATTRIBUTE = "attribute"


class IdentifierKind(StrEnum):
    """How an identifier is normalised and which variant tokens it gets."""

    NHS_NUMBER = "nhs_number"
    GIVEN_NAME = "given_name"
    FAMILY_NAME = "family_name"
    DATE_OF_BIRTH = "date_of_birth"
    SEX = "sex"
    POSTCODE = "postcode"
    IDENTIFIER = "identifier"
    TEXT = "text"


class Role(StrEnum):
    CONTROLLER = "controller"
    JOINT_CONTROLLER = "joint_controller"
    PROCESSOR = "processor"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Party(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    role: Role
    organisation_type: str


class Purpose(_Model):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str


class LawfulBasis(_Model):
    article_6: str
    article_9: str | None = None
    common_law: str
    notes: str = ""

    @field_validator("article_6")
    @classmethod
    def _a6(cls, v: str) -> str:
        if v not in ARTICLE_6:
            raise ValueError(f"must be one of {sorted(ARTICLE_6)}")
        return v

    @field_validator("article_9")
    @classmethod
    def _a9(cls, v: str | None) -> str | None:
        if v is not None and v not in ARTICLE_9:
            raise ValueError(f"must be one of {sorted(ARTICLE_9)}")
        return v

    @field_validator("common_law")
    @classmethod
    def _cl(cls, v: str) -> str:
        if v not in COMMON_LAW_BASES:
            raise ValueError(f"must be one of {sorted(COMMON_LAW_BASES)}")
        return v


class AgreementField(_Model):
    party: str
    name: str
    field_class: FieldClass = Field(alias="class")
    kind: IdentifierKind | None = None
    special_category: bool = False
    description: str = ""


class DisclosurePolicy(_Model):
    """A ``lantern.disclosure`` preset with optional overrides (``threshold``, ``base``, …)."""

    preset: str = "nhs_small_area"
    threshold: int | None = Field(default=None, ge=0)
    base: int | None = Field(default=None, ge=1)

    def as_spec(self) -> dict[str, object]:
        spec: dict[str, object] = {"preset": self.preset}
        spec.update(
            {k: v for k, v in (("threshold", self.threshold), ("base", self.base)) if v is not None}
        )
        return spec


class ObjectionPolicy(_Model):
    objection_register: bool = True
    national_data_opt_out: list[str] = Field(default_factory=list)


class Cohort(_Model):
    """People who meet every ``all_of`` and at least one ``any_of`` condition.

    A condition is a true/false attribute field name, or ``in:<party>`` (known to that party).
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    description: str = ""
    all_of: list[str] = Field(default_factory=list)
    any_of: list[str] = Field(default_factory=list)


class Agreement(_Model):
    """A validated data-sharing agreement."""

    id: str
    title: str
    version: int = 1
    start_date: date
    retention_end: date
    dpia_ref: str
    ethics_ref: str
    parties: list[Party]
    purposes: list[Purpose]
    lawful_basis: LawfulBasis
    fields: list[AgreementField]
    permitted_outputs: list[str]
    disclosure_policy: DisclosurePolicy = DisclosurePolicy()
    objection_policy: ObjectionPolicy = ObjectionPolicy()
    cohorts: list[Cohort] = Field(default_factory=list)
    transparency_notice_url: str = ""

    def is_active(self, today: date | None = None) -> bool:
        """True between the start date and the retention end date, inclusive."""
        today = today or date.today()
        return self.start_date <= today <= self.retention_end

    @property
    def purpose_codes(self) -> set[str]:
        return {p.code for p in self.purposes}

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def fields_for(self, party_id: str) -> list[AgreementField]:
        return [f for f in self.fields if f.party == party_id]

    def cohort(self, name: str) -> Cohort | None:
        return next((c for c in self.cohorts if c.name == name), None)


def _semantic_problems(agreement: Agreement, file: str) -> list[Problem]:
    problems: list[Problem] = []
    party_ids = [p.id for p in agreement.parties]
    for dup in sorted({p for p in party_ids if party_ids.count(p) > 1}):
        problems.append(Problem(f"party {dup!r} is listed more than once", file, column="parties"))
    if len(agreement.parties) < 2:
        problems.append(Problem("an agreement needs at least two parties", file, column="parties"))
    if not agreement.purposes:
        problems.append(Problem("at least one purpose is required", file, column="purposes"))
    if agreement.retention_end <= agreement.start_date:
        problems.append(
            Problem("retention_end must be after start_date", file, column="retention_end")
        )
    seen: set[tuple[str, str]] = set()
    for i, f in enumerate(agreement.fields):
        where = f"fields[{i}]"
        if f.party not in party_ids:
            problems.append(
                Problem(f"field {f.name!r} names unknown party {f.party!r}", file, column=where)
            )
        if (f.party, f.name) in seen:
            problems.append(
                Problem(f"field {f.name!r} is listed twice for {f.party!r}", file, column=where)
            )
        seen.add((f.party, f.name))
        if f.field_class is not FieldClass.ATTRIBUTE and f.kind is None:
            problems.append(
                Problem(f"identifier field {f.name!r} needs a 'kind'", file, column=where)
            )
        if f.field_class is FieldClass.ATTRIBUTE and f.kind is not None:
            problems.append(
                Problem(f"attribute field {f.name!r} must not have a 'kind'", file, column=where)
            )
    if (
        any(f.special_category for f in agreement.fields)
        and agreement.lawful_basis.article_9 is None
    ):
        problems.append(
            Problem(
                "special-category fields need an Article 9 condition",
                file,
                column="lawful_basis.article_9",
            )
        )
    if not agreement.permitted_outputs:
        problems.append(
            Problem(
                "at least one permitted output level is required", file, column="permitted_outputs"
            )
        )
    for level in agreement.permitted_outputs:
        if level not in OUTPUT_LEVELS:
            problems.append(
                Problem(
                    f"output level {level!r} is not one of {list(OUTPUT_LEVELS)}",
                    file,
                    column="permitted_outputs",
                )
            )
    for pid in agreement.objection_policy.national_data_opt_out:
        if pid not in party_ids:
            problems.append(
                Problem(
                    f"opt-out party {pid!r} is not a party",
                    file,
                    column="objection_policy.national_data_opt_out",
                )
            )
    attributes = {f.name for f in agreement.fields if f.field_class is FieldClass.ATTRIBUTE}
    for c in agreement.cohorts:
        for flag in [*c.all_of, *c.any_of]:
            if flag.startswith("in:"):
                if flag[3:] not in party_ids:
                    problems.append(
                        Problem(
                            f"cohort {c.name!r} uses unknown party {flag!r}", file, column="cohorts"
                        )
                    )
            elif flag not in attributes:
                problems.append(
                    Problem(
                        f"cohort {c.name!r} uses {flag!r}, which is not an attribute field",
                        file,
                        column="cohorts",
                    )
                )
        if not c.all_of and not c.any_of:
            problems.append(Problem(f"cohort {c.name!r} has no conditions", file, column="cohorts"))
    try:
        from lantern.disclosure import policy_from

        policy_from(agreement.disclosure_policy.as_spec(), where="disclosure_policy")
    except ConfigError as exc:
        problems += [Problem(p.message, file, column="disclosure_policy") for p in exc.problems]
    for ref in ("dpia_ref", "ethics_ref"):
        if not getattr(agreement, ref).strip():
            problems.append(Problem(f"{ref} must not be empty", file, column=ref))
    return problems


def _read(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    file = str(path)
    if not path.exists():
        return None, [Problem("file not found", file)]
    try:
        text = path.read_text("utf-8")
        if path.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as exc:
        return None, [Problem(f"cannot be parsed: {exc}", file)]
    if not isinstance(data, dict):
        return None, [Problem("top level must be a mapping", file)]
    return data, []


def parse_agreement(
    data: dict[str, Any], file: str = "<agreement>"
) -> tuple[Agreement | None, list[Problem]]:
    """Validate a parsed agreement; return it (or None) and every problem found."""
    try:
        agreement = Agreement.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(err["msg"], file, column=".".join(str(p) for p in err["loc"]))
            for err in exc.errors(include_url=False)
        ]
        return None, problems
    return agreement, _semantic_problems(agreement, file)


def check_agreement(path: str | Path) -> list[Problem]:
    """Every problem in an agreement file (empty when it is valid)."""
    data, problems = _read(Path(path))
    if data is None:
        return problems
    return parse_agreement(data, str(path))[1]


def load_agreement(path: str | Path) -> Agreement:
    """Load and validate an agreement; raise ``ConfigError`` listing every problem."""
    data, problems = _read(Path(path))
    agreement = None
    if data is not None:
        agreement, problems = parse_agreement(data, str(path))
    if problems or agreement is None:
        raise ConfigError(f"agreement {path} is invalid", problems)
    return agreement
