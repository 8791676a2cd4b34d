"""Accounts: creation, roles and scopes, password reset, sign-in with lockout."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lantern.errors import InputError
from lantern.portal import audit_db
from lantern.portal.models import Area, LoginAttempt, Role, User, UserScope, utcnow
from lantern.portal.passwords import hash_password, verify_password
from lantern.portal.settings import PortalSettings

#: which area types each scoped role may be given
SCOPE_TYPES = {
    Role.DISTRICT_OFFICER: {"district"},
    Role.HUB_WORKER: {"ward", "lsoa"},
}


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError as exc:
        allowed = ", ".join(r.value for r in Role)
        raise InputError(f"unknown role {value!r}: use one of {allowed}") from exc


def validate_scope(session: Session, role: Role, codes: list[str]) -> list[str]:
    """Check scope codes exist and suit the role; returns them de-duplicated in order."""
    codes = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if role not in SCOPE_TYPES:
        if codes:
            raise InputError(f"role {role.value} sees every area and takes no scope")
        return []
    if not codes:
        raise InputError(f"role {role.value} needs at least one area in its scope")
    found = dict(
        session.execute(
            select(Area.area_code, Area.area_type).where(Area.area_code.in_(codes))
        ).all()
    )
    for code in codes:
        if code not in found:
            raise InputError(f"scope area {code} is not in the portal's area table")
        if found[code] not in SCOPE_TYPES[role]:
            allowed = " or ".join(sorted(SCOPE_TYPES[role]))
            raise InputError(
                f"{role.value} scope must be {allowed} codes; {code} is a {found[code]}"
            )
    return codes


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    password: str | None,
    scope: list[str] = (),  # type: ignore[assignment]
    organisation: str = "",
    display_name: str = "",
    oidc_subject: str | None = None,
    actor: str = "cli",
) -> User:
    username = username.strip().lower()
    if not username or len(username) > 80:
        raise InputError("user names must be 1–80 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InputError(f"user {username!r} already exists")
    codes = validate_scope(session, role, list(scope))
    user = User(
        username=username,
        role=role.value,
        organisation=organisation,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else None,
        oidc_subject=oidc_subject,
    )
    user.scopes = [UserScope(area_code=c) for c in codes]
    session.add(user)
    session.flush()
    audit_db.record(
        session,
        "user.created",
        actor=actor,
        user=username,
        role=role.value,
        scope=codes,
        organisation=organisation,
    )
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise InputError(f"no user named {username!r}")
    return user


def set_role_and_scope(
    session: Session, user: User, *, role: Role, scope: list[str], actor: str
) -> User:
    codes = validate_scope(session, role, scope)
    before = {"role": user.role, "scope": sorted(s.area_code for s in user.scopes)}
    user.role = role.value
    replace_scope(session, user, codes)
    session.execute(delete_sessions_stmt(user.id))  # privileges changed: sign out everywhere
    audit_db.record(
        session,
        "user.scope_changed",
        actor=actor,
        user=user.username,
        before=before,
        after={"role": role.value, "scope": sorted(codes)},
    )
    return user


def replace_scope(session: Session, user: User, codes: list[str]) -> None:
    """Replace every scope row of ``user`` with ``codes`` inside the caller's transaction.

    The old rows are deleted and flushed before the new ones are inserted, so a new scope that
    keeps some of the old areas never meets the ``(user_id, area_code)`` unique constraint.
    """
    session.flush()
    session.execute(
        delete(UserScope)
        .where(UserScope.user_id == user.id)
        .execution_options(synchronize_session="fetch")
    )
    session.expire(user, ["scopes"])
    session.add_all(UserScope(user_id=user.id, area_code=c) for c in codes)
    session.flush()
    session.refresh(user, ["scopes"])


def reset_password(
    session: Session, user: User, *, actor: str, new_password: str | None = None
) -> str:
    """Set a new password (random when none is given), unlock, and end the user's sessions."""
    password = new_password or secrets.token_urlsafe(18)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.execute(delete_sessions_stmt(user.id))
    audit_db.record(session, "user.password_reset", actor=actor, user=user.username)
    return password


def change_own_password(
    session: Session, user: User, *, current: str, new: str, keep_session: str | None
) -> None:
    """A user changes their own password: the current one must match; other sessions end."""
    if not verify_password(user.password_hash, current):
        raise InputError("your current password is not right")
    if verify_password(user.password_hash, new):
        raise InputError("choose a password different from your current one")
    user.password_hash = hash_password(new)
    from lantern.portal.models import WebSession

    stmt = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session is not None:
        stmt = stmt.where(WebSession.id != keep_session)
    session.execute(stmt)
    audit_db.record(session, "user.password_changed", actor=user.username, user=user.username)


def set_active(session: Session, user: User, *, active: bool, actor: str) -> None:
    user.active = active
    if not active:
        session.execute(delete_sessions_stmt(user.id))
    audit_db.record(
        session, "user.activated" if active else "user.deactivated", actor=actor, user=user.username
    )


def delete_sessions_stmt(user_id: int):  # noqa: ANN201
    from lantern.portal.models import WebSession

    return delete(WebSession).where(WebSession.user_id == user_id)


@dataclass(frozen=True)
class SignIn:
    user: User | None
    reason: str  # "ok", "bad_credentials", "locked", "rate_limited"


def rate_limited(session: Session, client: str, settings: PortalSettings, now: datetime) -> bool:
    window = now - timedelta(minutes=1)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(hours=1)))
    count = session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.client == client, LoginAttempt.at >= window)
    )
    return (count or 0) >= settings.login_rate_per_minute


def authenticate(
    session: Session, *, username: str, password: str, client: str, settings: PortalSettings
) -> SignIn:
    """Check a password sign-in, applying rate limiting and lockout; audits the outcome.

    The caller sees only the reason; the page shows one message for every failure.
    """
    now = utcnow()
    name = username.strip().lower()[:80]
    if rate_limited(session, client, settings, now):
        audit_db.record(session, "auth.rate_limited", user=name, client=client)
        return SignIn(None, "rate_limited")
    session.add(LoginAttempt(client=client, at=now))
    user = session.scalar(select(User).where(User.username == name))
    ok = verify_password(user.password_hash if user else None, password)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit_db.record(session, "auth.failed", user=name, client=client, reason="locked")
        return SignIn(None, "locked")
    if user is None or not ok or not user.active:
        if user is not None and user.active:
            user.failed_logins += 1
            if user.failed_logins >= settings.lockout_threshold:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user.failed_logins = 0
                audit_db.record(session, "auth.locked", user=name, client=client)
        audit_db.record(session, "auth.failed", user=name, client=client, reason="bad_credentials")
        return SignIn(None, "bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    audit_db.record(session, "auth.signed_in", user=name, client=client, method="password")
    return SignIn(user, "ok")
