"""Request dependencies: database session, the signed-in user, roles, scope and CSRF.

``scoped`` is the only way routes reach area, indicator and household data; it builds the
user's ``ScopedQueries`` so scope filtering lives in ``lantern.portal.scope`` alone.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import anyio
from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from lantern.portal import sessions
from lantern.portal.models import Role
from lantern.portal.scope import Scope, ScopedQueries
from lantern.portal.settings import PortalSettings


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the sign-in page."""


@dataclass
class Ctx:
    """Who is asking: their session (may be anonymous) and user (``None`` for the public)."""

    db: Session
    web: sessions.SessionView | None
    user: sessions.SignedIn | None
    settings: PortalSettings
    today: date

    @property
    def csrf_token(self) -> str:
        return self.web.csrf_token if self.web else ""


async def context(request: Request) -> AsyncIterator[Ctx]:
    """The request's database session (closed when the request ends) and who is asking.

    Opening the session and reading the cookie's session, user and scope happen in one call on
    one worker thread; the role and CSRF checks below run on the event loop (they only look at
    what was read). A route closes the session on its own worker thread when it returns
    (``ClosingRoute``), so ending the request needs no further thread: a request crosses to a
    worker thread twice, to be read and to be answered."""
    settings: PortalSettings = request.app.state.settings
    db: Session = request.app.state.sessions()
    try:
        web, user = await anyio.to_thread.run_sync(
            sessions.load, db, request.cookies.get(sessions.COOKIE_NAME), settings
        )
        if user is not None and not user.active:
            user = None
        request.state.actor = user.username if user else None
        yield Ctx(db, web, user, settings, request.app.state.today())
    finally:
        if db.in_transaction():  # no route closed it (refused before one, or an async route)
            await anyio.to_thread.run_sync(db.close)
        else:
            db.close()  # nothing to roll back: no I/O


def _start_anonymous(request: Request, ctx: Ctx) -> Ctx:
    if ctx.web is None:
        started = sessions.start(ctx.db)
        ctx.db.commit()
        ctx.web = sessions.SessionView.of(started.record)
        request.state.new_session_token = started.token
    return ctx


async def with_session(request: Request, ctx: Ctx = Depends(context)) -> Ctx:
    """Make sure an (anonymous) session exists, so a form can carry a CSRF token (a worker
    thread only when one must be made)."""
    if ctx.web is None:
        return await anyio.to_thread.run_sync(_start_anonymous, request, ctx)
    return ctx


def _closing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Ctx):
                    value.db.close()

    return run


class ClosingRoute(APIRoute):
    """A route whose synchronous endpoint closes its request's database session on its own
    worker thread as soon as it returns (its response is built by then: pages are rendered,
    models filled), instead of on a further worker thread after it."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _closing(endpoint)
        super().__init__(path, endpoint, **kwargs)


async def api_user(ctx: Ctx = Depends(context)) -> Ctx:
    if ctx.user is None:
        raise HTTPException(401, "sign in first")
    return ctx


async def page_user(ctx: Ctx = Depends(context)) -> Ctx:
    if ctx.user is None:
        raise LoginRequired()
    return ctx


def roles(*allowed: Role, page: bool = False) -> Callable[..., Awaitable[Ctx]]:
    """A dependency admitting only users with one of ``allowed`` roles (403 otherwise)."""
    names = {r.value for r in allowed}
    base = page_user if page else api_user

    async def check(ctx: Ctx = Depends(base)) -> Ctx:
        if ctx.user is None or ctx.user.role not in names:
            raise HTTPException(403, "your role does not allow this")
        return ctx

    return check


def scoped(ctx: Ctx) -> ScopedQueries:
    assert ctx.user is not None
    return ScopedQueries(ctx.db, Scope.for_user(ctx.user))


def require_csrf(ctx: Ctx, submitted: str | None) -> None:
    if not sessions.csrf_matches(ctx.web, submitted):
        raise HTTPException(403, "missing or invalid CSRF token: reload the page and try again")


async def api_csrf(request: Request, ctx: Ctx = Depends(api_user)) -> Ctx:
    """State-changing API calls must echo the session's CSRF token in ``X-CSRF-Token``."""
    require_csrf(ctx, request.headers.get("x-csrf-token"))
    return ctx


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


ALL_STAFF = tuple(Role)
AREA_ROLES = ALL_STAFF
HOUSEHOLD_ROLES = (Role.HUB_WORKER,)
ADMIN_ROLES = (Role.ADMINISTRATOR,)


def household_export_response(ctx: Ctx, *, agreement: str, purpose: str) -> Response:
    """The watermarked, audited CSV of the households in the user's scope, as a download."""
    from lantern.portal import households

    assert ctx.user is not None
    export = households.export_csv(
        ctx.db,
        scoped(ctx),
        ctx.user,
        agreement_id=agreement,
        purpose=purpose,
        key=ctx.settings.key_bytes(),
        today=ctx.today,
    )
    return Response(
        export.text,
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{export.filename}"'},
    )


def aggregate_for(ctx: Ctx, *, agreement: str, table: str, area_type: str, event: str, **extra):  # noqa: ANN003, ANN201
    """The protected aggregate of the user's scope (``lantern.portal.aggregates``), audited."""
    from lantern.portal import aggregates, audit_db

    assert ctx.user is not None
    result = aggregates.build(
        ctx.db,
        scoped(ctx),
        agreement_id=agreement,
        table=table,
        area_type=area_type,
        policy=ctx.settings.policy,
        today=ctx.today,
        refresh=timedelta(minutes=ctx.settings.aggregate_refresh_minutes),
    )
    audit_db.record(
        ctx.db,
        event,
        actor=ctx.user.username,
        agreement=result.agreement,
        table=result.table,
        area_type=result.area_type,
        rows=len(result.rows),
        withheld=result.withheld,
        policy=ctx.settings.disclosure_policy,
        as_of=result.as_of.isoformat(timespec="seconds") if result.as_of else None,
        **extra,
    )
    return result


def aggregate_export_response(ctx: Ctx, *, agreement: str, table: str, area_type: str) -> Response:
    """The protected aggregate as a formula-safe CSV download (audited with an export id)."""
    import secrets

    from lantern.portal import aggregates
    from lantern.portal.models import utcnow

    assert ctx.user is not None
    export_id = "AGG-" + secrets.token_hex(6).upper()
    result = aggregate_for(
        ctx,
        agreement=agreement,
        table=table,
        area_type=area_type,
        event="aggregates.exported",
        export=export_id,
    )
    stamp = utcnow().isoformat(timespec="seconds") + "Z"
    as_of = result.as_of.strftime("%Y-%m-%dT%H:%M:%SZ") if result.as_of else stamp
    header = (
        f"# {result.title} by {result.area_type} - agreement {result.agreement} - "
        f"protected ({result.policy}); {aggregates.WITHHELD} = withheld - counts as of "
        f"{as_of} - {export_id} - exported by {ctx.user.username} at {stamp}"
    )
    return Response(
        aggregates.csv_text(result, header=header),
        media_type="text/csv",
        headers={
            "content-disposition": (
                f'attachment; filename="{result.table}-{result.area_type}-{result.agreement}-'
                f'{export_id}.csv"'
            )
        },
    )
