"""The index specification: a TOML document parsed into frozen dataclasses and validated whole.

Every problem in a spec is collected and reported at once in one ``ConfigError``; see
``docs/index.md`` for the full key reference.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from lantern.errors import ConfigError, Problem
from lantern.index.aggregate import AGGREGATIONS
from lantern.index.classify import BREAK_METHODS
from lantern.index.normalise import NORMALISATIONS, TIE_METHODS
from lantern.index.spec_checks import Checker as _Checker
from lantern.index.spec_checks import flag as _flag
from lantern.index.spec_checks import share as _share
from lantern.index.transform import R_CONVENTIONS, TRANSFORMS
from lantern.index.weights import WEIGHTINGS

POLARITIES = ("higher_worse", "higher_better")
MISSING_POLICIES = ("exclude", "impute_parent_mean", "rank_least")
REFERENCES = ("county", "national")
INVERSIONS = ("negate", "complement")
RANK_DIRECTIONS = ("most_vulnerable_first", "least_vulnerable_first")
NTILE_METHODS = ("proportional", "equal_count")
ROUNDING_MODES = ("half_up", "half_even")


@dataclass(frozen=True)
class IndicatorSpec:
    """One input column and how it enters its domain."""

    id: str
    column: str
    polarity: str = "higher_worse"
    weight: float | None = None
    normalisation: str | None = None
    reference_value: float | None = None
    title: str = ""
    source: str = ""
    reason: str = ""
    # how a ``higher_better`` indicator is turned round: ``negate`` its values before normalising,
    # or ``complement`` the normalised value, ``1 − prank(x)`` (CDC SVI's per-capita income)
    invert: str = "negate"
    period: str | None = None  # which period of the indicator (e.g. "2019/20"); None: the latest


@dataclass(frozen=True)
class DomainSpec:
    """A group of indicators combined into one domain score."""

    id: str
    indicators: tuple[IndicatorSpec, ...]
    title: str = ""
    description: str = ""
    weight: float | None = None
    normalisation: str = "rank"
    transform: str = "none"
    r_convention: str = "iod"
    weighting: str = "equal"
    aggregation: str = "arithmetic"
    indicator_round: int | None = None
    score_round: int | None = None
    prank_round: int | None = None
    flag_threshold: float | None = None
    missing: str = "exclude"
    rescale_weights: bool = True

    def indicator_normalisation(self, indicator: IndicatorSpec) -> str:
        return indicator.normalisation or self.normalisation


@dataclass(frozen=True)
class CombineSpec:
    """How domain scores become the index score."""

    normalisation: str = "none"
    transform: str = "none"
    r_convention: str = "iod"
    weighting: str = "equal"
    aggregation: str = "arithmetic"
    rescale_weights: bool = True


@dataclass(frozen=True)
class ClassifySpec:
    """Rounding before ranking, flags and map breaks for the index score."""

    score_round: int | None = None
    prank_round: int | None = None
    flag_threshold: float = 0.9
    breaks: str = "quantile"
    breaks_k: int = 5
    # rank 1 = the most vulnerable area (IoD, SVI) or the least (British Red Cross)
    rank_direction: str = "most_vulnerable_first"
    # deciles etc.: ``proportional`` = ceil(k·rank/N); ``equal_count`` = min(k, floor((rank − 1) /
    # floor(N/k)) + 1), groups of floor(N/k) with the remainder in the last (British Red Cross)
    ntiles: str = "proportional"
    # higher-geography "proportion": share of small areas in the most vulnerable this share
    summary_proportion: float = 0.1
    # rank the index score after rounding it to score_round (SVI) or before (IMD 2025)
    rank_rounded: bool = True


@dataclass(frozen=True)
class RobustnessSpec:
    """Monte Carlo settings: draws, Dirichlet concentration, alternative method choices."""

    draws: int = 200
    seed: int = 2020
    concentration: float = 50.0
    normalisations: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexSpec:
    """A whole index: identity, domains, how they combine, and classification."""

    id: str
    title: str
    domains: tuple[DomainSpec, ...]
    description: str = ""
    area_type: str = "lsoa"
    vintage: str = "2021"
    reference: str = "county"
    ties: str = "average"
    rounding: str = "half_up"
    missing_values: tuple[float, ...] = ()
    output_ties: str | None = None  # ties when ranking scores (default: ``ties``, the inputs')
    combine: CombineSpec = field(default_factory=CombineSpec)
    classify: ClassifySpec = field(default_factory=ClassifySpec)
    robustness: RobustnessSpec = field(default_factory=RobustnessSpec)

    @property
    def score_ties(self) -> str:
        """How ties among domain and index scores are ranked."""
        return self.output_ties or self.ties

    @property
    def indicators(self) -> list[IndicatorSpec]:
        return [i for d in self.domains for i in d.indicators]

    def domain(self, domain_id: str) -> DomainSpec:
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)


_INDEX_KEYS = {
    "id",
    "title",
    "description",
    "area_type",
    "vintage",
    "reference",
    "ties",
    "output_ties",
    "rounding",
    "missing_values",
    "missing",
}
_STEP_KEYS = {"normalisation", "transform", "r_convention", "weighting", "aggregation"}
_DOMAIN_KEYS = _STEP_KEYS | {
    "id",
    "title",
    "description",
    "weight",
    "indicator_round",
    "score_round",
    "prank_round",
    "flag_threshold",
    "missing",
    "indicators",
    "reason",
    "rescale_weights",
}
_INDICATOR_KEYS = {
    "id",
    "column",
    "polarity",
    "weight",
    "normalisation",
    "reference_value",
    "title",
    "source",
    "reason",
    "invert",
    "period",
}


def _steps(
    c: _Checker, data: dict[str, Any], where: str, defaults: dict[str, str]
) -> dict[str, str]:
    return {
        "normalisation": c.choice(
            data, "normalisation", where, NORMALISATIONS, defaults["normalisation"]
        ),
        "transform": c.choice(data, "transform", where, TRANSFORMS, defaults["transform"]),
        "r_convention": c.choice(
            data, "r_convention", where, R_CONVENTIONS, defaults["r_convention"]
        ),
        "weighting": c.choice(data, "weighting", where, WEIGHTINGS, defaults["weighting"]),
        "aggregation": c.choice(data, "aggregation", where, AGGREGATIONS, defaults["aggregation"]),
    }


def _indicator(c: _Checker, data: Any, where: str, weighting: str) -> IndicatorSpec | None:
    data = c.table(data, where, _INDICATOR_KEYS)
    ind_id = c.string(data, "id", where, required=True)
    weight = c.number(data, "weight", where, minimum=0)
    if weighting == "explicit" and weight is None:
        c.problem(f"{where}.weight", "is required when the domain's weighting is explicit")
    normalisation = data.get("normalisation")
    if normalisation is not None and normalisation not in NORMALISATIONS:
        c.problem(
            f"{where}.normalisation",
            f"is {normalisation!r}; choose one of {', '.join(NORMALISATIONS)}",
        )
        normalisation = None
    reference_value = c.number(data, "reference_value", where)
    if normalisation == "distance_to_reference" and not reference_value:
        c.problem(
            f"{where}.reference_value", "a non-zero value is required by distance_to_reference"
        )
    if not ind_id:
        return None
    return IndicatorSpec(
        id=ind_id,
        column=c.string(data, "column", where, default=ind_id),
        polarity=c.choice(data, "polarity", where, POLARITIES, "higher_worse"),
        weight=weight,
        normalisation=normalisation,
        reference_value=reference_value,
        title=c.string(data, "title", where),
        source=c.string(data, "source", where),
        reason=c.string(data, "reason", where),
        invert=c.choice(data, "invert", where, INVERSIONS, "negate"),
        period=c.string(data, "period", where) or None,
    )


def _domain(
    c: _Checker, data: Any, where: str, index: dict[str, Any], combine_weighting: str
) -> DomainSpec | None:
    data = c.table(data, where, _DOMAIN_KEYS)
    dom_id = c.string(data, "id", where, required=True)
    steps = _steps(
        c,
        data,
        where,
        {
            "normalisation": "rank",
            "transform": "none",
            "r_convention": "iod",
            "weighting": "equal",
            "aggregation": "arithmetic",
        },
    )
    weight = c.number(data, "weight", where, minimum=0)
    if combine_weighting == "explicit" and weight is None:
        c.problem(f"{where}.weight", "is required when [combine] weighting is explicit")
    raw = data.get("indicators")
    if not isinstance(raw, list) or not raw:
        c.problem(f"{where}.indicators", "needs at least one [[domains.indicators]] entry")
        raw = []
    indicators = [
        _indicator(c, item, f"{where}.indicators[{j}]", steps["weighting"])
        for j, item in enumerate(raw)
    ]
    if steps["weighting"] in ("pca", "factor") and len(raw) < 2:
        c.problem(
            f"{where}.weighting", f"{steps['weighting']} weighting needs at least two indicators"
        )
    if (
        steps["aggregation"] == "geometric"
        and steps["normalisation"] in ("zscore", "minmax", "percentile_rank")
        and steps["transform"] == "none"
    ):
        c.problem(
            f"{where}.aggregation",
            "the geometric mean needs positive values; it cannot follow "
            f"{steps['normalisation']} without a transform",
        )
    flag = c.number(data, "flag_threshold", where)
    if not dom_id:
        return None
    return DomainSpec(
        id=dom_id,
        indicators=tuple(i for i in indicators if i is not None),
        title=c.string(data, "title", where, default=dom_id),
        description=c.string(data, "description", where) or c.string(data, "reason", where),
        weight=weight,
        indicator_round=c.number(data, "indicator_round", where, minimum=0, integer=True),
        score_round=c.number(data, "score_round", where, minimum=0, integer=True),
        prank_round=c.number(data, "prank_round", where, minimum=0, integer=True),
        flag_threshold=flag,
        rescale_weights=_flag(c, data, "rescale_weights", where),
        missing=c.choice(
            data,
            "missing",
            where,
            MISSING_POLICIES,
            index.get("missing", "exclude")
            if index.get("missing") in MISSING_POLICIES
            else "exclude",
        ),
        **steps,
    )


def parse_spec(data: dict[str, Any], *, source: str = "spec") -> IndexSpec:
    """Build an ``IndexSpec`` from a parsed TOML document, reporting every problem at once."""
    c = _Checker(source)
    c.table(data, "", {"index", "combine", "classify", "robustness", "domains"})
    index = c.table(data.get("index", {}), "index", _INDEX_KEYS)
    if "index" not in data:
        c.problem("index", "the [index] table is required")
    combine_raw = c.table(data.get("combine", {}), "combine", _STEP_KEYS | {"rescale_weights"})
    combine = CombineSpec(
        rescale_weights=_flag(c, combine_raw, "rescale_weights", "combine"),
        **_steps(
            c,
            combine_raw,
            "combine",
            {
                "normalisation": "none",
                "transform": "none",
                "r_convention": "iod",
                "weighting": "equal",
                "aggregation": "arithmetic",
            },
        ),
    )
    classify_raw = c.table(
        data.get("classify", {}),
        "classify",
        {
            "score_round",
            "prank_round",
            "flag_threshold",
            "breaks",
            "breaks_k",
            "rank_direction",
            "ntiles",
            "summary_proportion",
            "rank_rounded",
        },
    )
    classify = ClassifySpec(
        score_round=c.number(classify_raw, "score_round", "classify", minimum=0, integer=True),
        prank_round=c.number(classify_raw, "prank_round", "classify", minimum=0, integer=True),
        flag_threshold=c.number(classify_raw, "flag_threshold", "classify", default=0.9),
        breaks=c.choice(classify_raw, "breaks", "classify", BREAK_METHODS, "quantile"),
        breaks_k=c.number(classify_raw, "breaks_k", "classify", minimum=2, integer=True, default=5),
        rank_direction=c.choice(
            classify_raw, "rank_direction", "classify", RANK_DIRECTIONS, "most_vulnerable_first"
        ),
        ntiles=c.choice(classify_raw, "ntiles", "classify", NTILE_METHODS, "proportional"),
        summary_proportion=_share(c, classify_raw, "summary_proportion", "classify", 0.1),
        rank_rounded=_flag(c, classify_raw, "rank_rounded", "classify"),
    )
    robust_raw = c.table(
        data.get("robustness", {}),
        "robustness",
        {"draws", "seed", "concentration", "normalisations", "transforms"},
    )
    alternatives = {}
    for key, options in (("normalisations", NORMALISATIONS), ("transforms", TRANSFORMS)):
        values = robust_raw.get(key, [])
        bad = [v for v in values if v not in options] if isinstance(values, list) else [values]
        if bad or (key == "normalisations" and "distance_to_reference" in values):
            c.problem(
                f"robustness.{key}",
                f"must list choices from {', '.join(o for o in options if o != 'distance_to_reference')}",
            )
            values = []
        alternatives[key] = tuple(values)
    robustness = RobustnessSpec(
        draws=c.number(robust_raw, "draws", "robustness", minimum=1, integer=True, default=200),
        seed=c.number(robust_raw, "seed", "robustness", integer=True, default=2020),
        concentration=c.number(
            robust_raw, "concentration", "robustness", minimum=1e-6, default=50.0
        ),
        **alternatives,
    )
    raw_domains = data.get("domains")
    if not isinstance(raw_domains, list) or not raw_domains:
        c.problem("domains", "needs at least one [[domains]] entry")
        raw_domains = []
    parsed = [
        _domain(c, d, f"domains[{k}]", index, combine.weighting) for k, d in enumerate(raw_domains)
    ]
    domains = [d for d in parsed if d is not None]
    seen: dict[str, str] = {}
    for k, d in enumerate(domains):
        for j, ind in enumerate(d.indicators):
            if ind.id in seen:
                c.problem(
                    f"domains[{k}].indicators[{j}].id",
                    f"indicator {ind.id!r} is already used in {seen[ind.id]}",
                )
            seen[ind.id] = d.id
    ids = [d.id for d in domains]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        c.problem("domains", f"domain id {dup!r} appears more than once")
    if "index" in ids:
        c.problem("domains", "'index' is reserved for the composite and cannot be a domain id")
    if combine.weighting in ("pca", "factor") and len(domains) < 2:
        c.problem("combine.weighting", f"{combine.weighting} weighting needs at least two domains")
    missing_values = index.get("missing_values", [])
    if not isinstance(missing_values, list) or not all(
        isinstance(v, int | float) for v in missing_values
    ):
        c.problem("index.missing_values", "must be a list of numbers, e.g. [-999]")
        missing_values = []
    if index.get("missing") is not None and index.get("missing") not in MISSING_POLICIES:
        c.problem(
            "index.missing",
            f"is {index.get('missing')!r}; choose one of {', '.join(MISSING_POLICIES)}",
        )
    spec = IndexSpec(
        id=c.string(index, "id", "index", required=True),
        title=c.string(index, "title", "index", required=True),
        description=c.string(index, "description", "index"),
        area_type=c.string(index, "area_type", "index", default="lsoa"),
        vintage=str(index.get("vintage", "2021")),
        reference=c.choice(index, "reference", "index", REFERENCES, "county"),
        ties=c.choice(index, "ties", "index", TIE_METHODS, "average"),
        output_ties=(
            c.choice(index, "output_ties", "index", TIE_METHODS, "average")
            if "output_ties" in index
            else None
        ),
        rounding=c.choice(index, "rounding", "index", ROUNDING_MODES, "half_up"),
        missing_values=tuple(float(v) for v in missing_values),
        domains=tuple(domains),
        combine=combine,
        classify=classify,
        robustness=robustness,
    )
    if c.problems:
        raise ConfigError(f"Invalid index spec {source}", c.problems)
    return spec


def parse_spec_text(text: str, *, source: str = "spec") -> IndexSpec:
    """Parse TOML text; a TOML syntax error is reported as a ``ConfigError`` too."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Invalid index spec {source}", [Problem(f"not valid TOML: {exc}", file=source)]
        ) from exc
    return parse_spec(data, source=source)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != ""}


