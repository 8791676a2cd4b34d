"""Server-side sessions: random cookie tokens, expiry, rotation on sign-in, CSRF tokens.

The cookie carries a random token; the database keeps only its SHA-256, so a leaked database
does not yield live sessions. Every sign-in issues a fresh token (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from lantern.portal.models import User, UserScope, WebSession, utcnow
from lantern.portal.settings import PortalSettings

COOKIE_NAME = "lantern_session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class ActiveSession:
    token: str | None  # set only when a new cookie must be sent
    record: WebSession

    @property
    def csrf_token(self) -> str:
        return self.record.csrf_token


def start(session: Session, user: User | None = None) -> ActiveSession:
    token = secrets.token_urlsafe(32)
    record = WebSession(
        id=_digest(token), user_id=user.id if user else None, csrf_token=secrets.token_urlsafe(32)
    )
    session.add(record)
    session.flush()
    return ActiveSession(token, record)


@dataclass(frozen=True)
class ScopeArea:
    """One area of a signed-in user's scope (as ``UserScope`` rows read)."""

    area_code: str


@dataclass(frozen=True)
class SignedIn:
    """The signed-in user as read for one request: what routes, scope and pages look at.

    Read in the same query as the session (no ORM objects), so it is never older than the
    request. Changing the account needs the ``User`` row itself (``session.get(User, id)``)."""

    id: int
    username: str
    display_name: str
    organisation: str
    role: str
    active: bool
    scopes: tuple[ScopeArea, ...]


@dataclass(frozen=True)
class SessionView:
    """A live session as read for one request (``WebSession``'s columns)."""

    id: str
    user_id: int | None
    csrf_token: str
    oidc_state: str | None
    oidc_nonce: str | None
    oidc_verifier: str | None
    created_at: datetime
    last_seen_at: datetime

    @classmethod
    def of(cls, record: WebSession) -> SessionView:
        return cls(
            record.id,
            record.user_id,
            record.csrf_token,
            record.oidc_state,
            record.oidc_nonce,
            record.oidc_verifier,
            record.created_at,
            record.last_seen_at,
        )


_S, _U, _US = WebSession.__table__, User.__table__, UserScope.__table__
#: the session, its user and the user's scope codes in one row (one round trip, no ORM)
_LOAD = (
    select(
        _S.c.id,
        _S.c.user_id,
        _S.c.csrf_token,
        _S.c.oidc_state,
        _S.c.oidc_nonce,
        _S.c.oidc_verifier,
        _S.c.created_at,
        _S.c.last_seen_at,
        _U.c.username,
        _U.c.display_name,
        _U.c.organisation,
        _U.c.role,
        _U.c.active,
        select(func.aggregate_strings(_US.c.area_code, ","))
        .where(_US.c.user_id == _U.c.id)
        .scalar_subquery()
        .label("scope_codes"),
    )
    .select_from(_S.outerjoin(_U, _U.c.id == _S.c.user_id))
    .where(_S.c.id == bindparam("digest"))
)


def load(
    session: Session, token: str | None, settings: PortalSettings
) -> tuple[SessionView | None, SignedIn | None]:
    """The live session for a cookie token, its user and the user's scope, read in one query
    (one round trip before every request with a cookie), or ``(None, None)`` when unknown or
    expired (then deleted)."""
    if not token or len(token) > 128:
        return None, None
    row = session.execute(_LOAD, {"digest": _digest(token)}).first()
    if row is None:
        return None, None
    now = utcnow()
    idle = now - row.last_seen_at > settings.session_idle
    if idle or now - row.created_at > settings.session_max:
        session.execute(delete(WebSession).where(WebSession.id == row.id))
        session.commit()
        return None, None
    if (now - row.last_seen_at).total_seconds() > 60:  # avoid a write on every request
        session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
        session.commit()
    web = SessionView(*row[:8])
    user = None
    if row.user_id is not None and row.username is not None:
        codes = sorted(set(row.scope_codes.split(","))) if row.scope_codes else []
        user = SignedIn(
            row.user_id,
            row.username,
            row.display_name,
            row.organisation,
            row.role,
            bool(row.active),
            tuple(ScopeArea(c) for c in codes),
        )
    return web, user


def rotate(session: Session, old: WebSession | SessionView | None, user: User) -> ActiveSession:
    """End the pre-sign-in session and start a new one for ``user``."""
    if old is not None:
        session.execute(delete(WebSession).where(WebSession.id == old.id))
    return start(session, user)


def end(session: Session, record: WebSession | SessionView) -> None:
    session.execute(delete(WebSession).where(WebSession.id == record.id))
    session.commit()


def csrf_matches(record: WebSession | SessionView | None, submitted: str | None) -> bool:
    if record is None or not submitted:
        return False
    return hmac.compare_digest(record.csrf_token, submitted)
