"""Compute an index from a spec and a table of indicator values (one row per area).

``compute_index`` is the whole pipeline: orient → fill gaps → normalise → transform → weight →
aggregate into domains → classify domains → combine domains → classify the index. Everything it
used is kept in the ``IndexResult`` so that scores can be explained and re-run under other choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lantern.errors import InputError
from lantern.index.aggregate import aggregate, contributions
from lantern.index.classify import breaks, classify, flags
from lantern.index.missing import apply_missing_policy
from lantern.index.normalise import normalise
from lantern.index.rounding import round_to
from lantern.index.spec import DomainSpec, IndexSpec
from lantern.index.transform import transform
from lantern.index.weights import derive_weights

INDEX = "index"


@dataclass
class DomainResult:
    """A domain's intermediate matrices (areas × indicators) and its score."""

    spec: DomainSpec
    raw: np.ndarray
    imputed: np.ndarray
    normalised: np.ndarray
    transformed: np.ndarray
    weights: np.ndarray
    score: np.ndarray
    flags: np.ndarray


@dataclass
class IndexResult:
    """Every number the index produced, by area (``areas`` gives the row order)."""

    spec: IndexSpec
    areas: pd.Index
    domains: dict[str, DomainResult]
    combined_inputs: np.ndarray  # areas × domains, the values the index aggregates
    domain_weights: np.ndarray
    index_score: np.ndarray
    components: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    # ---- tidy views -------------------------------------------------------------------------
    def scores(self) -> pd.DataFrame:
        """One row per area × component: score, rank, decile, quintile, percentile, percentile
        rank (``prank``), flag, flag_count and map break class."""
        frames = []
        for comp, cols in self.components.items():
            f = pd.DataFrame(cols, index=self.areas)
            f.insert(0, "component", comp)
            frames.append(f)
        out = pd.concat(frames).rename_axis("area_code").reset_index()
        return out

    def indicator_values(self) -> pd.DataFrame:
        rows = []
        for dom_id, d in self.domains.items():
            for j, ind in enumerate(d.spec.indicators):
                raw = d.raw[:, j] * (-1.0 if ind.polarity == "higher_better" else 1.0)
                rows.append(
                    pd.DataFrame(
                        {
                            "area_code": self.areas,
                            "component": dom_id,
                            "indicator_id": ind.id,
                            "value": raw,
                            "imputed": d.imputed[:, j],
                            "normalised": d.normalised[:, j],
                            "transformed": d.transformed[:, j],
                            "flag": d.flags[:, j],
                        }
                    )
                )
        return pd.concat(rows, ignore_index=True)

    def weights(self) -> pd.DataFrame:
        rows = []
        for dom_id, d in self.domains.items():
            for ind, w in zip(d.spec.indicators, d.weights, strict=True):
                rows.append((dom_id, ind.id, float(w), d.spec.weighting))
        for domain, w in zip(self.spec.domains, self.domain_weights, strict=True):
            rows.append((INDEX, domain.id, float(w), self.spec.combine.weighting))
        return pd.DataFrame(rows, columns=["component", "indicator_id", "weight", "method"])

    def contributions(self) -> pd.DataFrame:
        """Each term's addition to its component's score, and its share of the component's total."""
        frames = []
        for dom_id, d in self.domains.items():
            terms = contributions(d.transformed, d.weights, d.spec.aggregation)
            frames.append(_long_terms(self.areas, dom_id, [i.id for i in d.spec.indicators], terms))
        terms = contributions(
            self.combined_inputs, self.domain_weights, self.spec.combine.aggregation
        )
        frames.append(_long_terms(self.areas, INDEX, [d.id for d in self.spec.domains], terms))
        return pd.concat(frames, ignore_index=True)

    def missing_report(self) -> pd.DataFrame:
        rows = []
        for dom_id, d in self.domains.items():
            for j, ind in enumerate(d.spec.indicators):
                rows.append(
                    (
                        dom_id,
                        ind.id,
                        int(np.isnan(d.raw[:, j]).sum()),
                        int(d.imputed[:, j].sum()),
                        d.spec.missing,
                    )
                )
        return pd.DataFrame(
            rows, columns=["component", "indicator_id", "n_missing", "n_imputed", "policy"]
        )

    def wide(self) -> pd.DataFrame:
        """One row per area: every score, rank, class and flag, then each indicator's values."""
        out = pd.DataFrame(index=self.areas)
        for comp, cols in self.components.items():
            for name, values in cols.items():
                out[f"{comp}_{name}"] = values
        for d in self.domains.values():
            for j, ind in enumerate(d.spec.indicators):
                out[f"{ind.id}_normalised"] = d.normalised[:, j]
                if d.spec.flag_threshold is not None:
                    out[f"{ind.id}_flag"] = d.flags[:, j]
        return out.rename_axis("area_code")

    def subset(self, area_codes: Iterable[str]) -> pd.Index:
        """Row positions of ``area_codes`` (for reporting a national run within a county)."""
        return self.areas.get_indexer(pd.Index(area_codes))


