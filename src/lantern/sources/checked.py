"""``read_table``: the one checked reading path every file goes through.

In order: the file is present, not empty, UTF-8 (not latin-1, not UTF-16), not cut off inside a
row; it has the expected header (or Parquet columns); codes are present, well formed, of the
right type, of the right boundary vintage and known to the ONS lookups; text columns hold allowed
values; numbers are numbers and obey their value rules (counts ≥ 0, populations > 0,
percentages 0–100, parts ≤ totals …); the key is unique; every area of the area of interest has a
row (apart from declared gaps); and the row count and SHA-256 match the manifest. The first
failure stops the run with an ``InputError`` naming the file, the row (the header is row 1; a
Parquet record or GeoJSON feature counts from 1), the column and the rule.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.geography.codes import AreaType, invalid_codes, validate_code
from lantern.sources.context import LoadContext, covers, members
from lantern.sources.manifest import Manifest, sha256_bytes
from lantern.sources.model import FileRead
from lantern.sources.reading import NA_VALUES, RawFile, check_header, parse_csv, read_raw
from lantern.sources.rules import first_bad, rules_for, summed
from lantern.sources.table import Codes, TableSpec


@dataclass(frozen=True)
class GapFound:
    """Areas of the area of interest a source has no row for, as declared in the registry."""

    source_id: str
    area_type: str
    vintage: int
    missing: int
    wanted: int
    example: str
    reason: str


@dataclass
class Table:
    """A checked file: its rows (original positions as the index), numbers, and what was read."""

    spec: TableSpec
    path: Path
    frame: pd.DataFrame
    values: pd.DataFrame
    file: FileRead
    offset: int
    gaps: list[GapFound] = field(default_factory=list)
    marker: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    geometry: np.ndarray | None = None  # GeoJSON: shapely geometries (WGS84), one per row
    line_break_at_end: bool = True

    def row(self, label: int) -> int:
        return int(label) + self.offset

    @property
    def areas(self) -> pd.DataFrame:
        """The rows that are areas (not "no area" markers)."""
        return self.frame[~self.marker] if self.marker.any() else self.frame

    def area_values(self) -> pd.DataFrame:
        return self.values[~self.marker] if self.marker.any() else self.values


def read_table(spec: TableSpec, ctx: LoadContext, *, checksum: bool = True) -> Table:
    """Read and check the file ``spec`` describes under ``ctx.data_dir`` (see module docstring).

    A file several sources read with the same checks (``spec.reuse``: the GP registrations, once
    per QOF year) is read once per run.
    """
    key = reuse_key(spec)
    cached = ctx.tables.get(key) if key is not None else None
    if isinstance(cached, Table):
        table = _for_source(cached, spec)
    else:
        table = _read_table(spec, ctx)
        if key is not None:
            ctx.tables[key] = table
    if checksum:
        check_checksum(table, ctx.manifest)
    return table


def reuse_key(spec: TableSpec) -> TableSpec | None:
    """The cache key of a file read once per run (``spec.reuse``): its checks, whichever source
    asks (the QOF years share the GP registrations), or None for a file read each time."""
    return replace(spec, source_id="") if spec.reuse else None


def _for_source(table: Table, spec: TableSpec) -> Table:
    """A file read earlier in the run, recorded as read by ``spec.source_id`` too."""
    if table.spec.source_id == spec.source_id:
        return table
    return replace(
        table,
        spec=spec,
        file=replace(table.file, source_id=spec.source_id),
        gaps=[replace(g, source_id=spec.source_id) for g in table.gaps],
    )


def _read_table(spec: TableSpec, ctx: LoadContext) -> Table:
    path = Path(ctx.data_dir) / spec.path
    geometry = None
    raw: RawFile | None = None
    if spec.format == "parquet":
        frame, data = _parquet(path, spec)
        offset = 1
    elif spec.format == "geojson":
        from lantern.geography.geojson import read_geojson

        frame, geometry, data = read_geojson(path, spec)
        offset = 1
    else:
        raw, frame = _parsed(spec, ctx) or _parse(spec, path)
        data, offset = raw.data, 2
    total_rows = len(frame)
    table = Table(spec, path, frame, pd.DataFrame(index=frame.index), None, offset)  # type: ignore[arg-type]
    table.marker = _markers(frame, spec)
    check_text(table)
    for code_spec in spec.codes:
        check_codes(table, code_spec, ctx)
    table.values = numbers(table, spec.numeric_columns(list(frame.columns)))
    check_filled(table)
    check_rules(table)
    if geometry is not None:
        from lantern.geography.geojson import check_geometries

        table.geometry = check_geometries(table, geometry)
    check_unique(table)
    check_row_count(table, total_rows, ctx.manifest)
    if spec.complete and spec.codes:
        table.gaps = check_complete(table, spec.codes[0], ctx)
    entry = ctx.manifest.get(spec.path) if ctx.manifest is not None else None
    table.file = FileRead(
        spec.source_id,
        spec.path,
        raw.sha256 if raw is not None else sha256_bytes(data),
        len(data),
        total_rows,
        "no manifest" if ctx.manifest is None else ("pending" if entry else "not in the manifest"),
    )
    table.line_break_at_end = data.endswith(b"\n")
    return table


def _parse(spec: TableSpec, path: Path) -> tuple[RawFile, pd.DataFrame]:
    """A CSV's bytes (present, UTF-8, not cut off), header checked, parsed into a frame."""
    raw = read_raw(path)
    check_header(raw, spec.required(raw.header), vintage_hint=dict(spec.vintage_hint))
    codes = list(dict.fromkeys(c.column for c in spec.codes))
    text = [c for c in spec.text if c not in codes]
    frame = parse_csv(
        raw, usecols=spec.required(raw.header), text_columns=text, category_columns=codes
    )
    return raw, frame


