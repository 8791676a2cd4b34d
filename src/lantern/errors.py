"""One root error for everything a user can cause, each with a stable exit code.

The CLI prints these without a traceback. Messages say what went wrong, where, and what to do.
They never carry record-level values from person-level data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class LanternError(Exception):
    """Root of every error a user can cause and fix.

    ``exit_code`` is what the CLI exits with; ``http_status`` is what a web service answers.
    """

    exit_code = 1
    http_status = 400


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what was expected."""

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InputError(LanternError):
    """A source file is malformed: names file, row (1-based, header = row 1) and column."""

    exit_code = 2
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = Problem(message, str(file) if file else None, row, column)
        self.file, self.row, self.column = self.problem.file, row, column
        super().__init__(str(self.problem))


class ConfigError(LanternError):
    """A configuration, spec or agreement is invalid; carries every problem found at once."""

    exit_code = 3
    http_status = 503

    def __init__(self, title: str, problems: Iterable[Problem | str]) -> None:
        self.title = title
        self.problems = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        lines = [f"{title}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class DisclosureError(LanternError):
    """An output fails statistical disclosure control; the message names the cell and rule."""

    exit_code = 4
    http_status = 422


class GovernanceError(LanternError):
    """A run is refused by a data-sharing agreement (purpose, expiry, field, output level)."""

    exit_code = 5
    http_status = 403


class IntegrityError(LanternError):
    """A tamper-evident log or checksum does not verify."""

    exit_code = 6
    http_status = 500


class WarehouseError(LanternError):
    """The warehouse cannot be read or written: names the file and the table, or the running writer."""

    exit_code = 7
    http_status = 503
