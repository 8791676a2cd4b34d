"""Rate limits on every state-changing request, per client address, held in the database so
that every worker process shares them.

Every POST, PUT, PATCH and DELETE counts against ``write_rate_per_minute``; the anonymous
objection form also against ``objection_rate_per_hour``; sign-in attempts have their own limit
in ``lantern.portal.accounts``. A refused request gets 429 with ``Retry-After`` (and, like every
refusal, an ``access.refused`` audit entry).
"""

from __future__ import annotations

from datetime import timedelta

import anyio
from sqlalchemy import Table, func, insert, select
from starlette.responses import JSONResponse, PlainTextResponse, Response

from lantern.portal.models import RateEvent, utcnow
from lantern.portal.settings import PortalSettings

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

_TABLE: Table = RateEvent.__table__  # type: ignore[assignment]


def rules(settings: PortalSettings, method: str, path: str) -> list[tuple[str, int, int]]:
    """(bucket, limit, window in seconds) that apply to one request."""
    if method not in WRITE_METHODS:
        return []
    out = [("write", settings.write_rate_per_minute, 60)]
    if path.rstrip("/") == "/object":
        out.append(("objection", settings.objection_rate_per_hour, 3600))
    return out


def admit(factory, client: str, checks: list[tuple[str, int, int]]) -> int | None:  # noqa: ANN001
    """Record the request; the window (seconds) to wait if any bucket is full, else ``None``."""
    now = utcnow()
    with factory() as db:
        for bucket, limit, window in checks:
            used = db.scalar(
                select(func.count())
                .select_from(RateEvent)
                .where(
                    RateEvent.bucket == bucket,
                    RateEvent.client == client,
                    RateEvent.at >= now - timedelta(seconds=window),
                )
            )
            if (used or 0) >= limit:
                return window
        db.execute(
            insert(_TABLE),
            [{"bucket": b, "client": client, "at": now} for b, _, _ in checks],
        )
        db.commit()
    return None


class RateLimit:
    """Pure ASGI middleware applying ``rules`` before the request reaches a route."""

    def __init__(self, app, settings: PortalSettings, factory) -> None:  # noqa: ANN001
        self.app = app
        self.settings = settings
        self.factory = factory

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] == "http":
            checks = rules(self.settings, scope["method"], scope["path"])
            if checks:
                client = (scope.get("client") or ("unknown",))[0][:64]
                wait = await anyio.to_thread.run_sync(admit, self.factory, client, checks)
                if wait is not None:
                    scope.setdefault("state", {})["reason"] = "rate limited"
                    message = "Too many requests from your network: wait a while and try again."
                    headers = {"retry-after": str(wait)}
                    response: Response
                    if scope["path"].startswith("/api/"):
                        response = JSONResponse({"detail": message}, 429, headers=headers)
                    else:
                        response = PlainTextResponse(message, 429, headers=headers)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
