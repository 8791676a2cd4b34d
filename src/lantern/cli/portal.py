"""``lantern portal``: run and administer the partner portal."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from lantern.errors import InputError, LanternError

portal_app = typer.Typer(
    help="The partner portal: accounts, agreements, household lists, serving.", no_args_is_help=True
)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
agreement_app = typer.Typer(help="The agreements register.", no_args_is_help=True)
data_app = typer.Typer(
    help="Areas, indicators, household lists and objections.", no_args_is_help=True
)
portal_app.add_typer(user_app, name="user")
portal_app.add_typer(agreement_app, name="agreement")
portal_app.add_typer(data_app, name="data")
console = Console()

DbOption = typer.Option(
    None, "--db", help="Database URL (default $LANTERN_PORTAL_DB or sqlite:///lantern-portal.db)."
)


def _settings(db: str | None):  # noqa: ANN202
    from lantern.portal.settings import PortalSettings

    return PortalSettings(database_url=db) if db else PortalSettings()


@contextmanager
def _session(db: str | None):  # noqa: ANN202
    from lantern.portal.db import make_engine, require_schema, session_factory, session_scope

    engine = make_engine(_settings(db).database_url)
    require_schema(engine)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _actor() -> str:
    return f"cli:{os.environ.get('USER', 'unknown')}"


@portal_app.command("migrate")
def migrate(db: str | None = DbOption) -> None:
    """Create or upgrade the portal database schema (Alembic)."""
    from lantern.portal import summaries
    from lantern.portal.db import current_revision, make_engine, session_factory
    from lantern.portal.db import migrate as run

    engine = make_engine(_settings(db).database_url)
    run(engine)
    with session_factory(engine)() as session:
        if summaries.ensure(session):
            console.print("area summaries built from the data held")
    console.print(f"[green]ok[/]: schema at revision {current_revision(engine)}")
    engine.dispose()


@portal_app.command("serve")
def serve(
    db: str | None = DbOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8100, help="Port to listen on."),
    workers: int = typer.Option(
        1,
        help="Worker processes, each warmed up and with its own listening socket "
        "(SO_REUSEPORT); use PostgreSQL for more than one.",
    ),
    proxy_headers: bool = typer.Option(
        False, help="Trust X-Forwarded-For/-Proto from a TLS-terminating proxy."
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="Proxy addresses trusted for X-Forwarded-* (default $FORWARDED_ALLOW_IPS or 127.0.0.1).",
    ),
) -> None:
    """Serve the portal (HTTPS belongs in front of it: cookies are Secure when served over TLS)."""
    if db:
        os.environ["LANTERN_PORTAL_DB"] = db
    settings = _settings(db)
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        raise InputError(
            f"--workers {workers} needs PostgreSQL: SQLite allows one writing process, and the "
            "audit log must be appended by one writer at a time; use --workers 1 or "
            "LANTERN_PORTAL_DB=postgresql://…"
        )
    from lantern.portal.db import make_engine, require_schema
    from lantern.portal.serving import serve as run_server

    engine = make_engine(settings.database_url)
    try:
        require_schema(engine)  # one clear line now, not one traceback per worker
    finally:
        engine.dispose()
    console.print(f"Lantern partner portal on http://{host}:{port}/")
    status = run_server(
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    if status:
        raise LanternError("a portal worker process failed to start (see the messages above)")


def _startup_purge(settings) -> None:  # noqa: ANN001
    from datetime import date

    from lantern.portal.db import make_engine, require_schema, session_factory
    from lantern.portal.retention import purge

    engine = make_engine(settings.database_url)
    try:
        require_schema(engine)
        with session_factory(engine)() as s:
            report = purge(s, settings, today=date.today(), actor=_actor())
    finally:
        engine.dispose()
    for agreement, n in report.households.items():
        console.print(f"purged {n} household(s) of expired agreement {agreement}")


@portal_app.command("purge")
def purge_command(db: str | None = DbOption) -> None:
    """Delete household data past its agreement's retention end, and stale sessions (audited).

    The server also purges at start-up and every LANTERN_PORTAL_PURGE_INTERVAL_MINUTES; run
    this from cron when the portal is not running continuously.
    """
    settings = _settings(db)
    _startup_purge(settings)
    console.print("[green]ok[/]: purge complete")


@portal_app.command("keygen")
def keygen() -> None:
    """Print a new AES-256 key for LANTERN_PORTAL_DATA_KEY (household contact encryption)."""
    from lantern.portal.crypto import new_key

    typer.echo(new_key())


@user_app.command("add")
def user_add(
    username: str,
    role: str = typer.Option(..., help="administrator, analyst, district_officer or hub_worker."),
    scope: list[str] = typer.Option(
        [], "--scope", help="District (officers) or ward/LSOA (hub workers) codes."
    ),
    organisation: str = typer.Option(
        "", help="The user's organisation: its party id in agreements."
    ),
    name: str = typer.Option("", help="Display name."),
    password_env: str | None = typer.Option(
        None, help="Read the password from this environment variable."
    ),
    oidc_subject: str | None = typer.Option(
        None, help="Link to an OpenID Connect identity: ISSUER|SUBJECT."
    ),
    db: str | None = DbOption,
) -> None:
    """Create an account; prints a one-time password unless one is given."""
    import secrets

    from lantern.portal import accounts

    password = os.environ.get(password_env, "") if password_env else secrets.token_urlsafe(18)
    if password_env and not password:
        raise InputError(f"environment variable {password_env} is empty")
    with _session(db) as s:
        accounts.create_user(
            s,
            username=username,
            role=accounts.parse_role(role),
            password=password,
            scope=scope,
            organisation=organisation,
            display_name=name,
            oidc_subject=oidc_subject,
            actor=_actor(),
        )
    console.print(f"[green]created[/] {username.lower()}")
    if not password_env:
        console.print(f"one-time password: {password}")


@user_app.command("reset")
def user_reset(username: str, db: str | None = DbOption) -> None:
    """Reset a password (random), unlock the account and end its sessions."""
    from lantern.portal import accounts

    with _session(db) as s:
        password = accounts.reset_password(s, accounts.get_user(s, username), actor=_actor())
    console.print(f"[green]reset[/] {username.lower()}; new password: {password}")


@user_app.command("scope")
def user_scope(
    username: str,
    role: str = typer.Option(..., help="The (new) role."),
    scope: list[str] = typer.Option([], "--scope", help="Area codes."),
    db: str | None = DbOption,
) -> None:
    """Change a user's role and scope (audited; ends the user's sessions)."""
    from lantern.portal import accounts

    with _session(db) as s:
        accounts.set_role_and_scope(
            s,
            accounts.get_user(s, username),
            role=accounts.parse_role(role),
            scope=scope,
            actor=_actor(),
        )
    console.print(f"[green]updated[/] {username.lower()}")


@user_app.command("disable")
def user_disable(username: str, db: str | None = DbOption) -> None:
    """Deactivate an account and end its sessions."""
    from lantern.portal import accounts

    with _session(db) as s:
        accounts.set_active(s, accounts.get_user(s, username), active=False, actor=_actor())
    console.print(f"[green]disabled[/] {username.lower()}")


@user_app.command("enable")
def user_enable(username: str, db: str | None = DbOption) -> None:
    """Re-activate a disabled account (it signs in again with its existing role and scope)."""
    from lantern.portal import accounts

    with _session(db) as s:
        accounts.set_active(s, accounts.get_user(s, username), active=True, actor=_actor())
    console.print(f"[green]enabled[/] {username.lower()}")


@user_app.command("list")
def user_list(db: str | None = DbOption) -> None:
    """List accounts with role, organisation and scope."""
    from rich.table import Table
    from sqlalchemy import select

    from lantern.portal.models import User

    table = Table("user", "role", "organisation", "scope", "active")
    with _session(db) as s:
        for u in s.scalars(select(User).order_by(User.username)):
            table.add_row(
                u.username,
                u.role,
                u.organisation,
                " ".join(x.area_code for x in u.scopes),
                str(u.active),
            )
    console.print(table)


@agreement_app.command("load")
def agreement_load(path: Path, db: str | None = DbOption) -> None:
    """Load or update an agreement file into the register (validated, audited)."""
    from lantern.portal import agreements

    with _session(db) as s:
        a = agreements.load(s, path, actor=_actor())
    console.print(f"[green]loaded[/] {a.id}: {a.title} (until {a.retention_end})")


@agreement_app.command("list")
def agreement_list(db: str | None = DbOption) -> None:
    """The agreements register with each agreement's status today."""
    from datetime import date

    from rich.table import Table

    from lantern.portal import agreements

    table = Table("id", "title", "status", "retention end", "parties")
    with _session(db) as s:
        for a in agreements.all_agreements(s):
            table.add_row(
                a.id,
                a.title,
                a.status(date.today()),
                a.retention_end.isoformat(),
                ", ".join(a.party_ids),
            )
    console.print(table)


