"""Disclosure-control policies: which rule, which threshold, which rounding base, which noise.

A policy is chosen per data-sharing agreement and per output. Named presets cover the common
cases; anything else is built from a mapping (e.g. a release manifest entry) and validated with
every problem reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from lantern.errors import ConfigError, Problem

Method = Literal["suppress_round", "redact_round", "midpoint6", "suppress", "none"]
Noise = Literal["none", "laplace", "geometric", "cell_key"]
Totals = Literal["protected", "derived"]

METHODS: tuple[str, ...] = ("suppress_round", "redact_round", "midpoint6", "suppress", "none")
NOISES: tuple[str, ...] = ("none", "laplace", "geometric", "cell_key")
TOTALS: tuple[str, ...] = ("protected", "derived")


@dataclass(frozen=True)
class Policy:
    """How counts are protected before they leave the secure setting.

    ``method``:
      * ``suppress_round`` — counts 1..threshold suppressed, others rounded half-up to ``base``;
        higher-geography totals are the raw totals protected the same way (``totals="protected"``),
        with secondary suppression where a suppressed cell could otherwise be recovered.
      * ``redact_round`` — OpenSAFELY: counts <= threshold redacted, others rounded to ``base``;
        totals are sums of the published cells (``totals="derived"``).
      * ``midpoint6`` — every count x published as ``ceil(x/6)*6 - 3*(x != 0)``; nothing suppressed.
      * ``suppress`` — counts 1..threshold suppressed, others exact (base 1); relies on
        secondary suppression.
      * ``none`` — already-published official statistics; published unchanged.
    ``suppress_zeros`` / ``suppress_full``: treat 0 and 100% (a part equal to its row total) as
    disclosive. ``noise``: ``laplace``/``geometric`` (OpenDP, ``epsilon`` per person, with each person
    in at most ``sensitivity`` cells) or ``cell_key`` (ONS method, applied to records).
    ``protection``: how high a reader's feasible interval for a withheld cell must reach (default
    ``threshold + 1``: a reader must not be able to tell that a withheld count is at most the
    threshold); a larger value asks for wider intervals.
    """

    name: str = "custom"
    method: Method = "suppress_round"
    threshold: int = 7
    base: int = 5
    totals: Totals = "protected"
    suppress_zeros: bool = False
    suppress_full: bool = False
    noise: Noise = "none"
    epsilon: float | None = None
    sensitivity: int = 1
    protection: int | None = None

    @property
    def required_high(self) -> float:
        """The feasible maximum a withheld cell must reach (``protection``, default threshold+1)."""
        if not self.suppresses:
            return 0.0
        level = self.threshold + 1
        return float(max(level, self.protection or 0))

    @property
    def suppresses(self) -> bool:
        """Whether this policy withholds any cell at all."""
        return self.method in ("suppress_round", "redact_round", "suppress")

    @property
    def rounding_base(self) -> int:
        """The base every published count is a multiple of (1 when counts are exact)."""
        if self.method in ("suppress_round", "redact_round"):
            return self.base
        return 1

    @property
    def suppressed_low(self) -> int:
        """Smallest value in the suppressed range (0 when zeros count as disclosive)."""
        return 0 if (self.suppress_zeros or self.method == "redact_round") else 1

    def describe(self) -> str:
        """One line for records and messages."""
        if self.method == "none":
            return f"{self.name}: published unchanged (official statistics)"
        if self.method == "midpoint6":
            return f"{self.name}: midpoint-6 rounding of every count"
        parts = [f"{self.name}: counts {self.suppressed_low}..{self.threshold} suppressed"]
        if self.rounding_base > 1:
            parts.append(f"others rounded to the nearest {self.rounding_base}")
        parts.append(f"totals {self.totals}")
        if self.protection:
            parts.append(f"withheld cells must reach {self.protection}")
        if self.suppress_full:
            parts.append("100% cells suppressed")
        if self.noise != "none":
            parts.append(
                f"{self.noise} noise" + (f" (epsilon {self.epsilon})" if self.epsilon else "")
            )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PRESETS: dict[str, Policy] = {
    "nhs_small_area": Policy(name="nhs_small_area", method="suppress_round", threshold=7, base=5),
    "opensafely": Policy(
        name="opensafely", method="redact_round", threshold=7, base=5, totals="derived"
    ),
    "midpoint6": Policy(name="midpoint6", method="midpoint6", threshold=0, base=1),
    "threshold_only": Policy(name="threshold_only", method="suppress", threshold=7, base=1),
    "official": Policy(name="official", method="none", threshold=0, base=1),
    "ons_cell_key": Policy(
        name="ons_cell_key", method="suppress_round", threshold=9, base=5, noise="cell_key"
    ),
}
"""Named policies. ``nhs_small_area`` is the default for small-area health counts."""

DEFAULT_POLICY = PRESETS["nhs_small_area"]


def policy_from(spec: str | Mapping[str, Any] | Policy, *, where: str = "policy") -> Policy:
    """A policy from a preset name, a mapping (optionally ``{"preset": name, ...overrides}``) or itself.

    Raises ``ConfigError`` listing every problem found.
    """
    if isinstance(spec, Policy):
        return spec
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ConfigError(
                f"Unknown disclosure policy in {where}",
                [f"{spec!r} is not one of {', '.join(sorted(PRESETS))}"],
            )
        return PRESETS[spec]
    if not isinstance(spec, Mapping):
        raise ConfigError(f"Invalid disclosure policy in {where}", ["expected a name or an object"])
    fields = dict(spec)
    problems: list[Problem | str] = []
    base_policy = Policy()
    preset = fields.pop("preset", None)
    if preset is not None:
        if preset not in PRESETS:
            problems.append(f"preset {preset!r} is not one of {', '.join(sorted(PRESETS))}")
        else:
            base_policy = PRESETS[preset]
    known = set(Policy.__dataclass_fields__)
    for key in sorted(set(fields) - known):
        problems.append(f"unknown setting {key!r} (known: {', '.join(sorted(known))})")
    fields = {k: v for k, v in fields.items() if k in known}
    policy = replace(base_policy, **fields)
    problems += validate_policy(policy)
    if problems:
        raise ConfigError(f"Invalid disclosure policy in {where}", problems)
    return policy


def validate_policy(policy: Policy) -> list[str]:
    """Every problem with a policy's settings (empty when valid)."""
    problems = []
    if policy.method not in METHODS:
        problems.append(f"method {policy.method!r} is not one of {', '.join(METHODS)}")
    if policy.noise not in NOISES:
        problems.append(f"noise {policy.noise!r} is not one of {', '.join(NOISES)}")
    if policy.totals not in TOTALS:
        problems.append(f"totals {policy.totals!r} is not one of {', '.join(TOTALS)}")
    if not isinstance(policy.threshold, int) or policy.threshold < 0:
        problems.append("threshold must be a whole number >= 0")
    if not isinstance(policy.base, int) or policy.base < 1:
        problems.append("base must be a whole number >= 1")
    if policy.protection is not None and (
        not isinstance(policy.protection, int) or policy.protection < policy.threshold + 1
    ):
        problems.append("protection must be a whole number above the threshold")
    if policy.noise in ("laplace", "geometric"):
        if policy.epsilon is None or not policy.epsilon > 0:
            problems.append(f"{policy.noise} noise needs a stated epsilon > 0")
        if not isinstance(policy.sensitivity, int) or policy.sensitivity < 1:
            problems.append("sensitivity (cells one person can be in) must be a whole number >= 1")
    return problems


