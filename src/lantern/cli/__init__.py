"""The ``lantern`` command line: thin adapters over the use-case functions."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer
from rich.console import Console

from lantern import __version__
from lantern.errors import LanternError

app = typer.Typer(
    name="lantern",
    help="Open neighbourhood-level COVID-19 risk and vulnerability mapping, with safe data joining.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

# Each module registers its commands with ``register(app)``.
COMMAND_MODULES = [
    "lantern.cli.data",  # init, ingest, fetch
    "lantern.cli.geography",  # geography codes/crosswalk/postcodes, bundle
    "lantern.cli.index",  # build, explain, index, validate
    "lantern.cli.site",  # publish, serve
    "lantern.cli.release",  # release check/request/review
    "lantern.cli.linkage",  # agreement, pseudonymise, link, retention, objections
    "lantern.cli.portal",  # portal serve/migrate/user
    "lantern.cli.audit",  # audit verify
    "lantern.cli.profile",  # profile: printable area profiles
    "lantern.cli.up",  # up: the one-command main job
]


def _register() -> None:
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(app)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print a message (no traceback) and exit with their code."""
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except LanternError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click usage errors
        return int(exc.code or 0)
    except Exception as exc:  # click exceptions in standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            err_console.print("Aborted.")
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
