"""What loaders need to know about the project: the data root and which areas are wanted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.sources.manifest import Manifest


def members(values: pd.Series, index: pd.Index) -> np.ndarray:
    """``values.isin(index)`` as a boolean array. Codes read as categories are looked up once per
    distinct code in ``index``'s own hash table, which it keeps: a run checks every file against
    the same few indexes (the wanted areas, every known code), so each is hashed once, not once
    per file."""
    if isinstance(values.dtype, pd.CategoricalDtype) and index.is_unique and not index.hasnans:
        codes = values.cat.codes.to_numpy()
        if not len(values.cat.categories):
            return np.zeros(len(codes), dtype=bool)
        found = index.get_indexer(values.cat.categories) >= 0
        return np.where(codes >= 0, found[np.maximum(codes, 0)], False)
    return np.asarray(values.isin(index), dtype=bool)


def covers(index: pd.Index, values: pd.Series) -> bool:
    """True when every code of ``index`` is among ``values`` (a quick yes; False: look closer)."""
    if not isinstance(values.dtype, pd.CategoricalDtype) or not index.is_unique or index.hasnans:
        return False
    codes = values.cat.codes.to_numpy()
    categories = values.cat.categories
    observed = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
    found = index.get_indexer(categories) if len(categories) else np.zeros(0, dtype=np.intp)
    seen = np.zeros(len(index), dtype=bool)
    seen[found[observed & (found >= 0)]] = True
    return bool(seen.all())


# The lookup column holding each (area type, vintage) in the per-LSOA chains.
CHAIN_COLUMNS = {
    ("lsoa", 2011): "lsoa11_code",
    ("msoa", 2011): "msoa11_code",
    ("district", 2011): "ltla21_code",
    ("lsoa", 2021): "lsoa21_code",
    ("msoa", 2021): "msoa21_code",
    ("ward", 2021): "ward24_code",
    ("district", 2021): "ltla24_code",
}


@dataclass
class LoadContext:
    """The data root, every known area code per (area type, vintage), and the wanted subset.

    ``known`` comes from the full ONS lookups (used to spot codes of the wrong vintage);
    ``universe`` holds every code of a type in any lookup column (a code outside it is unknown);
    ``wanted`` is the area of interest (rows for other areas are validated, then dropped);
    ``chains`` are the full per-LSOA lookups, for deciding which areas lie inside which.
    A missing ``wanted`` entry means keep every row. ``manifest`` lists the files' checksums.
    """

    data_dir: Path
    known: dict[tuple[str, int], pd.Index] = field(default_factory=dict)
    wanted: dict[tuple[str, int], pd.Index] = field(default_factory=dict)
    universe: dict[str, pd.Index] = field(default_factory=dict)
    chains: dict[int, pd.DataFrame] = field(default_factory=dict)
    manifest: Manifest | None = None
    tables: dict[object, object] = field(default_factory=dict)  # files read once per run

    def other_vintage_codes(self, area_type: str, vintage: int) -> pd.Index | None:
        """Codes that exist only in the other vintage of ``area_type`` (a wrong-vintage signal)."""
        this = self.known.get((area_type, vintage))
        other = self.known.get((area_type, 2021 if vintage == 2011 else 2011))
        if this is None or other is None:
            return None
        key = ("other vintage", area_type, vintage)
        cached = self.tables.get(key)
        if isinstance(cached, tuple) and cached[0] is this and cached[1] is other:
            return cached[2]
        codes = other.difference(this)
        self.tables[key] = (this, other, codes)  # computed once per run, not once per file
        return codes

    def keep(self, codes: pd.Series, area_type: str, vintage: int | None) -> pd.Series:
        """Boolean mask of rows whose code is in the area of interest."""
        wanted = self.wanted.get((area_type, vintage or 0))
        if wanted is None:
            return pd.Series(True, index=codes.index)
        return pd.Series(members(codes, wanted), index=codes.index)

    def inside(self, parents: Iterable[str], area_type: str, vintage: int) -> pd.Index | None:
        """Codes of ``area_type``/``vintage`` lying inside any of ``parents`` (None: unknown)."""
        chain = self.chains.get(vintage)
        column = CHAIN_COLUMNS.get((area_type, vintage))
        if chain is None or column is None or column not in chain:
            return None
        wanted = set(parents)
        mask = pd.Series(False, index=chain.index)
        for name in chain.columns:
            if name.endswith("_code"):
                mask |= chain[name].isin(wanted)
        return pd.Index(chain.loc[mask, column].dropna().unique())
