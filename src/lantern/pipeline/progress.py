"""How a use case reports progress: one callable, drawn by the CLI's one progress-bar helper."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told what a use case is doing; ``step``/``of`` when the number of steps is known."""

    def __call__(self, message: str, /, *, step: int | None = None, of: int | None = None) -> None:
        """Report ``message`` (and, when known, that this is step ``step`` of ``of``)."""


def quiet(message: str, /, *, step: int | None = None, of: int | None = None) -> None:
    """The progress that reports nothing (tests, libraries, the default)."""


def or_quiet(progress: Progress | None) -> Progress:
    """``progress``, or :func:`quiet` when none was given."""
    return progress or quiet
