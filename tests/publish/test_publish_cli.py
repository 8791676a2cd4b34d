"""``lantern publish`` from a config, and the release gate refusing a failing download."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from lantern.cli import main
from lantern.config import config_from_mapping
from lantern.errors import DisclosureError
from lantern.pipeline.publish import publish
from lantern.warehouse.store import Warehouse


def test_publish_command_writes_the_site_named_in_the_config(essex_warehouse, tmp_path, capsys):
    site = tmp_path / "site"
    cfg = tmp_path / "lantern.toml"
    cfg.write_text(
        f'warehouse = "{essex_warehouse}"\noutput_dir = "{tmp_path / "out"}"\n'
        f'[publish]\nsite_dir = "{site}"\ntitle = "Essex test map"\n'
    )
    assert main(["publish", "--config", str(cfg)]) == 0
    html = (site / "index.html").read_text()
    assert "<title>Essex test map</title>" in html
    assert (site / "downloads" / "disclosure-record.json").exists()
    assert (site / "tiles" / "lsoa.pmtiles").stat().st_size > 10_000


def test_publish_refuses_downloads_that_fail_disclosure_control(essex_warehouse, tmp_path):
    wh = tmp_path / "wh.duckdb"
    shutil.copy(essex_warehouse, wh)
    con = duckdb.connect(str(wh))
    codes = [r[0] for r in con.execute("select distinct area_code from index_scores").fetchall()]
    # person-level aggregates from a partner (not an official source file): small counts must be protected
    counts = pd.DataFrame(
        {
            "area_code": codes,
            "vintage": 2021,
            "indicator_id": "cohort.shielding_count",
            "period": "2020",
            "value": [3.0 + (i % 11) for i in range(len(codes))],
            "numerator": None,
            "denominator": None,
        }
    )
    con.close()
    with Warehouse.update(wh, command="test") as writer:  # values are stored keyed
        writer.insert("indicators", counts)
    con = duckdb.connect(str(wh))
    con.execute(
        "insert into indicator_meta (indicator_id, title, description, unit, kind, polarity,"
        " area_type, vintage, period, source_id, publisher, dataset, licence, url) values"
        " ('cohort.shielding_count', 'People shielding', '', 'people', 'count', 'higher_worse',"
        " 'lsoa', 2021, '2020', 'partner_cohort', 'Partner', 'Linked cohort', 'restricted', '')"
    )
    con.close()
    site = tmp_path / "site"
    with pytest.raises(DisclosureError, match="cohort.shielding_count|lantern-lsoa"):
        publish(config_from_mapping({"warehouse": str(wh)}, root=tmp_path), site_dir=site)
    assert not site.exists(), "a refused site must not be published"
    assert not list(tmp_path.glob(".publish-*")), "the temporary folder is cleaned up"
    # a site already published stays exactly as it was
    (site / "downloads").mkdir(parents=True)
    (site / "index.html").write_text("the site as it was")
    (site / "downloads" / "lantern-lsoa.csv").write_text("area_code\n")
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    with pytest.raises(DisclosureError):
        publish(config_from_mapping({"warehouse": str(wh)}, root=tmp_path), site_dir=site)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.glob(".publish-*"))


def test_missing_front_end_build_is_a_clear_error(monkeypatch, essex_warehouse, tmp_path):
    from lantern.errors import ConfigError
    from lantern.pipeline import publish as writer

    monkeypatch.setattr(writer, "ASSETS", tmp_path / "no-assets")
    with pytest.raises(ConfigError, match="npm run build"):
        publish(
            config_from_mapping({"warehouse": str(essex_warehouse)}, root=tmp_path),
            site_dir=tmp_path / "site",
        )


def test_only_indicators_from_open_sources_are_vouched_for(essex_data):
    """The open site's vouching rests on the warehouse's provenance: an indicator (and its
    confidence limits and comparisons) from a source under an open licence is official open
    data; one whose source is not open — and the index results it feeds — is left to the gate,
    which checks its numbers as counts."""
    from dataclasses import replace

    from lantern.publish import downloads as dl

    vouched = dl.verified_columns(essex_data)
    indicators = [m for m in essex_data.measures if m.group == "indicator" and m.source_id]
    assert indicators
    for m in indicators:
        assert m.id in vouched and f"{m.id}_lower95" in vouched and f"{m.id}_upper95" in vouched
    assert "index_score" in vouched
    closed = next(m for m in indicators if m.domain is not None)
    sources = [
        replace(s, licence="Restricted: data sharing agreement")
        if s.source_id == closed.source_id
        else s
        for s in essex_data.sources
    ]
    vouched = dl.verified_columns(replace(essex_data, sources=sources))
    assert closed.id not in vouched and f"{closed.id}_lower95" not in vouched
    assert "index_score" not in vouched, "an index fed by non-open data is not official"
    # the downloads declare every file to the gate; nothing is exempt from inspection
    files = {t["path"] for t in dl.release_tables(essex_data)}
    assert files == {f"{dl.BASENAME}.{ext}" for ext in ("csv", "parquet", "geojson.zip")} | {
        f"{dl.TRENDS}.{ext}" for ext in ("csv", "parquet")
    }
