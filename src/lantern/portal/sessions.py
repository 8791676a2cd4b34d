"""Server-side sessions: random cookie tokens, expiry, rotation on sign-in, CSRF tokens.

The cookie carries a random token; the database keeps only its SHA-256, so a leaked database
does not yield live sessions. Every sign-in issues a fresh token (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, contains_eager

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


def load(
    session: Session, token: str | None, settings: PortalSettings
) -> tuple[WebSession | None, User | None]:
    """The live session for a cookie token, its user and the user's scope rows, read in one
    query (one round trip before every signed-in request), or ``(None, None)`` when unknown or
    expired (then deleted)."""
    if not token or len(token) > 128:
        return None, None
    row = (
        session.execute(
            select(WebSession, User)
            .outerjoin(User, User.id == WebSession.user_id)
            .outerjoin(UserScope, UserScope.user_id == User.id)
            .options(contains_eager(User.scopes))
            .where(WebSession.id == _digest(token))
        )
        .unique()
        .first()
    )
    if row is None:
        return None, None
    record, user = row
    now = utcnow()
    idle = now - record.last_seen_at > settings.session_idle
    if idle or now - record.created_at > settings.session_max:
        session.delete(record)
        session.commit()
        return None, None
    if (now - record.last_seen_at).total_seconds() > 60:  # avoid a write on every request
        record.last_seen_at = now
        session.commit()
    return record, user


def rotate(session: Session, old: WebSession | None, user: User) -> ActiveSession:
    """End the pre-sign-in session and start a new one for ``user``."""
    if old is not None:
        session.execute(delete(WebSession).where(WebSession.id == old.id))
    return start(session, user)


def end(session: Session, record: WebSession) -> None:
    session.execute(delete(WebSession).where(WebSession.id == record.id))
    session.commit()


def csrf_matches(record: WebSession | None, submitted: str | None) -> bool:
    if record is None or not submitted:
        return False
    return hmac.compare_digest(record.csrf_token, submitted)
