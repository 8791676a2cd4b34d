"""Accounts in the browser, on both backends: an administrator creates, re-scopes, disables,
enables and resets users from the Users page; every user changes their own password."""

from __future__ import annotations

import re
from itertools import count

from .conftest import PASSWORD, csrf_from, sign_in

_ids = count()


def _admin(portal):  # noqa: ANN202
    client = portal.sign_in("admin")
    return client, csrf_from(client.get("/admin/users").text)


def _one_time(html: str) -> str:
    return re.search(r'id="new-password">.*?<code>([^<]+)</code>', html).group(1)


def test_administrator_manages_an_account_in_the_browser(portal):
    w = portal.world
    admin, token = _admin(portal)
    name = f"pagehub{next(_ids)}"
    created = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": name,
            "role": "hub_worker",
            "organisation": "colchester-hub",
            "display_name": "Page Hub",
            "scope": f"{w.hub_ward} {w.other_ward}",
        },
    )
    assert created.status_code == 200 and f"Created {name}" in created.text
    password = _one_time(created.text)
    user = portal.client()
    assert sign_in(user, name, password).status_code == 303
    assert user.get("/api/me").json()["scope"] == sorted([w.hub_ward, w.other_ward])
    # narrow the scope from the page: the session ends, the next sign-in sees only the new scope
    saved = admin.post(
        f"/admin/users/{name}/scope",
        data={"csrf_token": token, "role": "hub_worker", "scope": w.hub_ward},
    )
    assert (
        saved.status_code == 303
        and "sessions have ended" in admin.get(saved.headers["location"]).text
    )
    assert user.get("/api/me").status_code == 401
    assert sign_in(user, name, password).status_code == 303
    assert user.get("/api/me").json()["scope"] == [w.hub_ward]
    assert user.get(f"/api/areas/{w.other_ward}").status_code == 404
    # disable, then enable
    off = admin.post(f"/admin/users/{name}/active", data={"csrf_token": token, "active": "0"})
    assert off.status_code == 303
    assert user.get("/api/me").status_code == 401
    assert sign_in(portal.client(), name, password).status_code == 401
    assert 'id="user-' + name in admin.get("/admin/users").text
    on = admin.post(f"/admin/users/{name}/active", data={"csrf_token": token, "active": "1"})
    assert on.status_code == 303
    # reset: the old password stops working, the new one works
    reset = admin.post(f"/admin/users/{name}/reset", data={"csrf_token": token})
    new_password = _one_time(reset.text)
    assert sign_in(portal.client(), name, password).status_code == 401
    assert sign_in(portal.client(), name, new_password).status_code == 303


def test_bad_account_forms_say_what_is_wrong(portal):
    admin, token = _admin(portal)
    for data, message in (
        ({"username": "admin", "role": "analyst"}, "already exists"),
        ({"username": "x-new", "role": "hub_worker", "scope": ""}, "needs at least one area"),
        ({"username": "y-new", "role": "wizard"}, "unknown role"),
        ({"username": "z-new", "role": "hub_worker", "scope": "E99999999"}, "not in the portal"),
    ):
        response = admin.post("/admin/users", data={"csrf_token": token, **data})
        assert response.status_code == 400 and message in response.text, data
    own = admin.post("/admin/users/admin/active", data={"csrf_token": token, "active": "0"})
    assert own.status_code == 400 and "your own account" in own.text
    assert admin.post("/admin/users", data={"username": "q", "role": "analyst"}).status_code == 403


def test_every_user_changes_their_own_password(portal):
    from lantern.portal import accounts
    from lantern.portal.models import Role

    name = f"selfpw{next(_ids)}"
    with portal.session() as s:
        accounts.create_user(s, username=name, role=Role.ANALYST, password=PASSWORD, actor="t")
        s.commit()
    here, elsewhere = portal.sign_in(name), portal.sign_in(name)
    token = csrf_from(here.get("/account/password").text)
    new = "a brand new long passphrase"
    for data, message in (
        ({"current": "wrong password!!", "new": new, "confirm": new}, "current password"),
        ({"current": PASSWORD, "new": new, "confirm": new + "x"}, "differ"),
        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "at least 12"),
    ):
        response = here.post("/account/password", data={"csrf_token": token, **data})
        assert response.status_code == 400 and message in response.text
    done = here.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": new, "confirm": new},
    )
    assert done.status_code == 200 and 'id="password-done"' in done.text
    assert here.get("/api/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/me").status_code == 401  # other sessions end
    assert sign_in(portal.client(), name, PASSWORD).status_code == 401
    assert sign_in(portal.client(), name, new).status_code == 303


def test_outcome_confirmation_and_agreement_switch_keep_a_valid_purpose(portal, clients):
    w = portal.world
    hub = clients["hub"]
    page = hub.get("/households", params={"agreement": w.agreement, "purpose": "marketing"})
    assert 'value="hub-outreach" selected' in page.text  # an invalid purpose is replaced
    token = csrf_from(page.text)
    ref = re.search(
        r'id="hh-(SYN-A\d+)"',
        hub.get("/households", params={"agreement": w.agreement, "show": 1}).text,
    ).group(1)
    saved = hub.post(
        f"/households/{ref}/outcome",
        data={
            "csrf_token": token,
            "outcome": "declined",
            "agreement": w.agreement,
            "purpose": "hub-outreach",
        },
    )
    assert saved.status_code == 303
    after = hub.get(saved.headers["location"]).text
    assert f"Outcome saved for {ref}: declined" in after
