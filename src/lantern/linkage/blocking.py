"""Blocking: which record pairs are compared at all, chosen from the data within a budget.

A pair that no blocking rule finds is never scored, so a link lost here cannot be recovered
later (and the quality report cannot see it). The default rules therefore cast a wide net:

1. every strong key on its own: NHS number, ``name_dob`` and every field the agreement gives
   kind ``identifier`` (an NHS number is one such field; a social-security or hospital number
   is another);
2. date of birth, both names, names swapped, and two phonetic rules (family-name Metaphone with
   birth year and month; postcode with given-name Soundex);
3. every other compared field on its own, and every pair of compared fields.

Rules of group 3 whose pair count would exceed the budget are left out, so a field like
``state`` or ``sex`` never floods the comparison with pairs; groups 1 and 2 are kept unless a
rule would produce more than ten times the budget (a default value filled into every record).
Pair counts are exact: for an equality rule they follow from the number of records sharing
each key, computed on the integer-encoded frames. The kept rules, their pair counts and the
left-out ones are reported in ``quality.json``.

A rule is a tuple of ``(left column, right column)`` equalities, so swapped names are
``(("given_name", "family_name"), ("family_name", "given_name"))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

Rule = tuple[tuple[str, str], ...]

# Fields too coarse to block on alone or as half of a pair.
WEAK = frozenset({"sex"})
# Each kept rule may produce this many pairs per record (with a floor for small files).
PAIRS_PER_RECORD = 10
MIN_BUDGET = 100_000
CORE_FACTOR = 10


def same(*cols: str) -> Rule:
    """The rule "equal on every one of ``cols``"."""
    return tuple((c, c) for c in cols)


SWAPPED_NAMES: Rule = (("given_name", "family_name"), ("family_name", "given_name"))


def rule_sql(rule: Rule) -> str:
    return " AND ".join(f"l.{a} = r.{b}" for a, b in rule)


def rule_label(rule: Rule) -> str:
    return " & ".join(a if a == b else f"{a}~{b}" for a, b in rule)


@dataclass(frozen=True)
class Candidate:
    rule: Rule
    core: bool  # a strong or standard rule (groups 1 and 2), kept unless it explodes


def candidates(
    columns: Iterable[str],
    compared: Sequence[str],
    *,
    identifiers: Iterable[str] = (),
    extra: Sequence[Sequence[str]] = (),
) -> list[Candidate]:
    """Candidate rules over the token columns present, in the order Splink will apply them."""
    cols = set(columns)
    out: list[Candidate] = []

    def add(rule: Rule, core: bool) -> None:
        if all(a in cols and b in cols for a, b in rule) and rule not in {c.rule for c in out}:
            out.append(Candidate(rule, core))

    for c in ("nhs_number", "name_dob", *sorted(identifiers), "dob"):
        add(same(c), True)
    add(same("given_name", "family_name"), True)
    add(SWAPPED_NAMES, True)
    add(same("family_name_mp", "dob_ym"), True)
    add(same("postcode", "given_name_sx"), True)
    for ex in extra:
        add(same(*ex), True)
    fields = [c for c in compared if c not in WEAK and c in cols]
    for c in fields:
        add(same(c), False)
    for a, b in combinations(fields, 2):
        add(same(a, b), False)
    return out


def _row_keys(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One integer per row for the tuple of its codes (-1 where any is missing)."""
    missing = np.zeros(len(columns[0]), dtype=bool)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        missing |= values < 0
        key = pd.factorize(key * (int(values.max(initial=0)) + 2) + values + 1)[0].astype(np.int64)
    key[missing] = -1
    return key


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=np.int64, na_value=-1)


