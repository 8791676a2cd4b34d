"""Objections that always work (finding 3): every identifier route, the agreement's own column
names, unknown columns refused, a summary by route, objections reaching later batches, and an
NHS opt-out count of real opt-outs only."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.cli import main
from lantern.errors import ConfigError, InputError
from lantern.governance import load_agreement
from lantern.governance.agreement import AgreementField
from lantern.governance.objections import (
    KINDS,
    ObjectionRegister,
    normalise_objectors,
    resolve_columns,
    tokens_for,
)
from lantern.keys.store import KeyStore
from lantern.linkage.normalise import normalise_series
from lantern.linkage.pseudonymise import pseudonymise_frame
from lantern.linkage.synthetic import synthetic_people
from lantern.linkage.tokens import Tokeniser

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "agreements"
    / "essex-covid-vulnerability.yaml"
)
POSTCODES = ["CM1 1AA", "CM2 0AB", "SS1 2AB", "CO1 1AA", "CM11 2AA", "RM16 2AA", "CB10 1AA"]


@pytest.fixture(scope="module")
def people():
    return synthetic_people(60, postcodes=POSTCODES, seed=11)


@pytest.fixture(scope="module")
def agreement():
    return load_agreement(EXAMPLE)


def test_unknown_and_unusable_columns_are_refused_naming_them(agreement):
    with pytest.raises(ConfigError) as err:
        resolve_columns(["nhs_number", "favourite_colour"], agreement, file="obj.csv")
    assert "favourite_colour" in str(err.value)
    with pytest.raises(ConfigError) as err:  # in the agreement, but an attribute
        resolve_columns(["forename", "surname", "date_of_birth", "lives_alone"], agreement)
    assert "lives_alone" in str(err.value) and "attribute" in str(err.value)
    with pytest.raises(ConfigError, match="'sex'"):
        resolve_columns(["nhs_number", "sex"], agreement)
    with pytest.raises(ConfigError, match="surname"):  # two columns for one identifier
        resolve_columns(["family_name", "surname", "dob"], agreement)
    assert resolve_columns(["forename", "surname", "date_of_birth"], agreement) == {
        "forename": "given_name", "surname": "family_name", "date_of_birth": "date_of_birth"
    }  # fmt: skip


def test_finding_agreement_column_names_reach_a_partner_without_nhs_numbers(
    people, agreement, tmp_path
):
    """`forename,surname` (the agreement's names) used to give 0 name tokens: 0 of 9 removed."""
    store = KeyStore(tmp_path / "keys")
    keys = store.create("essex-covid", "b1")
    objectors = people.head(9)[["forename", "surname", "date_of_birth"]]
    reg = ObjectionRegister(tmp_path / "register.csv", store, "essex-covid")
    mapping = resolve_columns(list(objectors.columns), agreement)
    summary = reg.add_frame(objectors, mapping)
    assert summary.by_route["name_dob"] == 9 and summary.by_route["nhs_number"] == 0
    police_fields = agreement.fields_for("essex-police")
    extract = people[["forename", "surname", "date_of_birth", "postcode"]].assign(
        record_id=[str(i) for i in range(len(people))], vulnerable_adult_concern="true"
    )
    out = pseudonymise_frame(
        extract, police_fields, Tokeniser(keys.token_secret, release="b1"),
        partner="essex-police", id_column="record_id", register=reg.tokens_for(keys),
    )  # fmt: skip
    assert out.stats.removed_objection_register == 9
    kept = set(out.keymap["record_id"].astype(int))
    assert kept == set(range(9, len(people)))


def test_rows_with_no_usable_route_are_refused_unless_skipped(tmp_path, people):
    store = KeyStore(tmp_path / "keys")
    reg = ObjectionRegister(tmp_path / "register.csv", store, "p")
    frame = pd.DataFrame(
        {"nhs_number": [people.nhs_number[0], "1234567890", None],
         "forename": ["Ann", None, "Bo"], "dob": [None, "1950-01-01", None]}
    )  # fmt: skip
    mapping = resolve_columns(list(frame.columns))
    with pytest.raises(InputError, match=r"rows 3, 4"):
        reg.add_frame(frame, mapping)
    assert not reg.exists()  # nothing half-written
    summary = reg.add_frame(frame, mapping, skip_unusable=True)
    assert summary.objectors == 1 and summary.unusable_rows == [3, 4]


NAMINGS = {
    "canonical": {k: k for k in KINDS},
    "aliases": {"nhs_number": "NHS No", "given_name": "First Name", "family_name": "Last Name",
                "date_of_birth": "DOB", "postcode": "Post Code"},
    "agreement": {"nhs_number": "nhs_number", "given_name": "forename", "family_name": "surname",
                  "date_of_birth": "date_of_birth", "postcode": "postcode"},
}  # fmt: skip
ROUTE_SETS = [
    ("nhs_number",), ("given_name", "family_name", "date_of_birth"),
    ("given_name", "date_of_birth", "postcode"), ("family_name", "date_of_birth", "postcode"),
    ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode"),
]  # fmt: skip
PARTNER_KINDS = [
    ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode"),
    ("given_name", "family_name", "date_of_birth", "postcode"),
    ("nhs_number", "date_of_birth"),
    ("given_name", "family_name", "date_of_birth"),
]  # fmt: skip


def _reachable(objector_kinds: set[str], partner_kinds: set[str]) -> bool:
    both = objector_kinds & partner_kinds
    return (
        "nhs_number" in both
        or {"given_name", "family_name", "date_of_birth"} <= both
        or ({"date_of_birth", "postcode"} <= both and bool({"given_name", "family_name"} & both))
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    naming=st.sampled_from(sorted(NAMINGS)),
    route=st.sampled_from(ROUTE_SETS),
    partner=st.sampled_from(PARTNER_KINDS),
    chosen=st.sets(st.integers(0, 59), min_size=1, max_size=8),
)
def test_every_route_and_naming_reaches_every_partner_that_can_match(
    people, agreement, naming, route, partner, chosen
):
    """Hypothesis over identifier routes × column namings × partner field sets (oracle above)."""
    secret = b"k" * 32
    from lantern.keys.store import ReleaseKeys

    keys = ReleaseKeys("p", "b1", b"s" * 32, secret)
    source = {"nhs_number": "nhs_number", "given_name": "forename", "family_name": "surname",
              "date_of_birth": "date_of_birth", "postcode": "postcode"}  # fmt: skip
    rows = people.iloc[sorted(chosen)]
    objector_file = pd.DataFrame({NAMINGS[naming][k]: rows[source[k]].to_numpy() for k in route})
    mapping = resolve_columns(list(objector_file.columns), agreement)
    register = tokens_for(normalise_objectors(objector_file, mapping), keys)
    fields = [AgreementField.model_validate({"party": "x", "name": source[k], "class": "direct_identifier", "kind": k})
              for k in partner]  # fmt: skip
    extract = people[[source[k] for k in partner]].assign(record_id=[str(i) for i in range(60)])
    out = pseudonymise_frame(
        extract, fields, Tokeniser(secret, release="b1"), partner="x", id_column="record_id",
        register=register,
    )  # fmt: skip
    removed = set(range(60)) - set(out.keymap["record_id"].astype(int))
    expected = set(chosen) if _reachable(set(route), set(partner)) else set()
    assert removed == expected


def test_an_objection_made_today_reaches_every_later_batch(people, tmp_path):
    """Objectors added while only batch 1 exists are removed from batch 2, made afterwards."""
    agreement_path = tmp_path / "agreement.yaml"
    data = yaml.safe_load(EXAMPLE.read_text())
    data["start_date"] = (date.today() - timedelta(days=5)).isoformat()
    data["retention_end"] = (date.today() + timedelta(days=50)).isoformat()
    agreement_path.write_text(yaml.safe_dump(data))
    keys = ["--keys", str(tmp_path / "keys"), "--project", "essex-covid"]
    assert main(["keys", "create", *keys, "--batch", "b1"]) == 0
    people.head(7)[["forename", "surname", "date_of_birth"]].to_csv(
        tmp_path / "obj.csv", index=False
    )
    register = tmp_path / "register" / "tokens.csv"
    assert main(["objections", "add", str(register), "--from", str(tmp_path / "obj.csv"), *keys,
                 "--agreement", str(agreement_path)]) == 0  # fmt: skip
    assert "\nb1,tokenised," in register.read_text() and ",b2," not in register.read_text()
    assert main(["keys", "create", *keys, "--batch", "b2"]) == 0
    extract = people[["forename", "surname", "date_of_birth", "postcode"]].assign(
        record_id=[str(i) for i in range(len(people))], vulnerable_adult_concern="false"
    )
    extract.to_csv(tmp_path / "police.csv", index=False)
    # the hub's token list does not cover b2 yet: refused rather than silently not applied
    with pytest.raises(InputError, match="no tokens for batch 'b2'"):
        from lantern.linkage.objections import load_register

        load_register(register, "b2")
    assert main(["pseudonymise", str(tmp_path / "police.csv"), "--agreement", str(agreement_path),
                 "--partner", "essex-police", "--purpose", "service-planning", *keys, "--batch", "b2",
                 "--out", str(tmp_path / "outbox"), "--keymap", str(tmp_path / "private" / "km.lnt"),
                 "--objections", str(register), "--audit", str(tmp_path / "private" / "a.jsonl")]) == 0  # fmt: skip
    from lantern.audit import AuditLog

    entry = list(AuditLog(tmp_path / "private" / "a.jsonl").entries())[-1]
    assert entry["details"]["stats"]["removed_objection_register"] == 7
    from lantern.linkage.objections import load_register

    assert load_register(register, "b2")["name_dob"]  # and the list now covers b2 for the hub
    assert main(["objections", "tokens", str(register), *keys]) == 0
    assert main(["objections", "count", str(register), "--batch", "b2", *keys]) == 0


def test_register_keeps_no_clear_identifier_and_survives_shredding(people, tmp_path):
    store = KeyStore(tmp_path / "keys")
    store.create("p", "b1")
    reg = ObjectionRegister(tmp_path / "tokens.csv", store, "p")
    frame = people.head(5)[["nhs_number", "forename", "surname", "date_of_birth"]]
    reg.add_frame(frame, resolve_columns(list(frame.columns)))
    blob = reg.path.read_bytes() + reg.tokens_path.read_bytes()
    for value in frame.to_numpy().ravel():
        assert str(value).encode() not in blob
        assert str(value).upper().encode() not in blob
    store.destroy("p", "b1")  # shredding a batch loses no objection
    keys2 = store.create("p", "b2")
    assert len(reg.read()) == 5 and len(reg.tokens_for(keys2)["nhs_number"]) == 5


def test_national_opt_out_counts_only_real_opt_outs(agreement):
    rng = np.random.default_rng(3)
    people = synthetic_people(200, postcodes=POSTCODES, seed=5)
    extract = people[
        ["nhs_number", "forename", "surname", "date_of_birth", "sex", "postcode"]
    ].copy()
    missing = rng.random(200) < 0.3
    extract.loc[missing, "nhs_number"] = None
    extract["clinically_extremely_vulnerable"] = "true"
    extract["severe_frailty"] = "false"
    extract["record_id"] = [str(i) for i in range(200)]
    opted_out = set(people.nhs_number[~missing].sample(20, random_state=1))
    cleaned = set(people.nhs_number) - opted_out
    out = pseudonymise_frame(
        extract, agreement.fields_for("nhs-mse"), Tokeniser(b"x" * 32, release="b"),
        partner="nhs-mse", id_column="record_id", cleaned_list=cleaned,
    )  # fmt: skip
    valid = normalise_series(extract["nhs_number"], "nhs_number")
    assert out.stats.removed_national_opt_out == len(opted_out) == 20
    assert out.stats.removed_no_nhs_number == int(valid.isna().sum()) == int(missing.sum())
    assert out.stats.rows_out == 200 - 20 - int(missing.sum())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    row=st.integers(0, 59),
    keep=st.sets(st.sampled_from(KINDS), min_size=1),
)
def test_the_form_and_the_register_make_the_same_tokens(people, row, keep):
    """The portal's one-person ``objection_tokens`` and the register's ``tokens_for`` agree."""
    from lantern.keys.store import ReleaseKeys
    from lantern.linkage.tokens import objection_tokens

    person = people.iloc[row]
    source = {"nhs_number": "nhs_number", "given_name": "forename", "family_name": "surname",
              "date_of_birth": "date_of_birth", "postcode": "postcode"}  # fmt: skip
    identifiers = {k: person[source[k]] for k in keep}
    keys = ReleaseKeys("p", "b7", b"s" * 32, b"t" * 32)
    frame = pd.DataFrame([identifiers])
    register = tokens_for(normalise_objectors(frame, {k: k for k in keep}), keys)
    single = objection_tokens(identifiers, keys.token_secret, "b7")
    assert {k: {v} for k, v in single.items()} == {k: v for k, v in register.items() if v}
