"""Move LSOA values between the 2011 and 2021 boundary vintages.

The ONS best-fit lookup ``lookups/lsoa11_lsoa21_lad22_ew.csv`` says how each LSOA changed:
``U`` unchanged, ``S`` split (one 2011 → several 2021), ``M`` merged (several 2011 → one 2021),
``X`` complex (several ↔ several). A 2011 LSOA's ``weight`` to each of its 2021 targets is that
target's Census 2021 population share among the 2011 LSOA's targets; ``reverse_weight`` (for
2021 → 2011) is a 2011 source's mid-year population share among the 2021 LSOA's sources.

``move`` handles each indicator kind:

* ``count``: value_t = Σ_s value_s · w(s, t)  (totals are preserved);
* ``rate``: numerator and denominator moved as counts, value = numerator / denominator;
* ``score``: population-weighted mean, value_t = Σ_s value_s · p_s · w(s, t) / Σ_s p_s · w(s, t);
* ``rank`` and ``decile`` are refused: recompute them on the target geography instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.geography.fanout import Fanout, group_any, group_sum
from lantern.geography.tables import (
    LOOKUP_CROSSWALK as CROSSWALK_LOOKUP,
)
from lantern.geography.tables import (
    POPULATION_2011,
    POPULATION_2021,
    SPECS,
    cross_check,
    lookup_context,
    read_geography,
    require_all,
    text_frame,
    verify,
)
from lantern.sources.checked import Table

CHANGE_CODES = {"U", "S", "M", "X"}
MOVABLE_KINDS = ("count", "rate", "score")
DIRECTIONS = {"2011->2021": ("lsoa11_code", "lsoa21_code", "weight", 2021)}
DIRECTIONS["2021->2011"] = ("lsoa21_code", "lsoa11_code", "reverse_weight", 2011)
VALUE_COLUMNS = {"area_code", "vintage", "value", "numerator", "denominator"}


def read_crosswalk_lookup(path: Path) -> pd.DataFrame:
    """The ONS LSOA11 → LSOA21 lookup as ``lsoa11_code, lsoa21_code, change_code`` (checked)."""
    path = Path(path)
    table = read_geography(path.parent.parent, CROSSWALK_LOOKUP)
    return text_frame(table, ["lsoa11_code", "lsoa21_code", "change_code"])


def read_population(path: Path, code_column: str, value_column: str) -> pd.Series:
    """A population column indexed by area code, e.g. Census 2021 ``total_usual_residents``.

    Read through the checked reader: codes valid and unique, every population > 0.
    """
    path = Path(path)
    relative = f"{path.parent.name}/{path.name}"
    if relative not in SPECS:
        raise InputError("not a population file Lantern knows", file=path)
    table = read_geography(path.parent.parent, relative)
    return _population(table, code_column, value_column)


def _population(table: Table, code_column: str, value_column: str) -> pd.Series:
    codes = table.frame[code_column].astype(object).to_numpy()
    return pd.Series(table.values[value_column].to_numpy(), index=codes, name="population")


def _shares(pairs: pd.DataFrame, source: str, target: str, population: pd.Series) -> pd.Series:
    """Each target's population share among the targets of its source (equal shares if all zero)."""
    pop = pairs[target].map(population).astype(float)
    if pop.isna().any():
        missing = pairs.loc[pop.isna(), target].iloc[0]
        raise InputError(f"no population for {missing} (and {int(pop.isna().sum()) - 1} more)")
    total = pop.groupby(pairs[source]).transform("sum")
    count = pop.groupby(pairs[source]).transform("size")
    return pd.Series(
        np.where(total > 0, pop / total.where(total > 0, 1), 1.0 / count), index=pairs.index
    )


def crosswalk_weights(
    lookup: pd.DataFrame,
    population21: pd.Series,
    population11: pd.Series | None = None,
) -> pd.DataFrame:
    """``lsoa11_code, lsoa21_code, change_code, weight`` (+ ``reverse_weight`` given 2011 populations).

    ``weight`` sums to 1 over each 2011 LSOA's rows; ``reverse_weight`` sums to 1 over each 2021
    LSOA's rows.
    """
    pairs = lookup[["lsoa11_code", "lsoa21_code", "change_code"]].drop_duplicates(
        ["lsoa11_code", "lsoa21_code"]
    )
    pairs = pairs.reset_index(drop=True)
    pairs["weight"] = _shares(pairs, "lsoa11_code", "lsoa21_code", population21)
    if population11 is not None:
        pairs["reverse_weight"] = _shares(pairs, "lsoa21_code", "lsoa11_code", population11)
    return pairs


