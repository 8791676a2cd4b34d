"""``Warehouse``: the project's DuckDB file, opened read-only (default) or read-write.

``indicator_frame`` gives one row per area and one column per indicator on the geography asked
for. Values stored on the other LSOA vintage are moved through the crosswalk according to their
``kind`` (counts split by population share, rates rebuilt from moved numerators and denominators,
scores population-weighted; ranks and deciles are refused). Values stored for LSOAs are aggregated
up the hierarchy the same way (counts summed, rates as Σ numerator / Σ denominator, scores
population-weighted). Nothing is ever split down to smaller areas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from lantern.errors import ConfigError, InputError, Problem
from lantern.geography.crosswalk import move
from lantern.warehouse.schema import TABLES

ENGLAND = "E92000001"  # benchmark rows (lantern.benchmarks) are stored for England
POPULATION = {2011: "pop2020.total", 2021: "census2021.usual_residents"}
RATE_SCALE = {"%": 100.0, "per 1,000": 1000.0, "per 100,000": 100000.0}


class Warehouse:
    """An open warehouse file. Use as a context manager, or call ``close``."""

    def __init__(self, path: str | Path, *, read_only: bool = True) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise InputError("warehouse not found; run `lantern ingest` first", file=self.path)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_config(cls, config: Any, *, read_only: bool = True) -> Warehouse:
        return cls(config.warehouse, read_only=read_only)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- plain reads -------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, list(params or [])).df()

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(f"unknown warehouse table {name!r}; tables: {', '.join(TABLES)}")
        return self.query(f"SELECT * FROM {name}")

    def meta(self, indicator_ids: Iterable[str] | None = None) -> pd.DataFrame:
        if indicator_ids is None:
            return self.query("SELECT * FROM indicator_meta ORDER BY indicator_id")
        ids = list(indicator_ids)
        return self.query(
            "SELECT * FROM indicator_meta WHERE list_contains(?, indicator_id) ORDER BY indicator_id",
            [ids],
        )

    def areas(self, *, area_type: str | None = None, vintage: int | None = None) -> pd.DataFrame:
        return self.query(
            "SELECT * FROM areas WHERE (? IS NULL OR area_type = ?) AND (? IS NULL OR vintage = ?) ORDER BY area_code",
            [area_type, area_type, vintage, vintage],
        )

    def crosswalk(self) -> pd.DataFrame:
        if "crosswalk" not in self._cache:
            self._cache["crosswalk"] = self.table("crosswalk")
        return self._cache["crosswalk"]

    def population(self, vintage: int) -> pd.Series | None:
        """LSOA populations for ``vintage`` (mid-2020 for 2011, Census 2021 for 2021), if loaded."""
        key = f"population{vintage}"
        if key not in self._cache:
            frame = self.query(
                "SELECT area_code, value FROM indicators WHERE indicator_id = ?",
                [POPULATION[vintage]],
            )
            self._cache[key] = (
                pd.Series(frame["value"].to_numpy(), index=frame["area_code"])
                if len(frame)
                else None
            )
        return self._cache[key]

    # ----- the frame the index is computed from -------------------------------------------------
    def indicator_frame(
        self,
        indicator_ids: Sequence[str],
        *,
        vintage: int,
        area_type: str = "lsoa",
        areas: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """One row per area (index ``area_code``) of ``area_type``/``vintage``, one column per indicator.

        ``areas`` limits the rows to these codes or to the areas inside them (e.g. a district code).
        """
        ids = list(dict.fromkeys(indicator_ids))
        meta = self.meta(ids).set_index("indicator_id")
        unknown = [i for i in ids if i not in meta.index]
        if unknown:
            raise ConfigError(
                "Indicators",
                [
                    Problem(f"unknown indicator {i!r}; `lantern sources --indicators` lists them")
                    for i in unknown
                ],
            )
        codes = self._target_codes(area_type, vintage, areas)
        rows = self.query(
            "SELECT indicator_id, area_code, value, numerator, denominator FROM indicators "
            "WHERE list_contains(?, indicator_id) AND area_code <> ?",
            [ids, ENGLAND],  # England's benchmark rows are not an area of the indicator's type
        )
        columns = {}
        for indicator_id, part in rows.groupby("indicator_id", sort=False):
            series = self._to_target(
                part.drop(columns="indicator_id"),
                meta.loc[indicator_id],
                indicator_id,
                vintage,
                area_type,
            )
            columns[indicator_id] = series
        frame = pd.DataFrame(index=pd.Index(codes, name="area_code"))
        for indicator_id in ids:
            series = columns.get(indicator_id)
            frame[indicator_id] = (
                np.nan if series is None else series.reindex(codes).to_numpy(dtype=float)
            )
        return frame

    def _target_codes(self, area_type: str, vintage: int, areas: Iterable[str] | None) -> list[str]:
        if areas is None:
            return list(self.areas(area_type=area_type, vintage=vintage)["area_code"])
        wanted = list(areas)
        return list(
            self.query(
                """SELECT DISTINCT area_code FROM areas WHERE area_type = ? AND vintage = ? AND (
                   list_contains(?, area_code) OR area_code IN (
                       SELECT child_code FROM area_links WHERE vintage = ? AND list_contains(?, parent_code)))
               ORDER BY area_code""",
                [area_type, vintage, wanted, vintage, wanted],
            )["area_code"]
        )

    def _to_target(
        self, rows: pd.DataFrame, meta: pd.Series, indicator_id: str, vintage: int, area_type: str
    ) -> pd.Series:
        src_type, src_vintage = meta["area_type"], int(meta["vintage"])
        if src_type == area_type and (src_vintage == vintage or area_type not in ("lsoa", "msoa")):
            return rows.set_index("area_code")["value"]
        if src_type == "lsoa":
            if src_vintage != vintage:
                rows = self._move(rows, meta, src_vintage, vintage)
            if area_type == "lsoa":
                return rows.set_index("area_code")["value"]
            return self._aggregate(rows, meta, indicator_id, "lsoa", vintage, area_type)
        if src_type == "msoa" and area_type not in ("lsoa", "msoa"):
            return self._aggregate(rows, meta, indicator_id, "msoa", src_vintage, area_type)
        raise InputError(
            f"{indicator_id} is published for {src_type} {src_vintage}; it cannot be given for {area_type} "
            f"{vintage} (values are never split down to smaller areas or moved between MSOA vintages)"
        )

    def _move(self, rows: pd.DataFrame, meta: pd.Series, source: int, target: int) -> pd.DataFrame:
        kind = meta["kind"]
        if kind == "rate" and rows["denominator"].isna().all():
            kind = "score"  # a published rate without its denominator: population-weighted
        direction = f"{source}->{target}"
        moved = move(
            rows[["area_code", "value", "numerator", "denominator"]],
            kind,
            self.crosswalk(),
            direction=direction,
            population=self.population(source) if kind == "score" else None,
        )
        if kind == "rate":
            moved["value"] = moved["value"] * RATE_SCALE.get(meta["unit"], 1.0)
        return moved[["area_code", "value", "numerator", "denominator"]]

    def _aggregate(
        self,
        rows: pd.DataFrame,
        meta: pd.Series,
        indicator_id: str,
        child_type: str,
        vintage: int,
        area_type: str,
    ) -> pd.Series:
        kind = meta["kind"]
        if kind in ("rank", "decile"):
            raise InputError(
                f"{indicator_id} is a {kind}: it cannot be aggregated to {area_type}; aggregate the "
                f"score and rank it again"
            )
        links = self.query(
            "SELECT child_code, parent_code FROM area_links WHERE child_type = ? AND parent_type = ? "
            "AND vintage = ?",
            [child_type, area_type, vintage],
        )
        joined = rows.merge(links, left_on="area_code", right_on="child_code")
        group = joined.groupby("parent_code")
        if kind == "count":
            return group["value"].sum(min_count=1)
        if kind == "rate" and joined["denominator"].notna().any():
            num, den = group["numerator"].sum(min_count=1), group["denominator"].sum(min_count=1)
            return num / den.where(den > 0) * RATE_SCALE.get(meta["unit"], 1.0)
        pop = self.population(vintage) if child_type == "lsoa" else None
        weight = (
            joined["area_code"].map(pop).astype(float)
            if pop is not None
            else pd.Series(1.0, index=joined.index)
        )
        weight = weight.where(joined["value"].notna(), 0.0).fillna(0.0)
        total = weight.groupby(joined["parent_code"]).sum()
        weighted = (joined["value"].fillna(0.0) * weight).groupby(joined["parent_code"]).sum()
        return weighted / total.where(total > 0)
