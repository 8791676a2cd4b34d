"""Manifests: the SHA-256, size and row count each data file must have.

A data folder's own ``manifest.json`` (the bundled sample has one; ``lantern sources
--write-manifest`` writes one for a folder of your own) lists its files. A folder without one is
checked against the England-wide manifest shipped with Lantern (``england_manifest.json``), the
releases the registry was built and tested on. A file whose row count or checksum differs from
its entry is refused, so a download cut off at a line boundary — which parses cleanly — is still
caught. A file no manifest lists is read with every other check and recorded as unverified.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lantern.errors import InputError

ENGLAND_MANIFEST = Path(__file__).resolve().parent / "england_manifest.json"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Entry:
    sha256: str
    rows: int | None = None
    bytes: int | None = None


@dataclass(frozen=True)
class Manifest:
    """File entries by path relative to the data folder, and where they came from."""

    entries: dict[str, Entry]
    origin: str

    def get(self, relative: str) -> Entry | None:
        return self.entries.get(relative)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Manifest:
        local = Path(data_dir) / MANIFEST_NAME
        if local.is_file():
            return _parse(local, origin=str(local))
        return england()


def _parse(path: Path, *, origin: str) -> Manifest:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"the manifest is not valid UTF-8 JSON ({exc})", file=path) from None
    if not isinstance(raw, dict):
        raise InputError("expected a JSON object of file entries", file=path)
    entries = {}
    for relative, item in raw.items():
        if not isinstance(item, dict) or not isinstance(item.get("sha256"), str):
            raise InputError(f"entry {relative!r} has no sha256", file=path)
        entries[relative] = Entry(item["sha256"], item.get("rows"), item.get("bytes"))
    return Manifest(entries, origin)


@lru_cache(maxsize=1)
def england() -> Manifest:
    return _parse(ENGLAND_MANIFEST, origin="Lantern's England-wide manifest")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def count_rows(path: Path, data: bytes | None = None) -> int:
    """Data rows of a CSV (lines after the header), records of a Parquet, features of a GeoJSON."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    data = path.read_bytes() if data is None else data
    if path.suffix in (".geojson", ".json"):
        return len(json.loads(data.decode("utf-8")).get("features", []))
    lines = data.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return max(len(lines) - 1, 0)


def entry_for(path: Path) -> Entry:
    data = Path(path).read_bytes()
    return Entry(sha256_bytes(data), count_rows(path, data), len(data))


def write_manifest(data_dir: Path, entries: dict[str, Entry]) -> Path:
    """Write ``<data_dir>/manifest.json`` (sorted, one entry per file)."""
    path = Path(data_dir) / MANIFEST_NAME
    body = {
        k: {"bytes": e.bytes, "rows": e.rows, "sha256": e.sha256}
        for k, e in sorted(entries.items())
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
