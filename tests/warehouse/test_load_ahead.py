"""Sources load in a second thread ahead of the writer, in registry order, errors in turn."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lantern.errors import InputError
from lantern.pipeline.ingest import _loading
from lantern.sources import LoadContext


class FakeSource:
    """A source whose loader records when and where it ran (and may fail)."""

    def __init__(self, source_id: str, log: list, *, fails: bool = False) -> None:
        self.source_id, self.log, self.fails = source_id, log, fails

    def loader(self, source: FakeSource, ctx: LoadContext) -> str:
        self.log.append((self.source_id, threading.current_thread().name))
        if self.fails:
            raise InputError(f"{self.source_id} is damaged", file=Path(self.source_id))
        return f"loaded {self.source_id}"

    def tables(self) -> list:
        return []


def test_sources_load_ahead_in_order_and_errors_wait_their_turn(tmp_path):
    log: list = []
    sources = [FakeSource(f"s{i}", log, fails=i == 4) for i in range(7)]
    ctx = LoadContext(tmp_path)
    written = []
    with (
        pytest.raises(InputError, match="s4 is damaged"),
        _loading(sources, ctx, ahead=3) as loads,  # type: ignore[arg-type]
    ):
        loads.parse_first()
        loads.start()
        for source, loaded in loads:
            assert loaded == f"loaded {source.source_id}"
            if source.source_id == "s0":  # three loaded ahead while s0 is written
                for _ in range(200):
                    if len(log) >= 4:
                        break
                    threading.Event().wait(0.01)
                assert [s for s, _ in log] == ["s0", "s1", "s2", "s3"]
            written.append(source.source_id)
    assert written == ["s0", "s1", "s2", "s3"]  # s4's error came in its turn, not earlier
    ran = [s for s, _ in log]
    assert ran == sorted(ran)  # in registry order
    assert {thread for _, thread in log} == {"lantern-load_0"}
    assert not [t for t in threading.enumerate() if t.name.startswith("lantern-load")]


class Preparing:
    """A loader with a ``prepare`` step (what later sources share, read ahead)."""

    def __init__(self, log: list, *, fails: bool = False) -> None:
        self.log, self.fails = log, fails

    def __call__(self, source: PreparedSource, ctx: LoadContext) -> str:
        self.log.append(("load", source.source_id, threading.current_thread().name))
        return f"loaded {source.source_id}"

    def prepare(self, source: PreparedSource, ctx: LoadContext) -> bool:
        self.log.append(("prepare", source.source_id, threading.current_thread().name))
        if self.fails:  # a prepare step never raises early: the load reports it in its turn
            raise InputError(f"{source.source_id} is damaged", file=Path(source.source_id))
        return True


class PreparedSource:
    def __init__(self, source_id: str, loader) -> None:  # noqa: ANN001
        self.source_id, self.loader = source_id, loader

    def tables(self) -> list:
        return []


@pytest.mark.parametrize("fails", [False, True])
def test_later_sources_prepare_after_the_first_loads_and_before_their_own(tmp_path, fails):
    log: list = []
    preparing = Preparing(log, fails=fails)
    sources = [
        PreparedSource("s0", lambda s, c: log.append(("load", s.source_id, "")) or "s0"),
        PreparedSource("s1", lambda s, c: log.append(("load", s.source_id, "")) or "s1"),
        PreparedSource("q0", preparing),
        PreparedSource("q1", preparing),
    ]
    ctx = LoadContext(tmp_path)
    with _loading(sources, ctx, ahead=2) as loads:  # type: ignore[arg-type]
        loads.parse_first()
        loads.start()
        done = [source.source_id for source, _ in loads]
    assert done == ["s0", "s1", "q0", "q1"]
    steps = [(kind, s) for kind, s, _ in log]
    # the first two load, then both QOF-like sources prepare, then the rest load in turn
    assert steps == [
        ("load", "s0"),
        ("load", "s1"),
        ("prepare", "q0"),
        ("prepare", "q1"),
        ("load", "q0"),
        ("load", "q1"),
    ]
    assert {t for kind, _, t in log if kind == "prepare"} == {"lantern-load_0"}


@pytest.mark.parametrize("slow", [False, True])
def test_work_set_aside_runs_once_when_the_writer_first_waits(tmp_path, slow):
    """``while_waiting`` runs once, in the writer's thread, the first time a load is not ready
    (the final checkpoint's work done while the writer would wait); never if none is late."""
    gate = threading.Event()
    ran: list = []

    def loader(source: PreparedSource, ctx: LoadContext) -> str:
        if slow and source.source_id == "s2":
            gate.wait(5)  # s2 is late until the writer has waited for it
        return source.source_id

    sources = [PreparedSource(f"s{i}", loader) for i in range(4)]
    with _loading(sources, LoadContext(tmp_path), ahead=1) as loads:  # type: ignore[arg-type]
        loads.start()

        def aside() -> None:
            ran.append(threading.current_thread().name)
            gate.set()

        loads.while_waiting = aside
        threading.Event().wait(0.05)  # s0 is loaded before it is asked for
        got = []
        for _source, loaded in loads:
            if not slow:
                threading.Event().wait(0.05)  # every load is ready before it is asked for
            got.append(loaded)
    assert got == ["s0", "s1", "s2", "s3"]
    assert ran == ([threading.current_thread().name] if slow else [])
