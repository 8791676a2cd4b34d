"""Where the release gate gets the project's rules: ``lantern.toml`` (``[disclosure]``), never the
release folder. Without a settings file the built-in defaults apply (every output kind under
``nhs_small_area``, no approvals) and the release history lives in ``./out/release-history``
(``$LANTERN_DISCLOSURE_HISTORY_DIR`` overrides either)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantern.disclosure.policy import Policy
from lantern.disclosure.project import DisclosureRules, default_floor
from lantern.release.geography import lookup_dirs

HISTORY_ENV = "LANTERN_DISCLOSURE_HISTORY_DIR"
DEFAULT_HISTORY = Path("out") / "release-history"


@dataclass(frozen=True)
class ProjectRules:
    """The rules one gate run applies: floors, approvals, the history and the lookups."""

    rules: DisclosureRules = field(default_factory=DisclosureRules)
    history_dir: Path = DEFAULT_HISTORY
    lookups: tuple[Path, ...] = ()

    def floor(self, output: str) -> Policy:
        return self.rules.floor(output)

    @property
    def source(self) -> str:
        return self.rules.source


def rules_from_config(config: Any) -> ProjectRules:
    """Rules from a loaded ``lantern.config.Config``."""
    d = config.disclosure
    rules = d.rules or DisclosureRules(
        {k: default_floor(d.threshold, d.rounding_base) for k in ("open_site",)},
        source=str(config.path),
    )
    history = d.history_dir or Path(config.output_dir) / "release-history"
    return ProjectRules(rules, Path(history), lookup_dirs([Path(config.data_dir)]))


def project_rules(config: Any = None) -> ProjectRules:
    """The project's rules from ``config`` (a ``Config`` or a path to ``lantern.toml``), or from
    ``./lantern.toml`` when it exists, else the built-in defaults."""
    from lantern.config import Config, load_config

    if isinstance(config, Config):
        return rules_from_config(config)
    path = Path(config) if config is not None else Path("lantern.toml")
    if config is not None or path.exists():
        return rules_from_config(load_config(path))
    history = Path(os.environ.get(HISTORY_ENV) or DEFAULT_HISTORY)
    return ProjectRules(DisclosureRules(), history, lookup_dirs())
