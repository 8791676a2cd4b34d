"""Public-health statistics, pure: confidence intervals and benchmark comparisons.

The methods are those OHID (formerly PHE) uses for Fingertips and documents in its technical
guidance and the ``PHEindicatormethods`` R package: Wilson score intervals for proportions,
Byar's method (exact Poisson below 10 events) for counts and rates, and significance judged by
whether an area's interval contains the benchmark value.
"""

from lantern.stats.compare import (
    HIGHER,
    LOWER,
    NOT_COMPARED,
    SIMILAR,
    compare_with_benchmark,
    judgement,
)
from lantern.stats.intervals import (
    Interval,
    byar_limits,
    exact_poisson_limits,
    interval_for,
    poisson_limits,
    proportion_interval,
    rate_interval,
    wilson_limits,
    z_value,
)

__all__ = [
    "HIGHER",
    "LOWER",
    "NOT_COMPARED",
    "SIMILAR",
    "Interval",
    "byar_limits",
    "compare_with_benchmark",
    "exact_poisson_limits",
    "interval_for",
    "judgement",
    "poisson_limits",
    "proportion_interval",
    "rate_interval",
    "wilson_limits",
    "z_value",
]
