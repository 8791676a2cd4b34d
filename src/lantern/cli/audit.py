"""``lantern audit``: verify, export and anchor tamper-evident logs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

audit_app = typer.Typer(help="Tamper-evident audit logs.", no_args_is_help=True)
witness_app = typer.Typer(
    help="The second party that countersigns audit heads.", no_args_is_help=True
)
console = Console()

KEYS_HELP = (
    "Key store holding the log's audit key (repeatable; key stores made on this machine are "
    "searched anyway)."
)


def _keys(folders: list[Path]) -> list:
    from lantern.keys.store import KeyStore

    out = []
    for folder in folders:
        if not folder.is_dir():
            from lantern.errors import InputError

            raise InputError("key store folder not found", file=folder)
        out += list(KeyStore(folder).audit_keys())
    return out


def _witness(path: Path | None):  # noqa: ANN202
    if path is None:
        return None
    from lantern.keys.witness import load_public

    return load_public(path)


@audit_app.command("verify")
def verify(
    log: Path | None = typer.Argument(None, help="An audit log, or an export, to verify."),
    keys: list[Path] = typer.Option([], "--keys", help=KEYS_HELP),
    witness: Path | None = typer.Option(
        None,
        "--witness",
        help="The witness's published public key (PEM): require its countersigned anchors.",
    ),
    portal_db: str | None = typer.Option(
        None, "--portal-db", help="Verify the partner portal's audit table at this database URL."
    ),
    anchors: Path | None = typer.Option(
        None, "--anchors", help="Published anchors to check against (default: LOG.anchors)."
    ),
) -> None:
    """Verify a keyed audit log: a missing log or head, an edited, removed, reordered or
    re-keyed entry, truncation, or a broken anchor is reported, naming the entry."""
    from lantern.audit import AuditLog, is_export, verify_export
    from lantern.errors import IntegrityError

    if portal_db:
        from lantern.portal import audit_db
        from lantern.portal.db import make_engine, require_schema, session_factory

        engine = make_engine(portal_db)
        require_schema(engine)
        given = _keys(keys)
        with session_factory(engine)() as session:
            result = None
            for key in given:  # the portal's entries do not name their key: try each given
                try:
                    result = audit_db.verify(session, key)
                    break
                except IntegrityError:
                    continue
            if result is None:
                result = audit_db.verify(session)
            rows = [audit_db.as_dict(e) for e in audit_db.search(session, limit=10_000_000)]
        engine.dispose()
        checked = 0
        if anchors is not None or witness is not None:
            from lantern.audit import parse_lines
            from lantern.keys.witness import check_anchors

            if anchors is None or not anchors.exists():
                raise IntegrityError("give the portal's published anchors with --anchors FILE")
            published = list(parse_lines(anchors.read_text("utf-8").splitlines(), str(anchors)))
            rows.sort(key=lambda e: e["seq"])
            checked = check_anchors(published, rows, str(anchors), witness=_witness(witness))
        extra = f"; {checked} anchor(s) countersigned" if checked else ""
        console.print(
            f"[green]ok[/]: portal audit holds {result.entries} entries; "
            f"head {result.head[:16]}…{extra}"
        )
        return
    if log is None:
        raise typer.BadParameter("give a log file or --portal-db URL")
    if not log.exists():
        raise IntegrityError(f"{log}: audit log not found")
    if is_export(log):
        result = verify_export(log, _keys(keys), witness=_witness(witness))
    else:
        log_ = AuditLog(log)
        if anchors is not None:
            log_.anchors_path = anchors
        result = log_.verify(_keys(keys), witness=_witness(witness))
    countersigned = f"; {result.anchors} anchor(s) countersigned" if result.anchors else ""
    console.print(
        f"[green]ok[/]: {log} holds {result.entries} entries under audit key {result.key_id}; "
        f"head {result.head[:16]}…{countersigned}"
    )


@audit_app.command("export")
def export(
    log: Path = typer.Argument(..., help="The audit log to export."),
    out: Path = typer.Option(..., "--out", help="File to write (one self-contained file)."),
    keys: list[Path] = typer.Option([], "--keys", help=KEYS_HELP),
) -> None:
    """Write a verified log, its authenticated head and anchors as one file anyone with the key can verify."""
    from lantern.audit import AuditLog

    text = AuditLog(log).export_text(_keys(keys))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(out)
    console.print(f"wrote {out}")


@audit_app.command("anchor")
def anchor(
    log: Path | None = typer.Argument(None, help="The audit log whose head to countersign."),
    witness_keys: Path = typer.Option(
        ..., "--witness-keys", help="The witness's own key store (a second party)."
    ),
    publish: Path | None = typer.Option(
        None, "--publish", help="Also append the anchor to this public file (the register's)."
    ),
    portal_db: str | None = typer.Option(
        None, "--portal-db", help="Countersign the portal audit table's head instead."
    ),
    keys: list[Path] = typer.Option([], "--keys", help=KEYS_HELP),
) -> None:
    """Have a second party countersign a log's current head (kept in LOG.anchors and published)."""
    from lantern.audit import AuditLog, append_anchor
    from lantern.keys.store import KeyStore

    witness = KeyStore(witness_keys)
    if portal_db:
        from lantern.keys.witness import sign_anchor
        from lantern.portal import audit_db
        from lantern.portal.db import make_engine, require_schema, session_factory

        if publish is None:
            raise typer.BadParameter("give --publish FILE: the portal's anchors are kept there")
        engine = make_engine(portal_db)
        require_schema(engine)
        with session_factory(engine)() as session:
            audit_db.verify(session)
            rows = sorted(
                (audit_db.as_dict(e) for e in audit_db.search(session, limit=10_000_000)),
                key=lambda e: e["seq"],
            )
        engine.dispose()
        result = sign_anchor(witness, log=rows[0]["hash"], entries=len(rows), head=rows[-1]["hash"])
        where = "portal audit"
    else:
        if log is None:
            raise typer.BadParameter("give a log file or --portal-db URL")
        result = AuditLog(log).anchor(witness, _keys(keys))
        where = str(log)
    if publish is not None:
        append_anchor(publish, result)
    console.print(
        f"[green]anchored[/]: {where} at {result['entries']} entries, head {result['head'][:16]}…, "
        f"witness {result['witness']}"
    )


@witness_app.command("public-key")
def witness_public_key(
    witness_keys: Path = typer.Option(..., "--witness-keys", help="The witness's key store."),
    out: Path = typer.Option(..., "--out", help="Where to write the public key (PEM) to publish."),
) -> None:
    """Write the witness's public key (made on first use) for verifiers to pin."""
    from lantern.keys.store import KeyStore
    from lantern.keys.witness import fingerprint, public_pem, witness_key

    store = KeyStore(witness_keys)
    out.write_bytes(public_pem(store))
    console.print(
        f"wrote {out}; witness fingerprint {fingerprint(witness_key(store).public_key())}"
    )


def register(app: typer.Typer) -> None:
    audit_app.add_typer(witness_app, name="witness")
    app.add_typer(audit_app, name="audit")
