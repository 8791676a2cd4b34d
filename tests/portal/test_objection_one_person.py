"""One objection at a time: the form's one-person path gives exactly what the column path (used
for household lists and linkage batches) gives, and a batch's token secret read once is never
used after its key file changes."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lantern.errors import GovernanceError
from lantern.governance.objections import KINDS
from lantern.linkage.keystore import KeyStore
from lantern.linkage.normalise import NORMALISERS
from lantern.linkage.tokens import Tokeniser, composite_tokens, objection_tokens
from lantern.portal import objections, objectors
from lantern.portal.app import create_app
from lantern.portal.models import Objection

from .conftest import csrf_from

NAMES = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "Ann", "ann  marie", "O'Neil", "Zoë", "Mr John", "van der Berg"]),
    st.text(alphabet="abcXYZ -'éß.1", max_size=12),
)
DATES = st.one_of(
    st.none(),
    st.sampled_from(["1950-03-02", "02/03/1950", "1950-02-30", "19500302", "", "soon"]),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)
NHS = st.one_of(
    st.none(),
    st.sampled_from(["943 476 5919", "9434765919", "9434765918", "", "12", "943-476-5919"]),
    st.text(alphabet="0123456789 ", max_size=12),
)
POSTCODES = st.one_of(
    st.none(),
    st.sampled_from(["CO1 1AA", "co11aa", "SW1A 2AA", "CM2", "", "not a postcode"]),
    st.text(alphabet="ACOM0129 ", max_size=9),
)
PEOPLE = st.fixed_dictionaries(
    {
        "nhs_number": NHS,
        "given_name": NAMES,
        "family_name": NAMES,
        "date_of_birth": DATES,
        "postcode": POSTCODES,
    }
)


def frame_objection_tokens(identifiers: dict, secret: bytes, release: str) -> dict[str, str]:
    """The register's tokens for one person built through columns (the batch path)."""
    tk = Tokeniser(secret, release=release)
    columns = {
        k: pd.Series([NORMALISERS[k](identifiers.get(k))], dtype=object)
        for k in ("given_name", "family_name", "date_of_birth", "postcode")
    }
    nhs = NORMALISERS["nhs_number"](identifiers.get("nhs_number"))
    out = {"nhs_number": tk.token("nhs_number", nhs)} if nhs else {}
    for key, values in composite_tokens(tk, columns).items():
        if values[0] is not None:
            out[key] = values[0]
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    person=PEOPLE, secret=st.binary(min_size=32, max_size=32), release=st.sampled_from(["r1", "b"])
)
def test_one_person_path_equals_the_column_path(person, secret, release):
    frame = pd.DataFrame([person])
    by_column = objectors.normalise(frame).iloc[0].to_dict()
    one = objectors.normalise_one(person)
    assert one == {k: by_column[k] for k in KINDS}
    # household match tokens, as a list import would compute them for this person
    normalised = pd.DataFrame([one])
    assert objectors.match_tokens_one(one, secret) == objectors.match_tokens(normalised, secret)[0]
    # the tokens a linkage batch's register stores
    assert objection_tokens(person, secret, release) == frame_objection_tokens(
        person, secret, release
    )
    assert objection_tokens(one, secret, release) == frame_objection_tokens(one, secret, release)


def test_a_batch_created_again_under_the_same_name_gets_its_new_secret(tmp_path):
    store = KeyStore(tmp_path / "keys")
    store.create("proj", "r1")
    first = objections.release_secret(store, "proj", "r1")
    assert first == store.load("proj", "r1").require_token_secret()
    assert objections.release_secret(store, "proj", "r1") == first
    # destroyed and made again at once: same name, same size of file, perhaps the same inode
    assert store.destroy("proj", "r1")
    with pytest.raises(GovernanceError):
        objections.release_secret(store, "proj", "r1")
    store.create("proj", "r1")
    second = objections.release_secret(store, "proj", "r1")
    assert second == store.load("proj", "r1").require_token_secret()
    assert second != first
    # re-wrapped under a new key-encryption key: the file changes, the secret does not
    store.rotate_kek("proj")
    assert objections.release_secret(store, "proj", "r1") == second


def test_objections_use_the_current_batch_keys_after_a_batch_is_replaced(portal, tmp_path):
    """Through the form: an objection after a batch is destroyed and created again carries
    tokens under the new secret only (one made with the old secret would never match)."""
    store = KeyStore(tmp_path / "keys")
    agreement = portal.world.agreement
    store.create(agreement, "rx")
    app = create_app(replace(portal.settings, keystore=str(store.root)))
    client = TestClient(app, follow_redirects=False)

    def object_with(nhs: str) -> dict:
        token = csrf_from(client.get("/object").text)
        response = client.post("/object", data={"nhs_number": nhs, "csrf_token": token})
        assert response.status_code == 200, response.text
        reference = response.text.split('id="reference">')[1].split("<")[0]
        with portal.session() as s:
            return s.scalar(select(Objection.tokens).where(Objection.reference == reference))

    old = store.load(agreement, "rx").require_token_secret()
    before = object_with("943 476 5919")
    assert before[f"{agreement}/rx"] == objection_tokens({"nhs_number": "9434765919"}, old, "rx")
    store.destroy(agreement, "rx")
    store.create(agreement, "rx")
    new = store.load(agreement, "rx").require_token_secret()
    assert new != old
    after = object_with("401 023 2137")
    assert after[f"{agreement}/rx"] == objection_tokens({"nhs_number": "4010232137"}, new, "rx")
    assert after[f"{agreement}/rx"] != objection_tokens({"nhs_number": "4010232137"}, old, "rx")


def test_secrets_are_not_shared_between_key_stores(tmp_path):
    one, two = KeyStore(tmp_path / "a"), KeyStore(tmp_path / "b")
    one.create("proj", "r1")
    two.create("proj", "r1")
    a = objections.release_secret(one, "proj", "r1")
    b = objections.release_secret(two, "proj", "r1")
    assert a != b
    assert b == two.load("proj", "r1").require_token_secret()
    assert secrets.compare_digest(a, one.load("proj", "r1").require_token_secret())
