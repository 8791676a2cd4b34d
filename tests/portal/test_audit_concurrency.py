"""Audit appends under concurrency: requests at once in one server process never fail and never
fork the chain, on SQLite (one writer at a time) and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from lantern.portal import audit_db
from lantern.portal.models import AuditEntry, RateEvent

PURPOSE = "hub-outreach"


def test_a_request_holding_the_write_lock_is_never_made_to_wait_behind_another(portal):
    """One request has changed data (so holds the database's write lock) when another starts
    appending: both entries land, in order, within moments (no lock held in the process may
    make the first wait for the second)."""
    holder, other = portal.session(), portal.session()
    holder.add(RateEvent(bucket="test", client="holder"))
    holder.flush()  # on SQLite: this transaction now holds the write lock
    done: list[int] = []
    failed: list[BaseException] = []

    def append() -> None:
        try:
            done.append(audit_db.record(other, "test.concurrent", who="other").seq)
        except BaseException as exc:  # noqa: BLE001
            failed.append(exc)

    thread = threading.Thread(target=append)
    thread.start()
    thread.join(0.5)  # the other append waits for the database, not the other way round
    first = audit_db.record(holder, "test.concurrent", who="holder").seq
    thread.join(20)
    holder.close()
    other.close()
    assert not failed and not thread.is_alive(), failed
    assert sorted([first, *done]) == [first, first + 1] or done == [first - 1]
    with portal.session() as s:
        assert (
            audit_db.verify(s).entries
            == s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)) + 1
        )


def test_concurrent_audited_requests_all_succeed_and_the_chain_holds(portal):
    """Eight clients at once viewing, recording outcomes and exporting (every one audited)."""
    w = portal.world
    clients = [portal.sign_in("hub") for _ in range(8)]
    refs = [
        h["reference"]
        for h in clients[0]
        .get("/api/households", params={"agreement": w.agreement, "purpose": PURPOSE})
        .json()["households"]
    ]
    params = {"agreement": w.agreement, "purpose": PURPOSE}

    def work(i: int) -> list[int]:
        client = clients[i]
        token = client.get("/api/me").json()["csrf_token"]
        statuses = []
        for j in range(6):
            statuses.append(client.get("/api/households", params=params).status_code)
            statuses.append(
                client.post(
                    f"/api/households/{refs[(i + j) % len(refs)]}/outcome",
                    json={**params, "outcome": "no_answer"},
                    headers={"x-csrf-token": token},
                ).status_code
            )
            statuses.append(client.get("/api/households/export", params=params).status_code)
        return statuses

    with portal.session() as s:
        before = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    with ThreadPoolExecutor(8) as pool:
        results = [code for codes in pool.map(work, range(8)) for code in codes]
    assert results and set(results) == {200}
    with portal.session() as s:
        seqs = list(s.scalars(select(AuditEntry.seq).where(AuditEntry.seq > before)))
        assert sorted(seqs) == list(range(before + 1, before + 1 + len(seqs)))
        assert len(seqs) >= len(results)
        audit_db.verify(s)
