"""CLI hygiene: one-line errors without tracebacks, `--version`, and no record value ever echoed.

Every linkage command is fed bad records carrying a distinctive marker (``QZX``); whatever the
command answers, the marker must not appear in stdout, stderr, the log records or the audit
logs, and no traceback may be printed.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lantern import __version__
from lantern.cli import main

from .essex import EXAMPLE, NSPL, essex_data

MARK = re.compile("qzx", re.IGNORECASE)
PURPOSE = "covid-vulnerability-targeting"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A clean two-partner run under the Essex example agreement, to spoil step by step."""
    root = tmp_path_factory.mktemp("hygiene")
    data = yaml.safe_load(EXAMPLE.read_text())
    data["start_date"] = (date.today() - timedelta(days=10)).isoformat()
    data["retention_end"] = (date.today() + timedelta(days=90)).isoformat()
    data["objection_policy"]["national_data_opt_out"] = []
    agreement = root / "agreement.yaml"
    agreement.write_text(yaml.safe_dump(data))
    common = ["--keys", str(root / "partner-keys"), "--project", "essex-covid", "--batch", "b1"]
    hub = ["--keys", str(root / "hub-keys"), "--project", "essex-covid", "--batch", "b1"]
    assert main(["keys", "create", *common]) == 0
    assert main(["keys", "export-hub", *common, "--hub-keys", str(root / "hub-keys")]) == 0
    synthetic = essex_data(n=200, seed=11)
    for partner in ("ecc-asc", "nhs-mse"):
        synthetic.extracts[partner].drop(columns=["person"]).to_csv(
            root / f"{partner}.csv", index=False
        )
        assert main(_pseudonymise(root, agreement, partner, root / f"{partner}.csv", common)) == 0
    link = ["link", str(root / "release"), "--agreement", str(agreement), "--purpose", PURPOSE,
            *hub, "--out", str(root / "hub"), "--audit", str(root / "hub-audit.jsonl")]  # fmt: skip
    assert main(link) == 0
    return root, agreement, common, hub, synthetic


def _pseudonymise(root: Path, agreement: Path, partner: str, extract: Path, common, out=None):
    return ["pseudonymise", str(extract), "--agreement", str(agreement), "--partner", partner,
            "--purpose", PURPOSE, *common, "--out", str(out or root / "release"),
            "--keymap", str(root / f"{partner}-private" / "keymap.lnt"), "--postcodes", str(NSPL),
            "--audit", str(root / f"{partner}-private" / "audit.jsonl")]  # fmt: skip