def spec_to_dict(spec: IndexSpec) -> dict[str, Any]:
    """The resolved spec (every default filled in) as a TOML-ready dict; parses back to ``spec``."""
    from dataclasses import asdict

    index = _drop_none(
        {
            "id": spec.id,
            "title": spec.title,
            "description": spec.description,
            "area_type": spec.area_type,
            "vintage": spec.vintage,
            "reference": spec.reference,
            "ties": spec.ties,
            "output_ties": spec.output_ties,
            "rounding": spec.rounding,
            "missing_values": list(spec.missing_values),
        }
    )
    domains = []
    for d in spec.domains:
        dd = _drop_none({k: v for k, v in asdict(d).items() if k != "indicators"})
        dd["indicators"] = [_drop_none(asdict(i)) for i in d.indicators]
        domains.append(dd)
    robustness = asdict(spec.robustness)
    robustness["normalisations"] = list(spec.robustness.normalisations)
    robustness["transforms"] = list(spec.robustness.transforms)
    return {
        "index": index,
        "combine": asdict(spec.combine),
        "classify": _drop_none(asdict(spec.classify)),
        "robustness": robustness,
        "domains": domains,
    }


def spec_to_toml(spec: IndexSpec) -> str:
    import tomli_w

    return tomli_w.dumps(spec_to_dict(spec))
