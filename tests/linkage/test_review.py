"""Clerical review end to end: export a sample through the CLI, label it from FEBRL's truth as
the partners would (through their key maps), and check the estimates against the truth."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from lantern.cli import main
from lantern.linkage import crypto
from lantern.linkage.pseudonymise import file_label

from .helpers import FEBRL_KINDS


def _hub(run) -> list[str]:
    return ["--keys", str(run.root / "hub-keys"), "--project", "febrl", "--batch", "r1"]


def _truth_pair(run, left: str, right: str) -> bool:
    return tuple(sorted((run.keymap[left], run.keymap[right]))) in run.truth


@pytest.fixture(scope="module", params=["febrl4", "febrl3"])
def reviewed(request, febrl_runs, tmp_path_factory):
    run = febrl_runs(request.param)
    tmp = tmp_path_factory.mktemp(f"review-{request.param}")
    sample = tmp / "sample.csv"
    assert main(["link", "review", str(run.out_dir), *_hub(run), "--out", str(sample)]) == 0
    frame = pd.read_csv(sample, dtype=str, keep_default_na=False)
    labelled = frame.assign(
        is_match=[
            "1" if _truth_pair(run, a, b) else "0"
            for a, b in zip(frame["release_id_l"], frame["release_id_r"], strict=True)
        ]
    )
    labelled.to_csv(tmp / "labelled.csv", index=False)
    assert main(["link", "review", str(run.out_dir), *_hub(run), "--labels", str(tmp / "labelled.csv")]) == 0  # fmt: skip
    return run, frame, json.loads((run.out_dir / "review.json").read_text()), labelled


def test_sample_holds_no_identifier_and_favours_borderline_pairs(reviewed):
    run, frame, _, _ = reviewed
    assert 150 <= len(frame) <= 200
    assert {"pair", "stratum", "release_id_l", "partner_l", "release_id_r", "partner_r",
            "match_weight", "match_probability", "is_match"} <= set(frame.columns)  # fmt: skip
    assert (frame["is_match"] == "").all()
    text = frame.to_csv(index=False).lower()
    values = {
        str(v).strip().lower()
        for f in run.inputs.values()
        for col in FEBRL_KINDS
        for v in f[col].dropna()
        if len(str(v).strip()) >= 5
    }
    words = set(re.findall(r"[a-z0-9]+", text))
    assert not ({v for v in values if " " not in v} & words)
    assert not any(v in text for v in values if " " in v)
    assert not (set(run.keymap.to_numpy()) & set(re.findall(r"rec-[0-9a-z-]+", text)))
    # agreement levels are shown by name, never as token values
    assert frame["given_name"].str.contains("equal|other|missing|swapped").all()
    # the model is least sure near the threshold: those bands get more labels than the far ones
    per_band = frame.groupby("stratum").size()
    assert per_band.max() > per_band.min()


def test_estimates_from_labels_contain_the_truth(reviewed, tmp_path):
    run, frame, result, _ = reviewed
    hub = run.keys.storage_key
    pairs = crypto.read_frame(run.out_dir / "pairs.lnt", hub, file_label("r1", "hub", "pairs"))
    links = run.result.links
    link_true = [_truth_pair(run, a, b) for a, b in zip(links["release_id_l"], links["release_id_r"], strict=True)]  # fmt: skip
    scored_true = sum(_truth_pair(run, a, b) for a, b in zip(pairs["release_id_l"], pairs["release_id_r"], strict=True))  # fmt: skip
    precision = sum(link_true) / len(links)
    recall_compared = sum(link_true) / scored_true
    p, r = result["precision"], result["recall_among_compared_pairs"]
    assert result["labelled_pairs"] == len(frame)
    assert p["low"] <= precision <= p["high"], (precision, p)
    assert r["low"] <= recall_compared <= r["high"], (recall_compared, r)
    assert result["recall"]["high"] <= r["high"]


def test_wrong_or_blank_labels_are_refused_naming_row_and_column(reviewed, tmp_path, capsys):
    run, _, _, labelled = reviewed
    bad = labelled.copy()
    bad.loc[3, "is_match"] = "perhaps"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    code = main(["link", "review", str(run.out_dir), *_hub(run), "--labels", str(tmp_path / "bad.csv")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "row 5" in err and "is_match" in err and "perhaps" not in err
    assert "1 pair(s)" in err
    code = main(["link", "review", str(run.out_dir), *_hub(run)])
    assert code == 2
