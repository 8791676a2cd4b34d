"""``lantern sources --check``: run every check ``lantern ingest`` runs, without writing anything.

It reads the same files through the same functions as ingest (lookups and their cross-checks,
the crosswalk and its populations, the postcode lookup, every source, the boundaries), for the
project's area of interest, and stops at the first problem with the same one-line error. Given
file paths, it checks the lookups (always needed) and then only what reads those files.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lantern.config import Config
from lantern.geography.crosswalk import load_crosswalk
from lantern.geography.postcodes import PostcodeLookup, postcode_spec
from lantern.geography.tables import (
    BOUNDARIES,
    LOOKUP_CROSSWALK,
    POPULATION_2011,
    POPULATION_2021,
    boundary_rows,
)
from lantern.pipeline.ingest import (
    find_postcode_lookup,
    geography,
    postcode_rows,
)
from lantern.pipeline.progress import Progress, or_quiet
from lantern.sources import SOURCES, Source, load_source
from lantern.sources.checked import GapFound, read_table
from lantern.sources.context import LoadContext
from lantern.sources.model import FileRead


@dataclass
class CheckReport:
    """What was checked: files read (with how each was verified) and declared gaps found."""

    files: list[FileRead] = field(default_factory=list)
    gaps: list[GapFound] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _wanted(paths: Collection[str] | None, relative: str) -> bool:
    return paths is None or relative in paths


def check_data(
    config: Config,
    paths: Sequence[str] | None = None,
    *,
    sources: Sequence[Source] | None = None,
    progress: Progress | None = None,
    context: tuple[dict[int, pd.DataFrame], LoadContext] | None = None,
) -> CheckReport:
    """Check the data folder for ``config`` (or only what reads ``paths``, relative to it).

    ``context`` reuses the areas and loader context of an earlier ``geography`` call on
    identical lookups (the lookups are then not read again).
    """
    say = or_quiet(progress)
    data_dir = Path(config.data_dir)
    wanted = None if paths is None else {str(p) for p in paths}
    report = CheckReport()
    say("lookups and the crosswalk", step=0, of=3)
    if context is None:
        areas, _, ctx = geography(data_dir, config.area_codes)
    else:
        areas, ctx = context
    crosswalk_files = {LOOKUP_CROSSWALK, POPULATION_2011, POPULATION_2021}
    if wanted is None or wanted & crosswalk_files:
        load_crosswalk(data_dir)
    lookup = find_postcode_lookup(data_dir)
    if lookup is not None:
        spec = postcode_spec(lookup, data_dir)
        if _wanted(wanted, spec.path):
            table = read_table(spec, ctx)
            postcode_rows(PostcodeLookup.from_table(table.frame), ctx)
            report.files.append(table.file)
    say("sources", step=1, of=3)
    for source in SOURCES if sources is None else sources:
        if wanted is not None and not wanted & {t.path for t in source.tables()}:
            continue
        loaded = load_source(source, ctx)
        report.sources.append(source.source_id)
        report.files += loaded.files
        report.gaps += loaded.gaps
    say("boundaries", step=2, of=3)
    boundary_paths = {spec.path for specs in BOUNDARIES.values() for spec in specs}
    if wanted is None or wanted & boundary_paths:
        for _, _, _, gaps in boundary_rows(ctx, areas):
            report.gaps += gaps
    best: dict[str, FileRead] = {}
    for f in report.files:  # a file read whole and narrowly: keep how it was verified
        if f.file not in best or f.verified == "sha256":
            best[f.file] = f
    report.files = list(best.values())
    return report
