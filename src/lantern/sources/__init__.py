"""Official open-data sources: a registry and one validating loader per file format.

Each loader returns tidy rows ``(area_code, vintage, indicator_id, period, value, numerator,
denominator)`` with an ``IndicatorMeta`` per indicator (see ``docs/sources.md``).
"""

from lantern.sources.context import LoadContext
from lantern.sources.model import TIDY_COLUMNS, FileRead, IndicatorMeta, Loaded, Source
from lantern.sources.registry import CHECKSUMS, SOURCES, get_source


def load_source(source: Source, ctx: LoadContext) -> Loaded:
    """Run one source's loader (validating its file) for the areas in ``ctx``."""
    return source.loader(source, ctx)


__all__ = [
    "CHECKSUMS",
    "SOURCES",
    "TIDY_COLUMNS",
    "FileRead",
    "IndicatorMeta",
    "LoadContext",
    "Loaded",
    "Source",
    "get_source",
    "load_source",
]
