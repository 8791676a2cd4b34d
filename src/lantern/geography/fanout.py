"""A many-to-many lookup (LSOA 2011 → 2021, LSOA → district, …) held as integer positions, so
the same rows can be joined to it and grouped by its targets many times without hashing or
sorting area-code strings each time.

``Fanout.expand`` gives what ``values.merge(pairs, on=code, how="inner")`` gives (each value row
once per pair of its code, rows in the values' order and, within one, in the pairs' order), and
``Fanout.groups`` numbers the groups of (target, keys…) in the order ``groupby(sort=True)`` would,
so sums taken group by group see the same numbers in the same order as the pandas path and agree
with it to the last bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Fanout:
    sources: pd.Index  # unique source codes
    starts: np.ndarray  # per source position: first slot in ``order``
    counts: np.ndarray  # per source position: how many pairs it has
    order: np.ndarray  # pair rows grouped by source, in their original order within a source
    target: np.ndarray  # per pair row: position of its target in ``targets``
    weight: np.ndarray  # per pair row: its weight (1.0 when the lookup has none)
    targets: np.ndarray  # unique target codes, sorted

    @classmethod
    def build(cls, source: pd.Series, target: pd.Series, weight: pd.Series | None = None) -> Fanout:
        src_codes, sources = pd.factorize(source.to_numpy(dtype=object))
        tgt_codes, targets = pd.factorize(target.to_numpy(dtype=object), sort=True)
        order = np.argsort(src_codes, kind="stable")
        counts = np.bincount(src_codes, minlength=len(sources))
        starts = np.cumsum(counts) - counts
        weights = (
            np.ones(len(source)) if weight is None else weight.to_numpy(dtype=float, copy=True)
        )
        return cls(
            sources=pd.Index(sources),
            starts=starts,
            counts=counts,
            order=order,
            target=tgt_codes,
            weight=weights,
            targets=np.asarray(targets, dtype=object),
        )

    def positions(self, codes: pd.Series | np.ndarray) -> np.ndarray:
        """Each code's source position, -1 for a code the lookup does not have."""
        return self.sources.get_indexer(pd.Index(np.asarray(codes, dtype=object)))

    def expand(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For source positions (all known): the value row and the pair row of each joined row."""
        count = self.counts[positions]
        left = np.repeat(np.arange(len(positions)), count)
        first = np.cumsum(count) - count
        offset = np.arange(len(left)) - np.repeat(first, count)
        pair = self.order[np.repeat(self.starts[positions], count) + offset]
        return left, pair

    def groups(
        self, target: np.ndarray, keys: Sequence[pd.Series | np.ndarray] = ()
    ) -> tuple[np.ndarray, pd.DataFrame]:
        """Group number of each joined row by (target, keys…), sorted as ``groupby(sort=True,
        dropna=False)`` sorts them, and one row per group: ``area_code`` and the key values."""
        combined = target.astype(np.int64)
        labels = []
        for key in keys:
            codes, uniques = pd.factorize(key, sort=True, use_na_sentinel=False)
            combined = combined * max(len(uniques), 1) + codes
            labels.append((codes, uniques))
        group, first_rows = _first_of_groups(combined)
        out: dict[str | int, object] = {"area_code": self.targets[target[first_rows]]}
        for n, (codes, uniques) in enumerate(labels):
            out[n] = pd.Index(uniques).take(codes[first_rows])
        return group, pd.DataFrame(out)


def _first_of_groups(combined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniques, first, group = np.unique(combined, return_index=True, return_inverse=True)
    return group.reshape(-1), first


def group_sum(x: np.ndarray, group: np.ndarray, *, min_count: int = 0) -> np.ndarray:
    """``Series(x).groupby(group).sum(min_count=…)`` for groups numbered 0…n-1 (pandas' own
    compensated summation, so the sums are the pandas path's to the bit)."""
    if not len(x):
        return np.array([], dtype=float)
    return pd.Series(x).groupby(group, sort=True).sum(min_count=min_count).to_numpy(dtype=float)


def group_any(mask: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    return np.bincount(group, weights=mask.astype(float), minlength=groups) > 0
