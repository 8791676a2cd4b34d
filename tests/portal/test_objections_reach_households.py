"""Objections reach household lists, on both backends: lists already loaded lose the objector at
once, later imports never store them, by NHS number or by name and date of birth; the same person
objecting twice is stored once; the form validates every field and says what was recorded."""

from __future__ import annotations

import csv
import random
from dataclasses import replace
from itertools import count

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from lantern.linkage.keystore import KeyStore
from lantern.portal import agreements, audit_db, households
from lantern.portal.app import create_app
from lantern.portal.models import Household, Objection
from lantern.portal.synthetic import agreement_document, synthetic_nhs_number

from .conftest import UNLIMITED, csrf_from, make_portal

PURPOSE = "hub-outreach"
_files = count()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("objhh")
    portal = make_portal(request.param, "portal_objhh", folder, request, **UNLIMITED)
    store = KeyStore(folder / "keys")
    store.create(portal.world.agreement, "r2025")
    app = create_app(replace(portal.settings, keystore=str(store.root)))
    return portal, app


def object_(app, **form) -> object:
    client = TestClient(app, follow_redirects=False)
    token = csrf_from(client.get("/object").text)
    return client.post("/object", data={**form, "csrf_token": token})


def listed(portal, who: str = "hub") -> set[str]:
    response = portal.sign_in(who).get(
        "/api/households", params={"agreement": portal.world.agreement, "purpose": PURPOSE}
    )
    return {h["reference"] for h in response.json()["households"]}