def count_pairs(frames: Sequence[pd.DataFrame], rule: Rule, link_type: str) -> int:
    """How many record pairs ``rule`` generates (before removing earlier rules' pairs).

    Every rule is symmetric in its two records (swapped names are: ``l.a = r.b AND l.b = r.a``
    reads the same with l and r exchanged), so a pair across two files is counted once from
    the left keys of one file against the right keys of the other. Works on the integer codes:
    each side's tuple of codes becomes one key, and pairs are products of key counts.
    """
    left = [a for a, _ in rule]
    right = [b for _, b in rule]
    sizes = [len(f) for f in frames]
    stacked = [
        np.concatenate([_codes(f, a) for f in frames] + [_codes(f, b) for f in frames])
        for a, b in rule
    ]
    keys = _row_keys(stacked)
    n = sum(sizes)
    lkeys, rkeys = keys[:n], keys[n:]
    width = int(keys.max(initial=-1)) + 1
    bounds = np.cumsum([0, *sizes])

    def counts(k: np.ndarray, i: int) -> np.ndarray:
        part = k[bounds[i] : bounds[i + 1]]
        return np.bincount(part[part >= 0], minlength=width)

    lcounts = [counts(lkeys, i) for i in range(len(frames))]
    rcounts = lcounts if left == right else [counts(rkeys, i) for i in range(len(frames))]
    total = 0
    for i in range(len(frames)):
        if link_type != "link_only":
            if left == right:
                total += int((lcounts[i] * (lcounts[i] - 1) // 2).sum())
            else:  # ordered pairs, each unordered pair twice, less a record with itself
                part = slice(bounds[i], bounds[i + 1])
                selves = int(((lkeys[part] == rkeys[part]) & (lkeys[part] >= 0)).sum())
                total += (int(lcounts[i] @ rcounts[i]) - selves) // 2
        if link_type != "dedupe_only":
            total += sum(int(lcounts[i] @ rcounts[j]) for j in range(i + 1, len(frames)))
    return total


@dataclass(frozen=True)
class BlockingChoice:
    rule: Rule
    pairs: int | None  # None when the rule is implied by a kept one (not counted)
    status: str  # "kept", "over budget" or "implied by a kept rule"

    @property
    def kept(self) -> bool:
        return self.status == "kept"

    def as_dict(self) -> dict[str, object]:
        return {"rule": rule_label(self.rule), "pairs": self.pairs, "status": self.status}


def budget_for(records: int) -> int:
    """Pairs one rule may generate: ``PAIRS_PER_RECORD`` per record, at least ``MIN_BUDGET``."""
    return max(MIN_BUDGET, PAIRS_PER_RECORD * records)


def choose(
    frames: Sequence[pd.DataFrame], cands: Sequence[Candidate], link_type: str
) -> list[BlockingChoice]:
    """Count each candidate's pairs and keep those within the budget, in candidate order.

    A rule whose equalities include all of a kept rule's finds no pair that rule has not
    found already, so it is skipped without counting.
    """
    budget = budget_for(sum(len(f) for f in frames))
    kept: list[frozenset[tuple[str, str]]] = []
    out = []
    for cand in cands:
        terms = frozenset(cand.rule)
        if any(k <= terms for k in kept):
            out.append(BlockingChoice(cand.rule, None, "implied by a kept rule"))
            continue
        pairs = count_pairs(frames, cand.rule, link_type)
        if pairs <= (budget * CORE_FACTOR if cand.core else budget):
            kept.append(terms)
            out.append(BlockingChoice(cand.rule, pairs, "kept"))
        else:
            out.append(BlockingChoice(cand.rule, pairs, "over budget"))
    return out


def rule_pairs(
    frames: Sequence[pd.DataFrame], rules: Sequence[Rule], link_type: str, id_column: str
) -> pd.DataFrame:
    """Every pair meeting any of ``rules`` (equalities; missing never equal), by joins.

    Pairs are ``(id_l, id_r)`` with the smaller id on the left, each once. Used for the
    deterministic links, which are the same on every backend.
    """
    left_id, right_id = f"{id_column}_l", f"{id_column}_r"
    whole = pd.concat([f.assign(__frame=i) for i, f in enumerate(frames)], ignore_index=True)
    found = []
    for rule in rules:
        lcols = [a for a, _ in rule]
        rcols = [b for _, b in rule]
        left = whole[[id_column, "__frame", *lcols]].dropna()
        right = whole[[id_column, "__frame", *rcols]].dropna()
        right.columns = [id_column, "__frame", *lcols]
        pairs = left.merge(right, on=lcols, suffixes=("_l", "_r"))
        pairs = pairs[pairs[left_id] != pairs[right_id]]
        same_frame = pairs["__frame_l"] == pairs["__frame_r"]
        if link_type == "link_only":
            pairs = pairs[~same_frame]
        elif link_type == "dedupe_only":
            pairs = pairs[same_frame]
        found.append(pairs[[left_id, right_id]])
    if not found:
        return pd.DataFrame({left_id: [], right_id: []}, dtype="int64")
    out = pd.concat(found, ignore_index=True)
    return (
        pd.DataFrame(
            {
                left_id: out[[left_id, right_id]].min(axis=1),
                right_id: out[[left_id, right_id]].max(axis=1),
            }
        )
        .drop_duplicates()
        .sort_values([left_id, right_id], ignore_index=True)
    )
