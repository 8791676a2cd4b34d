"""Open-data downloads: the index and every indicator per area as CSV, Parquet and zipped
GeoJSON, described by a Frictionless Data Package (``datapackage.json``)."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from lantern.publish.display import decimals_for, title_with_unit
from lantern.publish.place import strip_place
from lantern.publish.sitedata import SiteData
from lantern.publish.sitejson import sig_list

OGL = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0; "
    "contains OS data © Crown copyright and database right."
)
AREA_FIELDS = [
    ("area_code", "LSOA code", "GSS code of the Lower layer Super Output Area"),
    ("area_name", "LSOA name", ""),
    ("msoa_code", "MSOA code", "GSS code of the Middle layer Super Output Area holding the LSOA"),
    ("msoa_name", "MSOA name", ""),
    ("ward_code", "Ward code", "GSS code of the electoral ward holding the LSOA (best fit)"),
    ("ward_name", "Ward name", ""),
    ("district_code", "District code", "GSS code of the local authority district"),
    ("district_name", "District name", ""),
]
INDEX_FIELD_TEXT = {
    "score": ("score", "number", "score"),
    "rank": ("rank (1 = most vulnerable)", "integer", "rank"),
    "decile": ("decile (1 = most vulnerable 10%)", "integer", "decile"),
    "rank_p05": ("rank, 5th percentile over sensitivity draws", "integer", "rank"),
    "rank_p95": ("rank, 95th percentile over sensitivity draws", "integer", "rank"),
    "decile_change_share": (
        "share of sensitivity draws that put the area in another decile",
        "number",
        "share",
    ),
}
BASENAME = "lantern-lsoa"
TRENDS = f"{BASENAME}-trends"
# Above this many rows (England: 1.4 million) the trends table is Parquet only, so the site stays
# small; a county's is also CSV.
TRENDS_CSV_ROWS = 500_000
TREND_FIELDS = [
    ("area_code", "LSOA code", "string", "", "GSS code of the Lower layer Super Output Area"),
    (
        "indicator_id",
        "Indicator",
        "string",
        "",
        "Lantern indicator id (`lantern sources --indicators`)",
    ),
    (
        "period",
        "Period",
        "string",
        "",
        "The period the value is for (QOF financial year, or the date of a population estimate)",
    ),
    ("value", "Value", "number", "", "The area's value in that period"),
    ("lower95", "Lower 95% confidence limit", "number", "", ""),
    ("upper95", "Upper 95% confidence limit", "number", "", ""),
    (
        "county",
        "County value",
        "number",
        "",
        "Sum of numerators / sum of denominators over the build's area, that period",
    ),
    (
        "england",
        "England value",
        "number",
        "",
        "England's value that period (sum over every English area)",
    ),
    ("vs_county", "Compared with the county", "string", "", ""),
    ("vs_england", "Compared with England", "string", "", ""),
]
OPEN_LICENCE = re.compile(
    r"open government licen[cs]e|\bOGL\b|open parliament licen[cs]e|\bCC[ -]?BY\b|\bCC0\b|"
    r"creative commons attribution|\bODbL\b",
    re.IGNORECASE,
)
"""Licences under which a source is open data (the open site republishes only those)."""


INTERVAL_FIELDS = (
    ("lower95", "lower 95% confidence limit"),
    ("upper95", "upper 95% confidence limit"),
    ("vs_county", "compared with the county"),
    ("vs_england", "compared with England"),
)
LIMITS = ("lower95", "upper95")
INTERVAL_TEXT = {
    "lower95": "Lower 95% confidence limit: Wilson score for percentages, Byar's method (exact "
    "Poisson below 10 events) for rates, from the area's own numerator and denominator.",
    "upper95": "Upper 95% confidence limit (method as for the lower limit).",
    "vs_county": "higher / similar / lower: whether the 95% interval lies wholly above, "
    "contains, or lies wholly below the county value (Sum numerator / Sum denominator over the "
    "build's area); empty where not compared.",
    "vs_england": "higher / similar / lower than England's value (OHID Fingertips rule: "
    "England's value outside the 95% interval); empty where not compared.",
}


def area_table(data: SiteData) -> pd.DataFrame:
    """One row per LSOA: codes and names, index results and every indicator value.

    A column with no value for any area (e.g. rank intervals the build did not compute) is left
    out, so every documented column holds data.
    """
    out = data.areas.rename(columns={"name": "area_name"}).reset_index(names="area_code")
    out = out[[f for f, _, _ in AREA_FIELDS]]
    for m in data.measures:
        if m.group == "indicator":
            continue
        comp = "index" if m.id == "index" else m.id.split(".", 1)[1]
        for fld, (_, kind, _) in INDEX_FIELD_TEXT.items():
            col = data.index[f"{comp}.{fld}"].to_numpy(dtype=float)
            whole = kind == "integer" and bool(np.all(np.isnan(col) | (col == np.round(col))))
            out[f"{comp}_{fld}"] = pd.array(col, dtype="Float64").astype(
                "Int64" if whole else "Float64"
            )
    extra: dict[str, np.ndarray] = {}
    for m in data.measures:
        if m.group == "indicator" and not (data.national and m.id in data.moved):
            vals = data.values[m.id].to_numpy(dtype=float)
            whole = np.isnan(vals) | (vals == np.round(vals))
            # whole-number indicators (counts) are written as integers: "125", not "125.0"
            extra[m.id] = pd.array(vals, dtype="Float64").astype("Int64") if whole.all() else vals
            # confidence limits to the decimals the value is shown with: further figures are
            # noise, and cost England's files megabytes
            places = decimals_for(data.values[m.id].to_numpy(), m.unit, m.kind)
            for suffix, _text in INTERVAL_FIELDS:
                col = f"{m.id}_{suffix}"
                if suffix == "vs_county" and data.place == "England":
                    continue  # on an England map the map's own value is England's
                if col in data.intervals.columns:
                    vals = data.intervals[col].reindex(data.areas.index).to_numpy()
                    extra[col] = np.round(vals.astype(float), places) if suffix in LIMITS else vals
            flag = _quality_column(data, m.id)
            if flag is not None:
                extra[f"{m.id}_quality"] = flag
    out = pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)
    return out.drop(columns=empty_columns(out))


def empty_columns(table: pd.DataFrame) -> list[str]:
    """Columns holding no value for any row: every value missing, or every value the empty text.

    A number, a truth value or a date is never written as empty text, so only the other
    columns are turned into text to look (England's area table: 300 columns of 33,755 rows)."""
    out = []
    for name in table.columns:
        col = table[name]
        all_missing = bool(col.isna().all())
        if all_missing or (not _never_text(col.dtype) and (col.astype(str) == "").all()):
            out.append(name)
    return out


def _never_text(dtype) -> bool:
    api = pd.api.types
    return bool(
        api.is_numeric_dtype(dtype)
        or api.is_bool_dtype(dtype)
        or api.is_datetime64_any_dtype(dtype)
    ) and not isinstance(dtype, pd.CategoricalDtype)


QUALITY_TEXT = (
    "QOF apportionment quality: low_coverage where the GP practices with QOF data register under "
    "80% of the area's residents; dominant_outlier where one practice supplies half or more of "
    "its registered patients and that practice's recorded prevalence is among the 2.5% highest or "
    "lowest and significantly (99.8%) different from England; empty otherwise. On LSOA 2021s the "
    "registrations and residents are moved through the LSOA crosswalk first (see the method page)."
)


def _quality_column(data: SiteData, indicator_id: str) -> np.ndarray | None:
    quality = data.quality
    if quality is None or quality.empty or indicator_id not in set(quality["indicator_id"]):
        return None
    part = quality[quality["indicator_id"] == indicator_id].drop_duplicates("area_code")
    flag = part.set_index("area_code")["flag"].reindex(data.areas.index)
    return flag.fillna("").astype(str).to_numpy()


def _fields(data: SiteData, table: pd.DataFrame) -> list[dict]:
    fields: list[dict[str, Any]] = [
        {"name": n, "title": t, "type": "string", **({"description": d} if d else {})}
        for n, t, d in AREA_FIELDS
    ]
    for m in data.measures:
        if m.group == "indicator":
            continue
        comp = "index" if m.id == "index" else m.id.split(".", 1)[1]
        for fld, (text, _kind, unit) in INDEX_FIELD_TEXT.items():
            fields.append(
                {
                    "name": f"{comp}_{fld}",
                    "title": f"{_own(data, m.title)}: {text}",
                    "unit": unit,
                    "description": m.description or f"{_own(data, m.title)} {text}",
                }
            )
    for m in data.measures:
        if m.group == "indicator":
            src = next((s for s in data.sources if s.source_id == m.source_id), None)
            fields.append(
                {
                    "name": m.id,
                    "title": m.title,
                    "type": "number",
                    "unit": m.unit or "",
                    "description": m.description or m.title,
                    "polarity": m.polarity,
                    "period": m.period,
                    **(
                        {"source": f"{src.publisher}: {src.dataset}", "licence": src.licence}
                        if src
                        else {}
                    ),
                }
            )
    for m in data.measures:
        if m.group == "indicator":
            for suffix, text in INTERVAL_FIELDS:
                fields.append(
                    {
                        "name": f"{m.id}_{suffix}",
                        "title": f"{m.title}: {text}",
                        "type": "string" if suffix.startswith("vs_") else "number",
                        "unit": "" if suffix.startswith("vs_") else m.unit or "",
                        "description": INTERVAL_TEXT[suffix],
                    }
                )
    for m in data.measures:
        if m.group == "indicator":
            fields.append(
                {
                    "name": f"{m.id}_quality",
                    "title": f"{m.title}: data quality of the estimate",
                    "type": "string",
                    "description": QUALITY_TEXT,
                    "constraints": {"enum": ["", "low_coverage", "dominant_outlier"]},
                }
            )
    by_name = {f["name"]: f for f in fields}
    out = []
    for col in table.columns:
        field = dict(by_name[col])
        if field.get("type") != "string":
            field["type"] = "integer" if str(table[col].dtype) == "Int64" else "number"
        out.append(field)
    return out


def trends_table(data: SiteData) -> pd.DataFrame:
    """Every period of the indicators the map shows over the years: one row per LSOA ×
    indicator × period; values, county and England to 4 significant figures (as the site's trend
    files), limits to the decimals the value is shown with (empty columns, and the county
    comparison on an England map, left out; titles and units are in ``datapackage.json``)."""
    table = data.yearly
    if table is None or table.empty or data.national:
        return pd.DataFrame()
    # only indicators from official open source files loaded into the warehouse (the release
    # gate is told so: ``verified_columns``); the trends table has rates, no counts
    loaded = {s.source_id for s in data.sources if OPEN_LICENCE.search(s.licence or "")}
    table = table[table["source_id"].isin(loaded)]
    if table.empty:
        return pd.DataFrame()
    out = table.drop(columns=["title", "unit", "source_id"]).copy()
    for col in ("value", "county", "england"):
        out[col] = np.array(sig_list(out[col], 4), dtype=float)
    for indicator_id, rows in out.groupby("indicator_id", sort=False).groups.items():
        try:
            m = data.measure(str(indicator_id))
            places = decimals_for(data.values[m.id].to_numpy(), m.unit, m.kind)
        except KeyError:
            unit = str(table.loc[rows[0], "unit"] or "")
            places = decimals_for(table.loc[rows, "value"].tolist(), unit)
        for col in LIMITS:
            out.loc[rows, col] = np.round(out.loc[rows, col].to_numpy(dtype=float), places)
    if data.place == "England":
        out = out.drop(columns=["county", "vs_county"])
    return out.drop(columns=empty_columns(out)).reset_index(drop=True)


def _trend_resources(data: SiteData, folder: Path) -> list[tuple[Path, dict]]:
    """Write the trends table (Parquet, and CSV when not too large); their package entries."""
    table = trends_table(data)
    if table.empty:
        return []
    by_name = {n: (t, k, d) for n, t, k, _, d in TREND_FIELDS}
    fields = []
    for col in table.columns:
        title, kind, text = by_name[col]
        if col in INTERVAL_TEXT:
            text = INTERVAL_TEXT[col]
        field: dict = {"name": col, "title": title, "type": kind}
        if text:
            field["description"] = text
        if col == "indicator_id":  # each indicator's title and unit
            titles = data.yearly.drop_duplicates("indicator_id")
            field["constraints"] = {"enum": [str(i) for i in titles["indicator_id"]]}
            field["description"] = (
                text
                + ". "
                + "; ".join(
                    f"{r.indicator_id}: {title_with_unit(str(r.title), str(r.unit or ''))}"
                    for r in titles.itertuples()
                )
            )
        fields.append(field)
    schema = {
        "fields": fields,
        "primaryKey": ["area_code", "indicator_id", "period"],
        "missingValues": [""],
    }
    what = f"{data.title}: indicators over the years by LSOA"
    pq = folder / f"{TRENDS}.parquet"
    table.to_parquet(pq, index=False, compression="zstd")
    out: list[tuple[Path, dict]] = []
    if len(table) <= TRENDS_CSV_ROWS:
        csv = folder / f"{TRENDS}.csv"
        write_csv(table, csv)
        out.append(
            (
                csv,
                _resource(
                    csv,
                    name=TRENDS,
                    profile="tabular-data-resource",
                    title=f"{what} (CSV)",
                    description=(
                        "Each period of the indicators held for several (QOF prevalences "
                        "2018/19 to 2021/22, population shares mid-2019 and mid-2020), moved to "
                        f"LSOA {data.vintage} boundaries, with 95% limits and the comparisons "
                        "where the period has counts (QOF 2021/22 is published as rates only)."
                    ),
                    format="csv",
                    mediatype="text/csv",
                    encoding="utf-8",
                    dialect={"delimiter": ",", "header": True},
                    schema=schema,
                ),
            )
        )
    out.append(
        (
            pq,
            _resource(
                pq,
                name=f"{TRENDS}-parquet",
                type="file",
                profile="data-resource",
                title=f"{what} (Apache Parquet)",
                description=(
                    "Each period of the indicators held for several, with 95% limits and the "
                    "comparisons where the period has counts (same fields as the CSV, when "
                    f"there is one; Parquet only above {TRENDS_CSV_ROWS:,} rows)."
                ),
                format="parquet",
                mediatype="application/vnd.apache.parquet",
                schema=schema,
            ),
        )
    )
    return out


def _own(data: SiteData, title: str) -> str:
    """``title`` without another place's name in front ("Essex … index" on an England build)."""
    return strip_place(title, data.other_places, keep=data.place_names)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def boundary_columns(data: SiteData, table: pd.DataFrame) -> list[str]:
    """Columns of the boundaries file: codes, names and index results (no indicator or its
    intervals, so no count: join the CSV on ``area_code`` for those)."""
    keep = {f for f, _, _ in AREA_FIELDS}
    for m in data.measures:
        if m.group != "indicator":
            comp = "index" if m.id == "index" else m.id.split(".", 1)[1]
            keep |= {f"{comp}_{fld}" for fld in INDEX_FIELD_TEXT}
    return [c for c in table.columns if c in keep]


def _write_geojson_zip(data: SiteData, table: pd.DataFrame, path: Path) -> None:
    """Each LSOA's boundary with its codes, names and index results as GeoJSON (WGS84, 4
    decimals: about 10 m, far finer than the boundaries' 200 m generalisation), zipped."""
    table = table[boundary_columns(data, table)]
    geo = gpd.GeoDataFrame(
        table,
        geometry=data.geometry.geometry.reindex(table["area_code"]).to_numpy(),
        crs="EPSG:4326",
    )
    with tempfile.TemporaryDirectory() as tmp:
        inner = Path(tmp) / path.name.removesuffix(".zip")
        geo.to_file(inner, driver="GeoJSON", COORDINATE_PRECISION=4, WRITE_BBOX="NO")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            archive.write(inner, inner.name)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """The table as CSV, numbers to 10 significant figures (DuckDB writes it: seconds for
    England where pandas takes minutes on a busy machine)."""
    cols = []
    for name in table.columns:
        q = '"' + name.replace('"', '""') + '"'
        if str(table[name].dtype) in ("float64", "Float64"):
            cols.append(
                f"CASE WHEN {q} IS NULL OR {q} = 0 OR isinf({q}) THEN {q}"
                f" ELSE round({q}, 9 - CAST(floor(log10(abs({q}))) AS INTEGER)) END AS {q}"
            )
        else:
            cols.append(q)
    con = duckdb.connect()
    try:
        con.register("_table", table)
        target = str(path).replace("'", "''")
        con.execute(
            f"COPY (SELECT {', '.join(cols)} FROM _table) TO '{target}' (HEADER, DELIMITER ',')"
        )
    finally:
        con.close()


def _resource(path: Path, **extra) -> dict:
    return {
        "path": path.name,
        **extra,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{_sha256(path)}",
        "licenses": [OGL],
    }


def write_downloads(data: SiteData, folder: Path, *, name: str = "lantern") -> list[dict]:
    """Write CSV, Parquet, zipped GeoJSON and ``datapackage.json`` into ``folder``; return the
    file list for the page.

    ``datapackage.json`` is a Frictionless Data Package: the CSV is a tabular data resource with
    the table schema (every field's type, title, unit and description); the Parquet file holds
    the same table, and the zipped GeoJSON the same table with each area's boundary (described
    by its ``geometry`` property: geometry types, coordinate system, key field).
    """
    folder.mkdir(parents=True, exist_ok=True)
    table = area_table(data)
    fields = _fields(data, table)
    csv, pq, gz = (folder / f"{BASENAME}.{ext}" for ext in ("csv", "parquet", "geojson.zip"))
    write_csv(table, csv)
    table.to_parquet(pq, index=False, compression="zstd")
    _write_geojson_zip(data, table, gz)
    schema = {"fields": fields, "primaryKey": ["area_code"], "missingValues": [""]}
    what = f"{data.title}: index and indicators by LSOA"
    types = sorted({g.geom_type for g in data.geometry.geometry if g is not None})
    resources = [
        _resource(
            csv,
            name=BASENAME,
            profile="tabular-data-resource",
            title=f"{what} (CSV)",
            format="csv",
            mediatype="text/csv",
            encoding="utf-8",
            dialect={"delimiter": ",", "header": True},
            schema=schema,
        ),
        _resource(
            pq,
            name=f"{BASENAME}-parquet",
            type="file",
            profile="data-resource",
            title=f"{what} (Apache Parquet)",
            description=f"The same table as `{BASENAME}` (same fields and types) as Apache Parquet.",
            format="parquet",
            mediatype="application/vnd.apache.parquet",
        ),
        _resource(
            gz,
            name=f"{BASENAME}-boundaries",
            type="file",
            profile="data-resource",
            title=f"{data.title}: LSOA boundaries with the index (GeoJSON, zipped)",
            description=(
                f"A zip holding `{gz.name.removesuffix('.zip')}`: a GeoJSON FeatureCollection "
                f"with one feature per LSOA, its boundary as geometry ({data.boundary_note}) and "
                f"as properties the fields of `{BASENAME}` listed in `geometry.properties`; join "
                f"`{BASENAME}` on `area_code` for the indicators."
            ),
            format="geojson",
            compression="zip",
            mediatype="application/zip",
            geometry={
                "types": types,
                "crs": "EPSG:4326",
                "coordinatePrecision": 4,
                "key": "area_code",
                "boundaries": data.boundary_note,
                "properties": boundary_columns(data, table),
            },
        ),
    ]
    trends = _trend_resources(data, folder)
    resources += [r for _, r in trends]
    package = {
        "profile": "data-package",
        "name": name,
        "title": data.title,
        "description": (
            f"{_own(data, data.index_title) or 'Indicators'} for {len(table):,} neighbourhoods "
            f"(LSOA {data.vintage}) "
            f"of {data.place or 'the map'}. Boundaries: {data.boundary_note}. Rank 1 and decile 1 "
            "are the most vulnerable areas."
        ),
        "version": "1.0.0",
        "licenses": [OGL],
        "attribution": ATTRIBUTION,
        "spatial": {"geography": "LSOA", "vintage": data.vintage, "boundaries": data.boundary_note},
        "sources": [
            {
                "title": f"{s.publisher}: {s.dataset}",
                **({"path": s.url} if s.url else {}),
                "licence": s.licence,
                "vintage": s.vintage,
                "loaded": s.loaded_at,
            }
            for s in data.sources
        ],
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    listed = [
        (csv, "CSV", f"{what} (CSV, opens in a spreadsheet)"),
        (pq, "Parquet", f"{what} (Apache Parquet)"),
        (
            gz,
            "GeoJSON, zipped",
            "Boundaries with the index results, for GIS (join the CSV for indicators)",
        ),
        *[
            (
                p,
                "CSV" if p.suffix == ".csv" else "Parquet",
                f"{data.title}: indicators over the years by LSOA, with 95% limits "
                f"({'CSV' if p.suffix == '.csv' else 'Apache Parquet'})",
            )
            for p, _ in trends
        ],
        (
            folder / "datapackage.json",
            "JSON",
            "Data package description (fields, units, sources, licence)",
        ),
    ]
    return [
        {"path": f"downloads/{p.name}", "title": t, "format": f, "size": _size(p.stat().st_size)}
        for p, f, t in listed
    ]


def release_tables(data: SiteData) -> list[dict]:
    """The downloads as described to the release gate (``disclosure-policy.json``): one table in
    three files, the CSV, the Parquet and the zipped GeoJSON boundaries (codes, names and index
    results). Nothing is exempt: the gate reads every file. Every numeric column is checked as a
    count under the project's ``open_site`` policy except those ``verified_columns`` vouches for
    from the warehouse's provenance."""
    files: list[tuple[str, str, str | None]] = [
        ("csv", BASENAME, None),
        ("parquet", f"{BASENAME}-parquet", None),
    ]
    files.append(("geojson.zip", f"{BASENAME}-boundaries", f"{BASENAME}.geojson:features"))
    loaded = {s.source_id for s in data.sources if OPEN_LICENCE.search(s.licence or "")}
    yearly = data.yearly
    trend_rows = (
        0
        if yearly is None or yearly.empty or data.national
        else int(yearly["source_id"].isin(loaded).sum())
    )
    return [
        {
            "name": name,
            "path": f"{BASENAME}.{ext}",
            **({"part": part} if part else {}),
            "cohort": BASENAME,
            "geography": "area_code",
            "area_type": "lsoa",
            "vintage": int(data.vintage),
            "description": f"Index and indicators by LSOA ({ext})",
        }
        for ext, name, part in files
    ] + [
        {
            "name": TRENDS if ext == "csv" else f"{TRENDS}-parquet",
            "path": f"{TRENDS}.{ext}",
            "cohort": TRENDS,
            "geography": "area_code",
            "area_type": "lsoa",
            "vintage": int(data.vintage),
            "description": f"Indicators over the years by LSOA: rates and their limits ({ext})",
        }
        for ext in ("csv", "parquet")
        if trend_rows and (ext == "parquet" or trend_rows <= TRENDS_CSV_ROWS)
    ]


def verified_columns(data: SiteData) -> dict[str, str]:
    """Columns of the downloads that republish official open data, with where each comes from:
    an indicator loaded from an official source file (publisher and licence in the warehouse)
    and its confidence limits and comparisons (computed from that published value and its own
    published numerator and denominator), and the index results when every indicator feeding
    the index is one. Anything else — a count from linked partner data, an indicator with no
    recorded source or one under a licence that is not open — is left to the gate's rules, and refused if it looks like a count."""
    loaded = {s.source_id: s for s in data.sources if OPEN_LICENCE.search(s.licence or "")}
    out: dict[str, str] = {}
    feeding_ok = True
    for m in data.measures:
        if m.group != "indicator":
            continue
        src = loaded.get(m.source_id or "")
        if src is None:
            feeding_ok &= m.domain is None
            continue
        out[m.id] = f"{src.publisher}: {src.dataset} ({src.licence}), published unchanged"
        for suffix, text in INTERVAL_FIELDS:
            out[f"{m.id}_{suffix}"] = (
                f"{text} of {m.id}, computed from {src.publisher}: {src.dataset} ({src.licence})"
            )
    trends = data.yearly
    if trends is not None and not trends.empty and trends["source_id"].isin(loaded).any():
        ids = sorted(set(trends.loc[trends["source_id"].isin(loaded), "indicator_id"]))
        what = f"official open indicators ({', '.join(ids)}) over the years"
        out["value"] = f"{what}, published unchanged (4 significant figures)"
        for col in ("lower95", "upper95"):
            out[col] = f"{INTERVAL_TEXT[col]} Of {what}."
        for col in ("county", "england"):
            out[col] = f"{what}: the {col}'s total, sum of published numerators / denominators"
    if feeding_ok:
        for m in data.measures:
            if m.group == "indicator":
                continue
            comp = "index" if m.id == "index" else m.id.split(".", 1)[1]
            for fld in INDEX_FIELD_TEXT:
                out[f"{comp}_{fld}"] = f"{m.title} {fld}, computed only from official open data"
    return out


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(1, round(n / 1000))} KB"
