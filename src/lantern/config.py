"""Project settings from ``lantern.toml``, overridden by ``LANTERN_*`` environment variables.

Precedence, lowest first: built-in defaults, then the file, then the environment. An environment
variable is named ``LANTERN_<KEY>`` for a top-level key and ``LANTERN_<SECTION>_<KEY>`` for a key
in a section (e.g. ``LANTERN_VINTAGE=2011``, ``LANTERN_DISCLOSURE_THRESHOLD=10``); list values are
comma-separated. Relative paths are resolved against the folder holding the file.
The whole file is validated and every problem is reported at once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lantern.errors import ConfigError, Problem
from lantern.geography.codes import invalid_codes
from lantern.paths import BUNDLED_ESSEX, shared_data_dir

DEFAULT_CONFIG = Path("lantern.toml")
ESSEX_AREA_CODES = ["E10000012", "E06000033", "E06000034"]
VINTAGES = (2011, 2021)
INDEX_REFERENCES = ("county", "district", "england", "area")

# Every recognised setting: (section or "", key) -> kind. Kept in one place so the
# documentation test can check each is described in docs/configuration.md.
SETTINGS: dict[tuple[str, str], str] = {
    ("", "name"): "str",
    ("", "area_codes"): "list[str]",
    ("", "data_dir"): "path",
    ("", "warehouse"): "path",
    ("", "output_dir"): "path",
    ("", "vintage"): "int",
    ("index", "preset"): "str?",
    ("index", "spec"): "path?",
    ("index", "reference"): "str",
    ("index", "draws"): "int",
    ("index", "seed"): "int",
    ("publish", "site_dir"): "path",
    ("publish", "title"): "str",
    ("publish", "tile_url"): "str?",
    ("disclosure", "threshold"): "int",
    ("disclosure", "rounding_base"): "int",
    ("disclosure", "history_dir"): "path",
    ("disclosure", "open_site"): "raw",
    ("disclosure", "cohort_counts"): "raw",
    ("disclosure", "partner_extracts"): "raw",
    ("disclosure", "approvals"): "raw",
}
KNOWN_SECTIONS = {"index", "publish", "disclosure"}


@dataclass(frozen=True)
class IndexSettings:
    preset: str | None = "essex-covid"
    spec: Path | None = None
    reference: str = "county"
    draws: int = 1000
    seed: int = 20200326


@dataclass(frozen=True)
class PublishSettings:
    site_dir: Path
    title: str = "Lantern: COVID-19 risk and vulnerability by neighbourhood"
    tile_url: str | None = None


@dataclass(frozen=True)
class DisclosureSettings:
    """``[disclosure]``: the project's rules (``lantern.disclosure.project``) and where the
    history of passed releases is kept (outside every release folder)."""

    threshold: int = 7
    rounding_base: int = 5
    history_dir: Path | None = None
    rules: Any = None


@dataclass(frozen=True)
class Config:
    """A validated project configuration; ``raw`` keeps the whole file for other sections."""

    path: Path | None
    root: Path
    name: str
    area_codes: list[str]
    data_dir: Path
    warehouse: Path
    output_dir: Path
    vintage: int
    index: IndexSettings
    publish: PublishSettings
    disclosure: DisclosureSettings
    raw: dict[str, Any] = field(default_factory=dict)


def resolve_data_dir(value: str, root: Path) -> Path | None:
    """``"bundled"`` → the bundled Essex sample, ``"shared"`` → England-wide files, else a path."""
    if value == "bundled":
        return BUNDLED_ESSEX
    if value == "shared":
        return shared_data_dir()
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path)


def _env_overrides(environ: Mapping[str, str]) -> dict[tuple[str, str], str]:
    found = {}
    for section, key in SETTINGS:
        name = "LANTERN_" + (f"{section}_{key}" if section else key).upper()
        if name in environ:
            found[(section, key)] = environ[name]
    return found


def _coerce(
    kind: str, value: Any, where: str, problems: list[Problem], source: str, *, from_env: bool
) -> Any:
    """Check (and for environment strings, parse) one value of the given kind."""
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if optional and (value is None or (from_env and value == "")):
        return None
    if base == "raw":
        return value
    try:
        if base == "int":
            if from_env:
                return int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError
            return value
        if base in ("str", "path"):
            if not isinstance(value, str) or not value.strip():
                raise TypeError
            return value
        if base == "list[str]":
            if from_env:
                value = [v.strip() for v in str(value).split(",") if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise TypeError
            return value
    except (TypeError, ValueError):
        expected = {
            "int": "a whole number",
            "str": "a non-empty string",
            "path": "a path string",
            "list[str]": "a list of strings",
        }[base]
        problems.append(Problem(f"expected {expected}, got {value!r}", file=source, column=where))
        return None
    raise AssertionError(kind)


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate ``path`` (default ``./lantern.toml``) with environment overrides."""
    environ = os.environ if environ is None else environ
    path = Path(path) if path is not None else DEFAULT_CONFIG
    if not path.exists():
        raise ConfigError(
            f"Configuration {path}", ["file not found; run `lantern init` to write one"]
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Configuration {path}", [Problem(f"not valid TOML: {exc}", file=str(path))]
        ) from exc
    return config_from_mapping(raw, path=path.resolve(), environ=environ)


