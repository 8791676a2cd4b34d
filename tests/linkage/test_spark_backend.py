"""Done-when: the same FEBRL4 token linkage on Splink's Spark backend gives the same links."""

from __future__ import annotations

import shutil

import pytest

from lantern.governance import load_agreement
from lantern.linkage.link import link, out_paths

from .helpers import FEBRL_PURPOSE as PURPOSE

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("a Java runtime is needed for Spark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("lantern-test")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    assert pyspark.__version__
    yield session
    session.stop()


def test_spark_backend_same_settings_file_same_links(febrl4_tokens, spark, tmp_path):
    run = febrl4_tokens
    result = link(
        agreement=load_agreement(run.agreement_path),
        purpose=PURPOSE,
        release_dir=run.release_dir,
        keys=run.hub_keys.load("febrl", "r1"),
        out_dir=tmp_path / "spark-out",
        audit_log=tmp_path / "audit.jsonl",
        backend="spark",
        spark=spark,
        model=out_paths(run.out_dir)["settings"],
    )
    pairs = lambda links: set(zip(links["release_id_l"], links["release_id_r"], strict=True))  # noqa: E731
    assert pairs(result.links) == pairs(run.result.links)
    partition = lambda p: {frozenset(g) for g in p.groupby("person_id")["release_id"]}  # noqa: E731
    assert {frozenset(g[1]) for g in result.persons.groupby("person_id")["release_id"]} == {
        frozenset(g[1]) for g in run.result.persons.groupby("person_id")["release_id"]
    }
    assert result.quality["backend"] == "spark"
    del partition