def _long_terms(areas: pd.Index, component: str, ids: list[str], terms: np.ndarray) -> pd.DataFrame:
    total = terms.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total != 0, terms / total, np.nan)
    n, k = terms.shape
    return pd.DataFrame(
        {
            "area_code": np.repeat(np.asarray(areas), k),
            "component": component,
            "indicator_id": np.tile(ids, n),
            "contribution": terms.ravel(),
            "share": share.ravel(),
        }
    )


def _exact_floats(column: pd.Series, source: str, name: str) -> np.ndarray:
    """A column as floats; text is parsed exactly (``pd.to_numeric`` can be one ulp off, which
    would make a CSV export of the warehouse compute differently from the warehouse itself)."""
    if column.dtype != object:
        return np.asarray(pd.to_numeric(column, errors="coerce"), dtype=float)
    text = column.where(column.notna(), None).map(lambda v: v.strip() if isinstance(v, str) else v)
    text = text.where(text != "", None)
    checked = pd.to_numeric(text, errors="coerce")
    bad = checked.isna() & text.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputError("value is not a number", file=source, row=row, column=name)
    return np.asarray(text.astype(float), dtype=float)


def indicator_matrix(
    spec: IndexSpec, domain: DomainSpec, data: pd.DataFrame, source: str
) -> np.ndarray:
    """The domain's indicator columns as floats, oriented so that higher = worse, sentinels → NaN."""
    cols = []
    for ind in domain.indicators:
        if ind.column not in data.columns:
            raise InputError(
                f"indicator {ind.id!r} of domain {domain.id!r} has no column",
                file=source,
                column=ind.column,
            )
        x = _exact_floats(data[ind.column], source, ind.column)
        for sentinel in spec.missing_values:
            x = np.where(x == sentinel, np.nan, x)
        negate = ind.polarity == "higher_better" and ind.invert == "negate"
        cols.append(-x if negate else x)
    return np.column_stack(cols)


def compute_domain(
    spec: IndexSpec, domain: DomainSpec, raw: np.ndarray, parents: pd.Series | None = None
) -> DomainResult:
    """Score one domain from its oriented indicator matrix."""
    filled = np.empty_like(raw)
    imputed = np.zeros(raw.shape, dtype=bool)
    normalised = np.empty_like(raw)
    for j, ind in enumerate(domain.indicators):
        if parents is None and domain.missing == "impute_parent_mean" and np.isnan(raw[:, j]).any():
            raise InputError(
                f"indicator {ind.id!r} has {int(np.isnan(raw[:, j]).sum())} missing value(s) and "
                f"domain {domain.id!r} fills gaps with the parent area's mean, but no parent area "
                "was given (lantern index: --parent-column)",
                column=ind.column,
            )
        filled[:, j], imputed[:, j] = apply_missing_policy(raw[:, j], domain.missing, parents)
        z = normalise(
            filled[:, j],
            domain.indicator_normalisation(ind),
            ties=spec.ties,
            reference=ind.reference_value,
        )
        if ind.polarity == "higher_better" and ind.invert == "complement":
            z = 1.0 - z  # e.g. 1 − prank(x): the values were left as they are
        normalised[:, j] = round_to(z, domain.indicator_round, spec.rounding)
    transformed = np.column_stack(
        [
            transform(
                normalised[:, j], domain.transform, convention=domain.r_convention, ties=spec.ties
            )
            for j in range(raw.shape[1])
        ]
    )
    # the spec gives every indicator a weight under explicit weighting; derive_weights checks
    explicit = (
        [ind.weight for ind in domain.indicators if ind.weight is not None]
        if domain.weighting == "explicit"
        else None
    )
    w = derive_weights(domain.weighting, transformed, explicit, rescale=domain.rescale_weights)
    score = round_to(
        aggregate(transformed, w, domain.aggregation), domain.score_round, spec.rounding
    )
    threshold = domain.flag_threshold
    fl = flags(normalised, threshold) if threshold is not None else np.full(raw.shape, np.nan)
    return DomainResult(
        domain, np.where(imputed, np.nan, filled), imputed, normalised, transformed, w, score, fl
    )


