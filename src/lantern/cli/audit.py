"""``lantern audit``: check tamper-evident logs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lantern.audit import AuditLog

audit_app = typer.Typer(help="Tamper-evident audit logs.", no_args_is_help=True)
console = Console()


@audit_app.command("verify")
def verify(
    log: Path | None = typer.Argument(None, help="An audit log (JSON lines) to verify."),
    portal_db: str | None = typer.Option(
        None, "--portal-db", help="Verify the partner portal's audit table at this database URL."
    ),
) -> None:
    """Verify a hash-chained audit log: any edited, deleted or reordered entry is reported."""
    if portal_db:
        from lantern.portal import audit_db
        from lantern.portal.db import make_engine, require_schema, session_factory

        engine = make_engine(portal_db)
        require_schema(engine)
        with session_factory(engine)() as session:
            result = audit_db.verify(session)
        engine.dispose()
        console.print(
            f"[green]ok[/]: portal audit holds {result.entries} entries; head {result.head[:16]}…"
        )
        return
    if log is None:
        raise typer.BadParameter("give a log file or --portal-db URL")
    result = AuditLog(log).verify()
    console.print(f"[green]ok[/]: {log} holds {result.entries} entries; head {result.head[:16]}…")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
