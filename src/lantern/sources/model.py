"""What a loader produces: tidy indicator rows and the metadata describing each indicator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lantern.sources.checked import GapFound
    from lantern.sources.context import LoadContext
    from lantern.sources.rules import PartsOf, Rule
    from lantern.sources.table import Allowed, Gap, TableSpec

TIDY_COLUMNS = [
    "area_code",
    "vintage",
    "indicator_id",
    "period",
    "value",
    "numerator",
    "denominator",
]
KINDS = ("count", "rate", "score", "rank", "decile")
POLARITIES = ("higher_worse", "higher_better", "neutral")
OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class IndicatorMeta:
    """One indicator's description, as stored in the warehouse table ``indicator_meta``."""

    indicator_id: str
    title: str
    description: str
    unit: str
    kind: str
    polarity: str
    area_type: str
    vintage: int
    period: str
    source_id: str
    publisher: str
    dataset: str
    licence: str
    url: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.indicator_id}: kind {self.kind!r} not in {KINDS}")
        if self.polarity not in POLARITIES:
            raise ValueError(f"{self.indicator_id}: polarity {self.polarity!r} not in {POLARITIES}")


@dataclass(frozen=True)
class FileRead:
    """One file a loader read: where, its checksum, size, number of data rows and how verified."""

    source_id: str
    file: str
    sha256: str
    bytes: int
    rows: int
    verified: str = ""


@dataclass
class WideRows:
    """Indicator values as matrices (areas × indicators), the compact form loaders produce.

    ``to_tidy`` stacks them into ``TIDY_COLUMNS``; the warehouse unnests them in DuckDB instead,
    which avoids building one Python string per value.
    """

    codes: np.ndarray
    ids: list[str]
    values: np.ndarray
    numerators: np.ndarray
    denominators: np.ndarray
    vintage: int
    period: str

    def __len__(self) -> int:
        return len(self.codes) * len(self.ids)

    def to_tidy(self) -> pd.DataFrame:
        n, k = len(self.codes), len(self.ids)
        return pd.DataFrame(
            {
                "area_code": np.tile(np.asarray(self.codes, dtype=object), k),
                "vintage": np.full(n * k, self.vintage, dtype=np.int32),
                "indicator_id": np.repeat(np.array(self.ids, dtype=object), n),
                "period": np.full(n * k, self.period, dtype=object),
                "value": self.values.T.reshape(-1),
                "numerator": self.numerators.T.reshape(-1),
                "denominator": self.denominators.T.reshape(-1),
            },
            columns=TIDY_COLUMNS,
        )


class Loaded:
    """A loader's result: tidy rows (``TIDY_COLUMNS``), their metadata and the files read."""

    def __init__(
        self,
        *,
        meta: list[IndicatorMeta],
        files: list[FileRead] | None = None,
        rows: pd.DataFrame | None = None,
        wide: WideRows | None = None,
        gaps: list[GapFound] | None = None,
    ) -> None:
        if (rows is None) == (wide is None):
            raise ValueError("give exactly one of rows or wide")
        self.meta, self.files, self.wide, self._rows = meta, files or [], wide, rows
        self.gaps = list(gaps or [])

    @property
    def rows(self) -> pd.DataFrame:
        if self._rows is None:
            assert self.wide is not None
            self._rows = self.wide.to_tidy()
        return self._rows

    def __len__(self) -> int:
        return len(self.wide) if self.wide is not None else len(self.rows)


@dataclass(frozen=True)
class Source:
    """A registry entry: one official dataset, where it sits under the data root and its loader."""

    source_id: str
    path: str
    publisher: str
    dataset: str
    licence: str
    vintage: int | None
    area_type: str
    period: str
    url: str
    loader: Callable[[Source, LoadContext], Loaded]
    description: str = ""
    extra_paths: tuple[str, ...] = ()
    download_url: str | None = None
    sha256: str | None = None
    rules: tuple[tuple[str, Rule], ...] = ()
    parts: tuple[PartsOf, ...] = ()
    gaps: tuple[Gap, ...] = ()
    allowed: tuple[Allowed, ...] = ()
    coverage: str = "England and Wales"

    def file(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.path

    def tables(self) -> list[TableSpec]:
        """Every file this source reads, with its checks (from the loader)."""
        describe = getattr(self.loader, "tables", None)
        if describe is None:
            raise TypeError(f"{self.source_id}: its loader does not describe its files")
        return list(describe(self))

    def meta(
        self,
        indicator_id: str,
        title: str,
        *,
        unit: str,
        kind: str,
        polarity: str,
        description: str = "",
        period: str | None = None,
        area_type: str | None = None,
    ) -> IndicatorMeta:
        """Metadata for one of this source's indicators, inheriting the source's fields."""
        return IndicatorMeta(
            indicator_id=indicator_id,
            title=title,
            description=description or title,
            unit=unit,
            kind=kind,
            polarity=polarity,
            area_type=area_type or self.area_type,
            vintage=self.vintage or 0,
            period=period or self.period,
            source_id=self.source_id,
            publisher=self.publisher,
            dataset=self.dataset,
            licence=self.licence,
            url=self.url,
        )
