"""Runs a Splink model over token frames on DuckDB or Spark and returns plain pandas frames.

Training is fixed-seed: prior from deterministic rules, u by random sampling (seeded, capped by
``max_pairs``), m by expectation maximisation on two blocking rules. Accepted links are the
deterministic pairs plus probabilistic pairs at or above the threshold; persons are the
connected components of accepted links (computed with SciPy, identically for every backend).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from lantern.linkage.blocking import Candidate, choose, rule_pairs, rule_sql
from lantern.linkage.encode import encode_tokens
from lantern.linkage.recall import (
    BlockingRecall,
    blocking_miss_rate,
    comparison_levels,
    expand,
    parse_rule,
    term_agreement,
)
from lantern.linkage.settings import CROSS_COMPARED, UNIQUE_ID

_TERM_EQUAL = re.compile(r"^\s*(\w+)_l\s*=\s*\1_r\s*$")


@dataclass
class EngineResult:
    links: pd.DataFrame  # release_id_l, release_id_r, match_weight, match_probability, rule
    scored: pd.DataFrame  # every pair scored above the floor, with each comparison's level
    persons: pd.DataFrame  # release_id, person_id
    model: dict[str, Any]
    blocking: list[dict[str, object]]  # every candidate rule: pairs and whether it was kept
    blocking_miss: BlockingRecall | None  # estimated share of true links no rule generates


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


def deterministic_recall(
    model: dict[str, Any], deterministic: Sequence[str], frames: Sequence[pd.DataFrame]
) -> float | None:
    """Share of true links the deterministic rules find, from the trained m-probabilities.

    A rule holds when every field it names is present in both records and equal; under the
    model's independence of fields, that has probability ``Π (present share × m(equal))``, and
    the union of the rules follows by inclusion and exclusion. None when a rule is not a plain
    equality of compared fields.
    """
    m_equal: dict[str, float] = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            match = _TERM_EQUAL.match(level.get("sql_condition", ""))
            if match and "m_probability" in level:
                m_equal[match.group(1)] = float(level["m_probability"])
    rules = [parse_rule(r) for r in deterministic]
    if not rules or any(r is None for r in rules):
        return None
    sets = [frozenset(c for term in expand(r) for c in term) for r in rules if r is not None]
    if any(c not in m_equal for s in sets for c in s):
        return None
    present = {}
    for c in set().union(*sets):
        shares = [float(f[c].notna().mean()) for f in frames if len(f)]
        present[c] = shares[0] ** 2 if len(shares) == 1 else float(np.prod(shares[:2]))
    total = 0.0
    for k in range(1, len(sets) + 1):
        for combo in combinations(sets, k):
            cols = frozenset().union(*combo)
            total += (-1) ** (k + 1) * float(np.prod([present[c] * m_equal[c] for c in cols]))
    return min(max(total, 0.01), 1.0)


def _codes(ordered: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Each token column's integer codes by sequential record id (-1 where missing)."""
    frame = pd.concat(list(ordered.values()), ignore_index=True).set_index(UNIQUE_ID).sort_index()
    return {c: frame[c].fillna(-1).to_numpy(dtype=np.int32) for c in frame.columns}


