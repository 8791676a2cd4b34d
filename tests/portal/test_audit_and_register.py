"""The database audit chain (search, export, verification, tamper detection) and the public register."""

from __future__ import annotations

import json

from sqlalchemy import select, update
from typer.testing import CliRunner

from lantern.audit import verify_entries
from lantern.cli import _register, app
from lantern.portal import audit_db
from lantern.portal.models import AuditEntry


def test_chain_verifies_and_exports_in_file_log_form(portal, clients):
    admin = clients["admin"]
    result = admin.get("/api/admin/audit/verify").json()
    assert result["ok"] and result["entries"] > 10
    lines = admin.get("/api/admin/audit/export", params={"format": "jsonl"}).text.splitlines()
    entries = [json.loads(line) for line in lines]
    assert verify_entries(entries).entries == len(entries)
    csv_text = admin.get("/api/admin/audit/export", params={"format": "csv"}).text
    assert csv_text.startswith("seq,time,event,details,hash")


def test_admin_search(portal, clients):
    found = clients["admin"].get("/api/admin/audit", params={"event": "agreement.loaded"}).json()
    assert {e["details"]["agreement"] for e in found} == {
        portal.world.agreement,
        portal.world.expired_agreement,
    }
    text = (
        clients["admin"]
        .get("/api/admin/audit", params={"q": portal.world.expired_agreement})
        .json()
    )
    assert text and all(portal.world.expired_agreement in json.dumps(e) for e in text)
    page = clients["admin"].get("/admin/audit", params={"event": "auth.signed_in"}).text
    assert "Chain verified" in page and "auth.signed_in" in page


def test_tampering_is_detected_by_api_and_cli(portal, clients):
    runner = CliRunner()
    _register()
    ok = runner.invoke(app, ["audit", "verify", "--portal-db", portal.settings.database_url])
    assert ok.exit_code == 0, ok.output
    with portal.session() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.event == "user.created").order_by(AuditEntry.seq)
        ).first()
        original = dict(entry.details)
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == entry.seq)
            .values(details={**original, "role": "analyst"})
        )
        s.commit()
    try:
        result = clients["admin"].get("/api/admin/audit/verify").json()
        assert not result["ok"] and f"audit entry {entry.seq + 1}" in result["problem"]
        bad = runner.invoke(app, ["audit", "verify", "--portal-db", portal.settings.database_url])
        assert bad.exit_code != 0
        assert "does not match its hash" in clients["admin"].get("/admin/audit").text
    finally:
        with portal.session() as s:
            s.execute(
                update(AuditEntry).where(AuditEntry.seq == entry.seq).values(details=original)
            )
            s.commit()
    with portal.session() as s:
        assert audit_db.verify(s).entries > 0


def test_public_register_lists_every_agreement(portal, clients):
    data = clients["public"].get("/api/register").json()
    uses = {u["agreement_id"]: u for u in data["uses"]}
    assert set(uses) == {portal.world.agreement, portal.world.expired_agreement}
    assert uses[portal.world.agreement]["status"] == "active"
    assert uses[portal.world.expired_agreement]["status"] == "expired"
    assert uses[portal.world.agreement]["lawful_basis"]["article_6"] == "6(1)(e)"
    assert "/object" in data["how_to_object"]
    page = clients["public"].get("/register").text
    assert "Colchester community hub (demo)" in page and "contact_name" in page
