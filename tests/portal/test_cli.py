"""``lantern portal …`` and ``lantern audit verify --portal-db`` end to end, on both backends."""

from __future__ import annotations

import pytest

from lantern.cli import main
from lantern.paths import BUNDLED_ESSEX
from lantern.portal import synthetic
from lantern.portal.crypto import new_key

from .conftest import BACKENDS, PASSWORD, database_url


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path) -> str:
    return database_url(request.param, "portal_cli", tmp_path, request)


def test_portal_cli_round_trip(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LANTERN_PORTAL_DATA_KEY", new_key())
    monkeypatch.setenv("HUB_PASSWORD", PASSWORD)
    assert main(["portal", "migrate", "--db", db]) == 0
    assert (
        main(
            [
                "portal",
                "data",
                "areas",
                "--lookups",
                str(BUNDLED_ESSEX / "lookups"),
                "--district",
                "E07000071",
                "--db",
                db,
            ]
        )
        == 0
    )
    iod = str(BUNDLED_ESSEX / synthetic.IOD2025)
    assert (
        main(
            [
                "portal",
                "data",
                "indicators",
                iod,
                "--column",
                "IMD_score=iod2025.imd_score",
                "--period",
                "2025",
                "--source",
                "MHCLG IoD2025",
                "--db",
                db,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "ok: 1 areas" not in out and "values" in out
    agreement = synthetic.write_agreement(
        tmp_path,
        "CLI-1",
        start=synthetic.date(2020, 1, 1),
        retention_end=synthetic.date(2099, 1, 1),
    )
    assert main(["portal", "agreement", "load", str(agreement), "--db", db]) == 0
    assert main(["portal", "user", "add", "boss", "--role", "administrator", "--db", db]) == 0
    assert "one-time password" in capsys.readouterr().out
    assert (
        main(
            [
                "portal",
                "user",
                "add",
                "worker",
                "--role",
                "hub-worker",
                "--scope",
                "E05010827",
                "--organisation",
                synthetic.HUB_PARTY,
                "--password-env",
                "HUB_PASSWORD",
                "--db",
                db,
            ]
        )
        == 0
    )
    households = synthetic.write_households(
        tmp_path / "hh.csv", ["E01021637"], per_lsoa=2, seed=1, prefix="C"
    )
    assert (
        main(
            [
                "portal",
                "data",
                "households",
                str(households),
                "--agreement",
                "CLI-1",
                "--party",
                synthetic.OWNER_PARTY,
                "--db",
                db,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "portal",
                "user",
                "scope",
                "worker",
                "--role",
                "hub_worker",
                "--scope",
                "E01021637",
                "--db",
                db,
            ]
        )
        == 0
    )
    assert main(["portal", "user", "reset", "worker", "--db", db]) == 0
    assert main(["portal", "user", "disable", "worker", "--db", db]) == 0
    assert main(["portal", "user", "list", "--db", db]) == 0
    assert main(["portal", "agreement", "list", "--db", db]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--portal-db", db]) == 0
    assert "portal audit holds" in capsys.readouterr().out


def test_portal_cli_reports_bad_input_clearly(db, tmp_path, capsys):
    assert main(["portal", "migrate", "--db", db]) == 0
    assert (
        main(
            [
                "portal",
                "data",
                "areas",
                "--lookups",
                str(BUNDLED_ESSEX / "lookups"),
                "--district",
                "E07000071",
                "--db",
                db,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "portal",
                "user",
                "add",
                "x",
                "--role",
                "hub_worker",
                "--scope",
                "E07000071",
                "--db",
                db,
            ]
        )
        == 2
    )
    assert "lsoa or ward" in capsys.readouterr().err
    assert main(["portal", "user", "add", "y", "--role", "wizard", "--db", db]) == 2
    assert "unknown role" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("lsoa21_code,IMD_score\nE01021637,abc\n")
    code = main(
        [
            "portal",
            "data",
            "indicators",
            str(bad),
            "--column",
            "IMD_score=x.y",
            "--period",
            "1",
            "--source",
            "s",
            "--db",
            db,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "row 2" in err and "'IMD_score'" in err and "bad.csv" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: A\ntitle: t\n")
    assert main(["portal", "agreement", "load", str(broken), "--db", db]) == 3
    assert "retention_end" in capsys.readouterr().err


def test_serve_refuses_an_unmigrated_database(tmp_path):
    from lantern.errors import ConfigError
    from lantern.portal.app import create_app
    from lantern.portal.settings import PortalSettings

    with pytest.raises(ConfigError, match="lantern portal migrate"):
        create_app(PortalSettings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
