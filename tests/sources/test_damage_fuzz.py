"""Random damage to any file the registry reads: a one-line error naming it, never a crash.

The bad-input classes (``bad_inputs.CLASSES``) are the damage we know of; this property asks the
same of damage nobody listed — a byte flipped, bytes cut out or inserted (a stray comma, a bare
carriage return, a NUL, ``inf``, another area's code), a row repeated, dropped or swapped, the
file cut anywhere. `lantern sources --check` must either accept the file (the damage changed
nothing the checks or the manifest can see) or stop with an ``InputError`` whose one line names
the damaged file; anything else (a ``TypeError``, a parser's multi-line message) is a bug.
Found this way: a row with extra fields once reached pandas' index inference and crashed.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.config import ESSEX_AREA_CODES, load_config
from lantern.errors import InputError
from lantern.paths import BUNDLED_ESSEX
from lantern.pipeline.check import check_data
from lantern.pipeline.ingest import geography
from lantern.sources.manifest import Manifest

from .bad_inputs import PARQUET, _replace, registry_files
from .test_bad_inputs import project

FILES = sorted(registry_files(BUNDLED_ESSEX))
TOKENS = [
    b"",
    b",",
    b"\r",
    b"\n",
    b'"',
    b"\x00",
    b"-1",
    b"inf",
    b"1e400",
    b"NaN",
    b"..",
    b"E01999999",
    b"E02000001",
    b"W01000001",
    b"\xe9",
    b"\xef\xbb\xbf",
    b"{",
    b"]",
]


@pytest.fixture(scope="module")
def essex_context():
    return geography(BUNDLED_ESSEX, list(ESSEX_AREA_CODES))


def damage(data: bytes, kind: str, where: float, token: bytes, length: int) -> bytes:
    at = min(int(where * len(data)), len(data) - 1)
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :]
    if kind == "cut_out":
        return data[:at] + data[at + length :]
    if kind == "insert":
        return data[:at] + token + data[at:]
    if kind == "truncate":
        return data[: max(at, 1)]
    lines = data.split(b"\n")
    if len(lines) < 4:  # one line (GeoJSON, Parquet): rows are not lines
        return data[: max(at, 1)]
    i = min(int(where * (len(lines) - 1)) + 1, len(lines) - 1)
    if kind == "repeat_row":
        lines.insert(i, lines[i])
    elif kind == "drop_row":
        del lines[i]
    else:  # swap_rows
        j = (i + length) % (len(lines) - 1) + 1
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    relative=st.sampled_from(FILES),
    kind=st.sampled_from(
        ["flip", "cut_out", "insert", "truncate", "repeat_row", "drop_row", "swap_rows"]
    ),
    where=st.floats(0, 1),
    token=st.sampled_from(TOKENS),
    length=st.integers(1, 300),
)
def test_any_damage_is_refused_in_one_line_naming_the_file(
    essex_context, relative, kind, where, token, length
):
    with tempfile.TemporaryDirectory() as folder:
        config_path, data = project(Path(folder), parquet=relative == PARQUET)
        path = data / relative
        before = path.read_bytes()
        after = damage(before, kind, where, token, length)
        _replace(path, after)
        context = None
        if not relative.startswith("lookups/"):
            areas, _, pristine = essex_context
            ctx = replace(pristine, data_dir=data, tables={}, manifest=Manifest.for_data_dir(data))
            context = (areas, ctx)
        try:
            check_data(load_config(config_path), [relative], context=context)
        except InputError as error:
            text = str(error)
            assert "\n" not in text.strip(), text
            # the damaged file is named (lookups that disagree name each other)
            assert str(path) in text or relative in text, text
            return
        # accepted: only if the bytes are unchanged in what the checks and manifest can see
        assert after == before or after.replace(b"\r", b"") == before.replace(b"\r", b""), (
            kind,
            where,
            token,
        )
