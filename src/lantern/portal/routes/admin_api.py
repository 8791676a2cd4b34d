"""The administrators' JSON API: users, roles and scopes, agreements, audit search and export."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from lantern.errors import IntegrityError
from lantern.portal import accounts, audit_db
from lantern.portal import agreements as agreements_mod
from lantern.portal.deps import ADMIN_ROLES, ClosingRoute, Ctx, require_csrf, roles
from lantern.portal.models import Household, User, utcnow
from lantern.portal.routes.api import ERRORS
from lantern.portal.schemas import (
    AgreementOut,
    AuditEntryOut,
    AuditVerification,
    NewPassword,
    ScopeIn,
    UserIn,
    UserOut,
    role_name,
)

router = APIRouter(
    prefix="/api/admin", responses=ERRORS, tags=["administration"], route_class=ClosingRoute
)
admin = roles(*ADMIN_ROLES)
Username = Annotated[str, Path(min_length=1, max_length=80)]


def user_out(u: User, now: datetime) -> UserOut:
    return UserOut(
        username=u.username,
        display_name=u.display_name,
        organisation=u.organisation,
        role=role_name(u.role),
        scope=sorted(s.area_code for s in u.scopes),
        active=u.active,
        locked=bool(u.locked_until and u.locked_until > now),
    )


@router.get("/users", response_model=list[UserOut])
def list_users(ctx: Ctx = Depends(admin)) -> list[UserOut]:
    now = utcnow()
    return [user_out(u, now) for u in ctx.db.scalars(select(User).order_by(User.username))]


CsrfHeader = Annotated[str | None, Header(alias="X-CSRF-Token", include_in_schema=False)]


@router.post("/users", response_model=NewPassword, status_code=201)
def create_user(
    body: UserIn, ctx: Ctx = Depends(admin), x_csrf_token: CsrfHeader = None
) -> NewPassword:
    """Create an account; the one-time password is returned once (ask the user to change it)."""
    require_csrf(ctx, x_csrf_token)
    assert ctx.user is not None
    password = secrets.token_urlsafe(18)
    accounts.create_user(
        ctx.db,
        username=body.username,
        role=accounts.parse_role(body.role),
        password=password,
        scope=body.scope,
        organisation=body.organisation,
        display_name=body.display_name,
        actor=ctx.user.username,
    )
    return NewPassword(username=body.username, password=password)


def _user(ctx: Ctx, username: str) -> User:
    user = ctx.db.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise HTTPException(404, "Not found")
    return user


@router.put("/users/{username}/scope", response_model=UserOut)
def change_scope(
    username: Username, body: ScopeIn, ctx: Ctx = Depends(admin), x_csrf_token: CsrfHeader = None
) -> UserOut:
    """Change a user's role and scope (audited; the user's sessions end)."""
    require_csrf(ctx, x_csrf_token)
    assert ctx.user is not None
    user = _user(ctx, username)
    accounts.set_role_and_scope(
        ctx.db, user, role=accounts.parse_role(body.role), scope=body.scope, actor=ctx.user.username
    )
    return user_out(user, utcnow())


@router.post("/users/{username}/reset-password", response_model=NewPassword)
def reset_password(
    username: Username, ctx: Ctx = Depends(admin), x_csrf_token: CsrfHeader = None
) -> NewPassword:
    """Set a new random password, unlock the account and end its sessions (audited)."""
    require_csrf(ctx, x_csrf_token)
    assert ctx.user is not None
    user = _user(ctx, username)
    password = accounts.reset_password(ctx.db, user, actor=ctx.user.username)
    return NewPassword(username=user.username, password=password)


@router.get("/agreements", response_model=list[AgreementOut])
def list_agreements(ctx: Ctx = Depends(admin)) -> list[AgreementOut]:
    counts = dict(
        ctx.db.execute(
            select(Household.agreement_id, func.count()).group_by(Household.agreement_id)
        ).all()
    )
    return [
        AgreementOut(
            id=a.id,
            title=a.title,
            status=a.status(ctx.today),
            start_date=a.start.isoformat(),
            retention_end=a.retention_end.isoformat(),
            parties=list(a.party_ids),
            purposes=list(a.purpose_codes),
            households=int(counts.get(a.id, 0)),
        )
        for a in agreements_mod.all_agreements(ctx.db)
    ]


@router.get("/audit", response_model=list[AuditEntryOut])
def search_audit(
    ctx: Ctx = Depends(admin),
    event: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryOut]:
    """Search the audit log, newest first."""
    rows = audit_db.search(ctx.db, limit=limit, event=event, text_contains=q, since=since)
    return [AuditEntryOut(**audit_db.as_dict(e)) for e in rows]


@router.get(
    "/audit/export",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
def export_audit(ctx: Ctx = Depends(admin), format: Literal["jsonl", "csv"] = "jsonl") -> Response:
    """The whole audit log; the JSON-lines form verifies with ``lantern audit verify``."""
    assert ctx.user is not None
    entries = audit_db.search(ctx.db, limit=10_000_000)
    audit_db.record(
        ctx.db, "audit.exported", actor=ctx.user.username, entries=len(entries), format=format
    )
    if format == "csv":
        return Response(
            audit_db.to_csv(entries),
            media_type="text/csv",
            headers={"content-disposition": 'attachment; filename="portal-audit.csv"'},
        )
    return Response(
        audit_db.to_jsonl(entries),
        media_type="application/x-ndjson",
        headers={"content-disposition": 'attachment; filename="portal-audit.jsonl"'},
    )


@router.get("/audit/verify", response_model=AuditVerification)
def verify_audit(ctx: Ctx = Depends(admin)) -> AuditVerification:
    try:
        result = audit_db.verify(ctx.db)
    except IntegrityError as exc:
        return AuditVerification(ok=False, entries=0, head=None, problem=str(exc))
    return AuditVerification(ok=True, entries=result.entries, head=result.head, problem=None)
