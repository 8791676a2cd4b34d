"""Every warehouse table's definition (see docs/architecture.md); nothing else creates tables.

``TABLES`` are created in a fresh file by ``lantern ingest``; ``INDEX_TABLES`` hold the results
of ``lantern build`` / ``lantern validate`` and are created when first written. Geography codes
are ONS GSS codes; every table with area codes carries the boundary ``vintage`` (2011 or 2021).
"""

from __future__ import annotations

import re

TABLES: dict[str, str] = {
    "areas": """
        area_code VARCHAR NOT NULL, area_name VARCHAR, area_type VARCHAR NOT NULL,
        vintage INTEGER NOT NULL, boundary_year INTEGER, PRIMARY KEY (area_code, vintage)""",
    "area_links": """
        child_code VARCHAR NOT NULL, child_type VARCHAR NOT NULL, parent_code VARCHAR NOT NULL,
        parent_type VARCHAR NOT NULL, vintage INTEGER NOT NULL""",
    "crosswalk": """
        lsoa11_code VARCHAR NOT NULL, lsoa21_code VARCHAR NOT NULL, change_code VARCHAR NOT NULL,
        weight DOUBLE NOT NULL, reverse_weight DOUBLE""",
    "postcodes": """
        postcode VARCHAR NOT NULL PRIMARY KEY, lsoa11_code VARCHAR, lsoa21_code VARCHAR,
        approximate BOOLEAN NOT NULL""",
    "indicators": """
        area_code VARCHAR NOT NULL, vintage INTEGER NOT NULL, indicator_id VARCHAR NOT NULL,
        period VARCHAR NOT NULL, value DOUBLE, numerator DOUBLE, denominator DOUBLE""",
    "indicator_series": """
        series_id INTEGER PRIMARY KEY, indicator_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
        vintage INTEGER NOT NULL, UNIQUE (indicator_id, period, vintage)""",
    "indicator_areas": """
        area_key INTEGER PRIMARY KEY, area_code VARCHAR NOT NULL UNIQUE""",
    "indicator_values": """
        series_id INTEGER NOT NULL, area_key INTEGER NOT NULL, value DOUBLE, numerator DOUBLE,
        denominator DOUBLE""",
    "benchmarks": """
        area_code VARCHAR NOT NULL, indicator_id VARCHAR NOT NULL, vintage INTEGER NOT NULL,
        period VARCHAR NOT NULL, value DOUBLE, numerator DOUBLE, denominator DOUBLE,
        value_max DOUBLE, areas BIGINT, method VARCHAR, note VARCHAR""",
    "indicator_meta": """
        indicator_id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, description VARCHAR, unit VARCHAR,
        kind VARCHAR NOT NULL, polarity VARCHAR NOT NULL, area_type VARCHAR NOT NULL,
        vintage INTEGER NOT NULL, period VARCHAR, source_id VARCHAR NOT NULL, publisher VARCHAR,
        dataset VARCHAR, licence VARCHAR, url VARCHAR""",
    "indicator_periods": """
        indicator_id VARCHAR NOT NULL, period VARCHAR NOT NULL, position INTEGER NOT NULL,
        source_id VARCHAR NOT NULL, areas INTEGER NOT NULL, PRIMARY KEY (indicator_id, period)""",
    "sources": """
        source_id VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, bytes BIGINT,
        "rows" BIGINT, publisher VARCHAR, dataset VARCHAR, licence VARCHAR, vintage INTEGER,
        url VARCHAR, loaded_at TIMESTAMP WITH TIME ZONE, verified VARCHAR""",
    "source_gaps": """
        source_id VARCHAR NOT NULL, area_type VARCHAR NOT NULL, vintage INTEGER NOT NULL,
        missing INTEGER NOT NULL, wanted INTEGER NOT NULL, example VARCHAR, reason VARCHAR""",
    "geometries": """
        area_code VARCHAR NOT NULL, area_type VARCHAR NOT NULL, vintage INTEGER NOT NULL,
        geometry BLOB NOT NULL""",
    "runs": """
        run_id VARCHAR PRIMARY KEY, command VARCHAR NOT NULL, started_at TIMESTAMP WITH TIME ZONE,
        finished_at TIMESTAMP WITH TIME ZONE, status VARCHAR NOT NULL, lantern_version VARCHAR,
        config_sha256 VARCHAR, details JSON""",
}

