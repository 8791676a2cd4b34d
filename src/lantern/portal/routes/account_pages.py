"""Account pages: administrators manage users in the browser (create, disable, enable, change
role and scope, reset a password); every user changes their own password."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lantern.errors import InputError
from lantern.portal import accounts
from lantern.portal.deps import ADMIN_ROLES, ALL_STAFF, ClosingRoute, Ctx, require_csrf, roles
from lantern.portal.models import Role, User, utcnow
from lantern.portal.routes.auth import render

router = APIRouter(include_in_schema=False, route_class=ClosingRoute)
admin = roles(*ADMIN_ROLES, page=True)
staff = roles(*ALL_STAFF, page=True)
Field = Annotated[str, Form()]


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(",", " ").split() if c][:200]


def users_view(request: Request, ctx: Ctx, *, status: int = 200, **extra: object) -> Response:
    users = list(ctx.db.scalars(select(User).order_by(User.username)))
    return render(
        request,
        "users.html",
        ctx,
        status=status,
        users=users,
        now=utcnow(),
        roles=[r.value for r in Role],
        **extra,
    )


@router.get("/admin/users")
def users_page(request: Request, ctx: Ctx = Depends(admin)) -> Response:
    return users_view(request, ctx, done=request.query_params.get("done", "")[:200])


@router.post("/admin/users")
def users_create(
    request: Request,
    csrf_token: Field = "",
    username: Field = "",
    role: Field = "",
    organisation: Field = "",
    display_name: Field = "",
    scope: Field = "",
    ctx: Ctx = Depends(admin),
) -> Response:
    require_csrf(ctx, csrf_token[:200])
    assert ctx.user is not None
    password = secrets.token_urlsafe(18)
    try:
        user = accounts.create_user(
            ctx.db,
            username=username[:80],
            role=accounts.parse_role(role[:40]),
            password=password,
            scope=_codes(scope),
            organisation=organisation.strip()[:100],
            display_name=display_name.strip()[:200],
            actor=ctx.user.username,
        )
    except InputError as exc:
        ctx.db.rollback()
        return users_view(request, ctx, status=400, error=str(exc))
    return users_view(
        request,
        ctx,
        new_password=(user.username, password),
        done=f"Created {user.username} ({user.role.replace('_', ' ')}).",
    )


@router.post("/admin/users/{username}/scope")
def users_scope(
    request: Request,
    username: str,
    csrf_token: Field = "",
    role: Field = "",
    scope: Field = "",
    ctx: Ctx = Depends(admin),
) -> Response:
    require_csrf(ctx, csrf_token[:200])
    assert ctx.user is not None
    try:
        user = accounts.get_user(ctx.db, username[:80])
        accounts.set_role_and_scope(
            ctx.db,
            user,
            role=accounts.parse_role(role[:40]),
            scope=_codes(scope),
            actor=ctx.user.username,
        )
    except InputError as exc:
        ctx.db.rollback()
        return users_view(request, ctx, status=400, error=str(exc))
    scope_text = ", ".join(sorted(s.area_code for s in user.scopes)) or "every area"
    return RedirectResponse(
        f"/admin/users?done=Saved {user.username}: {user.role.replace('_', ' ')}, {scope_text}; "
        "their sessions have ended.",
        status_code=303,
    )


@router.post("/admin/users/{username}/active")
def users_active(
    request: Request,
    username: str,
    csrf_token: Field = "",
    active: Field = "",
    ctx: Ctx = Depends(admin),
) -> Response:
    require_csrf(ctx, csrf_token[:200])
    assert ctx.user is not None
    try:
        user = accounts.get_user(ctx.db, username[:80])
        if user.id == ctx.user.id:
            raise InputError("you cannot disable your own account")
        accounts.set_active(ctx.db, user, active=active == "1", actor=ctx.user.username)
    except InputError as exc:
        ctx.db.rollback()
        return users_view(request, ctx, status=400, error=str(exc))
    word = "enabled" if user.active else "disabled (signed out everywhere)"
    return RedirectResponse(f"/admin/users?done={user.username} {word}.", status_code=303)


@router.post("/admin/users/{username}/reset")
def users_reset(
    request: Request,
    username: str,
    csrf_token: Field = "",
    ctx: Ctx = Depends(admin),
) -> Response:
    require_csrf(ctx, csrf_token[:200])
    assert ctx.user is not None
    try:
        user = accounts.get_user(ctx.db, username[:80])
    except InputError as exc:
        return users_view(request, ctx, status=400, error=str(exc))
    password = accounts.reset_password(ctx.db, user, actor=ctx.user.username)
    return users_view(request, ctx, new_password=(user.username, password))


@router.get("/account/password")
def password_page(request: Request, ctx: Ctx = Depends(staff)) -> Response:
    return render(request, "password.html", ctx)


@router.post("/account/password")
def password_change(
    request: Request,
    csrf_token: Field = "",
    current: Field = "",
    new: Field = "",
    confirm: Field = "",
    ctx: Ctx = Depends(staff),
) -> Response:
    require_csrf(ctx, csrf_token[:200])
    assert ctx.user is not None and ctx.web is not None
    try:
        if new != confirm:
            raise InputError("the new password and its confirmation differ")
        if len(new) > 1000:
            raise InputError("passwords must be at most 1000 characters")
        user = ctx.db.get(User, ctx.user.id)
        if user is None:
            raise InputError("this account no longer exists")
        accounts.change_own_password(
            ctx.db, user, current=current[:1000], new=new, keep_session=ctx.web.id
        )
    except InputError as exc:
        ctx.db.rollback()
        return render(request, "password.html", ctx, status=400, error=str(exc))
    return render(request, "password.html", ctx, done=True)
