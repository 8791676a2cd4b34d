"""The method presets shipped with Lantern as TOML files."""

from __future__ import annotations

from importlib import resources

from lantern.errors import ConfigError
from lantern.index.spec import IndexSpec, parse_spec_text

PRESETS = ("essex-covid", "iod2019", "cdc-svi")


def preset_text(name: str) -> str:
    """The TOML text of a shipped preset."""
    if name not in PRESETS:
        raise ConfigError("Unknown index preset", [f"{name!r} is not one of {', '.join(PRESETS)}"])
    return resources.files("lantern.index.presets").joinpath(f"{name}.toml").read_text("utf-8")


def load_preset(name: str) -> IndexSpec:
    """Parse a shipped preset into an ``IndexSpec``."""
    return parse_spec_text(preset_text(name), source=f"preset {name}")
