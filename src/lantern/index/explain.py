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


def explanation_text(e: Explanation) -> str:
    """A plain-text account of an explanation, for the terminal."""
    lines = [
        f"{e.area_code}: score {e.score:.4g}, rank {e.rank:g} of {e.n_areas} "
        f"(1 = most vulnerable), decile {e.decile:g}",
        "",
        "Domain contributions:",
    ]
    for r in e.domains.itertuples():
        lines.append(
            f"  {r.component:<28} score {r.score:9.4g}  rank {r.rank:7g}  weight {r.weight:.3f}"
            f"  contributes {r.contribution:8.4g} ({100 * r.share:5.1f}%)"
        )
    lines += ["", "Indicator contributions within each domain:"]
    for r in e.indicators.itertuples():
        note = " (imputed)" if r.imputed else ""
        lines.append(
            f"  {r.component:<20} {r.indicator_id:<36} value {r.value:9.4g}{note}  "
            f"weight {r.weight:.3f}  share {100 * r.share:5.1f}%"
        )
    for s in e.shifts:
        lines += [
            "",
            f"To move to decile {s.target_decile} ({s.direction} vulnerable) the index score "
            f"must change by {s.score_change:+.4g}. By one domain alone:",
        ]
        for r in s.domains.itertuples():
            if r.reachable:
                lines.append(
                    f"  {r.component:<28} domain score {r.domain_score_needed:.4g} "
                    f"(domain rank {r.domain_rank_needed:g})"
                )
            else:
                lines.append(f"  {r.component:<28} not reachable through this domain alone")
    return "\n".join(lines)
