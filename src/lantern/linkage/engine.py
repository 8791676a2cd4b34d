"""Runs a Splink model over token frames on DuckDB or Spark and returns plain pandas frames.

Training is fixed-seed: prior from deterministic rules, u by random sampling (seeded, capped by
``max_pairs``), m by expectation maximisation on two blocking rules. Accepted links are the
deterministic pairs plus probabilistic pairs at or above the threshold; persons are the
connected components of accepted links (computed with SciPy, identically for every backend).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from lantern.linkage.encode import encode_tokens
from lantern.linkage.settings import CROSS_COMPARED, UNIQUE_ID


@dataclass
class EngineResult:
    links: pd.DataFrame  # release_id_l, release_id_r, match_weight, match_probability, rule
    scored: pd.DataFrame  # every pair scored above the floor (for the quality report)
    persons: pd.DataFrame  # release_id, person_id
    model: dict[str, Any]


def duckdb_api(connection: Any | None = None) -> Any:
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection=connection or duckdb.connect())


def spark_api(spark: Any | None = None, *, partitions: int = 4) -> Any:
    """A Splink Spark backend; builds a small local session when none is given."""
    try:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the Spark backend needs `pip install pyspark` and a Java runtime"
        ) from exc
    if spark is None:
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("lantern-link")
            .config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
    return SparkAPI(
        spark_session=spark,
        break_lineage_method="persist",
        num_partitions_on_repartition=partitions,
    )


def _em_rules(columns: set[str]) -> list[str]:
    rules = []
    if "dob" in columns:
        rules.append("l.dob = r.dob")
    if {"given_name", "family_name"} <= columns:
        rules.append("l.given_name = r.given_name AND l.family_name = r.family_name")
    if not rules and "nhs_number" in columns:
        rules.append("l.nhs_number = r.nhs_number")
    return rules


def _to_release_ids(frame: pd.DataFrame, release_ids: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    for side in ("_l", "_r"):
        out[UNIQUE_ID + side] = release_ids.to_numpy()[
            out[UNIQUE_ID + side].astype(np.int64).to_numpy()
        ]
    return out


def _pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Order each pair so the smaller release id is on the left."""
    left = frame[[f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"]].min(axis=1)
    right = frame[[f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"]].max(axis=1)
    out = frame.copy()
    out[f"{UNIQUE_ID}_l"], out[f"{UNIQUE_ID}_r"] = left, right
    return out


def run_splink(
    frames: dict[str, pd.DataFrame],
    settings: dict[str, Any],
    *,
    db_api: Any,
    deterministic: list[str],
    threshold: float = 0.95,
    seed: int = 42,
    max_pairs: float = 2e6,
    score_floor: float = -5.0,
    trained: bool = False,
) -> EngineResult:
    """Train (unless ``trained``: the settings are a saved model), predict, accept and cluster.

    ``frames`` maps a table name to token columns.
    """
    from splink import Linker

    # Objection-screening keys are not compared, so Splink never needs them.
    frames = {
        n: f.drop(columns=[c for c in f.columns if c.startswith("obj_")]) for n, f in frames.items()
    }
    columns = set.intersection(*(set(f.columns) for f in frames.values()))
    # Splink sees integer codes in place of tokens, rows in token-content order with sequential
    # ids, so training and pair order are the same whatever random release ids were drawn.
    ordered, release_ids = encode_tokens(frames, id_column=UNIQUE_ID, shared=CROSS_COMPARED)
    sdfs = [db_api.register(f, dataset_display_name=name) for name, f in ordered.items()]
    linker = Linker(
        sdfs if len(sdfs) > 1 else sdfs[0], copy.deepcopy(settings), log_level="WARNING"
    )
    if not trained:
        if deterministic:
            linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in _em_rules(columns):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
    model = linker.misc.save_model_to_json()
    model.pop("linker_uid", None)  # a random per-run name, not part of the model

    predicted = linker.inference.predict(threshold_match_weight=score_floor)
    keep = [f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r", "match_weight", "match_probability"]
    scored = predicted.query_sql(f"SELECT {', '.join(keep)} FROM {{this}}").as_pandas_dataframe()
    predicted.drop_table_from_database_and_remove_from_cache()
    scored = _pairs(_to_release_ids(scored, release_ids))
    accepted = scored[scored["match_probability"] >= threshold].assign(rule="probabilistic")

    if deterministic:
        det_settings = copy.deepcopy(settings)
        det_settings["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": r} for r in deterministic
        ]
        det_linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], det_settings, log_level="WARNING")
        det_sdf = det_linker.inference.deterministic_link()
        det = det_sdf.query_sql(
            f"SELECT {UNIQUE_ID}_l, {UNIQUE_ID}_r FROM {{this}}"
        ).as_pandas_dataframe()
        det_sdf.drop_table_from_database_and_remove_from_cache()
        det = _pairs(_to_release_ids(det, release_ids)).assign(
            match_weight=float("inf"), match_probability=1.0, rule="deterministic"
        )
        accepted = pd.concat([det, accepted]).drop_duplicates(
            [f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"], keep="first"
        )

    accepted = accepted.sort_values([f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"]).reset_index(drop=True)
    nodes = pd.concat([f[UNIQUE_ID] for f in frames.values()], ignore_index=True)
    persons = cluster(nodes, accepted)
    return EngineResult(
        accepted, scored.reset_index(drop=True), persons, json.loads(json.dumps(model))
    )


def cluster(nodes: pd.Series, links: pd.DataFrame) -> pd.DataFrame:
    """Persons as connected components of accepted links (the same on every backend).

    Person ids are ``P`` + a sequence number in the order of each person's smallest record id.
    """
    ids = pd.Index(nodes.sort_values().to_numpy())
    left = ids.get_indexer(links[f"{UNIQUE_ID}_l"])
    right = ids.get_indexer(links[f"{UNIQUE_ID}_r"])
    keep = (left >= 0) & (right >= 0)
    graph = sparse.coo_matrix(
        (np.ones(keep.sum()), (left[keep], right[keep])), shape=(len(ids), len(ids))
    )
    _, labels = connected_components(graph, directed=False)
    # ids are sorted, so the first time a label appears is at its smallest record id
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(1, len(first) + 1)
    person = pd.Series(rank[labels]).map(lambda n: f"P{n:08d}")
    return pd.DataFrame({UNIQUE_ID: ids.to_numpy(), "person_id": person.to_numpy()})