@data_app.command("areas")
def data_areas(
    lookups: Path | None = typer.Option(
        None, help="Folder holding lsoa21_msoa21_ward24_lad24_ew.csv."
    ),
    warehouse: Path | None = typer.Option(
        None, help="Copy areas and indicators from this warehouse instead."
    ),
    district: list[str] = typer.Option(
        [], "--district", help="LAD 2024 codes (default: the 14 Essex-area districts)."
    ),
    db: str | None = DbOption,
) -> None:
    """Load the area hierarchy (LSOA 2021 → MSOA 2021 → ward 2024 → district 2024)."""
    from lantern.paths import BUNDLED_ESSEX, shared_data_dir
    from lantern.portal import loaders

    with _session(db) as s, console.status("loading areas…"):
        if warehouse is not None:
            counts = loaders.load_warehouse(s, warehouse)
            console.print(f"[green]ok[/]: {counts}")
            return
        if lookups is None:
            bundled = BUNDLED_ESSEX / "lookups"
            shared = shared_data_dir()
            lookups = (
                bundled
                if (bundled / loaders.LOOKUP_FILE).exists()
                else (shared / "lookups" if shared else bundled)
            )
        n = loaders.load_lookup_areas(s, lookups, district or loaders.ESSEX_DISTRICTS)
    console.print(f"[green]ok[/]: {n} areas")


