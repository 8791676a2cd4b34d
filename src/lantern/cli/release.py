"""``lantern release``: check a folder against disclosure control, and the two-person release."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantern.cli.progress import progress_bar
from lantern.errors import DisclosureError
from lantern.release import (
    check_folder,
    failure_message,
    list_requests,
    load_manifest,
    release,
    request_release,
    view,
    vote,
    write_disclosure_record,
)

release_app = typer.Typer(
    help="Disclosure control checks and two-person output release.", no_args_is_help=True
)
console = Console()

FOLDER = typer.Argument(
    ...,
    help="Release folder holding disclosure-policy.json and the tables.",
    exists=True,
    file_okay=False,
)


@release_app.command("check")
def check(
    folder: Path = FOLDER,
    record: bool = typer.Option(
        True, "--record/--no-record", help="Write disclosure-record.json beside the outputs."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check every declared table against its policy; exit 4 if any cell fails a rule."""
    n = len(load_manifest(folder).tables)
    names: list[str] = []
    with progress_bar(Console(stderr=True), "checking tables") as report:

        def on_table(name: str) -> None:
            names.append(name)
            report(f"checking {name}", step=len(names), of=n)

        result = check_folder(folder, progress=on_table)
    if record:
        write_disclosure_record(folder, result, keep_history=False)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "failures": [f.to_dict() for f in result.failures],
                    "tables": [t.name for t in result.tables],
                },
                indent=2,
            )
        )
    else:
        table = Table("table", "policy", "cells", "withheld", "earlier releases")
        for t in result.tables:
            table.add_row(
                t.name,
                t.policy.get("name", "?"),
                str(t.cells),
                str(t.withheld),
                str(t.earlier_releases),
            )
        console.print(table)
    if not result.ok:
        raise DisclosureError(failure_message(result))
    console.print(f"[green]ok[/]: {result.summary()}")


@release_app.command("request")
def request(
    folder: Path = FOLDER,
    by: str = typer.Option(..., "--by", help="Who asks for the release."),
    checker: list[str] = typer.Option(..., "--checker", help="A named checker (give exactly two)."),
    title: str = typer.Option("", "--title", help="What is being released."),
) -> None:
    """Open an output request for two named checkers."""
    if len(checker) != 2:
        raise typer.BadParameter("give exactly two --checker names")
    req = request_release(folder, requested_by=by, checkers=(checker[0], checker[1]), title=title)
    _show(req)


@release_app.command("vote")
def vote_cmd(
    folder: Path = FOLDER,
    request_id: str = typer.Argument(..., help="The request id, e.g. r1."),
    as_name: str = typer.Option(..., "--as", help="The checker voting."),
    approve: bool = typer.Option(None, "--approve/--reject", help="The decision."),
    comment: str = typer.Option("", "--comment"),
) -> None:
    """Vote on a request; the other checker's vote stays hidden until both have voted."""
    if approve is None:
        raise typer.BadParameter("give --approve or --reject")
    req = vote(
        folder,
        request_id,
        checker=as_name,
        decision="approve" if approve else "reject",
        comment=comment,
    )
    _show(req)


@release_app.command("status")
def status(
    folder: Path = FOLDER,
    request_id: str = typer.Argument(None, help="A request id; omit to list all."),
    as_name: str = typer.Option(None, "--as", help="Whose view (a checker sees their own vote)."),
) -> None:
    """Show requests and their states."""
    if request_id is None:
        table = Table("id", "state", "title", "requested by", "checkers")
        for r in list_requests(folder):
            table.add_row(
                r["id"], r["state"], r["title"], r["requested_by"], ", ".join(r["checkers"])
            )
        console.print(table)
        return
    _show(view(folder, request_id, viewer=as_name))


@release_app.command("release")
def release_cmd(
    folder: Path = FOLDER,
    request_id: str = typer.Argument(..., help="An approved request id."),
    by: str = typer.Option(..., "--by", help="Who releases it."),
) -> None:
    """Release an approved request (files unchanged, check passes); writes the record."""
    _show(release(folder, request_id, released_by=by))


def _show(req: dict) -> None:
    console.print(f"[bold]{req['id']}[/] {req.get('title') or ''} — state [bold]{req['state']}[/]")
    console.print(f"  requested by {req['requested_by']}; checkers {', '.join(req['checkers'])}")
    console.print(f"  check: {req['check']['summary']}")
    for name, v in req["votes"].items():
        console.print(
            f"  {name}: {v['decision']}" + (f" — {v['comment']}" if v.get("comment") else "")
        )
    if req.get("awaiting"):
        console.print(f"  awaiting: {', '.join(req['awaiting'])}")


def register(app: typer.Typer) -> None:
    app.add_typer(release_app, name="release")
