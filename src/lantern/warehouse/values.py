"""Writing indicator values in their dictionary-encoded form (mixed into ``Warehouse``).

``indicator_values`` holds one row per value with two small integer keys: ``series_id`` (an
indicator, period and vintage in ``indicator_series``) and ``area_key`` (an area code in
``indicator_areas``). Readers see the long form through the ``indicators`` view. Keys are
given out densely from 0 and never reused, so a key is also its position in the code list the
writer keeps in memory. A warehouse written before this form existed (``indicators`` a table)
is written the old way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from lantern.errors import WarehouseError
from lantern.warehouse.schema import columns

VALUE_COLUMNS = ["value", "numerator", "denominator"]
# Values held back and appended together inside ``batched_values`` (about 32 MB): measured on
# England, a few statements of a million rows or more leave DuckDB whole row groups, where one
# statement per source left partly filled ones for the final checkpoint to rewrite.
VALUES_BATCH = 1 << 20
KEY_CACHES = ("_area_index", "_area_last", "_series")  # names start with "_": kept across writes


class ValuesMixin:
    """``insert_indicators``, ``insert_indicator_matrix`` and ``delete_indicator``."""

    _batch: list[pa.Table] | None = None  # values held back by ``batched_values``

    if TYPE_CHECKING:  # provided by Warehouse, which this class is mixed into
        from pathlib import Path

        path: Path
        con: Any
        _cache: dict[str, Any]

        def guard(self, table: str) -> Any: ...
        def has(self, table: str) -> bool: ...
        def query(
            self, sql: str, params: Sequence[Any] | None = None, *, table: str | None = None
        ) -> pd.DataFrame: ...
        def _check_writable(self) -> None: ...
        def _append(self, table: str, frame: pd.DataFrame) -> None: ...
        def _forget_reads(self) -> None: ...

    @contextmanager
    def batched_values(self) -> Iterator[None]:
        """Hold appended indicator values back and write them in statements of at least
        ``VALUES_BATCH`` rows, the rest on leaving the block. A read (``query``), a statement
        (``execute``), a transaction or a deletion writes them first, so nothing reads around
        them. Values held when the block fails (or a transaction inside it rolls back) are
        dropped with it."""
        self._batch = []
        try:
            yield
        except BaseException:
            self._batch = None
            raise
        self.flush_values()
        self._batch = None

    def flush_values(self) -> None:
        """Write the values ``batched_values`` holds back (in the order they came), if any."""
        held = self._batch
        if not held:
            return
        self._batch = []
        self._insert_arrow(pa.concat_tables(held))

    def _keyed(self) -> bool:
        return self.has("indicator_values")

    def _forget_keys(self) -> None:
        """Drop the key lists kept in memory (after a rollback or a statement that may change
        them); the next write reads them again."""
        for name in KEY_CACHES:
            self._cache.pop(name, None)

    def _area_keys(self, codes: np.ndarray) -> np.ndarray:
        """The ``area_key`` of each code, giving new codes the next free keys."""
        held = self._cache.get("_area_index")
        if held is None:
            frame = self.query(
                "SELECT area_key, area_code FROM indicator_areas ORDER BY area_key",
                table="indicator_areas",
            )
            held = (
                pd.Index(frame["area_code"].astype(object)),
                frame["area_key"].to_numpy(dtype=np.int32),
            )
        index, keys = held
        codes = np.asarray(codes, dtype=object)
        last = self._cache.get("_area_last")
        if last is not None and len(last[0]) == len(codes) and np.array_equal(last[0], codes):
            return last[1]  # the loaders give most sources' areas in the same order
        found = index.get_indexer(codes)
        if (found < 0).any():
            new = pd.unique(codes[found < 0])
            start = int(keys.max()) + 1 if len(keys) else 0
            added = np.arange(start, start + len(new), dtype=np.int32)
            self._append("indicator_areas", pd.DataFrame({"area_key": added, "area_code": new}))
            index, keys = index.append(pd.Index(new)), np.concatenate([keys, added])
            found = index.get_indexer(codes)
        self._cache["_area_index"] = (index, keys)
        out = keys[found]
        self._cache["_area_last"] = (codes, out)
        return out

    def _series_keys(self, triples: Sequence[tuple[str, str, int]]) -> list[int]:
        """The ``series_id`` of each (indicator, period, vintage), adding new series."""
        series = self._cache.get("_series")
        if series is None:
            held = self.query(
                "SELECT series_id, indicator_id, period, vintage FROM indicator_series",
                table="indicator_series",
            )
            series = {
                (str(i), str(p), int(v)): int(s)
                for s, i, p, v in held.itertuples(index=False, name=None)
            }
        new = [t for t in dict.fromkeys(triples) if t not in series]
        if new:
            start = max(series.values(), default=-1) + 1
            rows = pd.DataFrame(new, columns=["indicator_id", "period", "vintage"])
            rows.insert(0, "series_id", np.arange(start, start + len(new), dtype=np.int32))
            self._append("indicator_series", rows)
            series.update({t: start + i for i, t in enumerate(new)})
        self._cache["_series"] = series
        return [series[t] for t in triples]

    def insert_indicators(self, frame: pd.DataFrame) -> None:
        """Append long rows (the ``indicators`` columns) to the warehouse."""
        self._check_writable()
        missing = [c for c in ("area_code", "vintage", "indicator_id", "period") if c not in frame]
        unknown = [c for c in frame.columns if c not in columns("indicators")]
        if missing or unknown:
            raise WarehouseError(
                f"{self.path}, table 'indicators': "
                + (f"missing column(s) {missing}" if missing else f"no column(s) {unknown}")
            )
        if not self._keyed():
            self._append("indicators", frame)
            return
        if frame.empty:
            return
        # factorize each key column once: every string is hashed once, not once per row
        ind, ind_values = _factorize(frame["indicator_id"], str)
        per, per_values = _factorize(frame["period"], str)
        vin, vin_values = _factorize(pd.to_numeric(frame["vintage"]), int)
        combined = (ind.astype(np.int64) * len(per_values) + per) * len(vin_values) + vin
        which, present = pd.factorize(combined)
        triples = [
            (
                ind_values[c // (len(per_values) * len(vin_values))],
                per_values[(c // len(vin_values)) % len(per_values)],
                vin_values[c % len(vin_values)],
            )
            for c in present
        ]
        series = np.asarray(self._series_keys(triples), dtype=np.int32)[which]
        area, area_values = _factorize(frame["area_code"], str)
        area_keys = self._area_keys(np.asarray(area_values, dtype=object))[area]
        nothing = np.full(len(frame), np.nan)
        self._append_values(
            series,
            area_keys,
            *(
                pd.to_numeric(frame[c]).astype(float).to_numpy() if c in frame else nothing
                for c in VALUE_COLUMNS
            ),
        )

    def insert_indicator_matrix(
        self,
        codes: np.ndarray,
        ids: Sequence[str],
        *,
        vintage: int,
        period: str,
        values: np.ndarray,
        numerators: np.ndarray,
        denominators: np.ndarray,
    ) -> None:
        """Append an areas × indicators matrix of values (with numerators and denominators)."""
        self._check_writable()
        n, k = len(codes), len(ids)
        if not self._keyed():
            self._append(
                "indicators",
                pd.DataFrame(
                    {
                        "area_code": np.tile(np.asarray(codes, dtype=object), k),
                        "vintage": int(vintage),
                        "indicator_id": np.repeat(np.asarray(ids, dtype=object), n),
                        "period": str(period),
                        "value": values.reshape(-1, order="F"),
                        "numerator": numerators.reshape(-1, order="F"),
                        "denominator": denominators.reshape(-1, order="F"),
                    }
                ),
            )
            return
        series = self._series_keys([(str(i), str(period), int(vintage)) for i in ids])
        self._append_values(
            np.repeat(np.asarray(series, dtype=np.int32), n),
            np.tile(self._area_keys(codes), k),
            *(m.reshape(-1, order="F") for m in (values, numerators, denominators)),
        )

    def _append_values(self, series: np.ndarray, areas: np.ndarray, *measures: np.ndarray) -> None:
        """Append keyed rows, handed to DuckDB as an Arrow table (NaN stored as NULL): measured,
        this costs about half of the same rows from a pandas frame, the final checkpoint included."""
        arrays = [pa.array(series, pa.int32()), pa.array(areas, pa.int32())]
        arrays += [
            pa.array(np.asarray(m, dtype=float), pa.float64(), from_pandas=True) for m in measures
        ]
        table = pa.Table.from_arrays(arrays, names=["series_id", "area_key", *VALUE_COLUMNS])
        held = self._batch
        if held is None:
            self._insert_arrow(table)
            return
        held.append(table)
        if sum(t.num_rows for t in held) >= VALUES_BATCH:
            self.flush_values()

    def _insert_arrow(self, table: pa.Table) -> None:
        rel = f"_values_{uuid.uuid4().hex[:8]}"
        self._forget_reads()
        with self.guard("indicator_values"):
            self.con.register(rel, table)
            try:
                self.con.execute(f"INSERT INTO indicator_values SELECT * FROM {rel}")
            finally:
                self.con.unregister(rel)

    def delete_indicator(self, indicator_id: str, period: str | None = None) -> None:
        """Remove an indicator's values (of one period, or all of them)."""
        self._check_writable()
        self.flush_values()
        table = "indicator_values" if self._keyed() else "indicators"
        where = "indicator_id = ? AND (? IS NULL OR period = ?)"
        params = [indicator_id, period, period]
        if table == "indicators":
            sql = f"DELETE FROM indicators WHERE {where}"
        else:
            sql = (
                "DELETE FROM indicator_values WHERE series_id IN "
                f"(SELECT series_id FROM indicator_series WHERE {where})"
            )
        self._forget_reads()
        with self.guard(table):
            self.con.execute(sql, params)


def _factorize(column: pd.Series, kind: type) -> tuple[np.ndarray, list[Any]]:
    """Codes of ``column`` and its distinct values as ``kind`` (``str`` or ``int``)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    return codes, [kind(u) for u in uniques]