def load_crosswalk(
    data_dir: Path, *, reverse: bool = True, lookup: Table | None = None
) -> pd.DataFrame:
    """Crosswalk with weights from the files in ``data_dir`` (Census 2021 and mid-2020 populations).

    Every LSOA of the crosswalk must have a population (> 0) in both population files.
    ``lookup``: the crosswalk lookup already read and checked in this run (``read_lookups``
    reads it for the hierarchy's cross-checks), so the file is read once; by default it is read.
    """
    data_dir = Path(data_dir)
    ctx = lookup_context(data_dir)
    if lookup is None:
        lookup = read_geography(data_dir, CROSSWALK_LOOKUP, ctx, checksum=False)
    elif lookup.spec != SPECS[CROSSWALK_LOOKUP] or lookup.path != data_dir / CROSSWALK_LOOKUP:
        raise ValueError(f"not the crosswalk lookup of {data_dir}: {lookup.path}")
    pop21 = read_geography(data_dir, POPULATION_2021, ctx, checksum=False)
    cross_check(
        pop21, "lsoa21_code", lookup, "lsoa21_code", "LSOA 2021 of the crosswalk", ctx.manifest
    )
    require_all(
        lookup.frame["lsoa21_code"].drop_duplicates(),
        pop21,
        "lsoa21_code",
        "LSOA 2021 of the crosswalk",
        source=lookup,
    )
    pop11 = None
    if reverse:
        pop11 = read_geography(data_dir, POPULATION_2011, ctx, checksum=False)
        cross_check(
            pop11, "lsoa11_code", lookup, "lsoa11_code", "LSOA 2011 of the crosswalk", ctx.manifest
        )
        require_all(
            lookup.frame["lsoa11_code"].drop_duplicates(),
            pop11,
            "lsoa11_code",
            "LSOA 2011 of the crosswalk",
            source=lookup,
        )
    # The population files are verified against the manifest by their own sources, which read
    # (and check) every column first; this reads only the totals.
    verify([lookup], ctx)
    return crosswalk_weights(
        text_frame(lookup, ["lsoa11_code", "lsoa21_code", "change_code"]),
        _population(pop21, "lsoa21_code", "total_usual_residents"),
        None if pop11 is None else _population(pop11, "lsoa11_code", "total_population"),
    )


def crosswalk_fanout(crosswalk: pd.DataFrame, direction: str = "2011->2021") -> Fanout:
    """The crosswalk's pairs for one direction as integer positions (see ``Fanout``); build it
    once and pass it to ``move`` to move many indicators through the same crosswalk."""
    if direction not in DIRECTIONS:
        raise InputError(f"unknown direction {direction!r}; expected 2011->2021 or 2021->2011")
    source, target, weight_column, _ = DIRECTIONS[direction]
    if weight_column not in crosswalk.columns:
        raise InputError(
            f"the crosswalk has no {weight_column!r} column; build it with 2011 populations "
            "(crosswalk_weights(..., population11=...)) to move 2021 values back to 2011"
        )
    return Fanout.build(crosswalk[source], crosswalk[target], crosswalk[weight_column])


def _nan_sum(x: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Group sum that is NaN when any contribution is NaN (an unknown part makes the whole unknown)."""
    sums = group_sum(x, group, min_count=1)
    return np.where(group_any(np.isnan(x), group, groups), np.nan, sums)


def move(
    values: pd.DataFrame,
    kind: str,
    crosswalk: pd.DataFrame,
    *,
    direction: str = "2011->2021",
    population: pd.Series | None = None,
    fanout: Fanout | None = None,
) -> pd.DataFrame:
    """Move LSOA values across vintages; returns ``area_code, <keys>, value, numerator, denominator, vintage``.

    ``values`` has ``area_code`` and ``value`` (``numerator`` and ``denominator`` for rates); any
    other column except ``vintage`` (e.g. ``indicator_id``, ``period``) is a key moved alongside.
    ``population`` (source-area population) weights scores; without it sources count equally.
    ``fanout`` is ``crosswalk_fanout(crosswalk, direction)``, built here when not given.
    """
    if kind in ("rank", "decile"):
        raise InputError(
            f"a {kind} cannot be moved between boundary vintages; move the underlying score, "
            f"count or rate and recompute the {kind} on the target geography"
        )
    if kind not in MOVABLE_KINDS:
        raise InputError(f"unknown indicator kind {kind!r}; expected one of count, rate, score")
    if direction not in DIRECTIONS:
        raise InputError(f"unknown direction {direction!r}; expected 2011->2021 or 2021->2011")
    source, _, _, target_vintage = DIRECTIONS[direction]
    pairs = fanout if fanout is not None else crosswalk_fanout(crosswalk, direction)
    needed = ["area_code", "value"] + (["numerator", "denominator"] if kind == "rate" else [])
    missing = [c for c in needed if c not in values.columns]
    if missing:
        raise InputError(f"values need column(s) {', '.join(missing)} to move a {kind}")
    keys = [c for c in values.columns if c not in VALUE_COLUMNS]
    positions = pairs.positions(values["area_code"])
    unknown = positions < 0
    if unknown.any():
        first = int(unknown.argmax())
        raise InputError(
            f"{int(unknown.sum())} area code(s) are not {source[:6].upper()}s in the crosswalk, "
            f"e.g. {values['area_code'].iloc[first]}",
            row=first + 2,
            column="area_code",
        )
    left, pair = pairs.expand(positions)
    w = pairs.weight[pair]
    group, out = pairs.groups(pairs.target[pair], [values[k].to_numpy()[left] for k in keys])
    n = len(out)

    def column(name: str) -> np.ndarray:
        return values[name].to_numpy(dtype=float)[left]

    value: np.ndarray
    numerator = denominator = np.full(n, np.nan)
    if kind == "count":
        value = _nan_sum(column("value") * w, group, n)
    elif kind == "rate":
        numerator = _nan_sum(column("numerator") * w, group, n)
        denominator = _nan_sum(column("denominator") * w, group, n)
        value = numerator / np.where(denominator != 0, denominator, np.nan)
    else:
        codes = values["area_code"].to_numpy()[left]
        if population is None:
            pop = np.ones(len(left))
        else:
            pop = pd.Series(codes).map(population).to_numpy(dtype=float)
        if np.isnan(pop).any():
            raise InputError(f"no population for source area {codes[np.isnan(pop).argmax()]}")
        mass = w * pop
        weighted = _nan_sum(column("value") * mass, group, n)
        total = group_sum(mass, group)
        value = weighted / np.where(total > 0, total, np.nan)
    out.columns = ["area_code", *keys]
    out["value"], out["numerator"], out["denominator"] = value, numerator, denominator
    out["vintage"] = target_vintage
    return out[["area_code", *keys, "value", "numerator", "denominator", "vintage"]]
