"""Spec cases: the OpenSAFELY worked example, rules, the folder checker, review and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lantern.audit import AuditLog
from lantern.cli import main
from lantern.disclosure import (
    Hierarchy,
    Policy,
    midpoint6,
    protect_table,
    published_rate,
    round_half_up,
)
from lantern.errors import ConfigError, DisclosureError, GovernanceError, InputError
from lantern.release import (
    check_folder,
    release,
    request_release,
    view,
    vote,
    write_disclosure_record,
)
from lantern.release.review import audit_log_path

from .folders import L1, L2, L3, M1, project_rules_with


def test_opensafely_worked_example_cell_for_cell() -> None:
    df = pd.DataFrame(
        {
            "age": ["0-19", "20-39", "40-59", "60+"],
            "all": "T",
            "heart": [3, 8, 16, 23],
            "pop": [18, 23, 31, 44],
        }
    )
    out = protect_table(
        df,
        count_columns=["heart", "pop"],
        policy="opensafely",
        hierarchy=Hierarchy("age", ("all",)),
    )
    assert out.table["heart"].tolist() == [pd.NA, 10, 15, 25]
    assert out.table["pop"].tolist() == [20, 25, 30, 45]
    assert out.totals["all"][["heart", "pop"]].iloc[0].tolist() == [50, 120]
    assert out.suppressed[["area", "column", "reason"]].values.tolist() == [
        ["0-19", "heart", "primary"]
    ]


def test_rounding_rules() -> None:
    assert round_half_up(np.array([0, 2, 3, 7, 8, 12, 13]), 5).tolist() == [0, 0, 5, 5, 10, 10, 15]
    assert midpoint6(np.array([0, 1, 6, 7, 12, 13])).tolist() == [0, 3, 3, 9, 9, 15]
    assert published_rate(10, 20, per=100) == 50.0
    assert published_rate(None, 20) is None
    assert np.isnan(published_rate(np.array([5.0, 5.0]), np.array([0.0, 10.0]))[0])


def test_secondary_suppression_protects_an_exact_total() -> None:
    df = pd.DataFrame({"lsoa": list("abcd"), "msoa": list("xxxy"), "n": [3, 20, 30, 40]})
    out = protect_table(
        df, count_columns=["n"], policy="threshold_only", hierarchy=Hierarchy("lsoa", ("msoa",))
    )
    assert out.table["n"].isna().sum() == 2
    assert set(out.suppressed["reason"]) == {"primary", "secondary"}
    assert out.suppressed.loc[out.suppressed.reason == "secondary", "area"].tolist() == [
        "b"
    ]  # smallest


def test_bad_counts_and_policy_are_named() -> None:
    df = pd.DataFrame({"lsoa": ["a", "b"], "n": [3, -1]})
    with pytest.raises(InputError, match="row 3, column 'n'"):
        protect_table(df, count_columns=["n"], policy="nhs_small_area", hierarchy=Hierarchy("lsoa"))
    with pytest.raises(ConfigError, match="epsilon"):
        protect_table(df.assign(n=[1, 2]), count_columns=["n"], policy={"noise": "laplace"})


def test_opendp_noise_states_epsilon() -> None:
    df = pd.DataFrame({"lsoa": list("abcdef"), "n": [100, 200, 300, 400, 500, 600]})
    out = protect_table(
        df,
        count_columns=["n"],
        policy=Policy(name="dp", noise="geometric", epsilon=1.0),
        hierarchy=Hierarchy("lsoa"),
    )
    assert out.noise["epsilon"] <= 1.0 and out.noise["mechanism"] == "OpenDP geometric"
    assert (out.table["n"].astype(float) % 5 == 0).all()


def test_cell_key_perturbation_uses_the_ons_library() -> None:
    from lantern.disclosure import cell_key_table

    rng = np.random.default_rng(3)
    records = pd.DataFrame(
        {
            "lsoa": rng.choice(["a", "b"], 400),
            "sex": rng.choice(["f", "m"], 400),
            "rkey": rng.integers(0, 256, 400),
        }
    )
    out = cell_key_table(records, geography="lsoa", variables=["sex"], record_key="rkey")
    counts = out["count"].dropna().astype(int)
    assert (counts % 5 == 0).all() and (counts >= 10).all()
    assert out.attrs["cell_key_perturbed"]


def _folder(tmp_path: Path, lsoa_rows: str, msoa_rows: str, policy: str | None = None) -> Path:
    """An Essex MSOA (M1) and all three of its LSOAs (L1..L3), 2021 codes."""
    codes = {"L1": L1, "L2": L2, "L3": L3, "M1": M1}
    for short, code in codes.items():
        lsoa_rows, msoa_rows = lsoa_rows.replace(short, code), msoa_rows.replace(short, code)
    (tmp_path / "lsoa.csv").write_text("lsoa21_code,msoa21_code,cases\n" + lsoa_rows)
    (tmp_path / "msoa.csv").write_text("msoa21_code,cases\n" + msoa_rows)
    table = {
        "path": "lsoa.csv",
        "count_columns": ["cases"],
        "geography": "lsoa21_code",
        "area_type": "lsoa",
        "vintage": 2021,
        "levels": ["msoa21_code"],
        "totals": {"msoa21_code": "msoa.csv"},
    }
    if policy:
        table["policy"] = policy
    (tmp_path / "disclosure-policy.json").write_text(json.dumps({"tables": [table]}))
    return tmp_path


EXACT = "threshold_only"


def test_disclosive_tables_are_refused_naming_cell_and_rule(tmp_path: Path) -> None:
    rules = project_rules_with(cohort_counts=EXACT)
    folder = _folder(tmp_path, "L1,M1,3\nL2,M1,20\nL3,M1,30\n", "M1,53\n")
    result = check_folder(folder, rules=rules)
    assert not result.ok
    assert any(
        f"row 2, area {L1}" in str(f) and "suppressed-range" in str(f) for f in result.failures
    )
    folder = _folder(tmp_path, "L1,M1,\nL2,M1,20\nL3,M1,30\n", "M1,53\n")
    (failure,) = check_folder(folder, rules=rules).failures
    assert failure.rule == "differencing" and failure.area == L1 and failure.row == 2


def test_cross_release_differencing_uses_the_kept_history(tmp_path: Path) -> None:
    rules = project_rules_with(cohort_counts=EXACT)
    # Release 1: the LSOA cells are withheld and the MSOA total withheld too: safe.
    folder = _folder(tmp_path, "L1,M1,\nL2,M1,\nL3,M1,\n", "M1,\n")
    first = check_folder(folder, rules=rules)
    assert first.ok
    write_disclosure_record(folder, first, release_id="one", rules=rules)
    # Release 2 of the same table publishes two LSOAs and the total: the first is exposed.
    _folder(tmp_path, "L1,M1,\nL2,M1,20\nL3,M1,30\n", "M1,53\n")
    failures = check_folder(folder, rules=rules).failures
    assert failures and failures[0].rule == "differencing"
    # Release 2 alone (no history) would fail too; withholding the total again passes with history.
    _folder(tmp_path, "L1,M1,\nL2,M1,20\nL3,M1,30\n", "M1,\n")
    assert check_folder(folder, rules=rules).ok


def test_two_person_release(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "L1,M1,10\nL2,M1,20\nL3,M1,30\n", "M1,60\n")
    with pytest.raises(GovernanceError):
        request_release(folder, requested_by="ann", checkers=("ann", "bob"))
    req = request_release(folder, requested_by="ann", checkers=("bob", "cat"), title="cases")
    assert req["state"] == "pending" and req["check"]["ok"]
    vote(folder, "r1", checker="bob", decision="approve")
    assert view(folder, "r1", viewer="cat")["votes"]["bob"]["decision"].startswith("hidden")
    with pytest.raises(GovernanceError):
        release(folder, "r1", released_by="ann")
    assert vote(folder, "r1", checker="cat", decision="approve")["state"] == "approved"
    assert release(folder, "r1", released_by="ann")["state"] == "released"
    log = AuditLog(audit_log_path(folder))
    events = [e["event"] for e in log.entries()]
    assert events[:4] == [
        "release.requested",
        "release.vote_committed",
        "release.vote_committed",
        "release.reviewed",
    ]
    assert events[-2:] == ["release.approved", "release.released"]
    assert log.verify().entries == len(events)
    record = json.loads((folder / "disclosure-record.json").read_text())
    assert record["ok"] and set(record["files"]) == {
        "lsoa.csv",
        "msoa.csv",
        "disclosure-policy.json",
    }


def test_cli_check(tmp_path: Path, capsys) -> None:
    folder = _folder(tmp_path, "L1,M1,10\nL2,M1,20\nL3,M1,30\n", "M1,60\n")
    assert main(["release", "check", str(folder)]) == 0
    assert (folder / "disclosure-record.json").exists()
    (folder / "extra.csv").write_text("a\n1\n")
    assert main(["release", "check", str(folder)]) == DisclosureError.exit_code
    assert "undeclared" in capsys.readouterr().err


def test_cli_review_flow(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "L1,M1,10\nL2,M1,20\nL3,M1,30\n", "M1,60\n")
    assert (
        main(
            [
                "release",
                "request",
                str(folder),
                "--by",
                "ann",
                "--checker",
                "bob",
                "--checker",
                "cat",
            ]
        )
        == 0
    )
    assert main(["release", "vote", str(folder), "r1", "--as", "bob", "--approve"]) == 0
    assert main(["release", "vote", str(folder), "r1", "--as", "cat", "--reject"]) == 0
    assert main(["release", "status", str(folder)]) == 0
    assert (
        main(["release", "release", str(folder), "r1", "--by", "ann"]) == GovernanceError.exit_code
    )


@pytest.mark.parametrize("inner", ["lsoa.csv", "lsoa.geojson"])
def test_zipped_tables_are_checked_like_plain_ones(tmp_path: Path, inner: str) -> None:
    """A table published inside a zip (e.g. zipped GeoJSON) is read and checked, and an
    undeclared zip fails the gate like any undeclared data file."""
    import zipfile

    folder = _folder(tmp_path, "E01000001,E02000001,3\nE01000002,E02000001,20\n", "E02000001,23\n")
    if inner.endswith(".geojson"):
        rows = pd.read_csv(folder / "lsoa.csv", dtype=str)
        features = [
            {"type": "Feature", "properties": r, "geometry": None} for r in rows.to_dict("records")
        ]
        (folder / inner).write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with zipfile.ZipFile(folder / "lsoa.zip", "w") as z:
        z.write(folder / inner, inner)
    (folder / "lsoa.csv").unlink()
    (folder / "lsoa.geojson").unlink(missing_ok=True)
    manifest = json.loads((folder / "disclosure-policy.json").read_text())
    manifest["tables"][0]["path"] = "lsoa.zip"
    (folder / "disclosure-policy.json").write_text(json.dumps(manifest))
    result = check_folder(folder)
    assert any("row 2, area E01000001" in str(f) for f in result.failures)
    (folder / "other.zip").write_bytes((folder / "lsoa.zip").read_bytes())
    assert any(
        f.rule == "undeclared" and f.table.startswith("other.zip")
        for f in check_folder(folder).failures
    )
