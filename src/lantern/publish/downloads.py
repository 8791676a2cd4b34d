"""Open-data downloads: the index and every indicator per area as CSV, Parquet and zipped
GeoJSON, described by a Frictionless Data Package (``datapackage.json``)."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from lantern.publish.display import decimals_for
from lantern.publish.place import strip_place
from lantern.publish.sitedata import SiteData

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
        if m.group == "indicator":
            vals = data.values[m.id].to_numpy(dtype=float)
            whole = np.isnan(vals) | (vals == np.round(vals))
            # whole-number indicators (counts) are written as integers: "125", not "125.0"
            extra[m.id] = pd.array(vals, dtype="Float64").astype("Int64") if whole.all() else vals
            # confidence limits to the decimals the value is shown with: further figures are
            # noise, and cost England's files megabytes
            places = decimals_for(data.values[m.id].tolist(), m.unit, m.kind)
            for suffix, _text in INTERVAL_FIELDS:
                col = f"{m.id}_{suffix}"
                if suffix == "vs_county" and data.place == "England":
                    continue  # on an England map the map's own value is England's
                if col in data.intervals.columns:
                    vals = data.intervals[col].reindex(data.areas.index).to_numpy()
                    extra[col] = np.round(vals.astype(float), places) if suffix in LIMITS else vals
    out = pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)
    empty = [c for c in out.columns if out[c].isna().all() or (out[c].astype(str) == "").all()]
    return out.drop(columns=empty)


def _fields(data: SiteData, table: pd.DataFrame) -> list[dict]:
    fields = [
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
    by_name = {f["name"]: f for f in fields}
    out = []
    for col in table.columns:
        field = dict(by_name[col])
        if field.get("type") != "string":
            field["type"] = "integer" if str(table[col].dtype) == "Int64" else "number"
        out.append(field)
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
