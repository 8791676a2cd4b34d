"""How every Lantern writer publishes: build each output in a temporary folder beside its
destination, gate it under the project's rules, and only when every output of the run passes,
swap them in and add them to the project's release history. A refusal raises
``DisclosureError`` and leaves every destination as it was (``lantern.release.stage``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lantern.release.checker import DEFAULT_OUTPUT, CheckResult
from lantern.release.metadata import RECORD_NAME
from lantern.release.record import gate, new_release_id, record_history
from lantern.release.settings import ProjectRules, project_rules
from lantern.release.stage import staged


@dataclass
class Output:
    """One destination: ``build(folder)`` writes the files and ``disclosure-policy.json`` into
    ``folder``. A ``single_file`` destination is ``folder/<dest name>``; its record is written
    beside it as ``<stem>.disclosure-record.json``."""

    dest: Path
    build: Callable[[Path], object]
    single_file: bool = False
    verified: Mapping[str, Mapping[str, str]] | None = None


def record_path(dest: Path) -> Path:
    return dest.with_name(f"{dest.stem}.{RECORD_NAME}")


def gate_outputs(
    outputs: Sequence[Output],
    *,
    rules: ProjectRules | None = None,
    output: str = DEFAULT_OUTPUT,
    release_id: str | None = None,
) -> list[CheckResult]:
    """Build, gate and swap in every output together; see the module docstring."""
    rules = rules or project_rules()
    release_id = release_id or new_release_id()
    results = []
    with staged() as stage:
        for o in outputs:
            dest = Path(o.dest)
            tmp = stage.file(dest) if o.single_file else stage.folder(dest)
            o.build(tmp)
            results.append(
                gate(
                    tmp,
                    rules=rules,
                    output=output,
                    release_id=release_id,
                    verified=o.verified,
                    keep_history=False,
                )
            )
            if o.single_file:
                stage.pending.append((tmp / RECORD_NAME, record_path(dest)))
    for o, result in zip(outputs, results, strict=True):
        record_history(result, release_id=release_id, rules=rules, folder=Path(o.dest))
    return results
