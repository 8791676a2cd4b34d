"""What loaders need to know about the project: the data root and which areas are wanted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class LoadContext:
    """The data root, every known area code per (area type, vintage), and the wanted subset.

    ``known`` comes from the full ONS lookups (used to spot codes of the wrong vintage);
    ``wanted`` is the area of interest (rows for other areas are validated, then dropped).
    A missing ``wanted`` entry means keep every row.
    """

    data_dir: Path
    known: dict[tuple[str, int], pd.Index] = field(default_factory=dict)
    wanted: dict[tuple[str, int], pd.Index] = field(default_factory=dict)

    def other_vintage_codes(self, area_type: str, vintage: int) -> pd.Index | None:
        """Codes that exist only in the other vintage of ``area_type`` (a wrong-vintage signal)."""
        this = self.known.get((area_type, vintage))
        other = self.known.get((area_type, 2021 if vintage == 2011 else 2011))
        if this is None or other is None:
            return None
        return other.difference(this)

    def keep(self, codes: pd.Series, area_type: str, vintage: int | None) -> pd.Series:
        """Boolean mask of rows whose code is in the area of interest."""
        wanted = self.wanted.get((area_type, vintage or 0))
        if wanted is None:
            return pd.Series(True, index=codes.index)
        return codes.isin(wanted)
