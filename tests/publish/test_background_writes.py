"""Data files compressed and written on a worker thread while the next one is encoded: every
file is complete when the block ends, and a failed write is raised, not lost."""

from __future__ import annotations

import pytest

from lantern.publish.sitejson import background_writes, dump, read


def test_every_file_is_written_in_full_when_the_block_ends(tmp_path):
    payloads = {f"f{n}.json.gz": {"n": n, "v": list(range(n * 1000))} for n in range(30)}
    with background_writes():
        lengths = {name: dump(tmp_path / name, p) for name, p in payloads.items()}
        dump(tmp_path / "plain.json", {"x": 1})  # uncompressed files are written at once
        assert read(tmp_path / "plain.json") == {"x": 1}
    for name, payload in payloads.items():
        assert read(tmp_path / name) == payload
        assert lengths[name] > 0


def test_a_failed_background_write_is_raised_at_the_end_of_the_block(tmp_path):
    (tmp_path / "taken.json.gz").mkdir()  # a folder where the file should go
    with pytest.raises(IsADirectoryError), background_writes():
        dump(tmp_path / "ok.json.gz", [1, 2])
        dump(tmp_path / "taken.json.gz", [3])
    assert read(tmp_path / "ok.json.gz") == [1, 2]
    # outside the block files are written at once again
    with pytest.raises(IsADirectoryError):
        dump(tmp_path / "taken.json.gz", [3])
