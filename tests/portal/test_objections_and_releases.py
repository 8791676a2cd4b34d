"""The objection form (tokens only, usable by linkage) and release records in the register."""

from __future__ import annotations

import csv
from dataclasses import replace

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from lantern.linkage.keystore import KeyStore
from lantern.linkage.objections import load_register, objector_mask
from lantern.linkage.tokens import objection_tokens
from lantern.portal.app import create_app
from lantern.portal.models import Objection

from .conftest import csrf_from

NHS = "943 476 5919"
PERSON = {
    "nhs_number": NHS,
    "given_name": "Ann",
    "family_name": "Example-Synthetic",
    "date_of_birth": "1950-03-02",
}


@pytest.fixture(scope="module")
def keyed(portal, tmp_path_factory):
    """The portal with a key store holding keys for the active and the expired agreement."""
    root = tmp_path_factory.mktemp("keys")
    store = KeyStore(root)
    store.create(portal.world.agreement, "r2025")
    store.create(portal.world.expired_agreement, "r2021")
    app = create_app(replace(portal.settings, keystore=str(root)))
    return app, store


def submit(app, form: dict) -> object:
    client = TestClient(app, follow_redirects=False)
    token = csrf_from(client.get("/object").text)
    return client.post("/object", data={**form, "csrf_token": token})


def test_objection_stores_only_tokens_and_returns_a_reference(portal, keyed):
    app, store = keyed
    response = submit(app, PERSON)
    assert response.status_code == 200
    reference = response.text.split('id="reference">')[1].split("<")[0]
    assert reference.startswith("OBJ-")
    with portal.session() as s:
        row = s.scalar(select(Objection).where(Objection.reference == reference))
        dump = " ".join(str(r) for r in s.execute(text("select * from objections")).all())
        audit = " ".join(str(r) for r in s.execute(text("select details from audit_log")).all())
    # only the active project's release is tokenised; no identifier is stored or logged
    assert set(row.tokens) == {f"{portal.world.agreement}/r2025"}
    secret = store.load(portal.world.agreement, "r2025").require_token_secret()
    assert row.tokens[f"{portal.world.agreement}/r2025"] == objection_tokens(
        PERSON, secret, "r2025"
    )
    for value in ("9434765919", "ANN", "Ann", "1950", "Example"):
        assert value not in dump and value not in audit
    assert reference in audit


def test_objection_register_file_drops_the_person_from_linkage(portal, keyed, tmp_path):
    app, store = keyed
    submit(app, {"nhs_number": "401 023 2137"})
    out = tmp_path / "objections.csv"
    runner = CliRunner()
    from lantern.cli import _register
    from lantern.cli import app as cli

    _register()
    result = runner.invoke(
        cli,
        [
            "portal",
            "data",
            "objections",
            portal.world.agreement,
            str(out),
            "--keys",
            str(store.root),
            "--db",
            portal.settings.database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    register = load_register(out, "r2025")
    secret = store.load(portal.world.agreement, "r2025").require_token_secret()
    tokens = pd.DataFrame(
        {
            "nhs_number": [
                objection_tokens({"nhs_number": "4010232137"}, secret, "r2025")["nhs_number"],
                objection_tokens({"nhs_number": "9990001112"}, secret, "r2025").get("nhs_number"),
            ]
        }
    )
    assert objector_mask(tokens, register).tolist() == [True, False]
    with out.open() as fh:
        assert next(csv.reader(fh)) == ["release", "key", "token"]


def test_objection_needs_usable_identifiers(keyed):
    app, _ = keyed
    response = submit(app, {"given_name": "Ann"})
    assert response.status_code == 400 and "NHS number" in response.text


def test_objection_without_key_store_is_refused_politely(portal):
    response = submit(portal.app, PERSON)
    assert response.status_code == 503 and "try again later" in response.text


def test_released_outputs_appear_in_the_register(portal, clients, tmp_path):
    from lantern.release import release, request_release, vote, write_manifest

    folder = tmp_path / "release"
    folder.mkdir()
    with (folder / "cohort_lsoa.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["lsoa21_code", "people"])
        for i, code in enumerate(portal.world.in_lsoas):
            w.writerow([code, 20 + 5 * i])
    write_manifest(
        folder,
        [
            {
                "name": "cohort_lsoa",
                "path": "cohort_lsoa.csv",
                "count_columns": ["people"],
                "geography": "lsoa21_code",
                "area_type": "lsoa",
                "period": "2025",
            }
        ],
        release="demo-2025",
    )
    req = request_release(
        folder, requested_by="ann", checkers=("bob", "cy"), title="Cohort counts by LSOA"
    )
    vote(folder, req["id"], checker="bob", decision="approve")
    vote(folder, req["id"], checker="cy", decision="approve")
    release(folder, req["id"], released_by="ann")
    from lantern.cli import _register
    from lantern.cli import app as cli

    _register()
    result = CliRunner().invoke(
        cli,
        [
            "portal",
            "data",
            "releases",
            str(folder),
            "--agreement",
            portal.world.agreement,
            "--db",
            portal.settings.database_url,
        ],
    )
    assert result.exit_code == 0, result.output
    uses = {u["agreement_id"]: u for u in clients["public"].get("/api/register").json()["uses"]}
    released = uses[portal.world.agreement]["outputs_released"]
    assert [r["release_id"] for r in released] == ["demo-2025/r1"]
    assert released[0]["outputs"][0]["table"] == "cohort_lsoa" and released[0]["released_at"]
    assert "Cohort counts by LSOA" in clients["public"].get("/register").text
