"""The warehouse tables (see docs/architecture.md); one statement each, created in a fresh file."""

from __future__ import annotations

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
    "benchmarks": """
        area_code VARCHAR NOT NULL, indicator_id VARCHAR NOT NULL, vintage INTEGER NOT NULL,
        period VARCHAR NOT NULL, value DOUBLE, numerator DOUBLE, denominator DOUBLE,
        value_max DOUBLE, areas BIGINT, method VARCHAR, note VARCHAR""",
    "indicator_meta": """
        indicator_id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, description VARCHAR, unit VARCHAR,
        kind VARCHAR NOT NULL, polarity VARCHAR NOT NULL, area_type VARCHAR NOT NULL,
        vintage INTEGER NOT NULL, period VARCHAR, source_id VARCHAR NOT NULL, publisher VARCHAR,
        dataset VARCHAR, licence VARCHAR, url VARCHAR""",
    "sources": """
        source_id VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, bytes BIGINT,
        "rows" BIGINT, publisher VARCHAR, dataset VARCHAR, licence VARCHAR, vintage INTEGER,
        url VARCHAR, loaded_at TIMESTAMP WITH TIME ZONE""",
    "geometries": """
        area_code VARCHAR NOT NULL, area_type VARCHAR NOT NULL, vintage INTEGER NOT NULL,
        geometry BLOB NOT NULL""",
    "runs": """
        run_id VARCHAR PRIMARY KEY, command VARCHAR NOT NULL, started_at TIMESTAMP WITH TIME ZONE,
        finished_at TIMESTAMP WITH TIME ZONE, status VARCHAR NOT NULL, lantern_version VARCHAR,
        config_sha256 VARCHAR, details JSON""",
}


def create_statements() -> list[str]:
    return [f"CREATE TABLE {name} ({body.strip()})" for name, body in TABLES.items()]