@data_app.command("indicators")
def data_indicators(
    path: Path,
    column: list[str] = typer.Option(..., "--column", help="SOURCE_COLUMN=indicator.id (repeat)."),
    code_column: str = typer.Option("lsoa21_code", help="The column of area codes."),
    period: str = typer.Option(..., help="Period the values describe, e.g. 2025."),
    source: str = typer.Option(..., help="Publisher and dataset, for the catalogue."),
    england: bool = typer.Option(
        False, help="The file covers every LSOA in England: keep its means as England values."
    ),
    title: list[str] = typer.Option(
        [], "--title", help="indicator.id=Title shown on area pages (repeat; IoD ids are known)."
    ),
    unit: list[str] = typer.Option([], "--unit", help="indicator.id=unit (repeat)."),
    db: str | None = DbOption,
) -> None:
    """Load per-area indicator columns from a wide CSV (for areas the portal holds)."""
    from lantern.portal import loaders

    def pairs(items: list[str], option: str, what: str) -> dict[str, str]:
        out = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or not key or not value:
                raise InputError(f"{option} must look like {what}, not {item!r}")
            out[key] = value
        return out

    mapping = pairs(column, "--column", "SOURCE=indicator.id")
    titles = pairs(title, "--title", "indicator.id=Title")
    units = pairs(unit, "--unit", "indicator.id=unit")
    unknown = sorted((set(titles) | set(units)) - set(mapping.values()))
    if unknown:
        raise InputError(f"--title/--unit name indicators not loaded by --column: {unknown}")
    with _session(db) as s, console.status("loading indicators…"):
        n = loaders.load_indicator_csv(
            s,
            path,
            code_column=code_column,
            columns=mapping,
            period=period,
            source=source,
            titles=titles,
            units=units,
            england=england,
        )
    console.print(f"[green]ok[/]: {n} values")


