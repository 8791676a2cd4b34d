"""Copying areas, indicators and index results from a warehouse in the documented schema."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy import func, select

from lantern.errors import InputError
from lantern.paths import BUNDLED_ESSEX
from lantern.portal import loaders
from lantern.portal.db import make_engine, migrate, session_factory
from lantern.portal.models import Area, AreaLink, IndicatorValue
from lantern.portal.scope import Scope, ScopedQueries
from lantern.warehouse.schema import create_statements
from lantern.warehouse.store import Warehouse

from .conftest import BACKENDS, database_url


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A warehouse with Colchester's 2021-chain areas, one real indicator and index scores."""
    path = tmp_path_factory.mktemp("wh") / "lantern.duckdb"
    areas, links = loaders.read_hierarchy(
        BUNDLED_ESSEX / "lookups" / loaders.LOOKUP_FILE, ["E07000071"]
    )
    con = duckdb.connect(str(path))
    for stmt in create_statements():
        con.execute(stmt)
    con.executemany(
        "insert into areas values (?, ?, ?, 2021, ?)",
        [(a["area_code"], a["area_name"], a["area_type"], a["boundary_year"]) for a in areas],
    )
    con.executemany(
        "insert into area_links values (?, ?, ?, ?, 2021)",
        [(x["child_code"], x["child_type"], x["parent_code"], x["parent_type"]) for x in links],
    )
    con.execute("insert into areas values ('E01000001', 'City of London 001A', 'lsoa', 2011, 2011)")
    iod = BUNDLED_ESSEX / "imd2019/iod2025_lsoa21_scores_ranks_deciles_england.csv"
    imd = con.execute(
        "select i.lsoa21_code as area_code, 2021 as vintage, 'iod2025.imd_score' as indicator_id, "
        "'2025' as period, i.IMD_score as value "
        f"from read_csv_auto('{iod}') i join areas a on a.area_code = i.lsoa21_code and a.vintage = 2021"
    ).df()
    con.close()
    with Warehouse.update(path, command="test") as writer:  # values are stored keyed
        writer.insert("indicators", imd)
    con = duckdb.connect(str(path))
    con.execute(
        "insert into indicator_meta values ('iod2025.imd_score', 'IMD score', null, 'score', 'score', "
        "'higher_worse', 'lsoa', 2021, '2025', 'iod2025', 'MHCLG', 'IoD2025', 'OGL-UK-3.0', null)"
    )
    con.execute(
        "create table index_scores (index_id varchar, area_code varchar, vintage integer, component varchar, "
        "reference varchar, score double, rank integer, decile integer)"
    )
    con.execute(
        "create table index_components (index_id varchar, component varchar, title varchar)"
    )
    con.execute("create table index_runs (index_id varchar, built_at timestamp)")
    con.execute(
        "insert into index_components values ('essex-covid', 'index', 'Essex COVID-19 vulnerability')"
    )
    con.execute("insert into index_runs values ('essex-covid', timestamp '2026-11-23 09:00:00')")
    con.execute(
        "insert into index_scores select 'essex-covid', area_code, 2021, 'index', ref, value, "
        "rank() over (partition by ref order by value desc), 1 from indicators, (values ('county'), ('national')) t(ref)"
    )
    con.close()
    return path


@pytest.mark.parametrize("backend", BACKENDS)
def test_load_warehouse(backend, warehouse, tmp_path, request):
    engine = make_engine(database_url(backend, "portal_wh", tmp_path, request))
    migrate(engine)
    with session_factory(engine)() as s:
        counts = loaders.load_warehouse(s, warehouse)
        n_lsoa = s.scalar(select(func.count()).select_from(Area).where(Area.area_type == "lsoa"))
        assert counts["areas"] == s.scalar(select(func.count()).select_from(Area))
        assert s.get(Area, "E01000001") is None  # 2011 vintage left out
        assert s.scalar(select(func.count()).select_from(AreaLink)) == counts["links"]
        ids = set(s.scalars(select(IndicatorValue.indicator_id).distinct()))
        assert ids == {
            "iod2025.imd_score",
            "index.essex-covid.index.score",
            "index.essex-covid.index.rank",
            "index.essex-covid.index.decile",
        }
        assert (
            s.scalar(
                select(func.count())
                .select_from(IndicatorValue)
                .where(IndicatorValue.indicator_id == "index.essex-covid.index.score")
            )
            == n_lsoa
        )
        ward = s.scalars(
            select(Area.area_code).where(Area.area_type == "ward").order_by(Area.area_code)
        ).first()
        scoped = ScopedQueries(s, Scope(frozenset({ward})))
        values = scoped.indicator_values("index.essex-covid.index.rank")
        assert values and all(v.period == "2026-11-23" for _, v in values)
    engine.dispose()


def test_missing_warehouse_is_named(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    migrate(engine)
    with (
        session_factory(engine)() as s,
        pytest.raises(InputError, match="warehouse file not found"),
    ):
        loaders.load_warehouse(s, tmp_path / "nope.duckdb")