def combine_inputs(spec: IndexSpec, scores: np.ndarray) -> np.ndarray:
    """Domain scores (areas × domains) after the combine step's normalisation and transform."""
    c = spec.combine
    out = np.empty_like(scores)
    for k in range(scores.shape[1]):
        z = normalise(scores[:, k], c.normalisation, ties=spec.score_ties)
        out[:, k] = transform(z, c.transform, convention=c.r_convention, ties=spec.score_ties)
    return out


def _component(
    spec: IndexSpec,
    score: np.ndarray,
    prank_round: int | None,
    flag_count: np.ndarray,
    rank_by: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    cls = classify(
        score,
        rank_by=rank_by,
        ties=spec.score_ties,
        prank_digits=prank_round,
        rounding=spec.rounding,
        least_first=spec.classify.rank_direction == "least_vulnerable_first",
        ntiles=spec.classify.ntiles,
    )
    cls["flag"] = flags(cls["prank"], spec.classify.flag_threshold)
    cls["flag_count"] = flag_count
    cls["break_class"] = (
        breaks(cls["score"], spec.classify.breaks, spec.classify.breaks_k)
        if np.sum(~np.isnan(score)) > spec.classify.breaks_k
        else np.full(score.shape, np.nan)
    )
    return cls


def compute_index(
    spec: IndexSpec,
    data: pd.DataFrame,
    *,
    parents: pd.Series | None = None,
    source: str = "data",
) -> IndexResult:
    """Run the whole spec on ``data`` (index = area codes, a column per indicator)."""
    areas = pd.Index(data.index.astype(str), name="area_code")
    if areas.has_duplicates:
        dup = areas[areas.duplicated()][0]
        raise InputError(f"area code {dup!r} appears more than once", file=source)
    parent_values = None if parents is None else parents.reindex(data.index)
    domains: dict[str, DomainResult] = {}
    for domain in spec.domains:
        raw = indicator_matrix(spec, domain, data, source)
        domains[domain.id] = compute_domain(spec, domain, raw, parent_values)
    scores = np.column_stack([d.score for d in domains.values()])
    combined = combine_inputs(spec, scores)
    explicit = (
        [d.weight for d in spec.domains if d.weight is not None]
        if spec.combine.weighting == "explicit"
        else None
    )
    w = derive_weights(
        spec.combine.weighting, combined, explicit, rescale=spec.combine.rescale_weights
    )
    index_score = aggregate(combined, w, spec.combine.aggregation)
    components = {}
    total_flags = np.zeros(len(areas))
    for dom_id, d in domains.items():
        count = (
            np.nansum(d.flags, axis=1)
            if d.spec.flag_threshold is not None
            else np.full(len(areas), np.nan)
        )
        total_flags = total_flags + np.nan_to_num(count)
        components[dom_id] = _component(spec, d.score, d.spec.prank_round, count)
    any_flags = any(d.flag_threshold is not None for d in spec.domains)
    components[INDEX] = _component(
        spec,
        round_to(index_score, spec.classify.score_round, spec.rounding),
        spec.classify.prank_round,
        total_flags if any_flags else np.full(len(areas), np.nan),
        rank_by=None if spec.classify.rank_rounded else index_score,
    )
    return IndexResult(spec, areas, domains, combined, w, index_score, components)
