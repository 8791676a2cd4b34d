"""The whole flow through the command line, the audit trail, and retention."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
import yaml

from lantern.cli import main
from lantern.governance import load_agreement
from lantern.governance.retention import apply_retention
from lantern.linkage.keystore import KeyStore

from .essex import EXAMPLE, NSPL, essex_data


@pytest.fixture(scope="module")
def cli_flow(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    data = yaml.safe_load(EXAMPLE.read_text())
    data["start_date"] = (date.today() - timedelta(days=10)).isoformat()
    data["retention_end"] = (date.today() + timedelta(days=90)).isoformat()
    agreement = root / "agreement.yaml"
    agreement.write_text(yaml.safe_dump(data))
    synthetic = essex_data(n=300, seed=5)
    common = ["--keys", str(root / "partner-keys"), "--project", "essex-covid", "--release", "r1"]
    assert main(["keys", "create", *common]) == 0
    assert main(["keys", "export-hub", *common, "--hub-keys", str(root / "hub-keys")]) == 0
    objectors = synthetic.people.head(5).rename(
        columns={"forename": "given_name", "surname": "family_name"}
    )
    objectors.drop(columns=["person", "sex"]).to_csv(root / "objectors.csv", index=False)
    assert (
        main(
            [
                "objections",
                "add",
                str(root / "register.csv"),
                "--from",
                str(root / "objectors.csv"),
                *common,
            ]
        )
        == 0
    )
    pd.Series(sorted(synthetic.cleaned_list), name="nhs_number").to_csv(
        root / "cleaned.csv", index=False
    )
    for partner, frame in synthetic.extracts.items():
        frame.drop(columns=["person"]).to_csv(root / f"{partner}.csv", index=False)
        args = ["pseudonymise", str(root / f"{partner}.csv"), "--agreement", str(agreement), "--partner", partner,
                "--purpose", "covid-vulnerability-targeting", *common, "--out", str(root / "release"),
                "--keymap", str(root / partner / "keymap.lnt"), "--postcodes", str(NSPL),
                "--objections", str(root / "register.csv"), "--audit", str(root / partner / "audit.jsonl")]  # fmt: skip
        if partner == "nhs-mse":
            args += ["--cleaned-list", str(root / "cleaned.csv")]
        assert main(args) == 0
    hub = ["--keys", str(root / "hub-keys"), "--project", "essex-covid", "--release", "r1"]
    assert main(["link", str(root / "release"), "--agreement", str(agreement), "--purpose", "covid-vulnerability-targeting",
                 *hub, "--out", str(root / "hub"), "--objections", str(root / "register.csv"),
                 "--audit", str(root / "hub-audit.jsonl")]) == 0  # fmt: skip
    assert main(["cohort", "count", "asc_cev_lives_alone", "--agreement", str(agreement), "--purpose",
                 "covid-vulnerability-targeting", "--release-dir", str(root / "release"), "--link-dir",
                 str(root / "hub"), *hub, "--levels", "msoa,district", "--out", str(root / "cohort.csv"),
                 "--audit", str(root / "hub-audit.jsonl")]) == 0  # fmt: skip
    return root, agreement


def test_cli_flow_writes_every_output(cli_flow):
    root, _ = cli_flow
    quality = json.loads((root / "hub" / "quality.json").read_text())
    assert quality["persons"] > 0 and set(quality["by_partner"]) == {
        "ecc-asc",
        "nhs-mse",
        "essex-police",
    }
    cohort = pd.read_csv(root / "cohort.csv")
    assert set(cohort["level"]) == {"msoa", "district"}
    entries = [json.loads(line) for line in (root / "hub-audit.jsonl").read_text().splitlines()]
    assert [e["event"] for e in entries] == ["link", "cohort"]
    for e in entries:
        d = e["details"]
        assert {"agreement", "purpose", "code_version", "inputs", "rows_in", "rows_out"} <= d.keys()


def test_agreement_check_cli(cli_flow, tmp_path):
    root, agreement = cli_flow
    assert main(["agreement", "check", str(agreement)]) == 0
    bad = yaml.safe_load(agreement.read_text())
    bad["permitted_outputs"] = ["household"]
    bad["fields"][0]["party"] = "nobody"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    assert main(["agreement", "check", str(tmp_path / "bad.yaml")]) == 3


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_audit_verify_detects_tampering(cli_flow, tmp_path, tamper):
    root, _ = cli_flow
    log = root / "ecc-asc" / "audit.jsonl"
    assert main(["audit", "verify", str(log)]) == 0
    copy = tmp_path / "audit.jsonl"
    lines = (root / "hub-audit.jsonl").read_text().splitlines()
    (tmp_path / "audit.jsonl.head").write_text((root / "hub-audit.jsonl.head").read_text())
    if tamper == "edit":
        lines[0] = lines[0].replace('"rows_out":', '"rows_out":1')
    elif tamper == "delete":
        del lines[0]
    else:
        lines.reverse()
    copy.write_text("\n".join(lines) + "\n")
    assert main(["audit", "verify", str(copy)]) == 6


def test_retention_deletes_data_and_destroys_keys(cli_flow, tmp_path):
    root, agreement_path = cli_flow
    agreement = load_agreement(agreement_path)
    keys = KeyStore(root / "partner-keys")
    data = [root / "release", root / "hub"]
    early = apply_retention(agreement=agreement, project="essex-covid", keystore=keys, data_paths=data,
                            audit_log=tmp_path / "audit.jsonl", today=agreement.retention_end)  # fmt: skip
    assert not early.expired and (root / "release").exists()
    result = apply_retention(agreement=agreement, project="essex-covid", keystore=keys, data_paths=data,
                             audit_log=tmp_path / "audit.jsonl",
                             today=agreement.retention_end + timedelta(days=1))  # fmt: skip
    assert result.expired and result.files_deleted > 0 and result.keys_destroyed == ["r1"]
    assert not (root / "release").exists() and not (root / "hub").exists()
    assert keys.releases() == []
    assert main(["pseudonymise", str(root / "ecc-asc.csv"), "--agreement", str(agreement_path), "--partner", "ecc-asc",
                 "--purpose", "covid-vulnerability-targeting", "--keys", str(root / "partner-keys"), "--project",
                 "essex-covid", "--release", "r1", "--out", str(tmp_path / "rel"), "--keymap",
                 str(tmp_path / "k" / "map.lnt")]) == 5  # fmt: skip


@pytest.mark.parametrize("backend", ["duckbd", "Spark", ""])
def test_unknown_backend_is_refused_before_any_work(cli_flow, tmp_path, capsys, backend):
    """A typo never runs Spark (or anything): link() itself checks the backend."""
    from lantern.errors import InputError
    from lantern.linkage.link import link

    root, agreement = cli_flow
    hub = ["--keys", str(root / "hub-keys"), "--project", "essex-covid", "--release", "r1"]
    out = tmp_path / "out"
    code = main(["link", str(root / "release"), "--agreement", str(agreement), "--purpose",
                 "covid-vulnerability-targeting", *hub, "--out", str(out), "--backend", backend,
                 "--audit", str(tmp_path / "audit.jsonl")])  # fmt: skip
    assert code == 2
    assert "unknown backend" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "audit.jsonl").exists()
    with pytest.raises(InputError, match="unknown backend"):
        link(agreement=load_agreement(agreement), purpose="covid-vulnerability-targeting",
             release_dir=root / "release", keys=KeyStore(root / "hub-keys").load("essex-covid", "r1"),
             out_dir=out, audit_log=tmp_path / "audit.jsonl", backend=backend)  # type: ignore[arg-type]  # fmt: skip
