"""Builders shared by the linkage tests: agreements, FEBRL extracts, metrics."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

FEBRL_KINDS = {
    "given_name": "given_name",
    "surname": "family_name",
    "date_of_birth": "date_of_birth",
    "soc_sec_id": "identifier",
    "street_number": "text",
    "address_1": "text",
    "address_2": "text",
    "suburb": "text",
    "postcode": "text",
    "state": "text",
}
PURPOSE = "method-validation"
FEBRL_PURPOSE = "linkage-method-validation"  # examples/agreements/febrl-validation.yaml


def agreement_dict(parties: dict[str, dict[str, str | None]], **overrides: Any) -> dict[str, Any]:
    """An agreement over ``{party: {column: kind or None for an attribute}}``."""
    today = date.today()
    data: dict[str, Any] = {
        "id": "TEST-DSA-001",
        "title": "Linkage method validation on synthetic data",
        "start_date": (today - timedelta(days=30)).isoformat(),
        "retention_end": (today + timedelta(days=365)).isoformat(),
        "dpia_ref": "DPIA-TEST-1",
        "ethics_ref": "ETH-TEST-1",
        "parties": [
            {"id": p, "name": p.upper(), "role": "joint_controller", "organisation_type": "test"}
            for p in parties
        ]
        + [
            {
                "id": "hub",
                "name": "Linkage hub",
                "role": "processor",
                "organisation_type": "university",
            }
        ],
        "purposes": [{"code": PURPOSE, "description": "validate linkage"}],
        "lawful_basis": {
            "article_6": "6(1)(e)",
            "article_9": "9(2)(j)",
            "common_law": "not_confidential",
        },
        "fields": [
            {
                "party": p,
                "name": col,
                "class": "attribute" if kind is None else "direct_identifier",
                **({"kind": kind} if kind else {}),
            }
            for p, cols in parties.items()
            for col, kind in cols.items()
        ],
        "permitted_outputs": ["lsoa", "msoa", "ward", "district"],
    }
    data.update(overrides)
    return data


def write_agreement(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def febrl_extract(frame: pd.DataFrame, path: Path) -> Path:
    """Write a FEBRL frame as a partner CSV extract with ``record_id``."""
    out = frame.reset_index().rename(columns={"rec_id": "record_id"})
    out[["record_id", *FEBRL_KINDS]].to_csv(path, index=False)
    return path


def pair_metrics(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def links_as_record_pairs(links: pd.DataFrame, keymap: pd.Series) -> set[tuple[str, str]]:
    """Accepted links mapped back to partner record ids through the partners' key maps."""
    left = links["release_id_l"].map(keymap)
    right = links["release_id_r"].map(keymap)
    return {tuple(sorted(p)) for p in zip(left, right, strict=True)}


def truth_pairs(index: pd.MultiIndex) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for p in index}


def persons_as_record_pairs(persons: pd.DataFrame, keymap: pd.Series) -> set[tuple[str, str]]:
    """Every pair of records placed in the same person, as partner record ids."""
    out: set[tuple[str, str]] = set()
    for _, grp in persons.assign(rec=persons["release_id"].map(keymap)).groupby("person_id"):
        recs = sorted(grp["rec"])
        out.update((recs[i], recs[j]) for i in range(len(recs)) for j in range(i + 1, len(recs)))
    return out
