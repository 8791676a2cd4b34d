"""How many true links did blocking never compare? An estimate from the scored pairs themselves.

Scoring can only find links among the pairs some blocking rule generated. To estimate the
share of true links no rule generates, the fields are put in groups (names with their phonetic
variants; date of birth with its parts; postcode with sector and district; every other field
on its own) and, as in the Fellegi–Sunter model, groups are taken to agree or disagree
independently within true links. For each group, the agreement pattern of true links is
observed on the scored pairs that a rule *not* using that group generated (weighted by match
probability): those pairs were found whatever the group's values, so their pattern in that
group is not biased by blocking on it. Drawing one pattern per group from these distributions
and checking the rules gives the chance that a true link escapes every rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lantern.linkage.blocking import Rule

DERIVED = {"name_dob": ("given_name", "family_name", "dob")}
_TERM = re.compile(r"^\s*l\.(\w+)\s*=\s*r\.(\w+)\s*$", re.IGNORECASE)


def parse_rule(sql: str) -> Rule | None:
    """A rule of ``l.a = r.b AND ...`` equalities, or None for anything else."""
    terms = []
    for part in re.split(r"\s+AND\s+", sql.strip(), flags=re.IGNORECASE):
        m = _TERM.match(part)
        if m is None:
            return None
        terms.append((m.group(1), m.group(2)))
    return tuple(terms)


def field_group(column: str) -> str:
    """The field a token column belongs to (variants and names share one group)."""
    for base in ("given_name", "family_name"):
        if column.startswith(base):
            return "names"
    if column.startswith("dob"):
        return "dob"
    if column.startswith("postcode"):
        return "postcode"
    return column


def expand(rule: Rule) -> Rule:
    """Composite tokens replaced by the fields they join (``name_dob`` = names and birth date)."""
    out: list[tuple[str, str]] = []
    for a, b in rule:
        if a == b and a in DERIVED:
            out.extend((c, c) for c in DERIVED[a])
        else:
            out.append((a, b))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class BlockingRecall:
    """Estimated share of true links no blocking rule generates, with its uncertainty."""

    miss_rate: float
    draws: tuple[float, ...]  # the miss rate under resampled agreement patterns
    groups_without_independent_evidence: tuple[str, ...]


def term_agreement(
    codes: Mapping[str, np.ndarray], left: np.ndarray, right: np.ndarray, term: tuple[str, str]
) -> np.ndarray:
    """Whether each pair agrees on one equality term (missing never agrees)."""
    a, b = codes[term[0]], codes[term[1]]
    x, y = a[left], b[right]
    return (x == y) & (x >= 0)


_EQ = re.compile(r"(\w+)_l\s*=\s*(\w+)_r")


def _level_mask(
    level: Mapping[str, object],
    codes: Mapping[str, np.ndarray],
    left: np.ndarray,
    right: np.ndarray,
) -> np.ndarray | None:
    """Pairs meeting one comparison level (equalities joined by AND / OR), None if unreadable."""
    sql = str(level.get("sql_condition", ""))
    if level.get("is_null_level"):
        cols = re.findall(r"(\w+)_[lr]\s+IS\s+NULL", sql, flags=re.IGNORECASE)
        if not cols or cols[0] not in codes:
            return None
        return (codes[cols[0]][left] < 0) | (codes[cols[0]][right] < 0)
    if sql.strip().upper() == "ELSE":
        return np.ones(len(left), dtype=bool)
    mask = np.zeros(len(left), dtype=bool)
    for alternative in re.split(r"\s+OR\s+", sql, flags=re.IGNORECASE):
        terms = [_EQ.fullmatch(t.strip()) for t in re.split(r"\s+AND\s+", alternative, flags=re.I)]
        if any(t is None or t.group(1) not in codes or t.group(2) not in codes for t in terms):
            return None
        mask |= np.logical_and.reduce(
            [term_agreement(codes, left, right, (t.group(1), t.group(2))) for t in terms if t]
        )
    return mask


def comparison_levels(
    comparisons: Sequence[Mapping[str, object]],
    codes: Mapping[str, np.ndarray],
    left: np.ndarray,
    right: np.ndarray,
) -> dict[str, np.ndarray]:
    """For each comparison, the index of the level each pair falls in (-1: not readable).

    The same first-match order as Splink's ``CASE WHEN``, read from the settings' SQL, so a
    reviewer sees the agreement behind a match weight without any token or value.
    """
    out = {}
    for comparison in comparisons:
        level_of = np.full(len(left), -1, dtype=np.int8)
        levels: Sequence[Mapping[str, object]] = comparison["comparison_levels"]  # type: ignore[assignment]
        for i, level in enumerate(levels):
            mask = _level_mask(level, codes, left, right)
            if mask is None:
                break
            level_of[(level_of < 0) & mask] = i
        out[str(comparison["output_column_name"])] = level_of
    return out


def _patterns(states: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct agreement patterns of one group (rows of booleans) and their total weight."""
    bits = states.astype(np.int64) @ (1 << np.arange(states.shape[1], dtype=np.int64))
    keys, inverse = np.unique(bits, return_inverse=True)
    totals = np.bincount(inverse, weights=weights, minlength=len(keys))
    rows = ((keys[:, None] >> np.arange(states.shape[1])) & 1).astype(bool)
    return rows[totals > 0], totals[totals > 0]


