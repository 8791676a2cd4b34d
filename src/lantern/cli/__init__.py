"""The ``lantern`` command line: thin adapters over the use-case functions."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import typer
import typer.main
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from lantern import __version__
from lantern.errors import LanternError

# Each module registers its commands with ``register(app)``.
COMMAND_MODULES = [
    "lantern.cli.data",  # init, ingest, fetch, sources
    "lantern.cli.geography",  # geography codes/crosswalk/postcodes, bundle
    "lantern.cli.index",  # build, explain, index, validate
    "lantern.cli.site",  # publish, serve
    "lantern.cli.release",  # release check/request/review
    "lantern.cli.linkage",  # agreement, keys, objections, cohort, pseudonymise, link, retention
    "lantern.cli.portal",  # portal serve/migrate/user
    "lantern.cli.audit",  # audit verify
    "lantern.cli.profile",  # profile: printable area profiles
    "lantern.cli.areas",  # areas summary: custom area sets
    "lantern.cli.up",  # up: the one-command main job
]

# Every top-level command: the module that registers it and its one-line help. A module is
# imported only when one of its commands runs, so `lantern --help` and every command start
# without loading the rest (pandas, DuckDB, Splink, FastAPI...). `tests/cli/test_lazy.py`
# keeps this table equal to what the modules register.
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("lantern.cli.up", "Build the configured area (default: Essex, bundled open data) end to end and serve the map."),
    "init": ("lantern.cli.data", "Write a lantern.toml for an area (default: Essex on the bundled sample)."),
    "fetch": ("lantern.cli.data", "Download official files into the cache, verifying SHA-256 checksums."),
    "ingest": ("lantern.cli.data", "Validate every source and build the warehouse (atomically; a failure keeps the old one)."),
    "sources": ("lantern.cli.data", "List the registry of sources: coverage, known gaps, periods, publisher and licence."),
    "geography": ("lantern.cli.geography", "GSS codes, the 2011 ↔ 2021 crosswalk and postcodes."),
    "bundle": ("lantern.cli.geography", "Write the area subset of every open-data file, with ATTRIBUTION.md and manifest.json."),
    "build": ("lantern.cli.index", "Compute the configured index into the warehouse and write the method note."),
    "explain": ("lantern.cli.index", "Show each domain's and indicator's contribution to an area's score, and what would change its decile."),
    "index": ("lantern.cli.index", "Run a spec on your own table, without a warehouse: every score, rank, class and flag as columns; with --parent-column, the parent areas' summaries in <out>-summaries.csv."),
    "validate": ("lantern.cli.index", "Set the index against COVID-19 deaths by MSOA (2020) and against simpler baselines."),
    "publish": ("lantern.cli.site", "Write the open site (map, table, downloads, method page) as a self-contained folder."),
    "serve": ("lantern.cli.site", "Serve a published site locally (HTTP Range supported, so the map tiles load)."),
    "release": ("lantern.cli.release", "Disclosure control checks and two-person output release."),
    "agreement": ("lantern.cli.linkage", "Data-sharing agreements."),
    "keys": ("lantern.cli.linkage", "Per-project, per-release secrets (kept apart from data)."),
    "pseudonymise": ("lantern.cli.linkage", "Partner side: tokens + attributes for the hub, key map for yourself; no clear identifier leaves."),
    "link": ("lantern.cli.linkage", "Link a batch folder (`lantern link BATCH_DIR ...`, the same as `lantern link run`), or review a sample of its pairs (`lantern link review`)."),
    "objections": ("lantern.cli.linkage", "The objection register (tokens only)."),
    "cohort": ("lantern.cli.linkage", "Linked cohorts counted by area, through the output gate."),
    "retention": ("lantern.cli.linkage", "Crypto-shred expired batches: destroy their keys in every key store given, and delete their files inside the project's declared data roots."),
    "show": ("lantern.cli.linkage", "Decrypt and summarise a Lantern file for the party allowed to read it."),
    "portal": ("lantern.cli.portal", "The partner portal: accounts, agreements, household lists, serving."),
    "audit": ("lantern.cli.audit", "Tamper-evident audit logs."),
    "profile": ("lantern.cli.profile", "Write an area profile: the index with its interval and stability, domains and indicators with 95% confidence intervals against the county and England, trends and a map inset."),
    "areas": ("lantern.cli.areas", "Custom area sets: a catchment's own summaries and outline."),
}  # fmt: skip


def _module_group(module: str) -> TyperGroup:
    """The commands one module registers, as a click group (imports the module)."""
    holder = typer.Typer()
    importlib.import_module(module).register(holder)
    return typer.main.get_group(holder)


class LazyGroup(TyperGroup):
    """The root command: knows every command by name and imports its module only to run it."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(dict.fromkeys([*COMMANDS, *super().list_commands(ctx)]))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        if self._listing and cmd_name in COMMANDS:  # help needs the name and one line only
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1], callback=None)
        modules = [COMMANDS[cmd_name][0]] if cmd_name in COMMANDS else COMMAND_MODULES
        for module in modules:
            if importlib.util.find_spec(module) is None:
                continue
            group = _module_group(module)
            if cmd_name in group.commands:
                command = group.commands[cmd_name]
                self.add_command(command, cmd_name)
                return command
        return None

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="lantern",
    cls=LazyGroup,
    help="Open neighbourhood-level COVID-19 risk and vulnerability mapping, with safe data joining.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)
INTERNAL_ERROR = 70  # EX_SOFTWARE: a fault in Lantern, not in the user's input


def _register() -> None:
    """Register every module's commands now (for tools that walk the whole command tree)."""
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Open neighbourhood-level COVID-19 risk and vulnerability mapping, with safe data joining."""


def _error(message: str) -> None:
    """One line on stderr, never a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)


def _usage_error(exc: Exception) -> int:
    """Click's and typer's own usage errors (typer vendors click): one line and their code."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already on screen
        return int(getattr(exc, "exit_code", 2))
    message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    _error(message + hint)
    return int(getattr(exc, "exit_code", 2))


def _is_click_error(exc: BaseException) -> bool:
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code")


def _is_abort(exc: BaseException) -> bool:
    return type(exc).__name__ == "Abort" and "click" in type(exc).__module__


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every error prints one line (no traceback) and returns its exit code.

    An unexpected exception is reported by its type only, because its text may quote a
    record's values; ``LANTERN_DEBUG=1`` shows the traceback instead.
    """
    try:
        app(args=argv, prog_name="lantern", standalone_mode=False)
    except LanternError as exc:
        _error(str(exc))
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:
        if _is_click_error(exc):
            return _usage_error(exc)
        if _is_abort(exc):
            _error("aborted")
            return 1
        if os.environ.get("LANTERN_DEBUG"):
            raise
        _error(
            f"unexpected {type(exc).__name__}; details are not shown because they may quote "
            "record values (run again with LANTERN_DEBUG=1 to see them)"
        )
        return INTERNAL_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
