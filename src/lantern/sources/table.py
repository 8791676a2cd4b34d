"""What a file must look like: its columns, area codes, key, value rules and coverage.

Every file Lantern reads — each source, the lookups, the crosswalk, populations, the GP
registrations Parquet and the boundaries — is described by a :class:`TableSpec` and read by
``lantern.sources.reading.read_table``, so every file gets the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lantern.sources.rules import PartsOf, Rule


@dataclass(frozen=True)
class Codes:
    """A column of ONS area codes: its type, boundary vintage (None: any) and non-area markers.

    ``markers`` are values that stand for "no area" in the published file (PHE's
    ``xxxxxxxxx`` unallocated cases, NHS Digital's ``NO2011``): such rows are kept out of the
    area checks and the area data.
    """

    column: str
    area_type: str  # "" for any area type (e.g. an upper tier that is a county or a unitary)
    vintage: int | None = None
    markers: tuple[str, ...] = ()
    required: bool = True  # False: blanks allowed (e.g. Welsh rows have no region)
    skip_prefixes: tuple[str, ...] = ()  # codes outside England and Wales (UK files: S…, N…)


@dataclass(frozen=True)
class Gap:
    """Areas of the area of interest a source does not cover, declared in the registry."""

    reason: str
    codes: frozenset[str] = frozenset()  # specific areas; empty with ``outside`` set
    outside: tuple[str, ...] = ()  # the source covers only areas inside these (e.g. E92000001)


@dataclass(frozen=True)
class Allowed:
    """Rows of the published file known to break a rule, excused by key, with the reason."""

    keys: frozenset[tuple[str, ...]]
    reason: str


@dataclass(frozen=True)
class TableSpec:
    """One file: where it is and what it must hold.

    ``numbers`` are the numeric columns (``("*",)``: every column not named elsewhere);
    ``rules`` pair a column name or glob with a :class:`Rule`; ``parts`` are parts-within-total
    checks; ``choices`` and ``patterns`` constrain text columns; ``key`` must be unique
    (default: the first code column). ``complete`` asks every area of the area of interest to
    have a row, except the declared ``gaps``.
    """

    source_id: str
    path: str
    codes: tuple[Codes, ...] = ()
    numbers: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    key: tuple[str, ...] | None = None
    rules: tuple[tuple[str, Rule], ...] = ()
    parts: tuple[PartsOf, ...] = ()
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    patterns: tuple[tuple[str, str, str], ...] = ()  # (column, regex, what it should look like)
    allowed: tuple[Allowed, ...] = ()
    filled: tuple[str, ...] = ()  # numeric columns that may not be blank (e.g. weighting totals)
    vintage_hint: tuple[tuple[str, str], ...] = ()
    complete: bool = True
    gaps: tuple[Gap, ...] = ()
    format: str = "csv"
    ignore: tuple[str, ...] = ()  # columns left out of ``numbers = ("*",)`` (names, labels)
    reuse: bool = False  # kept in memory for the run: several sources read it (GP registrations)
    description: str = field(default="", compare=False)

    @property
    def unique(self) -> tuple[str, ...]:
        if self.key is not None:
            return self.key
        return (self.codes[0].column,) if self.codes else ()

    def required(self, header: list[str] | None = None) -> list[str]:
        """Columns the file must have (``numbers`` ``*`` expands to the rest of ``header``)."""
        named = [c.column for c in self.codes] + list(self.text)
        numbers = self.numeric_columns(header)
        return list(dict.fromkeys(named + numbers + [c for c in self.unique if c not in named]))

    def numeric_columns(self, header: list[str] | None = None) -> list[str]:
        if self.numbers == ("*",):
            taken = {c.column for c in self.codes} | set(self.text) | set(self.unique)
            taken |= set(self.ignore)
            return [c for c in (header or []) if c not in taken]
        return list(self.numbers)
