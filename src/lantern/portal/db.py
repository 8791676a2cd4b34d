"""Engines, sessions and migrations for the portal database (SQLite or PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from lantern.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: a pooled PostgreSQL connection idle for longer than this is checked before it is used again
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    """An engine for ``url`` keeping up to ``pool_size`` connections open (as many again may be
    opened for a burst); SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql+"):
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
        ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
        return engine
    raise ConfigError(
        "portal database", [f"unsupported database URL scheme in {url.split(':')[0]!r}"]
    )


def ping_after_idle(engine: Engine, seconds: float) -> None:
    """Check a pooled connection with a round trip before reuse only when it has been idle for
    ``seconds`` (a restarted or unreachable server is found then, and the connection replaced).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one extra round trip on every
    request. A connection in steady use is not pinged; one that breaks between two uses close
    together fails that request, and the pool then replaces every connection older than the
    failure."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:  # noqa: ANN001
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # noqa: ANN001
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error


def take_write_lock(session: Session) -> None:
    """SQLite: take the database's write lock now (waiting up to the busy timeout), so reads that
    follow in this transaction see the latest data and no other writer can interleave until it
    ends. A no-op update is enough: the driver opens a transaction before it and SQLite takes
    the write lock for it even though no row changes."""
    session.execute(text("UPDATE audit_log SET seq = seq WHERE 1 = 0"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine):  # noqa: ANN202
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` with the Alembic migrations shipped in the package."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_schema(engine: Engine) -> None:
    """Refuse to serve an unmigrated database, saying what to run."""
    if "users" not in inspect(engine).get_table_names():
        raise ConfigError(
            "portal database", ["the database has no portal tables: run `lantern portal migrate`"]
        )
