"""Writing indicator values in their dictionary-encoded form (mixed into ``Warehouse``).

``indicator_values`` holds one row per value with two small integer keys: ``series_id`` (an
indicator, period and vintage in ``indicator_series``) and ``area_key`` (an area code in
``indicator_areas``). Readers see the long form through the ``indicators`` view. Keys are
given out densely from 0 and never reused, so a key is also its position in the code list the
writer keeps in memory. A warehouse written before this form existed (``indicators`` a table)
is written the old way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lantern.errors import WarehouseError
from lantern.warehouse.schema import columns

VALUE_COLUMNS = ["value", "numerator", "denominator"]


class ValuesMixin:
    """``insert_indicators``, ``insert_indicator_matrix`` and ``delete_indicator``."""

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

    def _keyed(self) -> bool:
        return self.has("indicator_values")

    def _area_keys(self, codes: np.ndarray) -> np.ndarray:
        """The ``area_key`` of each code, giving new codes the next free keys."""
        index = self._cache.get("_area_index")
        if index is None:
            held = self.query(
                "SELECT area_code FROM indicator_areas ORDER BY area_key", table="indicator_areas"
            )
            index = pd.Index(held["area_code"].astype(object))
        codes = np.asarray(codes, dtype=object)
        found = index.get_indexer(codes)
        if (found < 0).any():
            new = pd.unique(codes[found < 0])
            start = len(index)
            self._append(
                "indicator_areas",
                pd.DataFrame(
                    {
                        "area_key": np.arange(start, start + len(new), dtype=np.int32),
                        "area_code": new,
                    }
                ),
            )
            index = index.append(pd.Index(new))
            found = index.get_indexer(codes)
        self._cache["_area_index"] = index
        return found.astype(np.int32)

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
        keys = pd.DataFrame(
            {
                "indicator_id": frame["indicator_id"].astype(str).to_numpy(),
                "period": frame["period"].astype(str).to_numpy(),
                "vintage": pd.to_numeric(frame["vintage"]).astype(int).to_numpy(),
            }
        )
        codes, triples = pd.factorize(pd.MultiIndex.from_frame(keys))
        ids = np.asarray(self._series_keys([(str(i), str(p), int(v)) for i, p, v in triples]))
        out = pd.DataFrame(
            {
                "series_id": ids[codes].astype(np.int32),
                "area_key": self._area_keys(frame["area_code"].astype(str).to_numpy()),
            }
        )
        for column in VALUE_COLUMNS:
            out[column] = (
                pd.to_numeric(frame[column]).astype(float).to_numpy() if column in frame else np.nan
            )
        self._append("indicator_values", out)

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
        frame = pd.DataFrame(
            {
                "series_id": np.repeat(np.asarray(series, dtype=np.int32), n),
                "area_key": np.tile(self._area_keys(codes), k),
                "value": values.reshape(-1, order="F"),
                "numerator": numerators.reshape(-1, order="F"),
                "denominator": denominators.reshape(-1, order="F"),
            }
        )
        self._append("indicator_values", frame)

    def delete_indicator(self, indicator_id: str, period: str | None = None) -> None:
        """Remove an indicator's values (of one period, or all of them)."""
        self._check_writable()
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
        with self.guard(table):
            self.con.execute(sql, params)
