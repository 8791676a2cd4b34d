"""England benchmark values: every rate with a numerator and denominator, totalled over England.

Fingertips compares every area with England. A county build reads only the county's rows, so
England's values are computed once from the England-wide files (Σ numerator / Σ denominator over
every English area, per indicator and period) and, for the bundled sample, shipped beside it in
``benchmarks/england_indicators.csv`` (written by ``lantern bundle``). Ingest stores them as
indicator rows for ``E92000001`` (area type ``country``), so every build, bundled or not, has an
England value for every measure that has a numerator and a denominator.

Weekly COVID-19 cases are the one special case: PHE suppressed MSOA counts of 0-2 and listed
cases it could not place in an MSOA on an ``unallocated`` row. England's weekly count is then
known only within a range: at least the published MSOA counts plus the unallocated cases
(``value``, ``numerator``), at most that plus 2 for each suppressed MSOA-week (``value_max``).
Comparisons with England use the whole range (an area is higher only if its interval lies above
``value_max``). For every other indicator ``value_max`` equals ``value``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.sources import SOURCES, LoadContext, Source, load_source
from lantern.sources.model import IndicatorMeta
from lantern.stats.intervals import RATE_UNITS

ENGLAND = "E92000001"
FILE = "benchmarks/england_indicators.csv"
COLUMNS = [
    "indicator_id",
    "vintage",
    "period",
    "value",
    "numerator",
    "denominator",
    "value_max",
    "areas",
    "method",
    "note",
]
SCALES = {"%": 100.0, **RATE_UNITS}
ENGLAND_LSOA11 = 32_000  # England has 32,844 LSOA 2011s; a county sample has about a thousand
Progress = Callable[[str], None]


def scale_of(unit: str, rows: pd.DataFrame) -> float | None:
    """The multiplier turning numerator/denominator into the published value."""
    if unit in SCALES:
        return SCALES[unit]
    ok = rows["numerator"].gt(0) & rows["denominator"].gt(0) & rows["value"].notna()
    if not ok.any():
        return None
    ratio = rows.loc[ok, "value"] * rows.loc[ok, "denominator"] / rows.loc[ok, "numerator"]
    scale = float(np.median(ratio))
    return scale if np.isfinite(scale) and scale > 0 else None


SUMS_SQL = """SELECT indicator_id, period,
    sum(numerator) FILTER (WHERE denominator > 0) AS numerator,
    sum(denominator) FILTER (WHERE denominator > 0) AS denominator,
    count(*) FILTER (WHERE denominator > 0) AS areas,
    count(*) FILTER (WHERE denominator > 0 AND numerator IS NULL) AS missing_numerators,
    median(value * denominator / numerator)
        FILTER (WHERE numerator > 0 AND denominator > 0 AND value IS NOT NULL) AS ratio
    FROM indicators WHERE area_code LIKE 'E%' AND list_contains(?, indicator_id)
    GROUP BY ALL"""


def totals_from_sums(sums: pd.DataFrame, meta: Sequence[IndicatorMeta]) -> pd.DataFrame:
    """``england_totals`` from per (indicator, period) sums computed in the warehouse (``SUMS_SQL``):
    the same rules without reading millions of rows into memory."""
    kinds = {m.indicator_id: m for m in meta}
    out = []
    for r in sums.sort_values(["indicator_id", "period"]).itertuples(index=False):
        m = kinds.get(str(r.indicator_id))
        if m is None or m.kind != "rate" or not r.areas or r.missing_numerators:
            continue
        scale = SCALES.get(m.unit)
        if scale is None:
            ratio = float(r.ratio) if pd.notna(r.ratio) else float("nan")
            scale = ratio if np.isfinite(ratio) and ratio > 0 else None
        if scale is None:
            continue
        num, den = float(r.numerator), float(r.denominator)
        out.append(
            {
                "indicator_id": r.indicator_id,
                "vintage": m.vintage,
                "period": r.period,
                "value": num / den * scale,
                "numerator": num,
                "denominator": den,
                "value_max": num / den * scale,
                "areas": int(r.areas),
                "method": "sum of numerators / sum of denominators over England",
                "note": "",
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


def england_totals(rows: pd.DataFrame, meta: Sequence[IndicatorMeta]) -> pd.DataFrame:
    """Σ numerator / Σ denominator × scale per rate indicator and period (pure).

    ``rows`` are every English area's tidy rows. A rate is totalled only where every area with a
    denominator also has its numerator (a total over the published part would be biased).
    """
    kinds = {m.indicator_id: m for m in meta}
    out = []
    for (indicator_id, period), part in rows.groupby(["indicator_id", "period"], sort=True):
        m = kinds.get(str(indicator_id))
        if m is None or m.kind != "rate":
            continue
        has_den = part["denominator"].gt(0)
        if not has_den.any() or part.loc[has_den, "numerator"].isna().any():
            continue
        scale = scale_of(m.unit, part)
        if scale is None:
            continue
        num = float(part.loc[has_den, "numerator"].sum())
        den = float(part.loc[has_den, "denominator"].sum())
        out.append(
            {
                "indicator_id": indicator_id,
                "vintage": m.vintage,
                "period": period,
                "value": num / den * scale,
                "numerator": num,
                "denominator": den,
                "value_max": num / den * scale,
                "areas": int(has_den.sum()),
                "method": "sum of numerators / sum of denominators over England",
                "note": "",
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


def covers_england(source: Source) -> bool:
    """False for a source published for part of England only (e.g. the Essex-only mid-2019
    LSOA populations): its total would be a county's, not England's."""
    return not any(g.outside and ENGLAND not in g.outside for g in source.gaps)


def is_england_wide(data_dir: Path) -> bool:
    """True when ``data_dir``'s LSOA 2011 lookup covers England (not a county sample)."""
    from lantern.geography.hierarchy import LOOKUP_2011

    path = Path(data_dir) / LOOKUP_2011
    if not path.exists():
        return False
    codes = pd.read_csv(path, usecols=["lsoa11_code"], dtype=str)["lsoa11_code"]
    return int(codes.str.startswith("E01").sum()) >= ENGLAND_LSOA11


