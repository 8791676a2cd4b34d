"""Build the FastAPI application: middleware, error handling, routes, templates, static files."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders

from lantern import __version__
from lantern.errors import ConfigError, LanternError
from lantern.portal import audit_db, sessions, summaries
from lantern.portal.db import make_engine, require_schema, session_factory
from lantern.portal.deps import LoginRequired
from lantern.portal.ratelimit import RateLimit
from lantern.portal.scope import NotVisible
from lantern.portal.settings import PortalSettings

HERE = Path(__file__).resolve().parent
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


#: statuses that always mean "refused"; a 404 or redirect is a refusal when a handler says so
REFUSAL_STATUSES = {401, 403, 429}


class CookiesAndHeaders:
    """Pure ASGI middleware: sets or clears the session cookie that a route asked for (via
    ``request.state``), adds security headers to every response, and audits every refusal.

    A response is a refusal when its status is 401, 403 or 429, or when a handler marked it
    (``state["refusal"]``: an out-of-scope 404, a sign-in redirect). Refusals already audited by
    their route (``state["audited"]``, e.g. a failed sign-in) are not written twice.
    """

    def __init__(self, app, settings: PortalSettings, record_refusal) -> None:  # noqa: ANN001
        self.app = app
        self.max_age = settings.session_max_hours * 3600
        self.force_secure = settings.force_secure
        self.hsts = settings.hsts_seconds
        self.record_refusal = record_refusal

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})

        async def send_with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = self.force_secure or scope.get("scheme") == "https"
                state = scope["state"]
                status = message["status"]
                if (status in REFUSAL_STATUSES or state.get("refusal")) and not state.get(
                    "audited"
                ):
                    await anyio.to_thread.run_sync(self.record_refusal, scope, status)
                if secure and self.hsts > 0:
                    headers["strict-transport-security"] = f"max-age={self.hsts}; includeSubDomains"
                token = state.get("new_session_token")
                flags = f"Path=/; HttpOnly; SameSite=lax{'; Secure' if secure else ''}"
                if token:
                    headers.append(
                        "set-cookie",
                        f"{sessions.COOKIE_NAME}={token}; Max-Age={self.max_age}; {flags}",
                    )
                elif state.get("clear_session"):
                    headers.append("set-cookie", f'{sessions.COOKIE_NAME}=""; Max-Age=0; {flags}')
                for k, v in SECURITY_HEADERS.items():
                    if k not in headers:
                        headers[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: paths answered without the database, outside the queue: static files and the health check
UNQUEUED = ("/static/", "/api/health")


class InOrder:
    """Pure ASGI middleware: at most ``slots`` requests in progress at once in this process; the
    rest wait their turn in arrival order, holding no thread and no database connection.

    Without it a request took a worker thread for each step (its session and user, its route,
    closing its session) and queued again between steps behind every request that arrived
    after it, so in a burst all of them finished late together; and requests that had their
    connection but waited for a thread could hold every pooled connection while every thread
    waited for one (the pool's 30 s timeout, then errors). A request in progress holds at most
    two connections (its own, and one to audit a refusal), so ``slots`` is at most the pool size.
    """

    def __init__(self, app, slots: int) -> None:  # noqa: ANN001
        self.app = app
        self.slots = slots
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http" or scope["path"].startswith(UNQUEUED):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()  # one queue per event loop (the rehearsal has its own)
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.slots)
        async with gate:
            await self.app(scope, receive, send)


def run_purge(factory, settings: PortalSettings, today: date, *, actor: str) -> None:  # noqa: ANN001
    """Purge expired household data and stale sessions (``lantern.portal.retention``)."""
    from lantern.portal.retention import purge

    with factory() as db:
        purge(db, settings, today=today, actor=actor)


async def _purge_on_schedule(factory, settings: PortalSettings, today) -> None:  # noqa: ANN001
    while True:
        await asyncio.sleep(settings.purge_interval_minutes * 60)
        try:
            await anyio.to_thread.run_sync(
                lambda: run_purge(factory, settings, today(), actor="portal:schedule")
            )
        except Exception:  # noqa: BLE001 - a failed purge is retried at the next interval
            logging.getLogger("lantern.portal").exception("scheduled purge failed")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(
    settings: PortalSettings | None = None,
    *,
    today: Callable[[], date] = date.today,
    oidc_transport: object | None = None,
) -> FastAPI:
    """The portal app; ``oidc_transport`` (an httpx transport) reaches the identity provider."""
    settings = settings or PortalSettings()
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
    require_schema(engine)
    factory = session_factory(engine)
    with factory() as db:
        summaries.ensure(db)
    run_purge(factory, settings, today(), actor="portal:start-up")

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        task = None
        if settings.purge_interval_minutes > 0:
            task = asyncio.create_task(_purge_on_schedule(factory, settings, today))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="Lantern partner portal",
        version=__version__,
        description="Scoped, audited access to neighbourhood data for districts and community hubs.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = factory
    app.state.today = today
    app.state.oidc_transport = oidc_transport
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def record_refusal(scope: dict, status: int) -> None:
        state = scope["state"]
        query = scope.get("query_string", b"").decode("latin-1")
        with app.state.sessions() as db:
            audit_db.record(
                db,
                "access.refused",
                user=state.get("actor"),
                client=(scope.get("client") or ("unknown",))[0][:64],
                method=scope.get("method", ""),
                path=scope.get("path", "")[:200],
                query=query[:200],
                status=status,
                reason=str(state.get("reason") or state.get("refusal") or "")[:200],
            )

    app.add_middleware(RateLimit, settings=settings, factory=factory)
    app.add_middleware(CookiesAndHeaders, settings=settings, record_refusal=record_refusal)
    app.add_middleware(InOrder, slots=min(settings.threads, settings.db_pool_size))

    def _error(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "message": message, "user": None},
            status_code=status,
        )

    @app.exception_handler(NotVisible)
    async def _not_visible(request: Request, exc: NotVisible) -> Response:
        request.state.refusal = "not in scope or does not exist"
        return _error(request, 404, "Not found")

    @app.exception_handler(LanternError)
    async def _lantern(request: Request, exc: LanternError) -> Response:
        if isinstance(exc, ConfigError):
            message = "this service is not configured: " + "; ".join(
                p.message for p in exc.problems
            )
        else:
            message = str(exc)
        request.state.reason = message
        return _error(request, exc.http_status, message)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # e.g. a NUL character, which PostgreSQL text cannot hold
        return _error(
            request, 400, "the request holds characters or values the database cannot store"
        )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        request.state.refusal = "sign in first"
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        request.state.reason = str(exc.detail)
        if _is_api(request) or request.method != "GET" or exc.status_code == 405:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return _error(request, exc.status_code, str(exc.detail))

    from lantern.portal.routes import account_pages, admin_api, api, auth, pages, public

    for module in (api, admin_api, auth, pages, account_pages, public):
        app.include_router(module.router)
    if settings.oidc_metadata_url:
        from lantern.portal.routes import oidc

        oidc.install(app, settings)
    return app
