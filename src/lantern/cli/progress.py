"""The one progress display for every long command: a spinner, or a bar when steps are counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from lantern.pipeline.progress import Progress as ProgressFn


@contextmanager
def progress_bar(
    console: Console, title: str, *, enabled: bool = True, prefix: str = ""
) -> Iterator[ProgressFn]:
    """Yield a :class:`~lantern.pipeline.progress.Progress` that draws on ``console``.

    Messages replace the description (after ``prefix``); a ``step``/``of`` pair turns the spinner
    into a bar with a count. With ``enabled=False`` nothing is drawn.
    """
    if not enabled:
        yield lambda message, /, *, step=None, of=None: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(prefix + title, total=None, count="")

        def report(message: str, /, *, step: int | None = None, of: int | None = None) -> None:
            count = f"{step}/{of}" if step is not None and of else ""
            bar.update(
                task, description=prefix + message, completed=step or 0, total=of, count=count
            )

        yield report
