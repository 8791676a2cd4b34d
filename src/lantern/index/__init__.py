"""Index maths over arrays and frames: spec, normalise, transform, weight, aggregate, classify,
explain, area summaries, robustness and validation statistics. No file or database I/O here."""

from lantern.index.engine import INDEX, IndexResult, compute_index
from lantern.index.presets_loader import PRESETS, load_preset
from lantern.index.spec import IndexSpec, parse_spec, parse_spec_text, spec_to_toml

__all__ = [
    "INDEX",
    "PRESETS",
    "IndexResult",
    "IndexSpec",
    "compute_index",
    "load_preset",
    "parse_spec",
    "parse_spec_text",
    "spec_to_toml",
]
