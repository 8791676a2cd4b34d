"""Why an area scores what it does, and what would move it to another decile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lantern.index.aggregate import contributions
from lantern.index.engine import INDEX, IndexResult
from lantern.index.normalise import RANK_TOLERANCE

# Scores must pass the boundary area's score, not tie with it.


@dataclass(frozen=True)
class DecileShift:
    """The index-score change that moves the area one decile, and what one domain alone would need."""

    direction: str  # "more" (into the more vulnerable decile) or "less"
    target_decile: int
    score_change: float
    domains: pd.DataFrame  # domain, input_change, domain_score_needed, domain_rank_needed


@dataclass(frozen=True)
class Explanation:
    area_code: str
    score: float
    rank: float
    decile: float
    n_areas: int
    domains: pd.DataFrame  # component, title, score, rank, decile, weight, contribution, share
    indicators: (
        pd.DataFrame
    )  # component, indicator_id, value, normalised, weight, contribution, share
    shifts: list[DecileShift]


def _boundary_score(scores: np.ndarray, rank_position: int) -> float:
    """Score of the area at descending position ``rank_position`` (1-based)."""
    ordered = np.sort(scores[~np.isnan(scores)])[::-1]
    return float(ordered[rank_position - 1])


def _domain_needs(result: IndexResult, row: int, score_change: float) -> pd.DataFrame:
    """For each domain alone: the change in its combined input, and the domain score/rank that
    gives it (read off the other areas, holding them fixed)."""
    spec = result.spec
    agg = spec.combine.aggregation
    rows = []
    current = result.index_score[row]
    for k, d in enumerate(spec.domains):
        w = result.domain_weights[k]
        x = result.combined_inputs[:, k]
        if agg == "geometric":
            needed = x[row] * ((current + score_change) / current) ** (1.0 / w)
        else:
            needed = x[row] + score_change / (1.0 if agg == "sum" else w)
        dom = result.components[d.id]
        order = np.argsort(x)
        xs, ss, rs = x[order], dom["score"][order], dom["rank"][order]
        ok = ~np.isnan(xs)
        xs, ss, rs = xs[ok], ss[ok], rs[ok]
        if score_change > 0:
            pos = np.searchsorted(xs, needed, side="left")
            reachable = pos < len(xs)
            score_needed = float(ss[pos]) if reachable else np.nan
            rank_needed = float(rs[pos]) if reachable else np.nan
        else:
            pos = np.searchsorted(xs, needed, side="right") - 1
            reachable = pos >= 0
            score_needed = float(ss[pos]) if reachable else np.nan
            rank_needed = float(rs[pos]) if reachable else np.nan
        rows.append(
            {
                "component": d.id,
                "input_change": needed - x[row],
                "reachable": bool(reachable),
                "domain_score_needed": score_needed,
                "domain_rank_needed": rank_needed,
            }
        )
    return pd.DataFrame(rows)


def explain(result: IndexResult, area_code: str) -> Explanation:
    """Contributions of every domain and indicator to one area's score, and the decile shifts."""
    row = int(result.areas.get_loc(area_code))
    spec = result.spec
    idx = result.components[INDEX]
    n = int(np.sum(~np.isnan(idx["rank"])))
    terms = contributions(
        result.combined_inputs[row : row + 1], result.domain_weights, spec.combine.aggregation
    )[0]
    total = terms.sum()
    domains = pd.DataFrame(
        [
            {
                "component": d.id,
                "title": d.title,
                "score": result.components[d.id]["score"][row],
                "rank": result.components[d.id]["rank"][row],
                "decile": result.components[d.id]["decile"][row],
                "weight": result.domain_weights[k],
                "input": result.combined_inputs[row, k],
                "contribution": terms[k],
                "share": terms[k] / total if total else np.nan,
            }
            for k, d in enumerate(spec.domains)
        ]
    )
    ind_rows = []
    for dom_id, d in result.domains.items():
        t = contributions(d.transformed[row : row + 1], d.weights, d.spec.aggregation)[0]
        dt = t.sum()
        for j, ind in enumerate(d.spec.indicators):
            sign = -1.0 if ind.polarity == "higher_better" else 1.0
            ind_rows.append(
                {
                    "component": dom_id,
                    "indicator_id": ind.id,
                    "value": sign * d.raw[row, j],
                    "imputed": bool(d.imputed[row, j]),
                    "normalised": d.normalised[row, j],
                    "weight": d.weights[j],
                    "contribution": t[j],
                    "share": t[j] / dt if dt else np.nan,
                }
            )
    shifts = []
    decile = idx["decile"][row]
    scores = idx["score"]
    if not np.isnan(decile):
        current = idx["score"][row]
        # past the boundary by more than the rank tolerance, so the move is not a tie
        margin = 4 * RANK_TOLERANCE * max(1.0, float(np.nanmax(np.abs(scores))))
        if decile > 1:
            last_rank_above = int(np.floor((decile - 1) * n / 10))
            boundary = _boundary_score(scores, last_rank_above)
            change = boundary - current + margin
            shifts.append(
                DecileShift(
                    "more", int(decile - 1), float(change), _domain_needs(result, row, change)
                )
            )
        if decile < 10:
            first_rank_below = int(np.floor(decile * n / 10)) + 1
            boundary = _boundary_score(scores, first_rank_below)
            change = boundary - current - margin
            shifts.append(
                DecileShift(
                    "less", int(decile + 1), float(change), _domain_needs(result, row, change)
                )
            )
    return Explanation(
        area_code,
        float(idx["score"][row]),
        float(idx["rank"][row]),
        float(decile),
        n,
        domains,
        pd.DataFrame(ind_rows),
        shifts,
    )


