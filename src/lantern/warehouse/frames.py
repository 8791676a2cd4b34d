"""``indicator_frame``: indicators as one row per area and one column each, on any geography.

Values stored on the other LSOA vintage are moved through the crosswalk according to their
``kind`` (counts split by population share, rates rebuilt from moved numerators and denominators,
scores population-weighted; ranks and deciles are refused). Values stored for LSOAs are aggregated
up the hierarchy the same way (counts summed, rates as Σ numerator / Σ denominator, scores
population-weighted). Nothing is ever split down to smaller areas.

An indicator may hold several periods (QOF 2018/19 … 2021/22, mid-2019 and mid-2020
populations). ``period`` picks one: a period for every indicator, a mapping of indicator id to
period, or ``None`` for each indicator's latest period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lantern.errors import ConfigError, InputError, Problem
from lantern.geography.crosswalk import crosswalk_fanout, move
from lantern.geography.fanout import Fanout, group_sum

# The LSOA population each vintage weights scores by: (indicator id, period).
ENGLAND = "E92000001"  # benchmark rows (lantern.benchmarks) are stored for England
POPULATION = {2011: ("pop.total", "2020-06-30"), 2021: ("census2021.usual_residents", None)}
RATE_SCALE = {"%": 100.0, "per 1,000": 1000.0, "per 100,000": 100000.0}
# Indicator ids that became periods of one indicator: old id prefix → (new prefix, period).
RENAMED = {
    "qof1920.": ("qof.", "2019/20"),
    "pop2020.": ("pop.", "2020-06-30"),
}

Periods = str | Mapping[str, str] | None


def renamed_hint(indicator_id: str) -> str:
    for old, (new, period) in RENAMED.items():
        if indicator_id.startswith(old):
            return f"; it is now {new}{indicator_id[len(old) :]!s} with period = {period!r}"
    return ""


class FramesMixin:
    """The index's view of the warehouse (mixed into ``Warehouse``)."""

    if TYPE_CHECKING:  # provided by Warehouse, which this class is mixed into
        _cache: dict[str, Any]

        def query(
            self, sql: str, params: Sequence[Any] | None = None, *, table: str | None = None
        ) -> pd.DataFrame: ...
        def has(self, table: str) -> bool: ...
        def area_codes(
            self, area_type: str, vintage: int, within: Iterable[str] | None = None
        ) -> list[str]: ...
        def area_links(
            self,
            *,
            child_type: str | None = None,
            parent_type: str | None = None,
            vintage: int | None = None,
            children: Iterable[str] | None = None,
        ) -> pd.DataFrame: ...
        def crosswalk(self) -> pd.DataFrame: ...
        def meta(self, indicator_ids: Iterable[str] | None = None) -> pd.DataFrame: ...

    def periods(self, indicator_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """``indicator_id, period, position, areas`` for every period held, oldest first."""
        ids = None if indicator_ids is None else list(indicator_ids)
        if self.has("indicator_periods"):
            sql = "SELECT indicator_id, period, position, areas FROM indicator_periods"
            frame = self.query(
                sql + ("" if ids is None else " WHERE list_contains(?, indicator_id)"),
                [] if ids is None else [ids],
            )
        else:
            frame = self.query(
                "SELECT indicator_id, period, count(*) AS areas FROM indicators "
                + ("" if ids is None else "WHERE list_contains(?, indicator_id) ")
                + "GROUP BY ALL",
                [] if ids is None else [ids],
            )
            frame["position"] = frame.groupby("indicator_id")["period"].rank(method="first")
        return frame.sort_values(["indicator_id", "position"]).reset_index(drop=True)

    def population(self, vintage: int) -> pd.Series | None:
        """LSOA populations for ``vintage`` (mid-2020 for 2011, Census 2021 for 2021), if loaded."""
        key = f"population{vintage}"
        if key not in self._cache:
            indicator_id, period = POPULATION[vintage]
            frame = self.query(
                "SELECT area_code, value FROM indicators WHERE indicator_id = ? "
                "AND (? IS NULL OR period = ?)",
                [indicator_id, period, period],
            )
            self._cache[key] = (
                pd.Series(frame["value"].to_numpy(), index=frame["area_code"])
                if len(frame)
                else None
            )
        return self._cache[key]

    def _chosen_periods(self, ids: list[str], period: Periods) -> dict[str, str]:
        held = self.periods(ids)
        by_id = {k: list(g["period"]) for k, g in held.groupby("indicator_id", sort=False)}
        chosen, problems = {}, []
        for i in ids:
            options = by_id.get(i, [])
            wanted = period if isinstance(period, str) or period is None else period.get(i)
            if wanted is None:
                if options:
                    chosen[i] = options[-1]
            elif wanted in options:
                chosen[i] = wanted
            else:
                problems.append(
                    Problem(
                        f"{i} has no period {wanted!r}; periods held: {', '.join(options) or 'none'}",
                        column=i,
                    )
                )
        if problems:
            raise ConfigError("Indicator periods", problems)
        return chosen

    def indicator_frame(
        self,
        indicator_ids: Sequence[str],
        *,
        vintage: int,
        area_type: str = "lsoa",
        areas: Iterable[str] | None = None,
        period: Periods = None,
    ) -> pd.DataFrame:
        """One row per area (index ``area_code``) of ``area_type``/``vintage``, one column per indicator.

        ``areas`` limits the rows to these codes or to the areas inside them (e.g. a district
        code); ``period`` picks each indicator's period (default: its latest).
        """
        ids = list(dict.fromkeys(indicator_ids))
        meta = self.meta(ids).set_index("indicator_id")
        unknown = [i for i in ids if i not in meta.index]
        if unknown:
            raise ConfigError(
                "Indicators",
                [
                    Problem(
                        f"unknown indicator {i!r}{renamed_hint(i)}; "
                        "`lantern sources --indicators` lists them"
                    )
                    for i in unknown
                ],
            )
        chosen = self._chosen_periods(ids, period)
        codes = self.area_codes(area_type, vintage, areas)
        rows = self.query(
            "SELECT indicator_id, area_code, period, value, numerator, denominator FROM indicators "
            "WHERE list_contains(?, indicator_id) AND area_code <> ?",
            [ids, ENGLAND],  # England's benchmark rows are not an area of the indicator's type
        )
        rows = rows[rows["period"].to_numpy() == rows["indicator_id"].map(chosen).to_numpy()]
        columns = {}
        for indicator_id, part in rows.groupby("indicator_id", sort=False):
            columns[indicator_id] = self._to_target(
                part.drop(columns=["indicator_id", "period"]),
                meta.loc[indicator_id],
                str(indicator_id),
                vintage,
                area_type,
            )
        frame = pd.DataFrame(index=pd.Index(codes, name="area_code"))
        for indicator_id in ids:
            series = columns.get(indicator_id)
            frame[indicator_id] = (
                np.nan if series is None else series.reindex(codes).to_numpy(dtype=float)
            )
        frame.attrs["periods"] = chosen
        return frame

    def period_frames(
        self,
        indicator_ids: Sequence[str],
        *,
        vintage: int,
        area_type: str = "lsoa",
        areas: Iterable[str] | None = None,
    ) -> dict[str, pd.DataFrame]:
        """Every period of each indicator: ``{indicator_id: frame}``, one column per period
        (oldest first), one row per area — moved and aggregated as ``indicator_frame`` does."""
        ids = list(dict.fromkeys(indicator_ids))
        meta = self.meta(ids).set_index("indicator_id")
        held = self.periods(ids)
        codes = self.area_codes(area_type, vintage, areas)
        rows = self.query(
            "SELECT indicator_id, area_code, period, value, numerator, denominator FROM indicators "
            "WHERE list_contains(?, indicator_id) AND area_code <> ?",
            [ids, ENGLAND],  # England's benchmark rows are not an area of the indicator's type
        )
        out = {}
        for indicator_id, group in held.groupby("indicator_id", sort=False):
            mine = rows[rows["indicator_id"] == indicator_id]
            columns = {}
            for period in group["period"]:
                part = mine[mine["period"] == period].drop(columns=["indicator_id", "period"])
                series = self._to_target(
                    part, meta.loc[indicator_id], str(indicator_id), vintage, area_type
                )
                columns[str(period)] = series.reindex(codes).to_numpy(dtype=float)
            out[str(indicator_id)] = pd.DataFrame(columns, index=pd.Index(codes, name="area_code"))
        return out

    def _to_target(
        self,
        rows: pd.DataFrame,
        meta: pd.Series,
        indicator_id: str,
        vintage: int,
        area_type: str,
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

    def _move(
        self,
        rows: pd.DataFrame,
        meta: pd.Series,
        source: int,
        target: int,
        keys: Sequence[str] = (),
    ) -> pd.DataFrame:
        """``rows`` moved to the other LSOA vintage (``keys``, e.g. ``period``, moved alongside)."""
        kind = meta["kind"]
        if kind == "rate" and rows["denominator"].isna().all():
            kind = "score"  # a published rate without its denominator: population-weighted
        direction = f"{source}->{target}"
        key = f"crosswalk_fanout{direction}"
        if key not in self._cache:
            self._cache[key] = crosswalk_fanout(self.crosswalk(), direction)
        moved = move(
            rows[["area_code", *keys, "value", "numerator", "denominator"]],
            kind,
            self.crosswalk(),
            direction=direction,
            population=self.population(source) if kind == "score" else None,
            fanout=self._cache[key],
        )
        if kind == "rate":
            moved["value"] = moved["value"] * RATE_SCALE.get(meta["unit"], 1.0)
        return moved[["area_code", *keys, "value", "numerator", "denominator"]]

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
        links = self._links(child_type, area_type, vintage)
        positions = links.positions(rows["area_code"])
        left, pair = links.expand(positions[positions >= 0])
        left = np.flatnonzero(positions >= 0)[left]
        group, parents = links.groups(links.target[pair])
        index = pd.Index(parents["area_code"], name="parent_code")

        def column(name: str) -> np.ndarray:
            return rows[name].to_numpy(dtype=float)[left]

        if kind == "count":
            return pd.Series(group_sum(column("value"), group, min_count=1), index=index)
        if kind == "rate" and not np.isnan(column("denominator")).all():
            num = group_sum(column("numerator"), group, min_count=1)
            den = group_sum(column("denominator"), group, min_count=1)
            scale = RATE_SCALE.get(meta["unit"], 1.0)
            return pd.Series(num / np.where(den > 0, den, np.nan) * scale, index=index)
        pop = self.population(vintage) if child_type == "lsoa" else None
        value = column("value")
        weight = (
            pd.Series(rows["area_code"].to_numpy()[left]).map(pop).to_numpy(dtype=float)
            if pop is not None
            else np.ones(len(left))
        )
        weight = np.where(np.isnan(value), 0.0, np.nan_to_num(weight, nan=0.0))
        total = group_sum(weight, group)
        weighted = group_sum(np.nan_to_num(value, nan=0.0) * weight, group)
        return pd.Series(weighted / np.where(total > 0, total, np.nan), index=index)

    def _links(self, child_type: str, parent_type: str, vintage: int) -> Fanout:
        """Child → parent links of one vintage as a ``Fanout`` (read once per warehouse)."""
        key = f"links/{child_type}/{parent_type}/{vintage}"
        if key not in self._cache:
            links = self.area_links(child_type=child_type, parent_type=parent_type, vintage=vintage)
            self._cache[key] = Fanout.build(links["child_code"], links["parent_code"])
        return self._cache[key]
