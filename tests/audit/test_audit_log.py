"""Audit logs an insider cannot quietly rewrite (issue finding 1, and its whole class).

Every tamper operation on a log, its head or an export is detected; a chain recomputed without
the audit key never verifies; a chain recomputed *with* the key is caught by the witness's
anchors; exports verify on their own; a damaged entry is named by its own sequence number.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.audit import (
    GENESIS,
    AuditLog,
    _remember_head,
    canonical,
    entry_mac,
    head_mac,
    verify_export,
)
from lantern.cli import main
from lantern.errors import IntegrityError
from lantern.keys.store import AuditKey, KeyStore

N = 12


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A log of N linkage-like entries written under a project's audit key."""
    root = tmp_path_factory.mktemp("audit")
    store = KeyStore(root / "keys")
    store.create("proj", "b1")
    log = AuditLog(root / "logs" / "audit.jsonl", key=store.audit_key("proj"))
    for i in range(N):
        log.append("pseudonymise", agreement="A-1", purpose="service-planning", rows_in=i)
    return root, store, log


def _copy(written, dest: Path) -> AuditLog:
    root, store, log = written
    dest.mkdir(parents=True, exist_ok=True)
    for p in (log.path, log.head_path):
        shutil.copy(p, dest / p.name)
    return AuditLog(dest / log.path.name)


def _sha256_chain(entries: list[dict]) -> tuple[list[dict], str]:
    """What an attacker without the key does: rebuild the chain with plain SHA-256."""
    prev, out = GENESIS, []
    for e in entries:
        body = {k: v for k, v in e.items() if k != "hash"}
        body["prev"] = prev
        h = hashlib.sha256((prev + "\n" + canonical(body)).encode()).hexdigest()
        out.append({**body, "hash": h})
        prev = h
    return out, prev


def _rekey_chain(entries: list[dict], key: AuditKey) -> tuple[list[dict], str]:
    prev, out = GENESIS, []
    for i, e in enumerate(entries):
        body = {k: v for k, v in e.items() if k != "hash"}
        body.update(prev=prev, seq=i)
        if "key" in body:
            body["key"] = key.key_id
        h = entry_mac(key, prev, body)
        out.append({**body, "hash": h})
        prev = h
    return out, prev


def _write(log: AuditLog, entries: list[dict], head: dict | None) -> None:
    log.path.write_text("".join(canonical(e) + "\n" for e in entries))
    if head is None:
        log.head_path.unlink(missing_ok=True)
    else:
        log.head_path.write_text(json.dumps(head))


def test_untampered_log_verifies_through_the_cli(written, tmp_path):
    root, _, log = written
    assert log.verify().entries == N
    assert main(["audit", "verify", str(log.path), "--keys", str(root / "keys")]) == 0


def test_finding_rewritten_purpose_with_recomputed_chain_and_head_fails(written, tmp_path):
    """The reported forgery: edit a purpose, recompute later hashes and the head, unkeyed."""
    log = _copy(written, tmp_path)
    entries = list(log.entries())
    entries[3]["details"]["purpose"] = "covid-vulnerability-targeting"
    forged, head = _sha256_chain(entries)
    _write(log, forged, {"entries": len(forged), "head": head})
    with pytest.raises(IntegrityError, match="audit entry 0"):
        log.verify()
    assert main(["audit", "verify", str(log.path)]) == 6


def test_missing_log_and_missing_head_fail(written, tmp_path):
    assert main(["audit", "verify", str(tmp_path / "never-written.jsonl")]) == 6
    log = _copy(written, tmp_path)
    log.head_path.unlink()
    with pytest.raises(IntegrityError, match="head file missing"):
        log.verify()
    assert main(["audit", "verify", str(log.path)]) == 6
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert main(["audit", "verify", str(empty)]) == 6


def test_chain_rebuilt_under_a_key_of_ones_own_fails(written, tmp_path):
    log = _copy(written, tmp_path)
    entries = list(log.entries())
    entries[5]["details"]["rows_in"] = 999
    own = AuditKey(secrets.token_bytes(32))
    forged, head = _rekey_chain(entries, own)
    _write(log, forged, {"entries": N, "head": head, "mac": head_mac(own, N, head)})
    with pytest.raises(IntegrityError, match="no known key store holds"):
        log.verify()
    # pretending the real key id while MACing with one's own key is caught entry by entry
    real = written[1].audit_key("proj")
    for e in forged:
        e["key"] = real.key_id
    _write(log, forged, {"entries": N, "head": head, "mac": head_mac(own, N, head)})
    with pytest.raises(IntegrityError, match="does not match its hash"):
        log.verify()


def test_a_tampered_entry_is_named_by_its_own_number(written, tmp_path):
    for seq in (0, 7, N - 1):
        log = _copy(written, tmp_path / str(seq))
        entries = list(log.entries())
        entries[seq]["details"]["rows_in"] = -1
        _write(log, entries, json.loads(log.head_path.read_text()))
        with pytest.raises(IntegrityError, match=rf"audit entry {seq}: content does not match"):
            log.verify()


