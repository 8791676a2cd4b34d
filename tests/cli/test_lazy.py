"""The command line loads lazily: `lantern --help` imports no data library, and the table of
commands in `lantern.cli` says exactly what the command modules register."""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer
import typer.main

import lantern.cli as cli

HEAVY = {"pandas", "numpy", "duckdb", "splink", "scipy", "pyarrow", "fastapi", "sqlalchemy",
         "geopandas", "shapely", "cryptography"}  # fmt: skip


def _registered() -> dict[str, tuple[str, str]]:
    out = {}
    for module in cli.COMMAND_MODULES:
        holder = typer.Typer()
        importlib.import_module(module).register(holder)
        group = typer.main.get_group(holder)
        for name, command in group.commands.items():
            out[name] = (module, command.get_short_help_str(limit=1000))
    return out


def test_command_table_matches_the_modules():
    registered = _registered()
    wanted = "\n".join(f"    {n!r}: ({m!r}, {h!r})," for n, (m, h) in registered.items())
    message = f"lantern.cli.COMMANDS must list every command; paste:\n{wanted}"
    assert set(cli.COMMANDS) == set(registered), message
    for name, (module, help_text) in cli.COMMANDS.items():
        assert registered[name] == (module, help_text), message


def test_help_imports_no_data_library():
    code = (
        "import sys; from lantern.cli import main; rc = main(['--help']); "
        "print(sorted({m.split('.')[0] for m in sys.modules})); sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(eval(done.stdout.strip().splitlines()[-1]))  # noqa: S307 - our own output
    assert not (loaded & HEAVY), sorted(loaded & HEAVY)
    for name in cli.COMMANDS:
        assert name in done.stdout


def test_a_command_loads_only_its_own_module():
    code = (
        "import sys; from lantern.cli import main; rc = main(['keys', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('lantern.cli.'))); sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "create" in done.stdout
    loaded = set(eval(done.stdout.strip().splitlines()[-1]))  # noqa: S307 - our own output
    others = {m for m in cli.COMMAND_MODULES if m != "lantern.cli.linkage"}
    assert "lantern.cli.linkage" in loaded and not (loaded & others), sorted(loaded & others)


def test_unknown_command_is_one_line(capsys):
    assert cli.main(["no-such-command"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-command" in err[0]