@data_app.command("households")
def data_households(
    path: Path,
    agreement: str = typer.Option(..., help="The agreement the list is shared under."),
    party: str = typer.Option(
        ..., help="The party (data owner) that supplied the contact details."
    ),
    skip_unmatchable: bool = typer.Option(
        False,
        help="Leave out rows with no identifier an objection can be matched on (else refused).",
    ),
    db: str | None = DbOption,
) -> None:
    """Import a household contact list; contact columns are encrypted (LANTERN_PORTAL_DATA_KEY).

    Identifier columns (nhs_number; given_name, family_name, date_of_birth; postcode) are used
    only to keep out residents who objected, and are never stored.
    """
    from lantern.portal import households

    settings = _settings(db)
    with _session(db) as s, console.status("encrypting and importing…"):
        n = households.import_csv(
            s,
            path,
            agreement_id=agreement,
            party=party,
            key=settings.key_bytes(),
            actor=_actor(),
            skip_unmatchable=skip_unmatchable,
        )
    console.print(f"[green]ok[/]: {n} households imported under {agreement}")


@data_app.command("releases")
def data_releases(
    folder: Path,
    agreement: str = typer.Option(
        ..., help="The agreement whose data the released outputs came from."
    ),
    db: str | None = DbOption,
) -> None:
    """Register a release folder's released outputs in the transparency register."""
    from lantern.portal import releases

    with _session(db) as s:
        n = releases.register_folder(s, folder, agreement_id=agreement, actor=_actor())
    console.print(f"[green]ok[/]: {n} released output request(s) registered under {agreement}")


@data_app.command("objections")
def data_objections(
    project: str,
    out: Path,
    keys: Path | None = typer.Option(
        None,
        "--keys",
        help="The portal's key store with the project's batch keys (default $LANTERN_PORTAL_KEYSTORE).",
    ),
    db: str | None = DbOption,
) -> None:
    """Put every objection into a project's linkage objection register (OUT: its token list).

    Every objector is re-tokenised for every batch of PROJECT whose keys the key store holds,
    and kept (encrypted) in the register beside OUT, so batches created later get them too.
    """
    from lantern.linkage.keystore import KeyStore
    from lantern.portal import objections

    root = keys or (Path(_settings(db).keystore) if _settings(db).keystore else None)
    if root is None:
        raise InputError(
            "the objection register needs the portal's key store: pass --keys or set "
            "LANTERN_PORTAL_KEYSTORE"
        )
    with _session(db) as s:
        done = objections.export_register(s, project, out, KeyStore(root))
    batches = ", ".join(done.batches) or "none yet"
    console.print(
        f"[green]ok[/]: {done.objectors} portal objection(s) in the register of {project} "
        f"({done.register_total} objector(s) in all); tokens written to {out} for batches: {batches}"
    )


@portal_app.command("demo")
def demo(
    folder: Path = typer.Option(
        Path("portal-demo"), help="Where to write the demo agreement and files."
    ),
    db: str | None = DbOption,
) -> None:
    """Fill an empty, migrated database with the SYNTHETIC demo world (needs Faker).

    Real Essex areas and IoD2025 scores; invented agreement, accounts (admin, analyst, officer,
    hub, hub2) and households. Prints the shared demo password and the data key to export.
    """
    import secrets
    from datetime import date

    from lantern.portal import synthetic
    from lantern.portal.crypto import new_key

    settings = _settings(db)
    key = settings.data_key or new_key()
    password = secrets.token_urlsafe(12)
    with _session(db) as s, console.status("building the demo world…"):
        from lantern.portal.settings import PortalSettings

        raw = PortalSettings(database_url=settings.database_url, data_key=key).key_bytes()
        world = synthetic.build(s, folder, key=raw, password=password, today=date.today())
    console.print(
        f"[green]ok[/]: demo users admin, analyst, officer ({world.district}), "
        f"hub ({world.hub_ward}), hub2 ({world.other_ward}); password: {password}"
    )
    if not settings.data_key:
        console.print(f"export LANTERN_PORTAL_DATA_KEY={key}")


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