def _parse_key(spec: TableSpec, path: Path) -> tuple[object, ...]:
    """What decides how a CSV is parsed (its path and columns), not how it is checked."""
    return ("parsed", str(path), spec.codes, spec.text, spec.numbers, spec.key, spec.ignore)


def parse_ahead(spec: TableSpec, ctx: LoadContext) -> bool:
    """Read and parse a CSV before its source is loaded (e.g. while the lookups are read), for
    ``read_table`` to check when the source asks for it; the file is still read once per run.

    A file that cannot be read or parsed is left alone here: ``read_table`` reads it again and
    reports the problem in its turn. True when the parsed file was kept.
    """
    if spec.format != "csv" or spec.reuse:  # a file several sources share is read once anyway
        return False
    path = Path(ctx.data_dir) / spec.path
    try:
        parsed = _parse(spec, path)
    except InputError:
        return False
    ctx.tables[_parse_key(spec, path)] = parsed
    return True


def _parsed(spec: TableSpec, ctx: LoadContext) -> tuple[RawFile, pd.DataFrame] | None:
    """The CSV ``parse_ahead`` kept for ``spec`` (taken out: it is checked once), or None."""
    parsed = ctx.tables.pop(_parse_key(spec, Path(ctx.data_dir) / spec.path), None)
    if not isinstance(parsed, tuple):
        return None
    raw, _ = parsed
    check_header(raw, spec.required(raw.header), vintage_hint=dict(spec.vintage_hint))
    return parsed


