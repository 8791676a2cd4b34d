"""Decode a published PMTiles archive (test helper)."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import mapbox_vector_tile
from pmtiles.reader import MmapSource, Reader, all_tiles


def header(path: Path) -> dict:
    with path.open("rb") as fh:
        return Reader(MmapSource(fh)).header()


def codes_per_tile(path: Path, zoom: int) -> list[Counter]:
    """For every tile at ``zoom``: how many features each area code has in it."""
    out = []
    with path.open("rb") as fh:
        for (z, _x, _y), data in all_tiles(MmapSource(fh)):
            if z != zoom:
                continue
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            layer = mapbox_vector_tile.decode(data)["areas"]
            out.append(Counter(f["properties"]["code"] for f in layer["features"]))
    return out


def index_pairs(path: Path, zoom: int) -> set[tuple[int, str]]:
    pairs = set()
    with path.open("rb") as fh:
        for (z, _x, _y), data in all_tiles(MmapSource(fh)):
            if z != zoom:
                continue
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            for f in mapbox_vector_tile.decode(data)["areas"]["features"]:
                pairs.add((f["properties"]["i"], f["properties"]["code"]))
    return pairs
