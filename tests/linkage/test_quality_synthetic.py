"""quality.json's intervals on data unlike FEBRL: synthetic people with heavy recording errors
and one partner without NHS numbers. The truth must stay inside the intervals."""

from __future__ import annotations

import secrets

import pandas as pd
import pytest

from lantern.governance.agreement import AgreementField
from lantern.linkage.engine import duckdb_api, run_splink
from lantern.linkage.pseudonymise import pseudonymise_frame
from lantern.linkage.quality import quality_report
from lantern.linkage.settings import blocking_candidates, build_settings, deterministic_rules
from lantern.linkage.synthetic import partner_extract, synthetic_people
from lantern.linkage.tokens import Tokeniser

from .essex import essex_postcodes

KINDS = {"nhs_number": "nhs_number", "forename": "given_name", "surname": "family_name",
         "date_of_birth": "date_of_birth", "sex": "sex", "postcode": "postcode"}  # fmt: skip


@pytest.mark.parametrize(("error_rate", "nhs_in_a"), [(0.1, True), (0.3, False)])
def test_intervals_contain_the_truth_under_heavy_errors(error_rate, nhs_in_a):
    postcodes = essex_postcodes()
    people = synthetic_people(2500, postcodes=postcodes, seed=7)
    a = partner_extract(people, fraction=0.85, seed=1, error_rate=error_rate,
                        moved_postcodes=postcodes, with_nhs_number=nhs_in_a)  # fmt: skip
    b = partner_extract(people, fraction=0.85, seed=2, error_rate=error_rate,
                        moved_postcodes=postcodes)  # fmt: skip
    tokeniser = Tokeniser(secrets.token_bytes(32), release="t")
    parts = {}
    for name, frame in (("a", a), ("b", b)):
        fields = [
            AgreementField.model_validate(
                {"party": name, "name": c, "class": "direct_identifier", "kind": k}
            )
            for c, k in KINDS.items()
            if c in frame.columns
        ]
        parts[name] = pseudonymise_frame(
            frame.drop(columns=["person"]), fields, tokeniser, partner=name, id_column="record_id"
        )
    frames = {n: p.tokens.drop(columns=["partner"]) for n, p in parts.items()}
    columns = set.union(*(set(f.columns) for f in frames.values())) - {"release_id"}
    for name, frame in frames.items():
        for col in columns - set(frame.columns):
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frames[name] = frame[["release_id", *sorted(columns)]]
    result = run_splink(
        frames, build_settings(columns, link_type="link_only"), db_api=duckdb_api(),
        deterministic=deterministic_rules(columns), blocking=blocking_candidates(columns),
    )  # fmt: skip
    partner_of = pd.concat([p.tokens.set_index("release_id")["partner"] for p in parts.values()])
    q = quality_report(
        scored=result.scored, links=result.links, persons=result.persons, partner_of=partner_of,
        threshold=0.95, removed_objectors={}, link_type="link_only",
        blocking_miss=result.blocking_miss,
    )  # fmt: skip
    keymap = pd.concat([p.keymap for p in parts.values()]).set_index("release_id")["record_id"]
    person_of = pd.concat([a.set_index("record_id")["person"], b.set_index("record_id")["person"]])
    truth = a[["record_id", "person"]].merge(b[["record_id", "person"]], on="person")
    grouped = result.persons.assign(rec=result.persons["release_id"].map(keymap))
    predicted = set()
    for _, grp in grouped.groupby("person_id"):
        left = [r for r in grp["rec"] if r in set(a["record_id"])]
        right = [r for r in grp["rec"] if r not in set(a["record_id"])]
        predicted |= {(x, y) for x in left for y in right}
    true = set(zip(truth["record_id_x"], truth["record_id_y"], strict=True))
    precision = len(predicted & true) / len(predicted)
    recall = len(predicted & true) / len(true)
    rec, prec = q["estimated_recall"], q["estimated_precision_interval"]
    assert rec["low"] <= recall <= rec["high"], (recall, rec)
    assert prec["low"] <= precision <= prec["high"], (precision, prec)
    assert person_of.notna().all()