def _parquet(path: Path, spec: TableSpec) -> tuple[pd.DataFrame, bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.exists():
        raise InputError(
            "file not found; run `lantern fetch` or check `data_dir` in lantern.toml", file=path
        )
    data = path.read_bytes()
    if not data:
        raise InputError("the file is empty; expected a Parquet file", file=path, row=1)
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        names = parquet.schema_arrow.names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(
            f"not a readable Parquet file ({str(exc).splitlines()[0]}); expected the Parquet "
            "file as published — it may be truncated or damaged, download it again",
            file=path,
        ) from None
    required = spec.required(names)
    missing = [c for c in required if c not in names]
    if missing:
        raise InputError(
            f"wrong Parquet columns: missing {', '.join(repr(c) for c in missing)}; expected columns "
            f"{', '.join(repr(c) for c in required)} (found {', '.join(repr(c) for c in names)})",
            file=path,
            column=missing[0],
        )
    try:
        arrow = parquet.read(columns=required)
        text = {c.column for c in spec.codes} | set(spec.text)
        arrow = pa.table(
            {
                name: arrow.column(name).dictionary_encode() if name in text else arrow.column(name)
                for name in arrow.column_names
            }
        )
        if arrow.num_rows == 0:
            raise InputError("the file has no rows; expected one row per record", file=path, row=1)
        return arrow.to_pandas(), data  # text columns as categories
    except (pa.ArrowException, OSError, ValueError) as exc:
        # the exception's text may quote a damaged value: name only its kind
        raise InputError(
            f"cannot read the Parquet data ({type(exc).__name__}: damaged pages or text that is "
            "not UTF-8); expected the file as published — it may be truncated or damaged, "
            "download it again",
            file=path,
        ) from None


def _markers(frame: pd.DataFrame, spec: TableSpec) -> np.ndarray:
    """Rows whose code is a "no area" marker (their numbers are still checked)."""
    marker = np.zeros(len(frame), dtype=bool)
    for codes in spec.codes:
        if codes.markers:
            marker |= frame[codes.column].isin(codes.markers).to_numpy()
        if codes.skip_prefixes:
            marker |= _per_row(
                frame[codes.column],
                lambda v, p=codes.skip_prefixes: (
                    v.astype("string").str.slice(0, 1).isin(p).fillna(False).to_numpy(dtype=bool)
                ),
            )
    return marker


def _fail(table: Table, label: int, column: str | None, message: str) -> InputError:
    return InputError(message, file=table.path, row=table.row(label), column=column)


def check_text(table: Table) -> None:
    spec, frame = table.spec, table.frame
    for column, allowed in spec.choices:
        bad = _per_row(frame[column], lambda v, allowed=allowed: ~v.isin(allowed).to_numpy())
        if bad.any():
            label = frame.index[int(bad.argmax())]
            shown = ", ".join(allowed[:25]) + (" …" if len(allowed) > 25 else "")
            raise _fail(table, label, column, f"unknown value; expected one of {shown}")
    for column, pattern, what in spec.patterns:
        bad = _per_row(
            frame[column],
            lambda v, pattern=pattern: (
                ~v.astype("string").str.fullmatch(pattern).fillna(False).astype(bool).to_numpy()
            ),
        )
        if bad.any():
            raise _fail(table, frame.index[int(bad.argmax())], column, f"expected {what}")


def check_codes(table: Table, codes: Codes, ctx: LoadContext) -> None:
    """Present, well formed, of the right type and vintage, and known to the lookups."""
    rows = table.areas
    series = rows[codes.column]
    column = codes.column
    kind = AreaType(codes.area_type) if codes.area_type else None
    name = kind.value.upper() if kind else "GSS"
    missing = series.isna().to_numpy()
    if not codes.required:
        rows, series = rows[~missing], series[~missing]
        missing = np.zeros(len(series), dtype=bool)
    label_of = rows.index
    if missing.any():
        raise _fail(
            table,
            label_of[int(missing.argmax())],
            column,
            f"missing area code; expected {name} codes",
        )
    bad = _per_row(series, lambda values: invalid_codes(values, kind).to_numpy())
    if bad.any():
        position = int(bad.argmax())
        validate_code(
            series.iloc[position],
            kind,
            file=table.path,
            row=table.row(label_of[position]),
            column=column,
        )
    if codes.vintage is not None:
        other = ctx.other_vintage_codes(codes.area_type, codes.vintage)
        if other is not None and len(other):
            wrong = members(series, other)
            if wrong.any():
                position = int(wrong.argmax())
                raise _fail(
                    table,
                    label_of[position],
                    column,
                    f"{series.iloc[position]} is a {name} {2021 if codes.vintage == 2011 else 2011} "
                    f"code; expected {name} {codes.vintage} codes (wrong boundary vintage)",
                )
    universe = ctx.universe.get(codes.area_type)
    if universe is not None and len(universe):
        unknown = ~members(series, universe)
        if unknown.any():
            position = int(unknown.argmax())
            vintage = f" {codes.vintage}" if codes.vintage else ""
            raise _fail(
                table,
                label_of[position],
                column,
                f"{series.iloc[position]} is not a known {name}{vintage} code "
                f"(unknown code: it is in none of the ONS lookups in {ctx.data_dir / 'lookups'}); "
                "expected a code of a current area",
            )


def _per_row(series: pd.Series, test) -> np.ndarray:  # noqa: ANN001
    """``test`` (values → bool mask) per row, run once per distinct value (a blank included)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pd.Series(series.cat.categories.astype(str))
        per_category = np.asarray(test(categories), dtype=bool)
        codes = series.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[np.maximum(codes, 0)], False)
    positions, distinct = pd.factorize(series, use_na_sentinel=False)
    if 2 * len(distinct) > len(series):  # mostly distinct values: test the rows themselves
        return np.asarray(test(series), dtype=bool)
    per_value = np.asarray(test(pd.Series(distinct, dtype=series.dtype)), dtype=bool)
    return per_value[positions]


def numbers(table: Table, columns: list[str]) -> pd.DataFrame:
    """``columns`` as floats; the first value that is not a number is an error."""
    out = {}
    for column in columns:
        series = table.frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[column] = _finite(table, column, series.to_numpy(dtype="float64", na_value=np.nan))
            continue
        text = series.astype("string").str.strip()
        values = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
        bad = (values.isna() & text.notna() & ~text.isin(NA_VALUES)).to_numpy()
        if bad.any():
            raise _fail(
                table,
                table.frame.index[int(bad.argmax())],
                column,
                "expected a number (blank or NA for missing)",
            )
        out[column] = _finite(table, column, values.to_numpy(dtype="float64", na_value=np.nan))
    return pd.DataFrame(out, index=table.frame.index)


def _finite(table: Table, column: str, values: np.ndarray) -> np.ndarray:
    """No value is infinite (``inf``, ``1e400``): no official statistic is."""
    infinite = np.isinf(values)
    if infinite.any():
        raise _fail(
            table,
            table.frame.index[int(infinite.argmax())],
            column,
            "value is infinite (inf, or a number too large to hold); expected a finite number",
        )
    return values


def check_filled(table: Table) -> None:
    """Columns that may not be blank (``spec.filled``): the first blank area row is an error."""
    values = table.area_values()
    for column in table.spec.filled:
        blank = np.isnan(values[column].to_numpy())
        if blank.any():
            raise _fail(
                table,
                values.index[int(blank.argmax())],
                column,
                "missing value (blank or NA); expected a value on every row: this column "
                "weights or divides other values",
            )


def excused(table: Table) -> np.ndarray | None:
    """Rows whose key the registry excuses from the rules (``spec.allowed``), or None."""
    spec = table.spec
    if not spec.allowed:
        return None
    keys = list(spec.unique)
    first = table.frame[keys[0]]
    excused = np.zeros(len(table.frame), dtype=bool)
    for allowed in spec.allowed:
        # only rows whose first key part is allowed can match: build the key tuples for those
        starts = sorted({key[0] for key in allowed.keys})
        rows = np.flatnonzero(_per_row(first, lambda v, s=starts: v.astype(str).isin(s)))
        if len(rows):
            tuples = pd.MultiIndex.from_frame(table.frame[keys].iloc[rows].astype(str))
            excused[rows[tuples.isin(list(allowed.keys))]] = True
    return excused


def check_rules(table: Table) -> None:
    """Every value rule and parts-within-total check, naming the first offending row."""
    spec, values = table.spec, table.values
    excused_rows = excused(table)
    for column in values.columns:
        for rule in rules_for(column, spec.rules):
            col = values[column].to_numpy()
            position = first_bad(rule.bad(col), excused_rows)
            if position is not None:
                raise _fail(
                    table,
                    values.index[position],
                    column,
                    f"value {col[position]:g} breaks the rule {rule.name}; expected {rule.name}",
                )
    for parts in spec.parts:
        part = summed([values[c].to_numpy() for c in parts.parts])
        total = values[parts.total].to_numpy()
        position = first_bad(parts.bad(part, total), excused_rows)
        if position is not None:
            raise _fail(
                table,
                values.index[position],
                parts.parts[0] if len(parts.parts) == 1 else parts.total,
                f"{part[position]:g} is more than the total {total[position]:g}: breaks the rule "
                f"{parts.name}; expected parts that add up to no more than their total",
            )


def check_unique(table: Table) -> None:
    key = list(table.spec.unique)
    if not key:
        return
    frame = table.frame
    dup = frame.duplicated(key, keep="first").to_numpy()
    if dup.any():
        position = int(dup.argmax())
        values = frame.iloc[position][key]
        same = (frame[key] == values.to_numpy()).all(axis=1).to_numpy()
        first = frame.index[int(same.argmax())]
        shown = "/".join(str(v) for v in values)
        what = "area" if len(key) == 1 else "key"
        raise _fail(
            table,
            frame.index[position],
            key[0],
            f"duplicated {what} {shown} (first on row {table.row(first)}); expected one row per "
            + ("area" if len(key) == 1 else " and ".join(key)),
        )


def check_complete(table: Table, codes: Codes, ctx: LoadContext) -> list[GapFound]:
    """Every wanted area has a row, except gaps the registry declares (returned, for the record)."""
    if codes.vintage is None:
        return []
    wanted = ctx.wanted.get((codes.area_type, codes.vintage))
    if wanted is None or not len(wanted):
        return []
    column = table.areas[codes.column]
    if covers(wanted, column):
        return []
    present = pd.Index(np.asarray(column.dropna().unique(), dtype=object))
    missing = wanted.difference(present)
    gaps: list[GapFound] = []
    for gap in table.spec.gaps:
        if not len(missing):
            break
        excused = missing.intersection(pd.Index(list(gap.codes)))
        if gap.outside:
            inside = ctx.inside(gap.outside, codes.area_type, codes.vintage)
            if inside is not None:
                excused = excused.union(missing.difference(inside))
        if len(excused):
            gaps.append(
                GapFound(
                    table.spec.source_id,
                    codes.area_type,
                    codes.vintage,
                    len(excused),
                    len(wanted),
                    str(sorted(excused)[0]),
                    gap.reason,
                )
            )
            missing = missing.difference(excused)
    if len(missing):
        example = sorted(missing)[0]
        raise InputError(
            f"{len(missing):,} of the {len(wanted):,} {codes.area_type.upper()} {codes.vintage} areas "
            f"of the area of interest have no row, e.g. {example}; expected every area (incomplete "
            "file: was it cut short, or filtered?); if the source truly does not cover them, "
            "declare the gap in the registry",
            file=table.path,
            row=table.row(table.frame.index[-1]) + 1 if len(table.frame) else 2,
            column=codes.column,
        )
    return gaps


def check_row_count(table: Table, rows: int, manifest: Manifest | None) -> None:
    """The number of data rows the manifest lists: catches a cut at a line boundary."""
    entry = manifest.get(table.spec.path) if manifest is not None else None
    if entry is None or entry.rows is None or rows == entry.rows:
        return
    assert manifest is not None
    if rows < entry.rows:
        message = (
            f"the file has {rows:,} data rows but {manifest.origin} lists {entry.rows:,}: it is "
            f"truncated after row {rows + table.offset - 1:,} (cut at a line boundary); "
            "expected the complete file — download it again"
        )
        row = rows + table.offset
    else:
        message = (
            f"the file has {rows:,} data rows but {manifest.origin} lists {entry.rows:,}: rows "
            "were added; expected the file as published"
        )
        row = entry.rows + table.offset
    raise InputError(message, file=table.path, row=row)


def check_checksum(table: Table, manifest: Manifest | None) -> None:
    """The SHA-256 the manifest lists (run after every content check, cross-checks included)."""
    entry = manifest.get(table.spec.path) if manifest is not None else None
    if entry is None or table.file.verified == "sha256":
        return
    assert manifest is not None
    digest = table.file.sha256
    if digest != entry.sha256 and table.spec.format == "csv" and not table.line_break_at_end:
        last = table.frame.columns[-1] if len(table.frame.columns) else None
        raise InputError(
            f"the file ends without a line break and differs from {manifest.origin}: its last "
            "row was cut off inside its last field; expected the complete file — download it "
            "again",
            file=table.path,
            row=len(table.frame) + table.offset - 1,
            column=_last_column(table.path, last),
        )
    if digest != entry.sha256:
        raise InputError(
            f"the file's SHA-256 {digest[:12]}… differs from {entry.sha256[:12]}… in "
            f"{manifest.origin}, though every row passed the checks: a value was changed or this "
            "is another release; expected the file as published (for a release of your own, "
            "run `lantern sources --write-manifest`)",
            file=table.path,
        )
    table.file = replace(table.file, verified="sha256")


def _last_column(path: Path, fallback: str | None) -> str | None:
    from lantern.sources.reading import header_of

    header = header_of(path)
    return header[-1] if header else fallback