# Tables read as views: ``indicators`` is the long form (one row per area, indicator and
# period) of the dictionary-encoded ``indicator_values``, whose keys name a series (indicator,
# period, vintage) in ``indicator_series`` and an area in ``indicator_areas``. Storing small
# integers instead of three strings per value makes an England ingest's 8.9 million values
# quick to append; write them with ``Warehouse.insert("indicators", frame)``.
VIEWS: dict[str, str] = {
    "indicators": """
        SELECT a.area_code, s.vintage, s.indicator_id, s.period, v.value, v.numerator,
               v.denominator
        FROM indicator_values v
        JOIN indicator_series s USING (series_id)
        JOIN indicator_areas a USING (area_key)""",
}

INDEX_TABLES: dict[str, str] = {
    "index_runs": """
        index_id VARCHAR, name VARCHAR, title VARCHAR, spec_toml VARCHAR, spec_sha256 VARCHAR,
        reference VARCHAR, area_type VARCHAR, vintage INTEGER, n_areas INTEGER, draws INTEGER,
        seed BIGINT, decile_change_share DOUBLE, built_at TIMESTAMP WITH TIME ZONE,
        lantern_version VARCHAR, method_note VARCHAR""",
    "index_components": """
        index_id VARCHAR, component VARCHAR, title VARCHAR, description VARCHAR, weight DOUBLE,
        position INTEGER""",
    "index_scores": """
        index_id VARCHAR, area_code VARCHAR, vintage INTEGER, component VARCHAR, reference VARCHAR,
        score DOUBLE, rank DOUBLE, decile DOUBLE, quintile DOUBLE, percentile DOUBLE, flag BOOLEAN,
        rank_median DOUBLE, rank_p05 DOUBLE, rank_p95 DOUBLE, decile_change_share DOUBLE,
        imputed_share DOUBLE, mostly_imputed BOOLEAN""",
    "index_indicator_values": """
        index_id VARCHAR, area_code VARCHAR, component VARCHAR, indicator_id VARCHAR, value DOUBLE,
        imputed BOOLEAN, normalised DOUBLE, transformed DOUBLE""",
    "index_contributions": """
        index_id VARCHAR, area_code VARCHAR, component VARCHAR, indicator_id VARCHAR,
        contribution DOUBLE, share DOUBLE""",
    "index_weights": """
        index_id VARCHAR, component VARCHAR, indicator_id VARCHAR, weight DOUBLE, method VARCHAR""",
    "index_summaries": """
        index_id VARCHAR, area_type VARCHAR, area_code VARCHAR, vintage INTEGER, component VARCHAR,
        measure VARCHAR, value DOUBLE, rank DOUBLE""",
    "index_validation": """
        index_id VARCHAR, outcome_id VARCHAR, scope VARCHAR, predictor VARCHAR, measure VARCHAR,
        value DOUBLE, detail VARCHAR""",
}

ALL_TABLES: dict[str, str] = {**TABLES, **INDEX_TABLES}


def columns(table: str) -> list[str]:
    """The column names of ``table`` (or view), in order."""
    body = re.sub(r"(PRIMARY KEY|UNIQUE) \([^)]*\)", "", ALL_TABLES[table])
    return [part.split()[0].strip('"') for part in body.split(",") if part.strip()]


def create_statement(table: str, *, if_not_exists: bool = False) -> str:
    guard = "IF NOT EXISTS " if if_not_exists else ""
    if table in VIEWS:
        return f"CREATE VIEW {guard}{table} AS {VIEWS[table].strip()}"
    return f"CREATE TABLE {guard}{table} ({ALL_TABLES[table].strip()})"


def create_statements() -> list[str]:
    """The statements that create a fresh warehouse's ingest tables (views last)."""
    return [create_statement(name) for name in TABLES if name not in VIEWS] + [
        create_statement(name) for name in VIEWS
    ]
