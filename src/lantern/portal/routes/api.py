"""The JSON API for signed-in staff: areas, indicators, aggregates and household lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response

from lantern.portal import households
from lantern.portal.deps import (
    AREA_ROLES,
    HOUSEHOLD_ROLES,
    ClosingRoute,
    Ctx,
    aggregate_export_response,
    aggregate_for,
    api_csrf,
    household_export_response,
    roles,
    scoped,
)
from lantern.portal.models import Area
from lantern.portal.schemas import (
    AggregateOut,
    AggregateTableOut,
    AreaDetail,
    AreaOut,
    AreaPage,
    AreaType,
    AreaValue,
    HouseholdList,
    HouseholdOut,
    IndicatorMetaOut,
    IndicatorValueOut,
    Me,
    Ok,
    OutcomeIn,
    Problem,
    role_name,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "role, CSRF token or agreement does not allow this"},
    404: {"model": Problem, "description": "no such item in your scope"},
    503: {"model": Problem},
}
router = APIRouter(prefix="/api", responses=ERRORS, route_class=ClosingRoute)
Code = Annotated[str, Query(min_length=1, max_length=12)] | None
staff = roles(*AREA_ROLES)


def _area(a: Area) -> AreaOut:
    return AreaOut(
        area_code=a.area_code,
        area_name=a.area_name,
        area_type=a.area_type,
        vintage=a.vintage,
        boundary_year=a.boundary_year,
    )


@router.get("/me", response_model=Me, tags=["account"])
def me(ctx: Ctx = Depends(staff)) -> Me:
    u = ctx.user
    assert u is not None
    return Me(
        username=u.username,
        display_name=u.display_name,
        organisation=u.organisation,
        role=role_name(u.role),
        scope=sorted(s.area_code for s in u.scopes),
        csrf_token=ctx.csrf_token,
    )


@router.get("/areas", response_model=AreaPage, tags=["areas"])
def list_areas(
    ctx: Ctx = Depends(staff),
    area_type: AreaType | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    within: Code = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> AreaPage:
    """Areas in your scope (search by name or code; ``within`` limits to one area's contents)."""
    total, rows = scoped(ctx).areas(
        area_type=area_type, q=q, within=within, limit=limit, offset=offset
    )
    return AreaPage(total=total, items=[_area(a) for a in rows])


@router.get("/areas/{code}", response_model=AreaDetail, tags=["areas"])
def area_detail(code: Annotated[str, Path(max_length=12)], ctx: Ctx = Depends(staff)) -> AreaDetail:
    q = scoped(ctx)
    area = q.area(code)
    return AreaDetail(
        area=_area(area),
        parents=[_area(p) for p in q.parents(code)],
        children=q.child_counts(area.area_code),
    )


@router.get("/areas/{code}/indicators", response_model=list[IndicatorValueOut], tags=["areas"])
def area_indicators(
    code: Annotated[str, Path(max_length=12)], ctx: Ctx = Depends(staff)
) -> list[IndicatorValueOut]:
    return [
        IndicatorValueOut(
            indicator_id=v.indicator_id,
            title=m.title if m else None,
            period=v.period,
            value=v.value,
            numerator=v.numerator,
            denominator=v.denominator,
        )
        for m, v in scoped(ctx).indicators_for(code)
    ]


@router.get("/areas/{code}/aggregate", response_model=AggregateOut, tags=["areas"])
def area_aggregate(
    code: Annotated[str, Path(max_length=12)],
    indicator_id: Annotated[str, Query(min_length=1, max_length=120)],
    ctx: Ctx = Depends(staff),
) -> AggregateOut:
    """An LSOA indicator summarised over the LSOAs of ``code`` that are in your scope."""
    return AggregateOut(**scoped(ctx).aggregate(code, indicator_id))


@router.get("/indicators", response_model=list[IndicatorMetaOut], tags=["indicators"])
def indicators(ctx: Ctx = Depends(staff)) -> list[IndicatorMetaOut]:
    return [
        IndicatorMetaOut(
            indicator_id=m.indicator_id,
            title=m.title,
            unit=m.unit,
            kind=m.kind,
            polarity=m.polarity,
            source=m.source,
        )
        for m in scoped(ctx).indicator_catalogue()
    ]


@router.get(
    "/indicators/{indicator_id}/values", response_model=list[AreaValue], tags=["indicators"]
)
def indicator_values(
    indicator_id: Annotated[str, Path(max_length=120)],
    ctx: Ctx = Depends(staff),
    area_type: AreaType = "lsoa",
    within: Code = None,
) -> list[AreaValue]:
    """One indicator for every area of a type in your scope."""
    rows = scoped(ctx).indicator_values(indicator_id, area_type=area_type, within=within)
    return [
        AreaValue(area_code=a.area_code, area_name=a.area_name, period=v.period, value=v.value)
        for a, v in rows
    ]


AggregateTableName = Literal["households", "outcomes"]


@router.get("/aggregates", response_model=AggregateTableOut, tags=["aggregates"])
def aggregate_table(
    agreement: Annotated[str, Query(min_length=1, max_length=100)],
    table: AggregateTableName = "households",
    area_type: AreaType = "ward",
    ctx: Ctx = Depends(staff),
) -> AggregateTableOut:
    """Counts of flagged households (``households``) or of their latest contact outcomes
    (``outcomes``) by area, for your scope only, protected by the disclosure gate (small counts
    withheld as ``null``, others rounded, secondary suppression). Audited."""
    result = aggregate_for(
        ctx, agreement=agreement, table=table, area_type=area_type, event="aggregates.viewed"
    )
    return AggregateTableOut(
        table=result.table,
        title=result.title,
        agreement=result.agreement,
        area_type=area_type,
        columns=list(result.columns),
        policy=result.policy,
        withheld=result.withheld,
        rows=result.rows,
    )


@router.get(
    "/aggregates/export",
    tags=["aggregates"],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def aggregate_export(
    agreement: Annotated[str, Query(min_length=1, max_length=100)],
    table: AggregateTableName = "households",
    area_type: AreaType = "ward",
    ctx: Ctx = Depends(staff),
) -> Response:
    """The same table as a CSV download (``[c]`` = withheld); audited with an export id."""
    return aggregate_export_response(ctx, agreement=agreement, table=table, area_type=area_type)


HouseholdParam = Annotated[str, Query(min_length=1, max_length=100)]


@router.get("/households", response_model=HouseholdList, tags=["households"])
def household_list(
    agreement: HouseholdParam, purpose: HouseholdParam, ctx: Ctx = Depends(roles(*HOUSEHOLD_ROLES))
) -> HouseholdList:
    """Flagged households in your scope under an agreement (each view is audited)."""
    assert ctx.user is not None
    rows = households.view(
        ctx.db,
        scoped(ctx),
        ctx.user,
        agreement_id=agreement,
        purpose=purpose,
        key=ctx.settings.key_bytes(),
        today=ctx.today,
    )
    return HouseholdList(
        agreement=agreement, purpose=purpose, households=[HouseholdOut(**r.__dict__) for r in rows]
    )


@router.post("/households/{reference}/outcome", response_model=Ok, tags=["households"])
def household_outcome(
    reference: Annotated[str, Path(max_length=40)], body: OutcomeIn, ctx: Ctx = Depends(api_csrf)
) -> Ok:
    """Record a contact outcome (send the session's CSRF token in ``X-CSRF-Token``)."""
    _require_household_role(ctx)
    assert ctx.user is not None
    households.record_outcome(
        ctx.db,
        scoped(ctx),
        ctx.user,
        reference=reference,
        outcome=body.outcome,
        agreement_id=body.agreement,
        purpose=body.purpose,
        today=ctx.today,
    )
    return Ok()


@router.get(
    "/households/export",
    tags=["households"],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def household_export(
    agreement: HouseholdParam, purpose: HouseholdParam, ctx: Ctx = Depends(roles(*HOUSEHOLD_ROLES))
) -> Response:
    """A watermarked CSV of the households in your scope (audited)."""
    return household_export_response(ctx, agreement=agreement, purpose=purpose)


def _require_household_role(ctx: Ctx) -> None:
    if ctx.user is None or ctx.user.role not in {r.value for r in HOUSEHOLD_ROLES}:
        raise HTTPException(403, "your role does not allow this")
