"""Getting one server process ready before it takes requests, so that the first requests after
a start cost what later ones do and no request waits for a long garbage collection.

Measured under ``bench/portal.py`` (50 users arriving at once on 2 processes), a cold process
answered its first second of requests in up to 0.7 s: it imported the aggregate code (pandas
and the disclosure rules, about 0.65 s) on the first aggregate request, compiled each template
on its first page, and opened about 25 new database connections at once (a PostgreSQL
connection costs a server process and a fresh catalogue cache). Later, every 10–15 s each
process stopped for a full garbage collection of the ~165,000 objects its imports had made:
70–700 ms during which no request moved.

``warm(app)`` does the start-up work once, before the process accepts connections: it imports
every module a route may need, compiles every template, opens the database pool's connections
(each reads the catalogue of every portal table), answers every staff and public page once in
a transaction that is rolled back (``lantern.portal.rehearsal``: statements compiled, first-use
work done) and then moves everything made so far into the collector's permanent generation
(``gc.freeze``), so full collections only walk objects made while serving. It also makes the
protected aggregate tables of every active user's scope (``lantern.portal.aggregates.prepare``,
within ``LANTERN_PORTAL_AGGREGATE_PREPARE_SECONDS``): the first read of each had cost 60–90 ms
in every process, and users arriving together asked for the same one at once.
``lantern portal serve`` calls it in every worker process.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import importlib.util
import logging
import pkgutil
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Connection, Engine, select, text

import lantern.portal
from lantern.portal.models import Base
from lantern.portal.rehearsal import rehearse

#: modules never used while serving: Alembic's environment (it runs migrations on import) and
#: the demo-world builder
NOT_SERVED = ("lantern.portal.migrations", "lantern.portal.synthetic")
#: packages imported only when their feature is configured (the demo's fake names, OpenID
#: Connect sign-in): left to their first use
ON_DEMAND = ("faker", "authlib")

log = logging.getLogger("lantern.portal")


@dataclass(frozen=True)
class Warmed:
    modules: int
    templates: int
    connections: int
    rehearsed: int
    #: protected aggregate tables made
    aggregates: int = 0


def portal_modules() -> list[str]:
    """Every module of ``lantern.portal`` that serving may use."""
    return [
        m.name
        for m in pkgutil.walk_packages(lantern.portal.__path__, "lantern.portal.")
        if not m.name.startswith(NOT_SERVED)
    ]


def imported_inside_functions(module: str) -> set[str]:
    """Modules that ``module`` imports inside its functions (on first use, not at import)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return set()
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: set[str] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def import_portal_modules() -> int:
    """Import every portal module and every module they import inside functions (routes import
    some on first use, e.g. the aggregate code with pandas); how many modules that was."""
    names = portal_modules()
    wanted = set(names)
    for name in names:
        importlib.import_module(name)
        wanted |= imported_inside_functions(name)
    for name in sorted(wanted - set(names)):
        if name.split(".")[0] in ON_DEMAND:
            continue
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    return len([n for n in wanted if n in sys.modules])


def compile_templates(app: FastAPI) -> int:
    """Compile every page template now (Jinja caches the compiled form per process)."""
    env = app.state.templates.env
    names = env.list_templates()
    for name in names:
        env.get_template(name)
    return len(names)


def _touch_tables(conn: Connection) -> None:
    """Read every portal table's definition (PostgreSQL keeps it per connection)."""
    for table in Base.metadata.sorted_tables:
        conn.execute(select(text("1")).select_from(table).where(text("1 = 0"))).all()


def fill_pool(engine: Engine) -> int:
    """Open the pool's connections at once and return them to it; how many were opened.

    Stops early, without failing, if the database refuses more connections (they are then
    opened on demand as before)."""
    wanted = engine.pool.size()  # type: ignore[attr-defined]
    opened = 0
    with ExitStack() as stack:
        for _ in range(wanted):
            try:
                conn = stack.enter_context(engine.connect())
                _touch_tables(conn)
                conn.rollback()
            except Exception as exc:  # noqa: BLE001 - e.g. the server's connection limit
                log.warning(
                    "opened %d of %d database connections at start-up: %s", opened, wanted, exc
                )
                break
            opened += 1
    return opened


def prepare_aggregates(app: FastAPI) -> int:
    """Make the protected aggregate tables of active users' scopes; how many were made."""
    from lantern.portal import aggregates

    settings = app.state.settings
    if settings.aggregate_prepare_seconds <= 0:
        return 0
    try:
        made = aggregates.prepare(
            app.state.sessions,
            policy=settings.policy,
            today=app.state.today(),
            seconds=settings.aggregate_prepare_seconds,
        )
    except Exception as exc:  # noqa: BLE001 - serving goes ahead; tables are made on first read
        log.warning("aggregate tables were not made before serving: %s", exc)
        return 0
    if not made.complete:
        log.warning(
            "made %d aggregate tables for %d scopes before serving, then stopped at the limit "
            "(LANTERN_PORTAL_AGGREGATE_PREPARE_SECONDS); the rest are made on first read",
            made.tables,
            made.scopes,
        )
    return made.tables


def warm(app: FastAPI) -> Warmed:
    """Make this process ready to serve (see the module docstring); what it prepared."""
    modules = import_portal_modules()
    templates = compile_templates(app)
    connections = fill_pool(app.state.engine)
    rehearsed = len(rehearse(app))
    done = Warmed(modules, templates, connections, rehearsed, prepare_aggregates(app))
    gc.collect()
    gc.freeze()
    return done


def create_served_app() -> FastAPI:
    """The app as ``lantern portal serve`` runs it: created from the environment, then warmed."""
    from lantern.portal.app import create_app

    app = create_app()
    warm(app)
    return app