def _blocking_miss_rate(
    codes: dict[str, np.ndarray],
    settings: dict[str, Any],
    scored: pd.DataFrame,
    det: pd.DataFrame,
    *,
    seed: int,
) -> BlockingRecall | None:
    """Estimate the share of true links no blocking rule generated (None for custom SQL rules)."""
    parsed = [
        parse_rule(r["blocking_rule"] if isinstance(r, dict) else r)
        for r in settings["blocking_rules_to_generate_predictions"]
    ]
    if any(r is None for r in parsed) or scored.empty:
        return None
    rules = [expand(r) for r in parsed if r is not None]
    if any(c not in codes for r in rules for term in r for c in term):
        return None
    left = scored[f"{UNIQUE_ID}_l"].to_numpy(dtype=np.int64)
    right = scored[f"{UNIQUE_ID}_r"].to_numpy(dtype=np.int64)
    agree = {t: term_agreement(codes, left, right, t) for t in {t for r in rules for t in r}}
    weights = scored["match_probability"].to_numpy(dtype=float).copy()
    if not det.empty:
        sure = pd.MultiIndex.from_frame(det[[f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"]].astype(np.int64))
        pairs = pd.MultiIndex.from_arrays([left, right])
        weights[pairs.isin(sure)] = 1.0
    return blocking_miss_rate(agree, weights, rules, seed=seed)


def _pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Order each pair so the smaller id is on the left."""
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
    blocking: Sequence[Candidate] | None = None,
) -> EngineResult:
    """Train (unless ``trained``: the settings are a saved model), predict, accept and cluster.

    ``frames`` maps a table name to token columns. With ``blocking`` (and not ``trained``),
    the candidate rules within the pair budget replace the settings' blocking rules.
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
    settings = copy.deepcopy(settings)
    if blocking is not None and not trained:
        choices = choose(list(ordered.values()), blocking, settings["link_type"])
        settings["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": rule_sql(c.rule)} for c in choices if c.kept
        ]
        report = [c.as_dict() for c in choices]
    else:
        report = [
            {
                "rule": r["blocking_rule"] if isinstance(r, dict) else r,
                "pairs": None,
                "status": "kept",
            }
            for r in settings["blocking_rules_to_generate_predictions"]
        ]
    sdfs = [
        db_api.register(f, dataset_display_name="t_" + re.sub(r"\W", "_", name))
        for name, f in ordered.items()
    ]
    linker = Linker(
        sdfs if len(sdfs) > 1 else sdfs[0], copy.deepcopy(settings), log_level="WARNING"
    )
    if not trained:
        if deterministic:
            linker.training.estimate_probability_two_random_records_match(
                list[Any](deterministic), recall=0.8
            )
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        for rule in _em_rules(columns):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        if deterministic:
            # The deterministic rules find only part of the true links; how large a part follows
            # from the trained m-probabilities, so the prior is set again with that recall.
            recall = deterministic_recall(
                linker.misc.save_model_to_json(), deterministic, list(ordered.values())
            )
            if recall is not None:
                linker.training.estimate_probability_two_random_records_match(
                    list[Any](deterministic), recall=recall
                )
    model = linker.misc.save_model_to_json()
    model.pop("linker_uid", None)  # a random per-run name, not part of the model

    predicted = linker.inference.predict(threshold_match_weight=score_floor)
    keep = [f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r", "match_weight", "match_probability"]
    scored = predicted.query_sql(f"SELECT {', '.join(keep)} FROM {{this}}").as_pandas_dataframe()
    predicted.drop_table_from_database_and_remove_from_cache()
    # DuckDB returns rows in any order: sort, so every estimate below is reproducible
    scored = _pairs(scored).sort_values([f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"], ignore_index=True)

    det = scored.iloc[:0][[f"{UNIQUE_ID}_l", f"{UNIQUE_ID}_r"]]
    det_rules = [parse_rule(r) for r in deterministic]
    if deterministic and all(r is not None for r in det_rules):
        # plain equalities: joins on the integer codes, no second Splink linker
        det = rule_pairs(
            list(ordered.values()),
            [r for r in det_rules if r is not None],
            settings["link_type"],
            UNIQUE_ID,
        )
    elif deterministic:
        det_settings = copy.deepcopy(settings)
        det_settings["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": r} for r in deterministic
        ]
        det_linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], det_settings, log_level="WARNING")
        det_sdf = det_linker.inference.deterministic_link()
        det = _pairs(
            det_sdf.query_sql(
                f"SELECT {UNIQUE_ID}_l, {UNIQUE_ID}_r FROM {{this}}"
            ).as_pandas_dataframe()
        )
        det_sdf.drop_table_from_database_and_remove_from_cache()
    codes = _codes(ordered)
    miss = _blocking_miss_rate(codes, settings, scored, det, seed=seed)
    left = scored[f"{UNIQUE_ID}_l"].to_numpy(dtype=np.int64)
    right = scored[f"{UNIQUE_ID}_r"].to_numpy(dtype=np.int64)
    for name, level in comparison_levels(settings["comparisons"], codes, left, right).items():
        scored[f"level_{name}"] = level
    del codes

    scored = _pairs(_to_release_ids(scored, release_ids))
    accepted = scored.loc[scored["match_probability"] >= threshold, keep].assign(
        rule="probabilistic"
    )
    if deterministic:
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
        accepted,
        scored.reset_index(drop=True),
        persons,
        json.loads(json.dumps(model)),
        report,
        miss,
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