def england_context(data_dir: Path) -> LoadContext:
    """The loaders' context for every English area."""
    from lantern.pipeline.ingest import geography

    _areas, _links, ctx = geography(Path(data_dir), [ENGLAND])
    return ctx


def compute(
    data_dir: Path, sources: Sequence[Source] | None = None, progress: Progress | None = None
) -> pd.DataFrame:
    """England totals from the England-wide files in ``data_dir`` (each loader run over England)."""
    if not is_england_wide(data_dir):
        raise InputError(
            "England totals need the England-wide data folder (this one holds only part of England)",
            file=Path(data_dir),
        )
    ctx = england_context(data_dir)
    frames = []
    for source in SOURCES if sources is None else sources:
        if not covers_england(source):
            continue
        if progress:
            progress(f"England totals: {source.source_id}")
        loaded = load_source(source, ctx)
        if source.source_id == "phe_cases":
            from lantern.sources.cases import england_weekly

            frames.append(england_weekly(Path(data_dir), loaded))
        else:
            frames.append(england_totals(loaded.rows, loaded.meta))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def write(frame: pd.DataFrame, path: Path) -> bytes:
    """Write the totals as CSV (stable order, 12 significant digits); return the bytes."""
    ordered = frame[COLUMNS].sort_values(["indicator_id", "period"]).reset_index(drop=True)
    text = ordered.to_csv(index=False, float_format="%.12g", lineterminator="\n")
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def read(path: Path) -> pd.DataFrame:
    """Read and check a benchmarks file (header, numbers, one row per indicator and period)."""
    from lantern.sources.reading import check_header, check_unique, numeric, read_raw

    raw = read_raw(path)
    check_header(raw, COLUMNS)
    frame = pd.read_csv(
        io.BytesIO(raw.data),
        dtype={"indicator_id": str, "period": str, "method": str, "note": str},
        keep_default_na=False,
        na_values=[""],
    )
    numbers = ["vintage", "value", "numerator", "denominator", "value_max", "areas"]
    values = numeric(raw, frame, numbers)
    for column in ("value", "numerator", "denominator", "value_max"):
        bad = ~(values[column] >= 0)
        if bad.any():
            raise InputError(
                "expected a number of zero or more",
                file=path,
                row=int(bad.to_numpy().argmax()) + 2,
                column=column,
            )
    check_unique(raw, frame, ["indicator_id", "period"])
    below = values["value_max"] < values["value"]
    if below.any():
        raise InputError(
            "value_max must not be below value",
            file=path,
            row=int(below.to_numpy().argmax()) + 2,
            column="value_max",
        )
    frame[numbers] = values
    return frame.fillna({"method": "", "note": ""})


def for_ingest(
    data_dir: Path,
    sources: Sequence[Source],
    area_codes: Sequence[str],
    loaded_sums: Callable[[list[str]], pd.DataFrame],
    meta: Sequence[IndicatorMeta],
) -> tuple[pd.DataFrame, str]:
    """England's values for a build and where they came from.

    A shipped ``benchmarks/england_indicators.csv`` wins; an England build totals its own rows
    (``loaded_sums``: ``SUMS_SQL`` over the warehouse being built); a part of England on England-wide files runs the loaders over England.
    Otherwise there is no England value (empty frame).
    """
    shipped = Path(data_dir) / FILE
    if shipped.exists():
        return read(shipped), f"shipped {FILE}"
    if not is_england_wide(data_dir):
        return pd.DataFrame(columns=COLUMNS), "none: the data folder holds only part of England"
    if ENGLAND in area_codes:
        sums = loaded_sums(sorted({m.indicator_id for m in meta if m.kind == "rate"}))
        partial = {(s.source_id, s.period) for s in sources if not covers_england(s)}
        skip = {
            (m.indicator_id, period) for m in meta for sid, period in partial if m.source_id == sid
        }
        if skip and len(sums):
            keys = pd.MultiIndex.from_frame(sums[["indicator_id", "period"]])
            sums = sums[~keys.isin(list(skip))]
        frame = totals_from_sums(sums, meta)
        if any(s.source_id == "phe_cases" for s in sources):
            from lantern.sources.cases import england_weekly

            weekly = england_weekly(Path(data_dir), None)
            frame = pd.concat(
                [frame[~frame["indicator_id"].isin(weekly["indicator_id"])], weekly],
                ignore_index=True,
            )
        return frame, "totalled over the build's English areas"
    return compute(data_dir, sources), "totalled over England from the England-wide files"