OPS = st.sampled_from(
    ["edit", "delete", "swap", "duplicate", "truncate", "truncate_head", "drop_head",
     "head_count", "edit_head", "sha_chain", "rekey", "edit_time", "add_detail", "empty"]
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(op=OPS, i=st.integers(0, N - 1), j=st.integers(0, N - 1), data=st.data())
def test_every_tamper_operation_is_detected(written, op, i, j, data):
    """Hypothesis: any single tamper operation on a log or its head makes verification fail."""
    with tempfile.TemporaryDirectory() as tmp:
        log = _copy(written, Path(tmp))
        entries = list(log.entries())
        head = json.loads(log.head_path.read_text())
        if op == "edit":
            entries[i]["event"] = data.draw(
                st.text(min_size=1, max_size=8).filter(lambda t: t != "pseudonymise")
            )
        elif op == "delete":
            del entries[i]
        elif op == "swap":
            if i == j:
                j = (i + 1) % N
            entries[i], entries[j] = entries[j], entries[i]
        elif op == "duplicate":
            entries.insert(j, dict(entries[i]))
        elif op == "truncate":
            entries = entries[: min(i, N - 1)]
        elif op == "truncate_head":  # truncate and write a head that matches, without the key
            entries = entries[: max(1, min(i, N - 1))]
            head = {**head, "entries": len(entries), "head": entries[-1]["hash"]}
        elif op == "drop_head":
            head = None
        elif op == "head_count":
            head = {**head, "entries": head["entries"] + data.draw(st.sampled_from([-2, -1, 1, 5]))}
        elif op == "edit_head":
            head = {**head, "head": secrets.token_hex(32)}
        elif op == "sha_chain":
            entries[i]["details"]["purpose"] = "other"
            entries, last = _sha256_chain(entries)
            head = {**head, "head": last}
        elif op == "rekey":
            key = AuditKey(secrets.token_bytes(32))
            entries, last = _rekey_chain(entries, key)
            head = {"entries": len(entries), "head": last, "key": key.key_id,
                    "mac": head_mac(key, len(entries), last)}  # fmt: skip
        elif op == "edit_time":
            entries[i]["time"] = "2020-01-01T00:00:00+00:00"
        elif op == "add_detail":
            entries[i]["details"]["note"] = "added later"
        elif op == "empty":
            entries = []
        _write(log, entries, head)
        with pytest.raises(IntegrityError):
            log.verify()


def test_insider_with_the_key_is_caught_by_the_witness_anchor(tmp_path):
    """Whoever holds the audit key can rebuild the chain; the countersigned anchor still breaks."""
    store = KeyStore(tmp_path / "keys")
    store.create("proj", "b1")
    log = AuditLog(tmp_path / "log" / "audit.jsonl", key=store.audit_key("proj"))
    for i in range(N):
        log.append("pseudonymise", agreement="A-1", purpose="service-planning", rows_in=i)
    witness = KeyStore(tmp_path / "witness-keys")
    pub = tmp_path / "witness.pub"
    assert (
        main(
            [
                "audit",
                "witness",
                "public-key",
                "--witness-keys",
                str(witness.root),
                "--out",
                str(pub),
            ]
        )
        == 0
    )
    assert main(["audit", "anchor", str(log.path), "--witness-keys", str(witness.root),
                 "--publish", str(tmp_path / "register" / "anchors.jsonl")]) == 0  # fmt: skip
    log.append("link", agreement="A-1", purpose="service-planning")
    assert main(["audit", "verify", str(log.path), "--witness", str(pub)]) == 0
    # the insider rewrites entry 2 and recomputes everything with the real key
    entries = list(log.entries())
    entries[2]["details"]["purpose"] = "covid-vulnerability-targeting"
    key = store.audit_key("proj")
    forged, last = _rekey_chain(entries, key)
    _write(log, forged, {"entries": len(forged), "head": last, "key": key.key_id,
                         "mac": head_mac(key, len(forged), last)})  # fmt: skip
    with pytest.raises(IntegrityError, match="key store recorded"):
        log.verify()  # the key store remembers the real head ...
    _remember_head(key, forged[0]["hash"], len(forged), last)  # ... unless the insider edits it too
    with pytest.raises(IntegrityError, match="anchor 1"):
        log.verify()  # and then the witness's anchor still breaks
    assert main(["audit", "verify", str(log.path), "--witness", str(pub)]) == 6
    # removing the anchors does not help when the verifier pins the witness
    log.anchors_path.unlink()
    assert main(["audit", "verify", str(log.path), "--witness", str(pub)]) == 6


def test_export_verifies_standalone_and_names_a_tampered_row(written, tmp_path):
    root, _, log = written
    out = tmp_path / "elsewhere" / "export.jsonl"
    assert main(["audit", "export", str(log.path), "--out", str(out)]) == 0
    assert not (out.parent / "export.jsonl.head").exists()
    assert verify_export(out).entries == N
    assert main(["audit", "verify", str(out)]) == 0
    header, *lines = out.read_text().splitlines()
    entry = json.loads(lines[6])
    entry["details"]["purpose"] = "marketing"
    lines[6] = canonical(entry)
    out.write_text("\n".join([header, *lines]) + "\n")
    with pytest.raises(IntegrityError, match=r"audit entry 6: content"):
        verify_export(out)
    out.write_text("\n".join([header, *lines[:-1]]) + "\n")  # last row removed
    with pytest.raises(IntegrityError):
        verify_export(out)


def test_an_older_head_put_back_after_truncation_is_caught_by_the_key_store(written, tmp_path):
    """Cut entries off and restore the head file saved back then: the key store remembers more."""
    root, store, _ = written
    log = AuditLog(tmp_path / "log.jsonl", key=store.audit_key("proj"))
    for i in range(5):
        log.append("link", rows=i)
    early_lines = log.path.read_text().splitlines()[:3]
    log_copy = AuditLog(tmp_path / "early.jsonl")
    log_copy.path.write_text("\n".join(early_lines) + "\n")
    entries = list(log_copy.entries())
    key = store.audit_key("proj")
    old_head = {"entries": 3, "head": entries[-1]["hash"], "key": key.key_id,
                "mac": head_mac(key, 3, entries[-1]["hash"])}  # fmt: skip
    log.path.write_text("\n".join(early_lines) + "\n")
    log.head_path.write_text(json.dumps(old_head))
    with pytest.raises(IntegrityError, match="key store recorded 5 entries"):
        log.verify()