def weaker_than(declared: Policy, floor: Policy) -> list[str]:
    """How ``declared`` is weaker than the project's ``floor`` policy (empty when at least as strict).

    A declared policy may make rules stricter (higher threshold, coarser rounding, zeros or 100%
    cells withheld, wider protection, noise added), never weaker.
    """
    if floor.method == "none":
        return []
    if declared.method == "none":
        return [f"'official' (published unchanged) instead of {floor.name!r}"]
    out = []
    if (declared.method == "midpoint6") != (floor.method == "midpoint6"):
        return [f"method {declared.method!r} instead of {floor.method!r}"]
    if floor.suppresses and not declared.suppresses:
        out.append(
            f"method {declared.method!r} withholds nothing; {floor.name!r} withholds small counts"
        )
    if declared.suppresses and declared.threshold < floor.threshold:
        out.append(f"threshold {declared.threshold} is below the project's {floor.threshold}")
    if declared.rounding_base % floor.rounding_base:
        out.append(
            f"rounding base {declared.rounding_base} is not a multiple of the project's {floor.rounding_base}"
        )
    if declared.suppressed_low > floor.suppressed_low:
        out.append("zeros are published but the project withholds them")
    if floor.suppress_full and not declared.suppress_full:
        out.append("100% cells are published but the project withholds them")
    if declared.required_high < floor.required_high:
        out.append(
            f"protection level {declared.required_high:g} is below the project's {floor.required_high:g}"
        )
    return out
