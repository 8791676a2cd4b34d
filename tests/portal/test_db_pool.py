"""The PostgreSQL pool checks a connection with a round trip only when it has been idle a while
(``lantern.portal.db.ping_after_idle``): busy connections cost no extra round trip per request,
and a connection the server dropped while idle is replaced before a request uses it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from lantern.portal import db

pytestmark = pytest.mark.postgres


def _engine_counting_pings(url: str, monkeypatch: pytest.MonkeyPatch, idle: float):  # noqa: ANN202
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", idle)
    engine = db.make_engine(url, pool_size=1)
    pings: list[bool] = []
    real = engine.dialect.do_ping

    def counted(dbapi_conn) -> bool:  # noqa: ANN001
        try:
            result = real(dbapi_conn)
        except Exception:
            pings.append(False)
            raise
        pings.append(True)
        return result

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return engine, pings


def backend_pid(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_in_steady_use_is_not_pinged(pg_cluster, monkeypatch):
    engine, pings = _engine_counting_pings(
        pg_cluster.create_database("pool_busy"), monkeypatch, idle=10.0
    )
    first = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []
    engine.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(pg_cluster, monkeypatch):
    url = pg_cluster.create_database("pool_dropped")
    engine, pings = _engine_counting_pings(url, monkeypatch, idle=0.0)
    first = backend_pid(engine)
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    second = backend_pid(engine)  # no error: the dead connection was found and replaced
    assert second != first
    assert pings[0] is False
    engine.dispose()
