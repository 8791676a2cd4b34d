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
    header, *entries = [json.loads(line) for line in lines]
    assert header["entries"] == len(entries) and header["head"] == entries[-1]["hash"]
    assert verify_entries(entries, audit_db.audit_key()).entries == len(entries)
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
        # the entry is named by its own sequence number, not one more
        assert not result["ok"] and f"audit entry {entry.seq}:" in result["problem"]
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


def test_exported_audit_verifies_standalone_and_names_the_tampered_row(
    portal, clients, tmp_path, capsys
):
    """An export is one file that ``lantern audit verify`` checks; row 26 is reported as 26."""
    from lantern.cli import main

    with portal.session() as s:
        while audit_db.verify(s).entries < 30:
            audit_db.record(s, "test.filler", actor="tester")
    text = clients["admin"].get("/api/admin/audit/export", params={"format": "jsonl"}).text
    export = tmp_path / "portal-audit.jsonl"
    export.write_text(text)
    assert main(["audit", "verify", str(export)]) == 0
    header, *lines = text.splitlines()
    assert len(lines) > 27
    row = json.loads(lines[26])
    assert row["seq"] == 26
    row["details"] = {**row["details"], "tampered": True}
    lines[26] = json.dumps(row)
    export.write_text("\n".join([header, *lines]) + "\n")
    capsys.readouterr()
    assert main(["audit", "verify", str(export)]) == 6
    said = " ".join(capsys.readouterr().err.split())
    assert "audit entry 26:" in said and "audit entry 27" not in said
    export.write_text("\n".join([header, *lines[:20]]) + "\n")  # truncated export
    assert main(["audit", "verify", str(export)]) == 6


def test_portal_audit_head_countersigned_and_truncation_caught(portal, tmp_path):
    """A witness countersigns the database log's head; removing anchored rows is then caught."""
    from sqlalchemy import delete, insert

    from lantern.cli import main

    witness, anchors, pub = (
        tmp_path / "witness-keys",
        tmp_path / "anchors.jsonl",
        tmp_path / "w.pub",
    )
    url = portal.settings.database_url
    assert (
        main(["audit", "witness", "public-key", "--witness-keys", str(witness), "--out", str(pub)])
        == 0
    )
    assert (
        main(
            [
                "audit",
                "anchor",
                "--portal-db",
                url,
                "--witness-keys",
                str(witness),
                "--publish",
                str(anchors),
            ]
        )
        == 0
    )
    verify = [
        "audit",
        "verify",
        "--portal-db",
        url,
        "--anchors",
        str(anchors),
        "--witness",
        str(pub),
    ]
    assert main(verify) == 0
    with portal.session() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
        saved = audit_db.as_dict(last)
        s.execute(delete(AuditEntry).where(AuditEntry.seq == last.seq))
        s.commit()
    try:
        assert main(["audit", "verify", "--portal-db", url]) == 0  # the chain alone cannot tell
        assert main(verify) == 6  # the countersigned head can
    finally:
        with portal.session() as s:
            s.execute(insert(AuditEntry), [saved])
            s.commit()
    assert main(verify) == 0
