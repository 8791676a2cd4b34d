"""``explain``: recompute the configured index from the warehouse and explain one area."""

from __future__ import annotations

from lantern.config import Config
from lantern.errors import ConfigError, Problem
from lantern.index import compute_index
from lantern.pipeline.build import read_inputs, reference_of, resolve_spec, spec_vintage
from lantern.pipeline.progress import Progress, or_quiet


def explain_area(config: Config, *, area_code: str, progress: Progress | None = None) -> str:
    """Recompute the configured index from the warehouse and explain one area, as text."""
    from lantern.index.explain import explain, explanation_text
    from lantern.warehouse import Warehouse

    or_quiet(progress)("Reading indicators")
    spec, _ = resolve_spec(config)
    vintage = spec_vintage(spec, config)
    with Warehouse(config.warehouse) as wh:
        inputs = read_inputs(wh, spec, vintage=vintage, area_codes=config.area_codes)
    reference = reference_of(config)
    frame = inputs.everywhere.dropna(how="all") if reference == "national" else inputs.county
    if area_code not in frame.index:
        raise ConfigError(
            "Explain",
            [
                Problem(
                    f"area {area_code!r} is not among the {len(frame):,} "
                    f"{spec.area_type.upper()} {vintage} areas of this index"
                )
            ],
        )
    result = compute_index(spec, frame, parents=inputs.parents, source="warehouse")
    name = inputs.names.get(area_code)
    header = (
        f"{spec.title}\n{area_code}"
        + (f" {name}" if name else "")
        + f" — ranked within the {reference}\n"
    )
    return header + explanation_text(explain(result, area_code), name)
