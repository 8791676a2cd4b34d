"""Cohort aggregation: who is counted, where, and only through the output gate."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from lantern.errors import GovernanceError
from lantern.governance import load_agreement
from lantern.governance.agreement import Cohort
from lantern.linkage.cohort import aggregate_cohort, cohort_persons, lsoa_counts
from lantern.warehouse.schema import create_statements

from .essex import EXAMPLE, PURPOSE, TODAY, essex_data, new_keys, run_essex


def test_cohort_persons_combines_records_of_one_person():
    persons = pd.DataFrame(
        {
            "release_id": ["a1", "n1", "a2", "n2", "p3"],
            "partner": ["asc", "nhs", "asc", "nhs", "police"],
            "person_id": ["P1", "P1", "P2", "P2", "P3"],
        }  # fmt: skip
    )
    attributes = pd.DataFrame(
        {
            "release_id": ["a1", "n1", "a2", "n2", "p3"],
            "partner": ["asc", "nhs", "asc", "nhs", "police"],
            "lsoa_code": ["E01000001", "E01000002", "E01000003", "E01000003", "E01000004"],
            "lives_alone": ["true", None, "false", None, None],
            "cev": [None, "yes", None, "1", None],
        }  # fmt: skip
    )
    cohort = Cohort(name="c", all_of=["in:asc", "cev", "lives_alone"])
    members = cohort_persons(persons, attributes, cohort, ["asc", "nhs", "police"])
    # P1 qualifies from two partners' records; their LSOAs tie, so the first party's wins
    assert members.to_dict("records") == [{"person_id": "P1", "lsoa_code": "E01000001"}]
    either = Cohort(name="d", any_of=["lives_alone", "cev"])
    assert set(cohort_persons(persons, attributes, either, ["asc"])["person_id"]) == {"P1", "P2"}


def test_lsoa_counts_include_every_area_of_the_chain():
    chain = pd.DataFrame({"lsoa21_code": ["L1", "L2", "L3"], "msoa21_code": ["M1", "M1", "M2"]})
    members = pd.DataFrame({"person_id": ["P1", "P2", "P3"], "lsoa_code": ["L1", "L1", "L9"]})
    counts = lsoa_counts(members, chain)
    assert counts["count"].tolist() == [2, 0, 0]


@pytest.fixture(scope="module")
def essex_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    return run_essex(root / "run", essex_data(n=800, seed=11), new_keys(root / "keys"))


@pytest.fixture(scope="module")
def chain():
    from lantern.geography.hierarchy import load_hierarchy
    from lantern.paths import BUNDLED_ESSEX

    return load_hierarchy(BUNDLED_ESSEX, 2021).chain


def _aggregate(run, chain, tmp_path, levels, **kw):
    return aggregate_cohort(
        agreement=run.agreement, purpose=PURPOSE, cohort_name="multi_agency_vulnerable",
        release_dir=run.release_dir, link_dir=run.out_dir, storage_key=run.keys.storage_key,
        release=run.keys.release, chain=chain, levels=levels, audit_log=tmp_path / "audit.jsonl",
        today=TODAY, **kw,
    )  # fmt: skip


def test_cohort_counts_pass_the_output_gate_into_the_warehouse(essex_run, chain, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    for stmt in create_statements():
        con.execute(stmt)
    con.close()
    out = _aggregate(essex_run, chain, tmp_path, ["lsoa", "msoa", "district"], warehouse=wh)
    published = pd.concat(out.levels.values())["value"].dropna().astype(int)
    assert not published.between(1, 7).any()  # nothing small leaves
    assert (published % 5 == 0).all()  # the agreement's policy rounds to 5
    assert out.protected.suppressed.shape[0] > 0
    rows = (
        duckdb.connect(str(wh), read_only=True)
        .execute(
            "SELECT count(*), count(value) FROM indicators WHERE indicator_id = 'linked.multi_agency_vulnerable_count'"
        )
        .fetchall()[0]
    )
    assert rows[0] == sum(len(f) for f in out.levels.values())
    assert rows[1] == len(published)


def test_cohort_level_not_permitted_is_refused(essex_run, chain, tmp_path):
    with pytest.raises(GovernanceError, match="output level 'county' is not permitted"):
        _aggregate(essex_run, chain, tmp_path, ["lsoa", "county"])
    assert not (tmp_path / "audit.jsonl").exists()
    assert load_agreement(EXAMPLE).permitted_outputs == ["lsoa", "msoa", "ward", "district"]


def test_cohort_release_folder_passes_the_checker_and_tampering_is_refused(
    essex_run, chain, tmp_path
):
    """The linkage aggregates leave as a release folder that ``lantern release check`` accepts."""
    from lantern.errors import DisclosureError
    from lantern.release import check_folder

    folder = tmp_path / "cohort-release"
    out = _aggregate(
        essex_run, chain, tmp_path, ["lsoa", "msoa", "ward", "district"], release_out=folder
    )
    assert check_folder(folder).ok
    assert (folder / "disclosure-record.json").exists()
    table = pd.read_csv(folder / "multi_agency_vulnerable_lsoa21.csv", dtype={"count": "Int64"})
    assert table["count"].isna().sum() == out.protected.table["count"].isna().sum()

    # Put one withheld cell back at a small true-looking value: the checker names it and the rule.
    withheld = table.index[table["count"].isna()][0]
    table.loc[withheld, "count"] = 3
    table.to_csv(folder / "multi_agency_vulnerable_lsoa21.csv", index=False)
    result = check_folder(folder)
    assert not result.ok
    from lantern.release import gate

    with pytest.raises(DisclosureError, match=table.loc[withheld, "lsoa21_code"]):
        gate(folder)