def source_rows(portal) -> list[dict]:
    with (portal.folder / f"{portal.world.agreement}-households.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def write_list(portal, rows: list[dict], columns: list[str]) -> object:
    path = portal.folder / f"list{next(_files)}.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_objection_removes_a_loaded_household_at_once(world):
    portal, app = world
    mine = [r for r in source_rows(portal) if r["lsoa21_code"] in portal.world.in_lsoas]
    target = mine[0]
    before = listed(portal)
    assert target["reference"] in before
    response = object_(app, nhs_number=target["nhs_number"])
    assert response.status_code == 200
    assert listed(portal) == before - {target["reference"]}
    with portal.session() as s:
        entry = audit_db.search(s, event="objection.received", limit=1)[0]
        dump = " ".join(str(r) for r in s.execute(text("select * from audit_log")).all())
    assert entry.details["households_removed"] == {portal.world.agreement: 1}
    assert target["nhs_number"] not in dump and target["reference"] not in str(entry.details)
    # the confirmation tells the resident what was recorded, and nothing about any list
    assert f"ending {target['nhs_number'][-3:]}" in response.text
    assert "taken off it now" in response.text and "If you were" in response.text


def test_objection_keeps_the_person_out_of_later_imports(world):
    portal, app = world
    w = portal.world
    nhs = synthetic_nhs_number(random.Random(99))
    assert object_(app, nhs_number=nhs).status_code == 200
    rows = [
        {"reference": "SYN-L0001", "lsoa21_code": w.in_lsoas[0], "reason": "x", "nhs_number": nhs},
        {
            "reference": "SYN-L0002",
            "lsoa21_code": w.in_lsoas[0],
            "reason": "x",
            "nhs_number": synthetic_nhs_number(random.Random(98)),
        },
    ]
    path = write_list(portal, rows, ["reference", "lsoa21_code", "reason", "nhs_number"])
    with portal.session() as s:
        n = households.import_csv(
            s,
            path,
            agreement_id=w.agreement,
            party="ecc-asc",
            key=portal.settings.key_bytes(),
            actor="t",
        )
        imported = audit_db.search(s, event="households.imported", limit=1)[0]
    assert n == 1 and imported.details["withheld_by_objection"] == 1
    assert "SYN-L0002" in listed(portal) and "SYN-L0001" not in listed(portal)
    with portal.session() as s:  # identifiers were used for matching only, never stored
        stored = " ".join(str(r) for r in s.execute(text("select * from households")).all())
    assert nhs not in stored


def test_name_and_date_of_birth_route_matches_despite_formatting(world):
    portal, app = world
    w = portal.world
    doc = agreement_document("OBJ-NAMES-1", start=w_start(), retention_end=w_end())
    doc["fields"] += [
        {"party": "ecc-asc", "name": n, "class": "direct_identifier", "kind": "text"}
        for n in ("given_name", "family_name", "date_of_birth")
    ]
    with portal.session() as s:
        agreements.store(s, doc, sha256="0" * 64, actor="t", source="test")
        s.commit()
    rows = [
        {
            "reference": "SYN-N0001",
            "lsoa21_code": w.in_lsoas[0],
            "reason": "x",
            "given_name": "Zoë",
            "family_name": "O'Synthetic-Person",
            "date_of_birth": "1950-03-02",
            "contact_name": "Zoë O'Synthetic-Person",
        }
    ]
    path = write_list(portal, rows, list(rows[0]))
    with portal.session() as s:
        households.import_csv(
            s,
            path,
            agreement_id="OBJ-NAMES-1",
            party="ecc-asc",
            key=portal.settings.key_bytes(),
            actor="t",
        )
    response = object_(
        app, given_name="  zoe ", family_name="o'synthetic person", date_of_birth="02/03/1950"
    )
    assert response.status_code == 200 and "name and date of birth" in response.text
    with portal.session() as s:
        assert s.scalar(select(Household).where(Household.reference == "SYN-N0001")) is None


def w_start():
    from datetime import date

    return date(2020, 1, 1)


def w_end():
    from datetime import date

    return date(date.today().year + 2, 1, 1)


def test_the_same_person_objecting_twice_is_stored_once(world):
    portal, app = world
    nhs = synthetic_nhs_number(random.Random(7001))
    with portal.session() as s:
        before = s.scalar(select(func.count()).select_from(Objection))
    first = object_(app, nhs_number=nhs)
    second = object_(app, nhs_number=nhs.replace("", " ").strip())
    assert first.status_code == second.status_code == 200
    ref1 = first.text.split('id="reference">')[1].split("<")[0]
    ref2 = second.text.split('id="reference">')[1].split("<")[0]
    assert ref1 != ref2
    with portal.session() as s:
        assert s.scalar(select(func.count()).select_from(Objection)) == before + 1
        entry = audit_db.search(s, event="objection.received", limit=1)[0]
    assert entry.details["reference"] == ref2 and entry.details["duplicate_of"] == ref1
    # the two confirmations differ only in the reference: nothing tells a stranger who objected
    assert first.text.replace(ref1, "R") == second.text.replace(ref2, "R")


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"nhs_number": "1234567890"}, "nhs_number", "not a valid NHS number"),
        ({"nhs_number": "9" * 500}, "nhs_number", "100 characters or fewer"),
        (
            {"given_name": "Ann", "family_name": "Example", "date_of_birth": "2099-01-01"},
            "date_of_birth",
            "must be in the past",
        ),
        (
            {"given_name": "Ann", "family_name": "Example", "date_of_birth": "1950-02-30"},
            "date_of_birth",
            "real date",
        ),
        ({"given_name": "Ann", "date_of_birth": "1950-03-02"}, "family_name", "last name"),
        ({"given_name": "x" * 5000}, "given_name", "100 characters or fewer"),
        ({}, "nhs_number", "Give your NHS number"),
    ],
)
def test_form_names_each_problem_accessibly(world, form, field, message):
    portal, app = world
    with portal.session() as s:
        before = s.scalar(select(func.count()).select_from(Objection))
    response = object_(app, **form)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert 'role="alert"' in response.text and f'href="#{field}"' in response.text
    assert f'id="{field}-error"' in response.text and 'aria-invalid="true"' in response.text
    for value in form.values():
        if len(value) > 100:
            assert value not in response.text  # an over-long value is not echoed back
    with portal.session() as s:
        assert s.scalar(select(func.count()).select_from(Objection)) == before


@settings(
    max_examples=5,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    size=st.integers(2, 6),
    before=st.sets(st.integers(0, 5)),
    after=st.sets(st.integers(0, 5)),
)
def test_objectors_never_remain_on_any_list(world, seed, size, before, after):
    """Whatever objects before or after a list is loaded, the list ends up without them."""
    portal, app = world
    rng = random.Random(seed)
    batch = next(_files)
    rows = [
        {
            "reference": f"SYN-P{batch:03d}{i:02d}",
            "lsoa21_code": portal.world.in_lsoas[i % len(portal.world.in_lsoas)],
            "reason": "x",
            "nhs_number": synthetic_nhs_number(rng),
        }
        for i in range(size)
    ]
    early = {i for i in before if i < size}
    late = {i for i in after if i < size}
    for i in early:
        object_(app, nhs_number=rows[i]["nhs_number"])
    path = write_list(portal, rows, list(rows[0]))
    with portal.session() as s:
        households.import_csv(
            s,
            path,
            agreement_id=portal.world.agreement,
            party="ecc-asc",
            key=portal.settings.key_bytes(),
            actor="t",
        )
    for i in late:
        object_(app, nhs_number=rows[i]["nhs_number"])
    mine = {r["reference"] for r in rows}
    expected = {rows[i]["reference"] for i in range(size) if i not in early | late}
    assert listed(portal) & mine == expected