def _rank_text(rank: float) -> str:
    """An integer rank; an average over tied areas shows as its lower whole rank, "tied"."""
    if np.isnan(rank):
        return "–"
    whole = int(np.floor(rank))
    return f"{whole:,}" + (" (tied)" if rank != whole else "")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def why_sentence(
    who: str,
    rank: float,
    n_areas: int,
    decile: float,
    top: list[tuple[str, float, float]],
    total: float,
) -> str:
    """One sentence a resident can read: where the area ranks and the (up to two) domains that
    give most of its score; ``top`` holds (domain title, domain rank, contribution)."""
    if rank is None or np.isnan(rank):
        return f"{who} has no index score: a value it needs is missing."
    d = int(decile)
    where = (
        "among the most vulnerable 10%"
        if d == 1
        else "among the least vulnerable 10%"
        if d == 10
        else f"in decile {d} of 10 (1 = most vulnerable)"
    )
    parts = [
        f"{title[:1].lower() + title[1:]} (ranked {_ordinal(int(np.floor(r)))})"
        for title, r, _ in top
        if r is not None and not np.isnan(r)
    ]
    share = sum(c for _, _, c in top) / total if total else np.nan
    tail = f", which give {100 * share:.0f}% of its score" if not np.isnan(share) else ""
    return (
        f"{who} ranks {_ordinal(int(np.floor(rank)))} of {n_areas:,} areas, {where}, mostly "
        f"because of {' and '.join(parts)}{tail}."
    )


def plain_sentence(e: Explanation, name: str | None = None) -> str:
    """:func:`why_sentence` for an explanation (the map panel uses the same words)."""
    who = f"{name} ({e.area_code})" if name else e.area_code
    top = e.domains.sort_values("contribution", ascending=False).head(2)
    return why_sentence(
        who,
        e.rank,
        e.n_areas,
        e.decile,
        [(r.title, r.rank, r.contribution) for r in top.itertuples()],
        float(e.domains["contribution"].sum()),
    )


def explanation_text(e: Explanation, name: str | None = None) -> str:
    """A plain-text account of an explanation, for the terminal: contributions in the index
    score's own points, adding up to the score."""
    lines = [
        plain_sentence(e, name),
        "",
        f"Index score {e.score:.4g} (rank {_rank_text(e.rank)} of {e.n_areas:,}, 1 = most "
        f"vulnerable; decile {int(e.decile) if not np.isnan(e.decile) else '–'}), made of:",
    ]
    for r in e.domains.itertuples():
        lines.append(
            f"  {r.title:<36} rank {_rank_text(r.rank):>12}  → {r.input:7.4g} × weight "
            f"{r.weight:.3f} = {r.contribution:8.4g} points ({100 * r.share:4.1f}%)"
        )
    lines.append(f"  {'':<36} {'':>17}{'':>27}= {e.domains['contribution'].sum():8.4g} points")
    lines += [
        "",
        "Each domain's rank becomes its points on the 0–100 exponential scale shown after the "
        "arrow; the index is their weighted sum.",
        "",
        "Within each domain (the domain score is the weighted sum of the indicators' scores; "
        "a score above 0 pushes the area towards more vulnerable, below 0 towards less):",
    ]
    for r in e.indicators.itertuples():
        note = " (imputed)" if r.imputed else ""
        lines.append(
            f"  {r.component:<20} {r.indicator_id:<36} value {r.value:9.4g}{note}  "
            f"score {r.normalised:+7.3f} × {r.weight:.3f} = {r.contribution:+7.3f}"
        )
    for s in e.shifts:
        lines += [
            "",
            f"To move to decile {s.target_decile} ({s.direction} vulnerable) the index score "
            f"must change by {s.score_change:+.4g} points. By one domain alone:",
        ]
        for r in s.domains.itertuples():
            if r.reachable:
                lines.append(
                    f"  {r.component:<28} domain score {r.domain_score_needed:.4g} "
                    f"(domain rank {_rank_text(r.domain_rank_needed)})"
                )
            else:
                lines.append(f"  {r.component:<28} not reachable through this domain alone")
    return "\n".join(lines)
