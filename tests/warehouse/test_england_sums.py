"""England's values at ingest are summed inside DuckDB; they equal the row-by-row totals."""

from __future__ import annotations

import numpy as np

from lantern import benchmarks
from lantern.sources.model import IndicatorMeta


def test_warehouse_sums_equal_the_row_totals(essex):
    meta = [
        IndicatorMeta(**{k: r[k] for k in IndicatorMeta.__dataclass_fields__})
        for r in essex.meta().to_dict("records")
    ]
    rows = essex.query(
        "SELECT * FROM indicators WHERE area_code LIKE 'E%' AND area_code <> 'E92000001'"
    )
    expected = benchmarks.england_totals(rows, meta).set_index(["indicator_id", "period"])
    ids = sorted({m.indicator_id for m in meta if m.kind == "rate"})
    sql = benchmarks.SUMS_SQL.replace("LIKE 'E%'", "LIKE 'E%' AND area_code <> 'E92000001'")
    got = benchmarks.totals_from_sums(essex.query(sql, [ids]), meta)
    got = got.set_index(["indicator_id", "period"])
    assert len(expected) > 50 and set(got.index) == set(expected.index)
    for column in ("value", "numerator", "denominator", "areas"):
        assert np.allclose(got.loc[expected.index, column], expected[column], rtol=1e-12), column