def config_from_mapping(
    raw: dict[str, Any],
    *,
    path: Path | None = None,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Validate an already-parsed settings mapping (the body of ``load_config``)."""
    environ = {} if environ is None else environ
    root = root or (path.parent if path else Path.cwd())
    file_label = str(path) if path else "<settings>"
    problems: list[Problem] = []

    for key, value in raw.items():
        if isinstance(value, dict):
            if key not in KNOWN_SECTIONS:
                continue  # other parts of Lantern read their own sections from ``raw``
            for sub in value:
                if (key, sub) not in SETTINGS:
                    problems.append(
                        Problem("unknown setting", file=file_label, column=f"{key}.{sub}")
                    )
        elif ("", key) not in SETTINGS:
            problems.append(Problem("unknown setting", file=file_label, column=key))

    values: dict[tuple[str, str], Any] = {}
    for (section, key), kind in SETTINGS.items():
        holder = raw.get(section, {}) if section else raw
        if isinstance(holder, dict) and key in holder:
            where = f"{section}.{key}" if section else key
            values[(section, key)] = _coerce(
                kind, holder[key], where, problems, file_label, from_env=False
            )
    for (section, key), text in _env_overrides(environ).items():
        env_name = "LANTERN_" + (f"{section}_{key}" if section else key).upper()
        values[(section, key)] = _coerce(
            SETTINGS[(section, key)], text, env_name, problems, "environment", from_env=True
        )

    def get(section: str, key: str, default: Any) -> Any:
        if (section, key) not in values:
            return default
        value = values[(section, key)]
        optional = SETTINGS[(section, key)].endswith("?")
        return default if value is None and not optional else value

    area_codes = get("", "area_codes", list(ESSEX_AREA_CODES))
    bad = invalid_codes(pd.Series(area_codes, dtype="string")) if area_codes else []
    for code in [c for c, b in zip(area_codes, bad, strict=False) if b]:
        problems.append(
            Problem(f"{code!r} is not a GSS area code", file=file_label, column="area_codes")
        )
    if not area_codes:
        problems.append(
            Problem("give at least one area code", file=file_label, column="area_codes")
        )

    vintage = get("", "vintage", 2021)
    if vintage not in VINTAGES:
        problems.append(
            Problem(f"vintage must be one of {VINTAGES}", file=file_label, column="vintage")
        )

    data_value = get("", "data_dir", "bundled")
    data_dir = resolve_data_dir(data_value, root)
    if data_dir is None or not data_dir.is_dir():
        problems.append(
            Problem(f"data folder {data_value!r} not found", file=file_label, column="data_dir")
        )

    output_dir = _path(get("", "output_dir", "out"), root)
    warehouse = _path(get("", "warehouse", str(output_dir / "lantern.duckdb")), root)

    reference = get("index", "reference", "county")
    if reference not in INDEX_REFERENCES:
        problems.append(
            Problem(f"must be one of {INDEX_REFERENCES}", file=file_label, column="index.reference")
        )
    draws = get("index", "draws", 1000)
    if isinstance(draws, int) and draws < 1:
        problems.append(Problem("must be at least 1", file=file_label, column="index.draws"))
    spec = get("index", "spec", None)
    index = IndexSettings(
        preset=get("index", "preset", "essex-covid"),
        spec=_path(spec, root) if spec else None,
        reference=reference,
        draws=draws,
        seed=get("index", "seed", IndexSettings.seed),
    )
    threshold = get("disclosure", "threshold", 7)
    base = get("disclosure", "rounding_base", 5)
    for key, value in (("threshold", threshold), ("rounding_base", base)):
        if isinstance(value, int) and value < 1:
            problems.append(
                Problem("must be at least 1", file=file_label, column=f"disclosure.{key}")
            )
    from lantern.disclosure.project import parse_rules

    given = raw.get("disclosure", {}) if isinstance(raw.get("disclosure"), dict) else {}
    rules_section = {
        **given,
        **{k: values[("disclosure", k)] for (sec, k) in values if sec == "disclosure"},
    }
    rules, rule_problems = parse_rules(
        rules_section,
        threshold=threshold if isinstance(threshold, int) else 7,
        base=base if isinstance(base, int) else 5,
        where=file_label,
    )
    problems += [Problem(m, file=file_label) for m in rule_problems]
    history_dir = _path(get("disclosure", "history_dir", str(output_dir / "release-history")), root)
    publish = PublishSettings(
        site_dir=_path(get("publish", "site_dir", str(output_dir / "site")), root),
        title=get("publish", "title", PublishSettings.title),
        tile_url=get("publish", "tile_url", None),
    )
    if problems:
        raise ConfigError(f"Configuration {file_label}", problems)
    return Config(
        path=path,
        root=root,
        name=get("", "name", "lantern"),
        area_codes=list(area_codes),
        data_dir=data_dir,  # type: ignore[arg-type]
        warehouse=warehouse,
        output_dir=output_dir,
        vintage=vintage,
        index=index,
        publish=publish,
        disclosure=DisclosureSettings(
            threshold=threshold, rounding_base=base, history_dir=history_dir, rules=rules
        ),
        raw=raw,
    )


def _path(value: str | Path, root: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path)
