"""How a table's rows and columns add up: base geography, higher levels, row totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from lantern.errors import InputError


@dataclass(frozen=True)
class Hierarchy:
    """The structure of a table of counts.

    ``geography``: column naming each row's base area (e.g. ``lsoa21_code``), unique per row.
    ``levels``: columns naming each row's parent areas, lowest level first (e.g.
    ``("msoa21_code", "ltla24_code")``); a column with one constant code gives a grand total.
    Levels need not nest (LSOA in ward and in MSOA is fine).
    ``column_totals``: a count column that is the sum of others in the same row
    (e.g. ``{"total_households": ("owned", "rented", ...)}``).
    """

    geography: str
    levels: tuple[str, ...] = ()
    column_totals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(
            self, "column_totals", {k: tuple(v) for k, v in dict(self.column_totals).items()}
        )

    def validate(
        self, df: pd.DataFrame, count_columns: Sequence[str], *, file: str | None = None
    ) -> None:
        """Raise ``InputError`` naming the first missing column, blank code or repeated area."""
        for col in (self.geography, *self.levels):
            if col not in df.columns:
                raise InputError(f"geography column {col!r} is missing", file=file, column=col)
            blank = df[col].isna() | (df[col].astype(str).str.strip() == "")
            if blank.any():
                row = int(blank.to_numpy().argmax()) + 2
                raise InputError("blank area code", file=file, row=row, column=col)
        dup = df[self.geography].duplicated()
        if dup.any():
            row = int(dup.to_numpy().argmax()) + 2
            raise InputError(
                "area code repeated (one row per area expected)",
                file=file,
                row=row,
                column=self.geography,
            )
        for total, parts in self.column_totals.items():
            for col in (total, *parts):
                if col not in count_columns:
                    raise InputError(
                        f"row total {total!r} refers to {col!r}, which is not a count column",
                        file=file,
                        column=col,
                    )
