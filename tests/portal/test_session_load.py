"""The per-request read of session, user and scope (one query, no ORM objects) says exactly
what the database holds at that moment: checked against the ``User`` rows themselves, and
across scope changes, deactivation and expiry made between two requests."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from lantern.portal import accounts, sessions
from lantern.portal.models import Role, User, WebSession, utcnow


def _oracle(user: User) -> tuple:
    return (
        user.id,
        user.username,
        user.display_name,
        user.organisation,
        user.role,
        user.active,
        tuple(sorted({s.area_code for s in user.scopes})),
    )


def _seen(signed: sessions.SignedIn | None) -> tuple | None:
    if signed is None:
        return None
    fields = (signed.id, signed.username, signed.display_name, signed.organisation, signed.role)
    return (*fields, signed.active, tuple(s.area_code for s in signed.scopes))


def test_every_users_session_reads_as_the_user_rows_say(portal):
    with portal.session() as s:
        users = list(s.scalars(select(User).order_by(User.id)))
        assert any(len(u.scopes) > 1 for u in users) or any(u.scopes for u in users)
        for user in users:
            started = sessions.start(s, user)
            s.commit()
            web, signed = sessions.load(s, started.token, portal.settings)
            assert web is not None and web.id == started.record.id
            assert web.csrf_token == started.csrf_token and web.user_id == user.id
            assert _seen(signed) == _oracle(user)
        anonymous = sessions.start(s)
        s.commit()
        web, signed = sessions.load(s, anonymous.token, portal.settings)
        assert web is not None and web.user_id is None and signed is None
        assert sessions.load(s, secrets.token_urlsafe(32), portal.settings) == (None, None)


def test_changes_between_two_requests_are_seen_by_the_second(portal):
    area = portal.world.in_lsoas[0]
    with portal.session() as s:
        user = accounts.create_user(
            s,
            username=f"load-{portal.backend}-{secrets.token_hex(3)}",
            password="a long enough password",
            role=Role.HUB_WORKER,
            organisation="hub",
            scope=[portal.world.hub_ward, area],
            actor="test",
        )
        s.commit()
        started = sessions.start(s, user)
        s.commit()
        token = started.token
        _, first = sessions.load(s, token, portal.settings)
        assert first is not None
        assert {a.area_code for a in first.scopes} == {portal.world.hub_ward, area}

        accounts.replace_scope(s, user, [area])  # narrowed, session kept
        s.commit()
        _, narrowed = sessions.load(s, token, portal.settings)
        assert narrowed is not None and [a.area_code for a in narrowed.scopes] == [area]

        accounts.replace_scope(s, user, [])
        s.commit()
        _, none_left = sessions.load(s, token, portal.settings)
        assert none_left is not None and none_left.scopes == ()

        user.active = False
        s.commit()
        _, inactive = sessions.load(s, token, portal.settings)
        assert inactive is not None and inactive.active is False  # refused by ``context``

        record = s.get(WebSession, started.record.id)
        record.last_seen_at = utcnow() - portal.settings.session_idle - timedelta(seconds=1)
        s.commit()
        assert sessions.load(s, token, portal.settings) == (None, None)
        s.expire_all()
        assert s.get(WebSession, started.record.id) is None  # an expired session is deleted