def _escape_rate(
    rules: Sequence[Rule],
    groups: Mapping[str, list[tuple[str, str]]],
    probs: Mapping[str, tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
    size: int,
) -> float:
    """Chance that independent draws of each group's pattern satisfy no rule."""
    sample: dict[tuple[str, str], np.ndarray] = {}
    for name, gterms in groups.items():
        rows, p = probs[name]
        picks = rng.choice(len(p), size=size, p=p)
        for j, t in enumerate(gterms):
            sample[t] = rows[picks, j]
    caught = np.zeros(size, dtype=bool)
    for r in rules:
        caught |= np.logical_and.reduce([sample[t] for t in r])
    return float(1.0 - caught.mean())


def blocking_miss_rate(
    agree: Mapping[tuple[str, str], np.ndarray],
    weights: np.ndarray,
    rules: Sequence[Rule],
    *,
    size: int = 100_000,
    resamples: int = 100,
    seed: int = 0,
) -> BlockingRecall:
    """Estimated chance that a true link satisfies no rule, with resampled draws.

    ``agree`` holds, for every equality term of the (expanded) rules, whether each scored pair
    agrees; ``weights`` is each pair's match probability. The draws resample each group's
    pattern shares from a Dirichlet distribution whose size is the effective number of pairs
    behind them, so a pattern seen on few links carries its real uncertainty.
    """
    rules = [expand(r) for r in rules]
    terms = sorted({t for r in rules for t in r})
    if not rules or not len(weights) or float(weights.sum()) <= 0:
        return BlockingRecall(0.0, (0.0,), ())
    hit = np.column_stack([np.logical_and.reduce([agree[t] for t in r]) for r in rules])
    groups: dict[str, list[tuple[str, str]]] = {}
    for t in terms:
        groups.setdefault(field_group(t[0]), []).append(t)
    observed: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
    blind: list[str] = []
    for name, gterms in sorted(groups.items()):
        others = [i for i, r in enumerate(rules) if not any(field_group(t[0]) == name for t in r)]
        found = hit[:, others].any(axis=1) if others else np.zeros(len(weights), dtype=bool)
        w = np.where(found, weights, 0.0)
        if w.sum() <= 0:  # every rule uses this group: fall back to all scored pairs (biased)
            blind.append(name)
            w = weights
        states = np.column_stack([agree[t] for t in gterms])
        rows, totals = _patterns(states[w > 0], w[w > 0])
        n_eff = float(w.sum() ** 2 / (w**2).sum())
        observed[name] = (rows, totals / totals.sum(), n_eff)
    rng = np.random.default_rng(seed)
    point = _escape_rate(rules, groups, {k: (v[0], v[1]) for k, v in observed.items()}, rng, size)
    draws = []
    for _ in range(resamples):
        probs = {
            k: (rows, rng.dirichlet(p * n_eff + 1e-9)) for k, (rows, p, n_eff) in observed.items()
        }
        draws.append(_escape_rate(rules, groups, probs, rng, max(size // 20, 2_000)))
    return BlockingRecall(point, tuple(draws), tuple(blind))
