"""``init``: write a project's ``lantern.toml`` for an area, checking every code is in the lookups."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lantern.config import ESSEX_AREA_CODES, config_from_mapping
from lantern.errors import ConfigError, Problem
from lantern.pipeline.progress import Progress, or_quiet


@dataclass(frozen=True)
class InitSettings:
    """What ``lantern init`` writes: ``areas`` (default Essex) on ``data`` ('bundled', 'shared'
    or a folder) into ``out``."""

    areas: list[str] = field(default_factory=lambda: list(ESSEX_AREA_CODES))
    data: str = "bundled"
    out: Path = Path("lantern.toml")
    name: str | None = None
    force: bool = False


@dataclass(frozen=True)
class InitResult:
    path: Path
    area_codes: list[str]
    data_dir: Path
    lsoa11: int
    lsoa21: int


def init(config: InitSettings, *, progress: Progress | None = None) -> InitResult:
    """Write the settings file; refuses to overwrite unless ``force``; nothing written on error."""
    import tomli_w

    from lantern.pipeline.ingest import geography

    say = or_quiet(progress)
    codes = list(config.areas) if config.areas else list(ESSEX_AREA_CODES)
    out = Path(config.out)
    if out.exists() and not config.force:
        raise ConfigError(
            f"Configuration {out}",
            [Problem("file exists; pass --force to overwrite", file=str(out))],
        )
    raw = {
        "name": config.name or ("essex" if codes == ESSEX_AREA_CODES else codes[0].lower()),
        "area_codes": codes,
        "data_dir": config.data,
        "vintage": 2021,
        "output_dir": "out",
        "warehouse": "out/lantern.duckdb",
    }
    settings = config_from_mapping(raw, path=out.resolve(), root=out.resolve().parent)
    say("Checking the area codes against the lookups")
    areas, _, _ = geography(settings.data_dir, settings.area_codes)  # every code must be known
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Lantern project settings; see docs/configuration.md\n" + tomli_w.dumps(raw),
        encoding="utf-8",
    )
    return InitResult(
        out,
        codes,
        settings.data_dir,
        int((areas[2011]["area_type"] == "lsoa").sum()),
        int((areas[2021]["area_type"] == "lsoa").sum()),
    )
