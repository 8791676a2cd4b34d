"""``lantern show FILE.lnt --keys DIR``: what a Lantern file is, and a summary for its key holder.

The header (project, batch, party, kind, purpose) is readable by anyone; rows, columns and the
first rows need the key from the holder's key store. Values that identify a person, or let one
be re-identified, are never printed: key maps show their release ids but mask the partner's own
record ids, tokens are shortened, and the objection register shows counts by route only.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()
MASKED = "•••"


def _keys_for(header: dict, stores: list[Path]) -> list[bytes]:
    from lantern.errors import GovernanceError
    from lantern.keys.store import KeyStore

    project, batch = header.get("project"), header.get("batch")
    out: list[bytes] = []
    for root in stores:
        store = KeyStore(root)
        try:
            if header.get("kind") == "objection-register" and project:
                from lantern.governance.objections import SECRET

                out.append(store.secret(project, SECRET, create=False))
            elif project and batch and (project, batch) in store.releases():
                out.append(store.load(project, batch).storage_key)
        except GovernanceError:
            continue
    return out


def _display(frame, kind: str):  # noqa: ANN001, ANN202
    """The frame as it may be shown: nothing that identifies or re-identifies a person."""
    from lantern.governance.objections import KINDS, routes_of

    if kind == "objection-register":
        routes = routes_of(frame[list(KINDS)])
        return routes.sum().rename("objectors").to_frame().T
    shown = frame.copy()
    if kind == "keymap":
        for col in shown.columns:
            if col != "release_id":
                shown[col] = MASKED
    for col in shown.columns:
        if (
            shown[col].dtype == object
            and shown[col].map(lambda v: isinstance(v, str) and len(v) == 32).any()
        ):
            shown[col] = shown[col].map(
                lambda v: v[:8] + "…" if isinstance(v, str) and len(v) == 32 else v
            )
    return shown


def show_command(
    file: Path = typer.Argument(..., help="A Lantern file (.lnt)."),
    keys: list[Path] = typer.Option(
        [], "--keys", help="Your key store (repeatable); without it only the header is shown."
    ),
    rows: int = typer.Option(5, "--rows", min=0, max=50, help="How many first rows to show."),
) -> None:
    """Decrypt and summarise a Lantern file for the party allowed to read it."""
    from lantern.errors import InputError, IntegrityError
    from lantern.keys.files import open_any, read_header

    if not file.is_file():
        raise InputError("file not found", file=file)
    header = read_header(file)
    if not header:
        raise IntegrityError(f"{file}: a first-layout Lantern file with no header; re-create it")
    about = ", ".join(
        f"{k} {header[k]}"
        for k in ("kind", "project", "batch", "party", "agreement", "purpose")
        if header.get(k)
    )
    console.print(f"{file.name}: {about}")
    if not keys:
        console.print("give --keys to decrypt it (you must hold this batch's keys)")
        return
    candidates = _keys_for(header, keys)
    if not candidates:
        raise IntegrityError(
            f"{file}: none of the key stores given holds the keys of {header.get('project')}/"
            f"{header.get('batch') or header.get('kind')} (not yours to read, or destroyed by "
            "retention)"
        )
    _, frame = open_any(file, candidates)
    kind = str(header.get("kind", ""))
    shown = _display(frame, kind)
    if kind == "objection-register":
        counts = shown.iloc[0].to_dict()
        console.print(
            f"{len(frame)} objector(s); by route: "
            + ", ".join(f"{route} {int(n)}" for route, n in counts.items())
        )
        return
    console.print(f"{len(frame)} row(s); {len(frame.columns)} column(s)")
    n = min(rows, len(frame))
    table = Table("column", "type", "missing", f"first {n} value(s)")
    for col in frame.columns:
        first = ", ".join("" if v is None else str(v) for v in shown[col].head(n))
        table.add_row(str(col), str(frame[col].dtype), str(int(frame[col].isna().sum())), first)
    console.print(table)
