"""Benchmark: link synthetic people from keyed tokens vs. clear text, on the same records.

Run with ``python bench/linkage.py [RECORDS]`` (default 1,000,000). Seeded Faker (en_GB) people
with valid NHS numbers and real Essex postcodes are split into two partner files of RECORDS/2
each (about 70% of people in both), with realistic recording errors (name typos, missing values,
transposed or mistyped birth dates, moved house, missing NHS numbers). The baseline is Splink on
the clear, normalised identifiers with its standard fuzzy comparisons (Jaro-Winkler names, date
and postcode comparisons); the candidate is Lantern's token pipeline (normalise + HMAC tokens,
then Splink with exact token levels). The token run uses Lantern's default blocking (the
candidates kept within the pair budget); the clear-text run then blocks on exactly the same
rules, written on clear columns (phonetic codes and birth year-month computed for it), with
the same training budget (EM capped by ``max_pairs``) and threshold. Each runs in its own
process so peak memory is its own; wall and CPU time (all threads) are both reported.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import secrets
import sys
import time
from pathlib import Path

import pandas as pd

from lantern.governance.agreement import AgreementField
from lantern.paths import BUNDLED_ESSEX

KINDS = {
    "nhs_number": "nhs_number",
    "forename": "given_name",
    "surname": "family_name",
    "date_of_birth": "date_of_birth",
    "sex": "sex",
    "postcode": "postcode",
}
THRESHOLD = 0.95
MAX_PAIRS = 2e6
SEED = 42


def make_partners(records: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from lantern.linkage.synthetic import partner_extract, synthetic_people

    postcodes = pd.read_csv(
        BUNDLED_ESSEX / "postcodes" / "nspl_derived_essex.csv", usecols=["pcds"]
    )["pcds"].tolist()
    people = synthetic_people(int(records / 2 / 0.85), postcodes=postcodes, seed=SEED)
    a = partner_extract(people, fraction=0.85, seed=1, error_rate=0.1, moved_postcodes=postcodes)
    b = partner_extract(people, fraction=0.85, seed=2, error_rate=0.1, moved_postcodes=postcodes)
    return a, b


def truth(a: pd.DataFrame, b: pd.DataFrame) -> set[tuple[str, str]]:
    m = a[["record_id", "person"]].merge(b[["record_id", "person"]], on="person")
    return set(zip(m["record_id_x"], m["record_id_y"], strict=True))


def _metrics(pred: set[tuple[str, str]], true: set[tuple[str, str]]) -> dict[str, float]:
    tp = len(pred & true)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(true) if true else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_tokens(a: pd.DataFrame, b: pd.DataFrame, out: mp.Queue) -> None:
    from lantern.linkage.engine import duckdb_api, run_splink
    from lantern.linkage.pseudonymise import pseudonymise_frame
    from lantern.linkage.settings import blocking_candidates, build_settings, deterministic_rules
    from lantern.linkage.tokens import Tokeniser

    fields = [
        AgreementField.model_validate(
            {"party": "p", "name": k, "class": "direct_identifier", "kind": v}
        )
        for k, v in KINDS.items()
    ]
    start, cpu = time.perf_counter(), time.process_time()
    tk = Tokeniser(secrets.token_bytes(32), release="bench")
    parts = {
        n: pseudonymise_frame(
            f.drop(columns=["person"]), fields, tk, partner=n, id_column="record_id"
        )
        for n, f in (("a", a), ("b", b))
    }
    tokenise_s, tokenise_cpu = time.perf_counter() - start, time.process_time() - cpu
    frames = {n: p.tokens.drop(columns=["partner"]) for n, p in parts.items()}
    columns = set(frames["a"].columns) - {"release_id"}
    settings = build_settings(columns, link_type="link_only")
    start, cpu = time.perf_counter(), time.process_time()
    result = run_splink(
        frames,
        settings,
        db_api=duckdb_api(),
        deterministic=deterministic_rules(columns),
        threshold=THRESHOLD,
        seed=SEED,
        max_pairs=MAX_PAIRS,
        blocking=blocking_candidates(columns),
    )
    link_s, link_cpu = time.perf_counter() - start, time.process_time() - cpu
    keymap = pd.concat([p.keymap for p in parts.values()]).set_index("release_id")["record_id"]
    left, right = result.links["release_id_l"].map(keymap), result.links["release_id_r"].map(keymap)
    pred = {(x, y) if x.startswith("R1-") else (y, x) for x, y in zip(left, right, strict=True)}
    kept = [r["rule"] for r in result.blocking if r["status"] == "kept"]
    out.put({"tokenise_s": tokenise_s, "link_s": link_s, "tokenise_cpu": tokenise_cpu,
             "link_cpu": link_cpu, "pred": pred, "peak_mb": _peak_mb(), "rules": kept})  # fmt: skip


# Token columns as clear-text columns, for blocking the baseline on the same rules.
CLEAR_COLUMN = {"given_name": "forename", "family_name": "surname", "given_name_sx": "forename_sx",
                "family_name_mp": "surname_mp", "dob_ym": "dob_ym", "dob": "dob",
                "nhs_number": "nhs_number", "postcode": "postcode", "sex": "sex"}  # fmt: skip


def clear_rule(label: str) -> str:
    """A kept token rule (as reported, e.g. ``given_name~family_name & ...``) on clear columns."""
    terms = []
    for term in label.split(" & "):
        left, _, right = term.partition("~")
        right = right or left
        if left == right == "name_dob":
            terms += [f"l.{c} = r.{c}" for c in ("forename", "surname", "dob")]
        else:
            terms.append(f"l.{CLEAR_COLUMN[left]} = r.{CLEAR_COLUMN[right]}")
    return " AND ".join(terms)


def run_clear(a: pd.DataFrame, b: pd.DataFrame, out: mp.Queue, rules: list[str]) -> None:
    import jellyfish
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from lantern.linkage.normalise import normalise_series, per_distinct

    start, cpu = time.perf_counter(), time.process_time()
    frames = []
    for f in (a, b):
        g = pd.DataFrame({"unique_id": f["record_id"]})
        for col, kind in KINDS.items():
            g[col] = normalise_series(f[col], kind)
        g["dob"] = pd.to_datetime(g["date_of_birth"], format="%Y%m%d", errors="coerce").dt.strftime(
            "%Y-%m-%d"
        )
        g["dob_ym"] = g["dob"].str[:7]
        g["forename_sx"] = per_distinct(
            g["forename"], lambda v: jellyfish.soundex(v.replace(" ", ""))
        )
        g["surname_mp"] = per_distinct(
            g["surname"], lambda v: jellyfish.metaphone(v.replace(" ", ""))
        )
        frames.append(g.drop(columns=["date_of_birth"]))
    normalise_s, normalise_cpu = time.perf_counter() - start, time.process_time() - cpu
    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=[clear_rule(r) for r in rules],
        comparisons=[
            cl.ExactMatch("nhs_number").configure(term_frequency_adjustments=True),
            cl.NameComparison("forename").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.PostcodeComparison("postcode"),
        ],
    )
    start, cpu = time.perf_counter(), time.process_time()
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(f) for f in frames], settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nhs_number", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=MAX_PAIRS, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("forename", "surname"), estimate_without_term_frequencies=True
    )
    pred_df = linker.inference.predict(threshold_match_probability=THRESHOLD).as_pandas_dataframe()
    link_s, link_cpu = time.perf_counter() - start, time.process_time() - cpu
    pred = {
        (x, y) if x.startswith("R1-") else (y, x)
        for x, y in zip(pred_df["unique_id_l"], pred_df["unique_id_r"], strict=True)
    }
    out.put({"tokenise_s": normalise_s, "link_s": link_s, "tokenise_cpu": normalise_cpu,
             "link_cpu": link_cpu, "pred": pred, "peak_mb": _peak_mb()})  # fmt: skip


def _in_child(target, a: pd.DataFrame, b: pd.DataFrame, *extra) -> dict:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(a, b, queue, *extra))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(records: int = 1_000_000) -> dict:
    start = time.perf_counter()
    a, b = make_partners(records)
    true = truth(a, b)
    print(
        f"{len(a) + len(b):,} records ({len(a):,} + {len(b):,}), {len(true):,} true links; generated in {time.perf_counter() - start:.0f} s"
    )
    rows = {}
    # tokens first: the clear-text baseline then blocks on the very rules the tokens kept
    for name, target in (("tokens", run_tokens), ("clear text (baseline)", run_clear)):
        extra = (rows["tokens"]["rules"],) if name != "tokens" else ()
        res = _in_child(target, a, b, *extra)
        res.update(_metrics(res.pop("pred"), true))
        rows[name] = res
        print(
            f"{name:22s} prepare {res['tokenise_s']:7.1f} s  link {res['link_s']:7.1f} s  "
            f"(CPU {res['tokenise_cpu'] + res['link_cpu']:7.1f} s)  peak {res['peak_mb'] / 1024:5.2f} GB  "
            f"P {res['precision']:.4f}  R {res['recall']:.4f}  F1 {res['f1']:.4f}"
        )
    print(f"blocking rules (both runs): {'; '.join(rows['tokens']['rules'])}")
    base, tok = rows["clear text (baseline)"], rows["tokens"]
    ratio_link = tok["link_s"] / base["link_s"]
    ratio_total = (tok["link_s"] + tok["tokenise_s"]) / (base["link_s"] + base["tokenise_s"])
    ratio_cpu = (tok["link_cpu"] + tok["tokenise_cpu"]) / (base["link_cpu"] + base["tokenise_cpu"])
    print(
        f"ratio tokens/clear: linkage {ratio_link:.2f}x, including preparation {ratio_total:.2f}x, "
        f"CPU {ratio_cpu:.2f}x (target <= 1.2x, <= 6 GB, precision >= 0.99)"
    )
    summary = {
        "records": len(a) + len(b),
        "true_links": len(true),
        "runs": rows,
        "ratio_link": ratio_link,
        "ratio_total": ratio_total,
        "ratio_cpu": ratio_cpu,
    }
    out = Path(__file__).resolve().parent / "results" / "linkage.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
