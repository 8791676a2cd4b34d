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
