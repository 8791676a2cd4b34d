"""Named reads and writes of the index results (``index_*`` tables) and added indicators.

A warehouse that has not been built (`lantern build`) has no ``index_*`` tables: the reads then
return empty frames with the table's columns. Any other database error is a ``WarehouseError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lantern.errors import WarehouseError
from lantern.warehouse.schema import INDEX_TABLES, columns


class ResultsMixin:
    """Index results and linked-cohort indicators (mixed into ``Warehouse``)."""

    if TYPE_CHECKING:  # provided by Warehouse, which this class is mixed into
        path: Path

        def query(
            self, sql: str, params: Sequence[Any] | None = None, *, table: str | None = None
        ) -> pd.DataFrame: ...
        def has(self, table: str) -> bool: ...
        def _codes(self, codes: Iterable[str] | None) -> AbstractContextManager[str]: ...
        def insert(self, table: str, frame: pd.DataFrame) -> None: ...
        def execute(self, table: str, sql: str, params: Sequence[Any] | None = None) -> None: ...
        def transaction(self, table: str) -> AbstractContextManager[None]: ...
        def ensure_table(self, table: str) -> None: ...
        def delete_indicator(self, indicator_id: str, period: str | None = None) -> None: ...

    def _results(
        self,
        table: str,
        where: Mapping[str, Any],
        *,
        order: str | None = None,
        codes: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        if not self.has(table):
            return pd.DataFrame(columns=columns(table))
        conditions = [f'"{k}" = ?' for k, v in where.items() if v is not None]
        params = [v for v in where.values() if v is not None]
        sql = f"SELECT * FROM {table}"
        with self._codes(codes) as rel:
            if codes is not None:
                conditions.append(f"area_code IN (SELECT area_code FROM {rel})")
            if conditions:
                sql += " WHERE " + " AND ".join(conditions)
            frame = self.query(sql, params, table=table)
        if order and order.split()[0] in frame.columns:
            key = order.split()[0]
            frame = frame.sort_values(key, ascending=not order.endswith("DESC"), kind="stable")
        return frame.reset_index(drop=True)

    def index_runs(self, index_id: str | None = None) -> pd.DataFrame:
        """Built indexes, newest first."""
        return self._results("index_runs", {"index_id": index_id}, order="built_at DESC")

    def index_components(self, index_id: str | None = None) -> pd.DataFrame:
        return self._results("index_components", {"index_id": index_id}, order="position")

    def index_scores(
        self,
        index_id: str | None = None,
        *,
        reference: str | None = None,
        component: str | None = None,
        codes: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        return self._results(
            "index_scores",
            {"index_id": index_id, "reference": reference, "component": component},
            codes=codes,
        )

    def index_weights(self, index_id: str | None = None) -> pd.DataFrame:
        return self._results("index_weights", {"index_id": index_id})

    def index_indicator_values(
        self, index_id: str | None = None, *, codes: Iterable[str] | None = None
    ) -> pd.DataFrame:
        return self._results("index_indicator_values", {"index_id": index_id}, codes=codes)

    def index_contributions(
        self, index_id: str | None = None, *, codes: Iterable[str] | None = None
    ) -> pd.DataFrame:
        return self._results("index_contributions", {"index_id": index_id}, codes=codes)

    def index_summaries(
        self, index_id: str | None = None, *, measure: str | None = None
    ) -> pd.DataFrame:
        return self._results("index_summaries", {"index_id": index_id, "measure": measure})

    def index_validation(self, index_id: str | None = None) -> pd.DataFrame:
        return self._results("index_validation", {"index_id": index_id})

    # ----- writes ------------------------------------------------------------------------------
    def replace_index_results(self, index_id: str, tables: Mapping[str, pd.DataFrame]) -> None:
        """Replace this index's rows in each given ``index_*`` table, in one transaction."""
        for name in tables:
            if name not in INDEX_TABLES:
                raise WarehouseError(f"{self.path}: {name!r} is not an index results table")
            self.ensure_table(name)
        with self.transaction("index_runs"):
            for name, frame in tables.items():
                self.execute(name, f"DELETE FROM {name} WHERE index_id = ?", [index_id])
                self.insert(name, frame)

    def replace_validation(self, index_id: str, outcome_id: str, frame: pd.DataFrame) -> None:
        """Replace one index's validation against one outcome."""
        self.ensure_table("index_validation")
        with self.transaction("index_validation"):
            self.execute(
                "index_validation",
                "DELETE FROM index_validation WHERE index_id = ? AND outcome_id = ?",
                [index_id, outcome_id],
            )
            self.insert("index_validation", frame)

    def replace_indicator(self, meta: Mapping[str, Any], period: str, rows: pd.DataFrame) -> None:
        """Replace one indicator's values for ``period`` and its description, in one transaction.

        ``meta`` holds the ``indicator_meta`` columns by name; ``rows`` holds ``area_code``,
        ``value`` and optionally ``numerator`` and ``denominator``.
        """
        missing = [c for c in columns("indicator_meta") if c not in meta]
        if missing:
            raise WarehouseError(f"{self.path}, table 'indicator_meta': missing {missing}")
        indicator_id = str(meta["indicator_id"])
        frame = pd.DataFrame(
            {
                "area_code": rows["area_code"].astype(str).to_numpy(),
                "vintage": int(meta["vintage"]),
                "indicator_id": indicator_id,
                "period": str(period),
                "value": pd.to_numeric(rows["value"]).astype(float).to_numpy(),
                "numerator": pd.to_numeric(
                    rows.get("numerator", pd.Series(None, index=rows.index, dtype=float))
                )
                .astype(float)
                .to_numpy(),
                "denominator": pd.to_numeric(
                    rows.get("denominator", pd.Series(None, index=rows.index, dtype=float))
                )
                .astype(float)
                .to_numpy(),
            }
        )
        described = pd.DataFrame([{c: meta[c] for c in columns("indicator_meta")}])
        with self.transaction("indicators"):
            self.delete_indicator(indicator_id, str(period))
            self.insert("indicators", frame)
            self.execute(
                "indicator_meta",
                "DELETE FROM indicator_meta WHERE indicator_id = ?",
                [indicator_id],
            )
            self.insert("indicator_meta", described)
            if self.has("indicator_periods"):
                self.execute(
                    "indicator_periods",
                    "DELETE FROM indicator_periods WHERE indicator_id = ? AND period = ?",
                    [indicator_id, str(period)],
                )
                position = self.query(
                    "SELECT coalesce(max(position), 0) + 1 AS p FROM indicator_periods "
                    "WHERE indicator_id = ?",
                    [indicator_id],
                )["p"][0]
                self.insert(
                    "indicator_periods",
                    pd.DataFrame(
                        [
                            {
                                "indicator_id": indicator_id,
                                "period": str(period),
                                "position": int(position),
                                "source_id": str(meta["source_id"]),
                                "areas": int(frame["value"].notna().sum()),
                            }
                        ]
                    ),
                )
