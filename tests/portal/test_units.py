"""Pure parts of the portal: encryption at rest, password hashing, audit chain, register, loaders."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from argon2 import PasswordHasher

from lantern.errors import InputError, IntegrityError
from lantern.portal import crypto, passwords, register
from lantern.portal.agreements import AgreementView
from lantern.portal.synthetic import agreement_document


def test_passwords_use_argon2id_with_default_cost():
    saved = passwords._HASHER
    passwords._HASHER = PasswordHasher()
    try:
        stored = passwords.hash_password("a long enough password")
    finally:
        passwords._HASHER = saved
    assert stored.startswith("$argon2id$") and "m=65536,t=3,p=4" in stored
    assert passwords.verify_password(stored, "a long enough password")
    assert not passwords.verify_password(stored, "a long enough passwor")
    assert not passwords.verify_password(None, "anything at all")
    with pytest.raises(InputError, match="at least 12"):
        passwords.hash_password("short")


def test_contact_encryption_round_trip_and_binding():
    key = __import__("base64").b64decode(crypto.new_key())
    contact = {"contact_name": "Synthetic Person", "phone": "01632 960000"}
    nonce, blob = crypto.seal(key, "SYN-1", "AG-1", contact)
    assert b"Synthetic" not in blob and b"01632" not in blob
    assert crypto.unseal(key, "SYN-1", "AG-1", nonce, blob) == contact
    with pytest.raises(IntegrityError, match="SYN-2"):
        crypto.unseal(key, "SYN-2", "AG-1", nonce, blob)  # moved onto another row
    tampered = bytes([blob[0] ^ 1]) + blob[1:]
    with pytest.raises(IntegrityError):
        crypto.unseal(key, "SYN-1", "AG-1", nonce, tampered)
    other_key = __import__("base64").b64decode(crypto.new_key())
    with pytest.raises(IntegrityError):
        crypto.unseal(other_key, "SYN-1", "AG-1", nonce, blob)


def test_register_entry_is_derived_from_the_agreement_and_releases():
    doc = agreement_document("AG-9", start=date(2021, 1, 1), retention_end=date(2030, 1, 1))
    doc["fields"][1]["special_category"] = True
    view = AgreementView.from_document(doc)
    releases = [
        {"release_id": "R2", "agreement_id": "AG-9", "released_at": "2024-02-01", "title": "b"},
        {"release_id": "R1", "agreement_id": "AG-9", "released_at": "2023-01-01", "title": "a"},
        {"release_id": "R3", "agreement_id": "OTHER", "released_at": "2023-01-01", "title": "c"},
    ]
    out = register.build(
        [view],
        releases,
        today=date(2025, 1, 1),
        now=datetime(2025, 1, 1, 12),
        objection_url="https://portal.example/object",
    )
    (use,) = out["uses"]
    assert use["status"] == "active" and use["retention_end"] == "2030-01-01"
    assert [r["release_id"] for r in use["outputs_released"]] == ["R1", "R2"]
    assert use["purposes"] == [
        {"code": "hub-outreach", "description": doc["purposes"][0]["description"]}
    ]
    owner = use["datasets"][0]
    assert owner["fields"] == ["nhs_number", "contact_name", "address", "phone"]
    assert owner["special_category_fields"] == ["contact_name"]
    assert "https://portal.example/object" in out["how_to_object"]
    assert (
        register.build(
            [view], [], today=date(2031, 1, 1), now=datetime(2031, 1, 1), objection_url="x"
        )["uses"][0]["status"]
        == "expired"
    )


def test_agreement_view_status():
    view = AgreementView.from_document(
        agreement_document("A", start=date(2022, 1, 1), retention_end=date(2023, 1, 1))
    )
    assert view.status(date(2021, 12, 31)) == "not yet in force"
    assert view.status(date(2023, 1, 1)) == "active"
    assert view.status(date(2023, 1, 2)) == "expired"
    assert view.party_ids == ("ecc-asc", "colchester-hub")
    assert view.fields_for("colchester-hub") == ("contact_outcome",)


def test_lookup_loader_names_file_row_and_column(tmp_path):
    from lantern.portal.loaders import read_hierarchy

    path = tmp_path / "lookup.csv"
    path.write_text(
        "lsoa21_code,lsoa21_name,msoa21_code,msoa21_name,ward24_code,ward24_name,ltla24_code,ltla24_name\n"
        "E01000001,A,E02000001,B,bad,W,E07000071,Colchester\n"
    )
    with pytest.raises(InputError) as exc:
        read_hierarchy(path, ["E07000071"])
    assert exc.value.row == 2 and exc.value.column == "ward" and str(path) in str(exc.value)
