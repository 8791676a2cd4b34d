"""``lantern release``: check a folder against disclosure control, and the two-person release."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lantern.cli.progress import progress_bar
from lantern.disclosure.project import OUTPUT_KINDS
from lantern.errors import DisclosureError
from lantern.release import (
    check_folder,
    failure_message,
    list_requests,
    load_manifest,
    project_rules,
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
CONFIG = typer.Option(
    None,
    "--config",
    "-c",
    help="lantern.toml holding the project's disclosure rules (default: ./lantern.toml if present).",
)
OUTPUT = typer.Option(
    "cohort_counts",
    "--output",
    help=f"Output kind whose policy applies: {', '.join(OUTPUT_KINDS)}.",
)


@release_app.command("check")
def check(
    folder: Path = FOLDER,
    record: bool = typer.Option(
        True, "--record/--no-record", help="Write disclosure-record.json beside the outputs."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    config: Path = CONFIG,
    output: str = OUTPUT,
) -> None:
    """Inspect every file of the folder under the project's rules; exit 4 if anything fails."""
    rules = project_rules(config)
    rules.floor(output)
    n = len(load_manifest(folder).tables) + 3
    names: list[str] = []
    with progress_bar(Console(stderr=True), "checking tables") as report:

        def on_table(name: str) -> None:
            names.append(name)
            report(f"checking {name}", step=min(len(names), n), of=n)

        result = check_folder(folder, rules=rules, output=output, progress=on_table)
    if record:
        write_disclosure_record(folder, result, keep_history=False, rules=rules)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "failures": [f.to_dict() for f in result.failures],
                    "tables": [t.name for t in result.tables],
                    "relaxations": result.relaxations,
                    "rules_from": result.rules_source,
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
        _show_relaxations(result.relaxations)
    if not result.ok:
        raise DisclosureError(failure_message(result))
    console.print(f"[green]ok[/]: {result.summary()}")


@release_app.command("request")
def request(
    folder: Path = FOLDER,
    by: str = typer.Option(..., "--by", help="Who asks for the release."),
    checker: list[str] = typer.Option(..., "--checker", help="A named checker (give exactly two)."),
    title: str = typer.Option("", "--title", help="What is being released."),
    config: Path = CONFIG,
    output: str = OUTPUT,
) -> None:
    """Open an output request for two named checkers."""
    if len(checker) != 2:
        raise typer.BadParameter("give exactly two --checker names")
    req = request_release(
        folder,
        requested_by=by,
        checkers=(checker[0], checker[1]),
        title=title,
        rules=project_rules(config),
        output=output,
    )
    _show(req)


@release_app.command("vote")
def vote_cmd(
    folder: Path = FOLDER,
    request_id: str = typer.Argument(..., help="The request id, e.g. r1."),
    as_name: str = typer.Option(..., "--as", help="The checker voting."),
    approve: bool = typer.Option(None, "--approve/--reject", help="The decision."),
    comment: str = typer.Option("", "--comment"),
    config: Path = CONFIG,
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
        rules=project_rules(config),
    )
    _show(req)


@release_app.command("status")
def status(
    folder: Path = FOLDER,
    request_id: str = typer.Argument(None, help="A request id; omit to list all."),
    as_name: str = typer.Option(None, "--as", help="Whose view (a checker sees their own vote)."),
    config: Path = CONFIG,
) -> None:
    """Show requests and their states."""
    rules = project_rules(config)
    if request_id is None:
        table = Table("id", "state", "title", "requested by", "checkers")
        for r in list_requests(folder, rules):
            table.add_row(
                r["id"], r["state"], r["title"], r["requested_by"], ", ".join(r["checkers"])
            )
        console.print(table)
        return
    _show(view(folder, request_id, viewer=as_name, rules=rules))


@release_app.command("release")
def release_cmd(
    folder: Path = FOLDER,
    request_id: str = typer.Argument(..., help="An approved request id."),
    by: str = typer.Option(..., "--by", help="Who releases it."),
    config: Path = CONFIG,
) -> None:
    """Release an approved request (files unchanged, check passes); writes the record and
    adds the release to the project's history."""
    _show(release(folder, request_id, released_by=by, rules=project_rules(config)))


def _show_relaxations(relaxations: list[dict]) -> None:
    for r in relaxations:
        console.print(
            f"[yellow]relaxation[/]: {r['table']}: {r['asked']} — approved by "
            f"[bold]{r['approved_by']}[/]{' on ' + r['date'] if r.get('date') else ''}: {r['reason']}"
        )


def _show(req: dict) -> None:
    console.print(f"[bold]{req['id']}[/] {req.get('title') or ''} — state [bold]{req['state']}[/]")
    console.print(f"  requested by {req['requested_by']}; checkers {', '.join(req['checkers'])}")
    console.print(f"  check: {req['check']['summary']}")
    _show_relaxations(req.get("relaxations", []))
    for name, v in req["votes"].items():
        console.print(
            f"  {name}: {v['decision']}" + (f" — {v['comment']}" if v.get("comment") else "")
        )
    if req.get("awaiting"):
        console.print(f"  awaiting: {', '.join(req['awaiting'])}")


def register(app: typer.Typer) -> None:
    app.add_typer(release_app, name="release")
