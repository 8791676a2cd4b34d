"""Attack 8: nothing reaches its destination until the gate passes.

``lantern cohort count --out`` and ``--release-out`` build in a temporary folder beside the
destination, gate every output, and swap them in only when all pass; a refusal leaves every
destination (and the warehouse) exactly as it was and no temporary file behind.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from lantern.errors import DisclosureError
from lantern.linkage.cohort import aggregate_cohort
from lantern.release.stage import staged_folder, swap_in
from lantern.warehouse.schema import create_statements
from linkage.essex import PURPOSE, TODAY, essex_data, new_keys, run_essex

from .folders import project_rules_with


@pytest.fixture(scope="module")
def essex_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("writers")
    return run_essex(root / "run", essex_data(n=500, seed=5), new_keys(root / "keys"))


@pytest.fixture(scope="module")
def chain():
    from lantern.geography.hierarchy import load_hierarchy
    from lantern.paths import BUNDLED_ESSEX

    return load_hierarchy(BUNDLED_ESSEX, 2021).chain


def _count(run, chain, tmp_path, rules, **kw):
    return aggregate_cohort(
        agreement=run.agreement, purpose=PURPOSE, cohort_name="multi_agency_vulnerable",
        release_dir=run.release_dir, link_dir=run.out_dir, storage_key=run.keys.storage_key,
        release=run.keys.release, chain=chain, levels=["lsoa", "msoa", "ward", "district"],
        audit_log=tmp_path / "audit.jsonl", today=TODAY, rules=rules, **kw,
    )  # fmt: skip


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_attack_8_a_refused_cohort_count_leaves_every_destination_untouched(
    essex_run, chain, tmp_path
):
    out = tmp_path / "out"
    wh = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(wh))
    for stmt in create_statements():
        con.execute(stmt)
    con.close()
    rules = project_rules_with()
    _count(
        essex_run,
        chain,
        tmp_path,
        rules,
        out_csv=out / "first.csv",
        release_out=out / "release",
        warehouse=wh,
    )
    assert (out / "first.csv").exists() and (out / "first.disclosure-record.json").exists()
    assert (out / "release" / "disclosure-record.json").exists()
    before = _tree(out)
    wh_before = hashlib.sha256(wh.read_bytes()).hexdigest()
    # The project raises its threshold to 10: the agreement's policy (7) is now a relaxation,
    # so the next run is refused — and leaves nothing behind.
    stricter = project_rules_with(cohort_counts={"preset": "nhs_small_area", "threshold": 10})
    with pytest.raises(DisclosureError, match="relaxation"):
        _count(
            essex_run,
            chain,
            tmp_path,
            stricter,
            out_csv=out / "second.csv",
            release_out=out / "release",
            warehouse=wh,
        )
    assert not (out / "second.csv").exists()
    assert _tree(out) == before, "a refused run changed a destination or left a temporary file"
    assert hashlib.sha256(wh.read_bytes()).hexdigest() == wh_before
    with pytest.raises(DisclosureError):
        _count(essex_run, chain, tmp_path, stricter, out_csv=out / "first.csv")
    assert _tree(out) == before


def test_staged_folder_swaps_in_only_on_success(tmp_path):
    dest = tmp_path / "site"
    dest.mkdir()
    (dest / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_folder(dest) as tmp:
        (tmp / "new.txt").write_text("new")
        raise RuntimeError("gate refused")
    assert [p.name for p in tmp_path.iterdir()] == ["site"] and (dest / "old.txt").exists()
    with staged_folder(dest) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in dest.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
    built = tmp_path / "built.csv"
    built.write_text("a\n")
    swap_in(built, tmp_path / "dest.csv")
    assert (tmp_path / "dest.csv").read_text() == "a\n" and not built.exists()
