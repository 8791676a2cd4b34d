"""Build the FastAPI application: middleware, error handling, routes, templates, static files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders

from lantern import __version__
from lantern.errors import ConfigError, GovernanceError, InputError
from lantern.portal import sessions
from lantern.portal.db import make_engine, require_schema, session_factory
from lantern.portal.deps import LoginRequired
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


class CookiesAndHeaders:
    """Pure ASGI middleware: sets or clears the session cookie that a route asked for (via
    ``request.state``) and adds security headers to every response."""

    def __init__(self, app, settings: PortalSettings) -> None:  # noqa: ANN001
        self.app = app
        self.max_age = settings.session_max_hours * 3600

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})

        async def send_with_headers(message) -> None:  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = scope.get("scheme") == "https"
                state = scope["state"]
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
    engine = make_engine(settings.database_url)
    require_schema(engine)
    app = FastAPI(
        title="Lantern partner portal",
        version=__version__,
        description="Scoped, audited access to neighbourhood data for districts and community hubs.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.today = today
    app.state.oidc_transport = oidc_transport
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(CookiesAndHeaders, settings=settings)

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
        return _error(request, 404, "Not found")

    @app.exception_handler(GovernanceError)
    async def _governance(request: Request, exc: GovernanceError) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(ConfigError)
    async def _config(request: Request, exc: ConfigError) -> Response:
        return _error(
            request,
            503,
            "this service is not configured: " + "; ".join(p.message for p in exc.problems),
        )

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # e.g. a NUL character, which PostgreSQL text cannot hold
        return _error(
            request, 400, "the request holds characters or values the database cannot store"
        )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if _is_api(request) or request.method != "GET" or exc.status_code == 405:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return _error(request, exc.status_code, str(exc.detail))

    from lantern.portal.routes import admin_api, api, auth, pages, public

    for module in (api, admin_api, auth, pages, public):
        app.include_router(module.router)
    if settings.oidc_metadata_url:
        from lantern.portal.routes import oidc

        oidc.install(app, settings)
    return app
