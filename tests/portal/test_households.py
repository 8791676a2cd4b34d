"""Restricted household lists on both backends: encryption at rest, fields, outcomes, export, audit."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lantern.errors import InputError
from lantern.portal import audit_db, households
from lantern.portal.models import Household

PURPOSE = "hub-outreach"


def _source_rows(portal) -> list[dict]:
    path = portal.folder / f"{portal.world.agreement}-households.csv"
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_contact_details_are_encrypted_at_rest(portal):
    rows = _source_rows(portal)
    with portal.session() as s:
        stored = {h.reference: h for h in s.scalars(select(Household))}
    for row in rows[:10]:
        h = stored[row["reference"]]
        for field in ("contact_name", "address", "phone"):
            assert row[field].encode() not in h.contact_ciphertext
        assert h.lsoa_code == row["lsoa21_code"]


def test_hub_worker_sees_only_their_households_with_agreed_fields(portal, clients):
    w = portal.world
    response = clients["hub"].get(
        "/api/households", params={"agreement": w.agreement, "purpose": PURPOSE}
    )
    assert response.status_code == 200
    listed = response.json()["households"]
    expected = {r["reference"]: r for r in _source_rows(portal) if r["lsoa21_code"] in w.in_lsoas}
    assert {h["reference"] for h in listed} == set(expected)
    for h in listed:
        source = expected[h["reference"]]
        assert h["contact"] == {k: source[k] for k in ("contact_name", "address", "phone")}
    # the other hub worker (a different ward) sees a disjoint list
    other = (
        clients["hub2"]
        .get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
        .json()
    )
    assert {h["reference"] for h in other["households"]}.isdisjoint(expected)


def test_views_outcomes_and_exports_are_audited_without_contact_details(portal, clients):
    w = portal.world
    hub = clients["hub"]
    hub.get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
    ref = next(r["reference"] for r in _source_rows(portal) if r["lsoa21_code"] in w.in_lsoas)
    token = hub.get("/api/me").json()["csrf_token"]
    ok = hub.post(
        f"/api/households/{ref}/outcome",
        headers={"X-CSRF-Token": token},
        json={
            "outcome": "contacted_support_arranged",
            "agreement": w.agreement,
            "purpose": PURPOSE,
        },
    )
    assert ok.status_code == 200
    listed = hub.get(
        "/api/households", params={"agreement": w.agreement, "purpose": PURPOSE}
    ).json()["households"]
    assert (
        next(h for h in listed if h["reference"] == ref)["last_outcome"]
        == "contacted_support_arranged"
    )
    export = hub.get(
        "/api/households/export", params={"agreement": w.agreement, "purpose": PURPOSE}
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    with portal.session() as s:
        viewed = audit_db.search(s, event="households.viewed", limit=1)[0]
        outcome = audit_db.search(s, event="households.outcome_recorded", limit=1)[0]
        exported = audit_db.search(s, event="households.exported", limit=1)[0]
        everything = audit_db.to_jsonl(audit_db.search(s, limit=100_000))
    assert viewed.details["actor"] == "hub" and viewed.details["purpose"] == PURPOSE
    assert viewed.details["agreement"] == w.agreement and set(viewed.details["areas"]) <= set(
        w.in_lsoas
    )
    assert (
        outcome.details["household"] == ref
        and outcome.details["outcome"] == "contacted_support_arranged"
    )
    assert exported.details["export"] in export.text
    for row in _source_rows(portal):
        assert row["contact_name"] not in everything and row["phone"] not in everything


def test_export_is_watermarked(portal, clients):
    w = portal.world
    text = (
        clients["hub"]
        .get("/api/households/export", params={"agreement": w.agreement, "purpose": PURPOSE})
        .text
    )
    first, rest = text.split("\n", 1)
    assert first.startswith("# RESTRICTED - EXP-") and "exported by hub (colchester-hub)" in first
    assert f"purpose '{PURPOSE}'" in first and w.agreement in first
    export_id = first.split(" - ")[1]
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert rows and all(r["watermark"].startswith(f"{export_id}/hub/") for r in rows)
    assert {r["lsoa21_code"] for r in rows} <= set(w.in_lsoas)


def test_import_refuses_fields_the_agreement_does_not_name(portal, tmp_path):
    path = tmp_path / "extra.csv"
    lsoa = portal.world.in_lsoas[0]
    path.write_text(f"reference,lsoa21_code,reason,contact_name,religion\nSYN-Z1,{lsoa},x,A,B\n")
    with portal.session() as s, pytest.raises(InputError) as exc:
        households.import_csv(
            s, path, agreement_id=portal.world.agreement, party="ecc-asc", key=b"k" * 32, actor="t"
        )
    assert exc.value.column == "religion" and exc.value.row == 1


def test_import_names_the_bad_row(portal, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        f"reference,lsoa21_code,reason,phone\nSYN-Z2,{portal.world.in_lsoas[0]},x,1\nSYN-Z3,E01999999,x,2\n"
    )
    with portal.session() as s, pytest.raises(InputError) as exc:
        households.import_csv(
            s, path, agreement_id=portal.world.agreement, party="ecc-asc", key=b"k" * 32, actor="t"
        )
    assert exc.value.row == 3 and exc.value.column == "lsoa21_code"
    assert "E01999999" not in str(exc.value)  # messages carry no record values


def test_each_household_shows_its_latest_outcome_among_many(portal, clients):
    """The list's ``last_outcome`` (read per household by index) equals the latest by time, then
    by id, of every outcome stored, computed here from all rows: outcomes recorded out of time
    order, at the same instant, and many per household."""
    import random
    from datetime import timedelta

    from lantern.portal.models import ContactOutcome, User, utcnow

    w = portal.world
    rng = random.Random(13)
    listed = (
        clients["hub"]
        .get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
        .json()["households"]
    )
    refs = [h["reference"] for h in listed]
    assert len(refs) >= 3
    names = ["no_answer", "declined", "contacted_support_arranged", "moved_or_unknown"]
    with portal.session() as s:
        hub_id = s.scalar(select(User.id).where(User.username == "hub"))
        ids = dict(
            s.execute(
                select(Household.reference, Household.id).where(Household.reference.in_(refs))
            ).all()
        )
        base = utcnow()
        for ref in refs[:3]:
            for _ in range(40):
                at = base + timedelta(seconds=rng.choice([-30, -5, 0, 0, 7, 90]))
                s.add(
                    ContactOutcome(
                        household_id=ids[ref], user_id=hub_id, outcome=rng.choice(names),
                        recorded_at=at,
                    )
                )  # fmt: skip
        s.commit()
        every = s.execute(
            select(
                ContactOutcome.household_id,
                ContactOutcome.recorded_at,
                ContactOutcome.id,
                ContactOutcome.outcome,
            )
        ).all()
    expected: dict[int, tuple] = {}
    for household, at, oid, outcome in every:
        if household not in expected or (at, oid) > expected[household][:2]:
            expected[household] = (at, oid, outcome)
    shown = (
        clients["hub"]
        .get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
        .json()["households"]
    )
    for h in shown:
        want = expected.get(ids.get(h["reference"], -1))
        if h["reference"] in ids:
            assert h["last_outcome"] == (want[2] if want else None), h["reference"]
