"""Agreements: validation reporting every problem, and refusals for out-of-agreement runs."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pandas as pd
import pytest
import yaml

from lantern.errors import ConfigError, GovernanceError
from lantern.governance import check_agreement, load_agreement, require_output_level
from lantern.linkage.keystore import KeyStore
from lantern.linkage.pseudonymise import pseudonymise

from .essex import EXAMPLE, PURPOSE, TODAY


def _write(tmp_path, data, name="a.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def example_data():
    return yaml.safe_load(EXAMPLE.read_text())


def test_example_agreement_is_valid_and_complete():
    assert check_agreement(EXAMPLE) == []
    a = load_agreement(EXAMPLE)
    assert {p.id for p in a.parties} == {"ecc-asc", "nhs-mse", "essex-police", "uoe-hub"}
    assert a.lawful_basis.article_6 == "6(1)(e)" and a.lawful_basis.article_9 == "9(2)(h)"
    assert a.dpia_ref and a.ethics_ref
    assert a.is_active(TODAY) and not a.is_active(a.retention_end + timedelta(days=1))
    assert {f.field_class for f in a.fields} == {
        "direct_identifier",
        "quasi_identifier",
        "attribute",
    }


def test_check_reports_every_problem_at_once(tmp_path, example_data):
    bad = copy.deepcopy(example_data)
    bad["lawful_basis"]["article_6"] = "6(1)(z)"
    bad["fields"].append({"party": "nobody", "name": "x", "class": "attribute"})
    bad["fields"].append({"party": "ecc-asc", "name": "ethnicity", "class": "quasi_identifier"})
    bad["permitted_outputs"] = ["lsoa", "household"]
    bad["retention_end"] = "2019-01-01"
    problems = check_agreement(_write(tmp_path, bad))
    assert len(problems) == 1  # schema errors stop before cross-field checks
    assert "lawful_basis.article_6" in str(problems[0])
    bad["lawful_basis"]["article_6"] = "6(1)(e)"
    problems = [str(p) for p in check_agreement(_write(tmp_path, bad))]
    assert any("unknown party 'nobody'" in p for p in problems)
    assert any("'ethnicity' needs a 'kind'" in p for p in problems)
    assert any("'household'" in p for p in problems)
    assert any("retention_end must be after start_date" in p for p in problems)
    with pytest.raises(ConfigError) as err:
        load_agreement(_write(tmp_path, bad))
    assert len(err.value.problems) == len(problems) >= 4


def test_check_names_unparseable_and_missing_files(tmp_path):
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n")
    assert "cannot be parsed" in str(check_agreement(tmp_path / "broken.yaml")[0])
    assert "not found" in str(check_agreement(tmp_path / "absent.yaml")[0])


@pytest.fixture
def partner_setup(tmp_path):
    keys = KeyStore(tmp_path / "keys").create("essex-covid", "r1")
    extract = tmp_path / "asc.csv"
    pd.DataFrame(
        {
            "record_id": ["1", "2"],
            "nhs_number": ["9434765919", None],
            "forename": ["Ann", "Bo"],
            "surname": ["Lee", "Ng"],
            "date_of_birth": ["1950-01-02", "1960-03-04"],
            "sex": ["F", "M"],
            "postcode": ["CM1 1AA", "SS1 2AB"],
            "lives_alone": ["true", "false"],
            "receives_care_package": ["true", "true"],
        }  # fmt: skip
    ).to_csv(extract, index=False)
    return tmp_path, keys, extract


def _run(root, keys, extract, agreement, purpose=PURPOSE, today=TODAY):
    return pseudonymise(
        agreement=agreement, partner="ecc-asc", purpose=purpose, extract=extract, keys=keys,
        out_dir=root / "release", keymap_path=root / "private" / "keymap.lnt",
        audit_log=root / "private" / "audit.jsonl", today=today,
    )  # fmt: skip


def test_a_permitted_run_succeeds(partner_setup):
    root, keys, extract = partner_setup
    stats = _run(root, keys, extract, load_agreement(EXAMPLE))
    assert (stats.rows_in, stats.rows_out) == (2, 2)


def test_refuses_unknown_purpose(partner_setup):
    root, keys, extract = partner_setup
    with pytest.raises(GovernanceError, match="purpose 'marketing' is not permitted"):
        _run(root, keys, extract, load_agreement(EXAMPLE), purpose="marketing")
    assert not (root / "release").exists()


def test_refuses_expired_agreement(partner_setup):
    root, keys, extract = partner_setup
    agreement = load_agreement(EXAMPLE)
    with pytest.raises(GovernanceError, match="expired on 2027-03-31"):
        _run(root, keys, extract, agreement, today=date(2027, 4, 1))


def test_refuses_field_outside_the_agreement(partner_setup):
    root, keys, extract = partner_setup
    frame = pd.read_csv(extract, dtype=str)
    frame["ethnicity"] = "x"
    frame.to_csv(extract, index=False)
    with pytest.raises(GovernanceError, match="'ethnicity' are not named for 'ecc-asc'"):
        _run(root, keys, extract, load_agreement(EXAMPLE))
    assert not (root / "release").exists()


def test_refuses_output_level_not_permitted():
    agreement = load_agreement(EXAMPLE)
    require_output_level(agreement, "msoa")
    with pytest.raises(GovernanceError, match="output level 'postcode' is not permitted"):
        require_output_level(agreement, "postcode")
