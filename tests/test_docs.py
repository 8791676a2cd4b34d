"""The documentation says what the code does, and fails here when it stops doing so.

The command-line reference is generated and must be current; every command is described in the
guides; docs/architecture.md lists every package and module; every exit code is listed once with
its error kinds; every setting and environment variable is documented, and every one the
documents name exists.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest
import typer
import typer.main

import lantern.errors as errors
from lantern import cli
from lantern.cli import reference
from lantern.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "lantern"
DOCS = ROOT / "docs"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _guides() -> dict[str, str]:
    """Every hand-written document: README.md and docs/*.md except the generated reference."""
    found = {"README.md": _read(ROOT / "README.md")}
    for path in sorted(DOCS.glob("*.md")):
        if path.name != "cli.md":
            found[f"docs/{path.name}"] = _read(path)
    return found


def _section(text: str, heading: str) -> str:
    """The body under ``heading`` up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n")
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, start + len(heading) + 1)
    return text[start : end.start() if end else len(text)]


# ---- the command line -------------------------------------------------------------------------


def test_cli_reference_is_current():
    committed = _read(DOCS / "cli.md")
    assert committed == reference.reference(), (
        "docs/cli.md is stale: run `make docs` and commit the result"
    )


def _registered_commands() -> set[str]:
    """Every command path, walked from what each command module registers (not the lazy root)."""
    paths = set()

    def visit(command: object, path: str) -> None:
        paths.add(path)
        for name, sub in getattr(command, "commands", {}).items():
            if not getattr(sub, "hidden", False):
                visit(sub, f"{path} {name}")

    for module in cli.COMMAND_MODULES:
        holder = typer.Typer()
        importlib.import_module(module).register(holder)
        for name, command in typer.main.get_group(holder).commands.items():
            visit(command, f"lantern {name}")
    return paths


COMMANDS = sorted(_registered_commands())


def test_the_walk_finds_the_commands():
    assert {"lantern up", "lantern build", "lantern portal user add"} <= set(COMMANDS)
    assert set(reference.command_paths()) == {"lantern", *COMMANDS}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_its_reference_section(command: str):
    headings = re.findall(r"^#+ `([^`]+)`$", _read(DOCS / "cli.md"), re.M)
    assert headings.count(command) == 1, f"docs/cli.md has no section for `{command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_described_in_a_guide(command: str):
    """The reference says how to call it; a guide must say what it is for."""
    pattern = re.compile(re.escape(command) + r"(?![\w-])")
    found = [name for name, text in _guides().items() if pattern.search(text)]
    assert found, f"`{command}` appears in no guide (README.md or docs/*.md): describe it"


# ---- the architecture --------------------------------------------------------------------------


def _tree() -> tuple[set[str], set[str]]:
    """Packages (folders holding Python) and modules (other than ``__init__.py``) of the tree."""
    packages, modules = set(), set()
    for path in SRC.rglob("*.py"):
        folder = path.parent.relative_to(SRC.parent).as_posix()
        packages.add(folder)
        if path.name != "__init__.py":
            modules.add(f"{folder}/{path.name}")
    return packages, modules


def _architecture() -> tuple[list[str], list[str]]:
    """Packages and modules as docs/architecture.md's "Modules" section lists them."""
    body = _section(_read(DOCS / "architecture.md"), "## Modules")
    packages: list[str] = []
    modules: list[str] = []
    for line in body.splitlines():
        if heading := re.fullmatch(r"### `(lantern(?:/[\w]+)*)/`", line):
            packages.append(heading.group(1))
        elif row := re.match(r"\| `([\w]+\.py)` \|", line):
            assert packages, f"module row before any package heading: {line}"
            modules.append(f"{packages[-1]}/{row.group(1)}")
    return packages, modules


def test_architecture_lists_every_package_and_module():
    packages, modules = _tree()
    doc_packages, doc_modules = _architecture()
    assert len(doc_packages) == len(set(doc_packages)), "a package is listed twice"
    assert len(doc_modules) == len(set(doc_modules)), "a module is listed twice"
    missing = sorted((packages - set(doc_packages)) | (modules - set(doc_modules)))
    gone = sorted((set(doc_packages) - packages) | (set(doc_modules) - modules))
    assert not missing, f"docs/architecture.md (## Modules) does not list: {missing}"
    assert not gone, f"docs/architecture.md (## Modules) lists what does not exist: {gone}"


def test_architecture_package_table_names_every_top_level_package():
    table = _section(_read(DOCS / "architecture.md"), "## Packages (`src/lantern/`)")
    named = set(re.findall(r"^\| `([\w]+(?:/|\.py))` \|", table, re.M))
    top = {p.name + "/" for p in SRC.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    top |= {p.name for p in SRC.glob("*.py") if p.name != "__init__.py"}
    assert top == named, f"missing: {sorted(top - named)}; gone: {sorted(named - top)}"


#: Test folders whose name differs from their package, and why.
TEST_FOLDER_ALIASES = {
    # a folder named ``profile`` on sys.path would shadow the standard library's profile module
    "area_profile": "profile",
}


def test_tests_mirror_the_packages():
    """Every tests/<folder> holds the tests of src/lantern/<folder>/ or src/lantern/<folder>.py."""
    tests = Path(__file__).resolve().parent
    stray = []
    for folder in sorted(p for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py"))):
        name = TEST_FOLDER_ALIASES.get(folder.name, folder.name)
        if not ((SRC / name / "__init__.py").exists() or (SRC / f"{name}.py").exists()):
            stray.append(folder.name)
    assert not stray, f"tests/ folders with no package of that name in src/lantern: {stray}"


# ---- exit codes --------------------------------------------------------------------------------


def _exit_code_rows() -> dict[int, str]:
    table = _section(_read(DOCS / "cli.md"), "## Exit codes")
    rows: dict[int, str] = {}
    for line in table.splitlines():
        if match := re.match(r"\| (\d+) \| (.*)$", line):
            code = int(match.group(1))
            assert code not in rows, f"exit code {code} is listed twice"
            rows[code] = line
    return rows


def _error_classes() -> list[type[errors.LanternError]]:
    """Every LanternError kind defined in errors.py, found by reading the source, not the module."""
    tree = ast.parse(_read(SRC / "errors.py"))
    names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    found = [getattr(errors, n) for n in names]
    return [c for c in found if inspect.isclass(c) and issubclass(c, errors.LanternError)]


@pytest.mark.parametrize("error", _error_classes(), ids=lambda c: c.__name__)
def test_every_exit_code_is_listed_once_with_its_error(error: type[errors.LanternError]):
    rows = _exit_code_rows()
    listing = [code for code, row in rows.items() if f"`{error.__name__}`" in row]
    assert listing == [error.exit_code], (
        f"{error.__name__} (exit code {error.exit_code}) must be named in exactly the row of its "
        f"code in docs/cli.md's exit codes; found in rows {listing}"
    )
    assert re.search(rf"\| {error.http_status}(,|\s\|)", rows[error.exit_code]), (
        f"the row of {error.__name__} does not give its HTTP status {error.http_status}"
    )


def test_the_exit_code_table_has_no_code_nothing_uses():
    used = {c.exit_code for c in _error_classes()} | set(reference.CLI_EXIT_CODES)
    assert set(_exit_code_rows()) == used
    assert cli.INTERNAL_ERROR in used


def test_exit_codes_quoted_in_the_guides_exist():
    codes = set(_exit_code_rows())
    quoted = re.compile(r"\bexit(?: code|s| status)?\s*\(?(\d+)\)?", re.I)
    bad = [
        f"{name}: exit {m.group(1)}"
        for name, text in _guides().items()
        for m in quoted.finditer(text)
        if int(m.group(1)) not in codes
    ]
    assert not bad, f"exit codes named in the guides but not in docs/cli.md: {bad}"


# ---- settings and environment variables ------------------------------------------------------


def _documented_settings() -> set[tuple[str, str]]:
    """(section, key) of every row of the settings tables in docs/configuration.md."""
    text = _section(_read(DOCS / "configuration.md"), "## Settings")
    found, section = set(), ""
    for line in text.splitlines():
        if heading := re.fullmatch(r"### `\[(\w+)\]`", line):
            section = heading.group(1)
        elif row := re.match(r"\| `(\w+)` \|", line):
            found.add((section, row.group(1)))
    return found


def test_every_project_setting_is_documented_in_its_own_section():
    documented = _documented_settings()
    assert documented == set(SETTINGS), (
        f"undocumented: {sorted(set(SETTINGS) - documented)}; "
        f"documented but unknown to lantern.config: {sorted(documented - set(SETTINGS))}"
    )


def _environment_names_read() -> set[str]:
    """Every ``LANTERN_*`` name that appears as a whole string in the source."""
    names = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(_read(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"LANTERN_[A-Z0-9_]*[A-Z0-9]", node.value)
            ):
                names.add(node.value)
    return names


def _config_override_names() -> set[str]:
    return {"LANTERN_" + (f"{s}_{k}" if s else k).upper() for s, k in SETTINGS}


def _environment_table_rows() -> set[str]:
    rows = set()
    for doc in ("configuration.md", "portal.md"):
        rows |= set(re.findall(r"^\| `(LANTERN_[A-Z0-9_]+)` \|", _read(DOCS / doc), re.M))
    return rows


def test_every_environment_variable_read_is_documented():
    read = _environment_names_read()
    assert {"LANTERN_KEYS", "LANTERN_PORTAL_DB"} <= read
    missing = sorted(read - _environment_table_rows())
    assert not missing, (
        f"read from the environment but not in a table of docs/configuration.md or docs/portal.md: "
        f"{missing}"
    )


def test_every_environment_variable_the_docs_name_exists():
    real = _environment_names_read() | _config_override_names()
    named = {
        (name, doc)
        for doc, text in _guides().items()
        for name in re.findall(r"\bLANTERN_[A-Z0-9_]*[A-Z0-9]\b", text)
    }
    bad = sorted(f"{name} ({doc})" for name, doc in named if name not in real)
    assert not bad, f"the docs name environment variables Lantern does not read: {bad}"


def _portal_settings_fields() -> dict[str, object]:
    from lantern.portal.settings import PortalSettings

    return {f.name: getattr(PortalSettings(), f.name) for f in dataclasses.fields(PortalSettings)}


def test_every_portal_setting_comes_from_a_documented_variable(monkeypatch: pytest.MonkeyPatch):
    """Each field of PortalSettings is changed by some LANTERN_PORTAL_* variable in the table."""
    rows = re.findall(r"^\| `(LANTERN_PORTAL_\w+)` \|(.*)$", _read(DOCS / "portal.md"), re.M)
    # values to try: a number, a URL, 0, and every value the row itself quotes
    documented = {name: re.findall(r"`([^`\s]+)`", rest) for name, rest in rows}
    for name in _environment_names_read():
        if name.startswith("LANTERN_PORTAL_"):
            monkeypatch.delenv(name, raising=False)
    base_url = "https://base.example.org"
    monkeypatch.setenv("LANTERN_PORTAL_PUBLIC_URL", base_url)
    before = _portal_settings_fields()
    reached: dict[str, str] = {}
    for name in sorted(documented):
        for value in ("17", "https://portal.example.org", "0", *documented[name]):
            monkeypatch.setenv(name, value)
            try:
                after = _portal_settings_fields()
            except errors.ConfigError:
                continue
            finally:
                monkeypatch.setenv("LANTERN_PORTAL_PUBLIC_URL", base_url)
                if name != "LANTERN_PORTAL_PUBLIC_URL":
                    monkeypatch.delenv(name)
            changed = [f for f in after if after[f] != before[f]]
            if changed:
                reached.update(dict.fromkeys(changed, name))
                break
        else:
            pytest.fail(f"{name} is documented in docs/portal.md but changes no portal setting")
    unreached = sorted(set(before) - set(reached))
    assert not unreached, f"portal settings no documented variable sets: {unreached}"


def test_portal_defaults_in_the_table_are_the_real_ones(monkeypatch: pytest.MonkeyPatch):
    from lantern.portal.settings import PortalSettings

    for name in _environment_names_read():
        if name.startswith("LANTERN_PORTAL_"):
            monkeypatch.delenv(name, raising=False)
    defaults = PortalSettings()
    rows = re.findall(r"^\| `(LANTERN_PORTAL_\w+)` \| ([^|]+) \|", _read(DOCS / "portal.md"), re.M)
    numbers = {name: int(value) for name, value in rows if value.strip().isdigit()}
    fields = {f.name for f in dataclasses.fields(PortalSettings)}
    assert numbers, "no numeric defaults found in docs/portal.md"
    for name, number in numbers.items():
        field = name.removeprefix("LANTERN_PORTAL_").lower()
        assert field in fields, f"{name} names no field of PortalSettings"
        assert getattr(defaults, field) == number, f"{name}: documented {number}"


# ---- what the README says CI and `make lint` do -----------------------------------------------


def test_ci_runs_lint_and_the_tests():
    script = _read(ROOT / ".ci" / "run")
    commands = re.findall(r"^make (\w+)", script, re.M)
    assert commands == ["lint", "test"], commands
    makefile = _read(ROOT / "Makefile")
    lint = _section_of_make_target(makefile, "lint")
    assert "ruff check src tests bench" in lint and "ruff format --check src tests bench" in lint
    assert "typecheck" in lint and "mypy" in _section_of_make_target(makefile, "typecheck")


def _section_of_make_target(makefile: str, target: str) -> str:
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert match, f"no `{target}` target in the Makefile"
    return match.group(1)


def test_mypy_is_strict_on_the_pure_core():
    import tomllib

    mypy = tomllib.loads(_read(ROOT / "pyproject.toml"))["tool"]["mypy"]
    assert mypy["check_untyped_defs"] is True
    strict = [o for o in mypy["overrides"] if o.get("disallow_untyped_defs")]
    modules = {m for o in strict for m in o["module"]}
    assert {"lantern.index.*", "lantern.disclosure.*"} <= modules
    for flag in ("disallow_any_generics", "warn_return_any", "disallow_untyped_calls"):
        assert all(o.get(flag) for o in strict), flag


def test_every_test_file_the_docs_name_exists():
    """Docs prove promises by naming tests (``governance/test_retention.py``); they must exist."""
    tests = Path(__file__).resolve().parent
    named = {
        (path, doc)
        for doc, text in {**_guides(), "docs/cli.md": _read(DOCS / "cli.md")}.items()
        for path in re.findall(r"(?<![\w/])(?:tests/)?((?:\w+/)*test_\w+\.py)", text)
    }
    missing = sorted(f"{path} ({doc})" for path, doc in named if not (tests / path).exists())
    assert named and not missing, f"the docs name test files that do not exist: {missing}"
