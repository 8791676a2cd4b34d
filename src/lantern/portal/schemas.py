"""Request and response bodies of the portal's JSON API (they define the OpenAPI schema)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from lantern.portal.households import OUTCOMES

AreaType = Literal["district", "ward", "msoa", "lsoa"]
RoleName = Literal["administrator", "analyst", "district_officer", "hub_worker"]
# mypy cannot read a Literal built from a runtime tuple; pydantic and the OpenAPI schema can
Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]


def role_name(value: str) -> RoleName:
    """A stored role as the API names it (a role the API does not know is a fault)."""
    for name in get_args(RoleName):
        if name == value:
            return name
    raise ValueError(f"unknown role {value!r}")


class Problem(BaseModel):
    detail: str


class Me(BaseModel):
    username: str
    display_name: str
    organisation: str
    role: RoleName
    scope: list[str]
    #: echo this in ``X-CSRF-Token`` on state-changing API calls
    csrf_token: str


class AreaOut(BaseModel):
    area_code: str
    area_name: str
    area_type: str
    vintage: str
    boundary_year: int


class AreaPage(BaseModel):
    total: int
    items: list[AreaOut]


class AreaDetail(BaseModel):
    area: AreaOut
    parents: list[AreaOut]
    children: dict[str, int]


class IndicatorMetaOut(BaseModel):
    indicator_id: str
    title: str
    unit: str
    kind: str
    polarity: str
    source: str


class IndicatorValueOut(BaseModel):
    indicator_id: str
    title: str | None
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None


class AreaValue(BaseModel):
    area_code: str
    area_name: str
    period: str
    value: float | None


class AggregateOut(BaseModel):
    area_code: str
    indicator_id: str
    lsoas: int
    mean: float | None
    min: float | None
    max: float | None
    ratio: float | None


class HouseholdOut(BaseModel):
    reference: str
    lsoa_code: str
    reason: str
    contact: dict[str, str]
    last_outcome: str | None


class HouseholdList(BaseModel):
    agreement: str
    purpose: str
    households: list[HouseholdOut]


class OutcomeIn(BaseModel):
    outcome: Outcome
    agreement: str = Field(min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=100)


class Ok(BaseModel):
    ok: bool = True


class UserOut(BaseModel):
    username: str
    display_name: str
    organisation: str
    role: RoleName
    scope: list[str]
    active: bool
    locked: bool


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    role: RoleName
    organisation: str = Field(default="", max_length=100)
    display_name: str = Field(default="", max_length=200)
    scope: list[str] = Field(default_factory=list, max_length=200)


class ScopeIn(BaseModel):
    role: RoleName
    scope: list[str] = Field(default_factory=list, max_length=200)


class NewPassword(BaseModel):
    username: str
    password: str


class AgreementOut(BaseModel):
    id: str
    title: str
    status: str
    start_date: str
    retention_end: str
    parties: list[str]
    purposes: list[str]
    households: int


class AuditEntryOut(BaseModel):
    seq: int
    time: str
    event: str
    details: dict
    prev: str
    hash: str


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    head: str | None
    problem: str | None


class RegisterEntry(BaseModel):
    agreement_id: str
    title: str
    status: str
    purposes: list[dict[str, str]]
    partners: list[dict[str, str]]
    datasets: list[dict]
    lawful_basis: dict
    retention_end: str
    outputs_permitted: list[str]
    outputs_released: list[dict]
    dpia_ref: str
    transparency_notice_url: str


class Register(BaseModel):
    generated_at: str
    objection_url: str
    how_to_object: str
    uses: list[RegisterEntry]


class AggregateTableOut(BaseModel):
    """A protected aggregate table: withheld cells are ``null``."""

    table: str
    title: str
    agreement: str
    area_type: AreaType
    columns: list[str]
    #: the disclosure policy the table was protected under
    policy: str
    withheld: int
    rows: list[dict[str, str | int | None]]
