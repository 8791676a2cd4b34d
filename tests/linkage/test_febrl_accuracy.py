"""Done-when: FEBRL4 from tokens matches clear-text Splink; FEBRL3 deduplication from tokens."""

from __future__ import annotations

from .clear_text import clear_text_links
from .helpers import links_as_record_pairs, pair_metrics, persons_as_record_pairs


def test_febrl4_tokens_f1_within_001_of_clear_text(febrl4_tokens):
    run = febrl4_tokens
    tokens = pair_metrics(links_as_record_pairs(run.result.links, run.keymap), run.truth)
    clear = pair_metrics(clear_text_links(run.inputs["febrl-a"], run.inputs["febrl-b"]), run.truth)
    print(f"FEBRL4 tokens {tokens}; clear text {clear}")
    assert tokens["f1"] >= 0.99
    assert abs(tokens["f1"] - clear["f1"]) <= 0.01


def test_febrl3_dedupe_from_tokens(febrl3_tokens):
    run = febrl3_tokens
    metrics = pair_metrics(persons_as_record_pairs(run.result.persons, run.keymap), run.truth)
    print(f"FEBRL3 tokens {metrics}")
    assert metrics["precision"] >= 0.999
    assert metrics["recall"] >= 0.98


def test_persons_table_maps_back_through_each_partners_key_map(febrl4_tokens):
    persons = febrl4_tokens.result.persons
    assert list(persons.columns) == ["release_id", "partner", "person_id"]
    assert persons["release_id"].map(febrl4_tokens.keymap).notna().all()
    sizes = persons.groupby("person_id").size()
    # 5,000 people in each file, one-to-one: nearly every person has exactly two records
    assert (sizes == 2).sum() >= 4950


def test_quality_report_counts_without_identifiers(febrl4_tokens):
    q = febrl4_tokens.result.quality
    assert q["links_accepted"] == len(febrl4_tokens.result.links)
    assert 0.99 <= q["estimated_precision"] <= 1.0
    assert q["by_partner"]["febrl-a"]["records"] == 5000
    assert sum(b["pairs"] for b in q["match_weight_histogram"]) == q["pairs_scored"]