def _run(argv, capsys, caplog, audits=()):
    """Run one command; return (exit code, everything it said) after the common checks."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    said = out + err + caplog.text
    said += "".join(Path(a).read_text() for a in audits if Path(a).exists())
    assert "Traceback" not in said
    assert not MARK.search(said), said
    if code:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), err
    return code, said


def _spoiled(base, name: str, rows: list[dict], extra_columns: dict | None = None) -> Path:
    root, _, _, _, synthetic = base
    frame = synthetic.extracts["ecc-asc"].drop(columns=["person"]).head(20).copy()
    bad = pd.DataFrame(rows)
    frame = pd.concat([frame, bad], ignore_index=True)
    for col, value in (extra_columns or {}).items():
        frame[col] = value
    path = root / "bad" / name
    path.parent.mkdir(exist_ok=True)
    frame.to_csv(path, index=False)
    return path


BAD_IDENTIFIERS = {
    "record_id": "QZX-REC-1",
    "nhs_number": "QZX4010232137",
    "forename": "Qzxanna",
    "surname": "O'QZXBRIEN",
    "date_of_birth": "31/02/QZX9",
    "sex": "QZXUNKNOWN",
    "postcode": "QZX 9ZZ",
    "lives_alone": "QZXMAYBE",
    "receives_care_package": "qzx-yes",
}


@pytest.mark.parametrize(
    "case",
    ["unusable values", "unknown column", "ragged row", "not utf-8", "duplicate ids", "not parquet",
     "missing id column"],
)  # fmt: skip
def test_pseudonymise_never_echoes_a_value(base, tmp_path, capsys, caplog, case):
    root, agreement, common, _, _ = base
    if case == "unusable values":
        path = _spoiled(base, "a.csv", [BAD_IDENTIFIERS])
    elif case == "unknown column":
        path = _spoiled(base, "b.csv", [], {"favourite_colour": "QZXRED"})
    elif case == "ragged row":
        path = _spoiled(base, "c.csv", [])
        path.write_text(path.read_text() + "QZX-R9,QZXANNA,QZXSMITH,1990-01-01,F,CM1 1AA,true,false,QZXEXTRA,QZXMORE\n")  # fmt: skip
    elif case == "not utf-8":
        path = _spoiled(base, "d.csv", [])
        path.write_bytes(path.read_bytes() + "QZX-R8,Zo\u00eb QZX,QZX\u00c9,1990-01-01,F,CM1 1AA,true,false\n".encode("latin-1"))  # fmt: skip
    elif case == "duplicate ids":
        path = _spoiled(base, "e.csv", [dict(BAD_IDENTIFIERS, forename="Ann"), dict(BAD_IDENTIFIERS, forename="Bob")])  # fmt: skip
    elif case == "not parquet":
        path = tmp_path / "f.parquet"
        path.write_text("record_id,forename\nQZX-1,QZXANNA\n")
    else:
        path = _spoiled(base, "g.csv", [BAD_IDENTIFIERS]).rename(tmp_path / "g.csv")
        frame = pd.read_csv(path, dtype=str).drop(columns=["record_id"])
        frame.to_csv(path, index=False)
    argv = _pseudonymise(tmp_path, agreement, "ecc-asc", path, common, out=tmp_path / "release")
    _run(argv, capsys, caplog, audits=[tmp_path / "ecc-asc-private" / "audit.jsonl"])


def test_objections_add_never_echoes_a_value(base, tmp_path, capsys, caplog):
    _, _, common, _, _ = base
    objectors = tmp_path / "objectors.csv"
    pd.DataFrame(
        [
            {
                "nhs_number": "QZX12345",
                "given_name": "QZXANNA",
                "family_name": "QZXSMITH",
                "date_of_birth": "QZX-13-45",
                "postcode": "QZX 1AA",
            },
            {
                "nhs_number": "",
                "given_name": "",
                "family_name": "QZXONLY",
                "date_of_birth": "",
                "postcode": "",
            },
        ]  # fmt: skip
    ).to_csv(objectors, index=False)
    _run(["objections", "add", tmp_path / "register.csv", "--from", objectors, *common], capsys, caplog)  # fmt: skip
    keys = common[:4]  # --keys, --project: every batch of the store
    _run(["objections", "tokens", tmp_path / "register.csv", *keys], capsys, caplog)
    _run(["objections", "count", tmp_path / "register.csv", *common[4:]], capsys, caplog)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("nhs_number,given_name\nQZX1,QZXANNA,QZXEXTRA\n")
    _run(["objections", "add", tmp_path / "register2.csv", "--from", ragged, *common], capsys, caplog)  # fmt: skip


def test_cohort_count_never_echoes_a_value(base, tmp_path, capsys, caplog):
    """Attributes with values that are neither true nor false."""
    root, agreement, common, hub, _ = base
    path = _spoiled(base, "h.csv", [BAD_IDENTIFIERS])
    release = tmp_path / "release"
    for partner, extract in (("ecc-asc", path), ("nhs-mse", root / "nhs-mse.csv")):
        argv = _pseudonymise(tmp_path, agreement, partner, extract, common, out=release)
        assert main(argv) == 0
    capsys.readouterr()
    _run(["link", release, "--agreement", agreement, "--purpose", PURPOSE, *hub, "--out",
          tmp_path / "hub", "--audit", tmp_path / "audit.jsonl"], capsys, caplog)  # fmt: skip
    _run(["cohort", "count", "asc_cev_lives_alone", "--agreement", agreement, "--purpose", PURPOSE,
          "--release-dir", release, "--link-dir", tmp_path / "hub", *hub, "--levels", "district",
          "--out", tmp_path / "cohort.csv", "--audit", tmp_path / "audit.jsonl"],
         capsys, caplog, audits=[tmp_path / "audit.jsonl"])  # fmt: skip


def test_link_and_review_never_echo_a_value(base, tmp_path, capsys, caplog):
    root, agreement, _, hub, _ = base
    # a token file replaced by text: refused as altered, its content never shown
    spoiled = tmp_path / "release"
    spoiled.mkdir()
    for f in (root / "release").iterdir():
        (spoiled / f.name).write_bytes(f.read_bytes())
    (spoiled / "ecc-asc.tokens.lnt").write_text("release_id,nhs_number\nQZX1,QZX4010232137\n")
    code, _ = _run(["link", spoiled, "--agreement", agreement, "--purpose", PURPOSE, *hub,
                    "--out", tmp_path / "hub", "--audit", tmp_path / "a.jsonl"], capsys, caplog)  # fmt: skip
    assert code != 0
    # a labelled sample with values where labels and ids should be
    sample = tmp_path / "sample.csv"
    assert main(["link", "review", str(root / "hub"), *hub, "--out", str(sample)]) == 0
    capsys.readouterr()
    frame = pd.read_csv(sample, dtype=str, keep_default_na=False)
    frame["is_match"] = "QZXPERHAPS"
    frame.to_csv(sample, index=False)
    code, _ = _run(["link", "review", root / "hub", *hub, "--labels", sample], capsys, caplog)
    assert code == 2
    frame["is_match"] = "1"
    frame.loc[0, "release_id_l"] = "QZX-NOT-AN-ID"
    frame.to_csv(sample, index=False)
    code, _ = _run(["link", "review", root / "hub", *hub, "--labels", sample], capsys, caplog)
    assert code == 2


def test_show_never_echoes_the_content_of_a_bad_file(base, tmp_path, capsys, caplog):
    """`lantern show` prints records to their reader by design; its errors print none."""
    root, _, _, hub, _ = base
    fake = tmp_path / "persons.lnt"
    fake.write_text("release_id,partner,person_id\nQZX1,ecc-asc,QZXPERSON\n")
    code, _ = _run(["show", fake, "--keys", root / "hub-keys"], capsys, caplog)
    assert code != 0
    spoiled = tmp_path / "spoiled.lnt"
    blob = bytearray((root / "hub" / "persons.lnt").read_bytes())
    blob[-40:] = b"QZX" * 13 + b"Q"
    spoiled.write_bytes(bytes(blob))
    code, _ = _run(["show", spoiled, "--keys", root / "hub-keys"], capsys, caplog)
    assert code != 0


def test_usage_errors_are_one_line_with_an_exit_code(capsys):
    cases = [
        ["nosuch"],
        ["link", "x", "--bogus"],
        ["link", "review", "x", "--size", "many"],
        ["keys", "create", "--keys"],
        ["cohort", "count"],
        ["pseudonymise"],
        ["--nope"],
    ]
    for argv in cases:
        code = main(argv)
        out, err = capsys.readouterr()
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2, argv
        assert len(lines) == 1 and lines[0].startswith("error:"), (argv, err)
        assert "Traceback" not in out + err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_unexpected_errors_are_one_line_without_their_text(capsys, monkeypatch):
    """An exception Lantern did not expect may quote values: only its type is shown."""
    import lantern.cli as cli

    def boom() -> None:
        raise ValueError("could not convert 'QZXSMITH' to float")

    monkeypatch.setattr(cli, "app", lambda **_: boom())
    monkeypatch.setattr(cli, "_register", lambda: None)
    assert main(["anything"]) == cli.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "ValueError" in err and "QZX" not in err and "Traceback" not in err
    monkeypatch.setenv("LANTERN_DEBUG", "1")
    with pytest.raises(ValueError):
        main(["anything"])


def test_every_linkage_command_is_covered():
    """The commands above are every linkage command the CLI has (a new one needs a case)."""
    from typer.main import get_command

    import lantern.cli as cli

    cli._register()
    group = get_command(cli.app)
    names = set()
    for name in ("keys", "objections", "cohort", "link", "agreement"):
        names |= {f"{name} {sub}" for sub in group.commands[name].commands}  # type: ignore[attr-defined]
    names |= {"pseudonymise", "retention", "show"} & set(group.commands)
    covered = {"keys create", "keys export-hub", "objections add", "objections tokens",
               "objections count", "cohort count", "link run", "link review", "pseudonymise",
               "agreement check", "show"}  # fmt: skip
    # value-free commands: keys and agreements hold no record; counts print numbers only
    value_free = {"retention", "keys roots"}  # folders and keys only, never a record
    assert names - covered - value_free == set(), json.dumps(sorted(names - covered - value_free))
