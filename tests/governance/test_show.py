"""``lantern show``: any Lantern file summarised for its key holder, identifiers never echoed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lantern.cli import main
from lantern.governance import load_agreement
from lantern.governance.objections import ObjectionRegister, resolve_columns
from lantern.keys.store import KeyStore
from lantern.linkage.pseudonymise import pseudonymise

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "agreements"
    / "essex-covid-vulnerability.yaml"
)
EXTRACT = pd.DataFrame(
    {"record_id": ["ASC-000071", "ASC-000072"], "nhs_number": ["9434765919", "9434765870"],
     "forename": ["Philippa", "Bartholomew"], "surname": ["Featherstonehaugh", "Cholmondeley"],
     "date_of_birth": ["1950-01-02", "1960-03-04"], "sex": ["F", "M"],
     "postcode": ["CM1 1AA", "SS1 2AB"], "lives_alone": ["true", "false"],
     "receives_care_package": ["true", "true"]}
)  # fmt: skip
SECRETS = ["ASC-000071", "9434765919", "PHILIPPA", "Philippa", "Featherstonehaugh", "19500102"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("show")
    store = KeyStore(root / "keys")
    keys = store.create("essex-covid", "b1")
    EXTRACT.to_csv(root / "x.csv", index=False)
    pseudonymise(
        agreement=load_agreement(EXAMPLE), partner="ecc-asc", purpose="service-planning",
        extract=root / "x.csv", keys=keys, out_dir=root / "outbox",
        keymap_path=root / "private" / "keymap.lnt", audit_log=root / "private" / "a.jsonl",
        today=date(2026, 6, 1),
    )  # fmt: skip
    reg = ObjectionRegister(root / "objections.csv", store, "essex-covid")
    frame = EXTRACT[["nhs_number", "forename", "surname", "date_of_birth"]]
    reg.add_frame(frame, resolve_columns(list(frame.columns)))
    return root


@pytest.mark.parametrize(
    "name,expect",
    [("outbox/ecc-asc.tokens.lnt", "name_dob"), ("outbox/ecc-asc.attributes.lnt", "lives_alone"),
     ("private/keymap.lnt", "release_id"), ("objections.csv.objectors.lnt", "name_dob")],
)  # fmt: skip
def test_show_summarises_without_echoing_identifiers(made, name, expect, capsys):
    capsys.readouterr()
    assert main(["show", str(made / name), "--keys", str(made / "keys")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert expect in out and "service-planning" in out or "objection-register" in out
    assert "2 row(s)" in out or "objectors" in out
    for value in SECRETS:
        assert value not in out, value


def test_show_without_keys_gives_the_header_and_with_wrong_keys_refuses(made, tmp_path, capsys):
    capsys.readouterr()
    assert main(["show", str(made / "outbox" / "ecc-asc.tokens.lnt")]) == 0
    out = capsys.readouterr().out
    assert "tokens" in out and "b1" in out and "row(s)" not in out
    KeyStore(tmp_path / "other").create("essex-covid", "b9")
    assert (
        main(
            ["show", str(made / "outbox" / "ecc-asc.tokens.lnt"), "--keys", str(tmp_path / "other")]
        )
        == 6
    )
    (tmp_path / "plain.txt").write_text("hello")
    assert main(["show", str(tmp_path / "plain.txt")]) == 6
