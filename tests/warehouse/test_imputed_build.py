"""`lantern build` warns about and flags areas whose index rests mostly on imputed values.

IoD2019 File 8 suppresses the IDACI numerator for some LSOAs. An index weighting it 3 to 1
against the IMD score, with missing values imputed from the district, rests 75% on imputed
values for exactly those LSOAs: the oracle is the warehouse's own missing values.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from lantern.cli import main
from lantern.warehouse import Warehouse

SPEC = """
[index]
id = "imputed-check"
title = "Imputation check"
area_type = "lsoa"
vintage = "2011"
missing = "impute_parent_mean"

[combine]
weighting = "explicit"

[robustness]
draws = 10

[[domains]]
id = "children"
weight = 1
weighting = "explicit"
missing = "impute_parent_mean"
[[domains.indicators]]
id = "iod2019.idaci_numerator"
weight = 3
[[domains.indicators]]
id = "iod2019.imd_score"
weight = 1
"""


def test_build_flags_areas_resting_on_imputed_values(tmp_path, essex_build, capsys):
    config, _ = essex_build
    (tmp_path / "out").mkdir()
    warehouse = tmp_path / "out" / "lantern.duckdb"
    shutil.copy(config.warehouse, warehouse)
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    settings = tmp_path / "lantern.toml"
    settings.write_text(
        f'name = "t"\ndata_dir = "bundled"\nwarehouse = "{warehouse}"\n'
        f'output_dir = "{tmp_path / "out"}"\n[index]\nspec = "{tmp_path / "spec.toml"}"\n',
        encoding="utf-8",
    )
    with Warehouse(warehouse) as wh:
        values = wh.indicator_values(["iod2019.idaci_numerator"], vintage=2011)
    suppressed = set(values.loc[values["value"].isna(), "area_code"])
    assert 10 < len(suppressed) < 500
    assert main(["build", "--config", str(settings), "--draws", "10"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"warning: {len(suppressed):,} of 1,077 areas" in out
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        scores = con.execute(
            "SELECT area_code, imputed_share, mostly_imputed FROM index_scores "
            "WHERE index_id = 'imputed-check' AND component = 'index'"
        ).df()
    finally:
        con.close()
    flagged = set(scores.loc[scores["mostly_imputed"], "area_code"])
    assert flagged == suppressed
    shares = scores.set_index("area_code")["imputed_share"]
    assert shares[sorted(suppressed)].to_numpy() == pytest.approx(0.75)
    assert (shares.drop(sorted(suppressed)) == 0).all()
