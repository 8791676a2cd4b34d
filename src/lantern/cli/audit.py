"""``lantern audit``: check tamper-evident logs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lantern.audit import AuditLog

audit_app = typer.Typer(help="Tamper-evident audit logs.", no_args_is_help=True)
console = Console()


@audit_app.command("verify")
def verify(log: Path = typer.Argument(..., help="An audit log (JSON lines) to verify.")) -> None:
    """Verify a hash-chained audit log: any edited, deleted or reordered line is reported."""
    result = AuditLog(log).verify()
    console.print(f"[green]ok[/]: {log} holds {result.entries} entries; head {result.head[:16]}…")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
