"""The layers of docs/architecture.md, checked by walking every module's imports (ast).

A new module is covered as soon as it exists: the pure core (index maths, disclosure rules,
public-health statistics) imports no I/O library and calls no file function; only the warehouse
opens a DuckDB file; the adapters (command line, portal) sit on top, imported by nothing below.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "lantern"

#: Numbers in, numbers out: these packages read and write nothing.
PURE = ("lantern.index", "lantern.disclosure", "lantern.stats")
#: What the pure core may import from Lantern besides itself.
PURE_MAY_USE = ("lantern.errors",)
#: Third-party libraries for computation only. A new one goes here only if it does no I/O.
PURE_THIRD_PARTY = {"numpy", "pandas", "scipy", "mapclassify", "opendp", "cell_key_perturbation", "tomli_w"}  # fmt: skip
#: Standard-library modules for computation only (``io`` for in-memory ``StringIO`` buffers;
#: opening a file through it is caught by the call check below).
PURE_STDLIB = {
    "__future__", "abc", "bisect", "collections", "contextlib", "copy", "dataclasses", "decimal",
    "enum", "fractions", "functools", "heapq", "io", "itertools", "json", "math", "numbers",
    "operator", "re", "statistics", "string", "textwrap", "tomllib", "types", "typing", "warnings",
}  # fmt: skip
#: Calls that read or write files, whatever object they are called on.
FILE_CALLS = {
    "open", "read_text", "write_text", "read_bytes", "write_bytes", "unlink", "mkdir", "rmdir",
    "touch", "iterdir", "glob", "rglob", "read_csv", "read_parquet", "read_excel",
    "read_json", "read_table", "read_file", "read_feather", "to_csv", "to_parquet", "to_excel",
    "to_json", "to_file", "to_feather", "to_pickle", "read_pickle", "savetxt", "loadtxt", "save",
    "load", "connect",
}  # fmt: skip
#: Reasoned exceptions: (module, import or call) -> why it is not I/O on user data.
PURE_EXCEPTIONS = {
    ("lantern.index.presets_loader", "importlib"): "reads the presets shipped inside the package",
    ("lantern.index.presets_loader", "read_text"): "reads the presets shipped inside the package",
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def imports(self) -> list[tuple[str, int]]:
        """Every module imported anywhere in the file (also inside functions), with its line."""
        found = []
        package = self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                found += [(alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                found.append((target, node.lineno))
                if _is_lantern_module(target):  # ``from lantern import cli`` imports lantern.cli
                    found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
        return found


def _modules() -> list[Module]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append(Module(name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return out


MODULES = _modules()
NAMES = {m.name for m in MODULES}


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _is_lantern_module(name: str) -> bool:
    return name == "lantern" or name.startswith("lantern.")


def test_the_walk_sees_every_module():
    assert len(MODULES) > 150
    for package in PURE:
        assert package in NAMES
        assert any(n.startswith(package + ".") for n in NAMES)


PURE_MODULES = [m for m in MODULES if _within(m.name, PURE)]


@pytest.mark.parametrize("module", PURE_MODULES, ids=[m.name for m in PURE_MODULES])
def test_pure_core_imports_no_io(module: Module):
    bad = []
    for target, line in module.imports:
        top = target.split(".")[0]
        if (module.name, top) in PURE_EXCEPTIONS:
            continue
        if _is_lantern_module(target):
            if target != "lantern" and target not in NAMES:
                continue  # ``from lantern.x import name`` also yields lantern.x.name
            if not _within(target, PURE + PURE_MAY_USE):
                bad.append(f"line {line}: {target} (not part of the pure core)")
        elif top in sys.stdlib_module_names:
            if top not in PURE_STDLIB:
                bad.append(f"line {line}: {target} (standard-library I/O or system access)")
        elif top not in PURE_THIRD_PARTY:
            bad.append(f"line {line}: {target} (a library not known to be free of I/O)")
    assert not bad, f"{module.path.relative_to(SRC.parent)} imports:\n" + "\n".join(bad)


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


@pytest.mark.parametrize("module", PURE_MODULES, ids=[m.name for m in PURE_MODULES])
def test_pure_core_calls_no_file_function(module: Module):
    bad = [
        f"line {node.lineno}: {name}()"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
        and (name := _called_name(node)) in FILE_CALLS
        and (module.name, name) not in PURE_EXCEPTIONS
    ]
    assert not bad, f"{module.path.relative_to(SRC.parent)} calls:\n" + "\n".join(bad)


def test_only_the_warehouse_opens_a_duckdb_file():
    """Elsewhere DuckDB runs in memory only (``duckdb.connect()`` with no database argument)."""
    bad = []
    for module in MODULES:
        if _within(module.name, ("lantern.warehouse",)):
            continue
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
            ):
                database = node.args[0] if node.args else None
                for keyword in node.keywords:
                    if keyword.arg == "database":
                        database = keyword.value
                in_memory = database is None or (
                    isinstance(database, ast.Constant) and database.value in (":memory:", "")
                )
                if not in_memory:
                    bad.append(f"{module.name} line {node.lineno}")
    assert not bad, (
        "DuckDB files are opened only through lantern.warehouse.Warehouse: " + ", ".join(bad)
    )


@pytest.mark.parametrize(
    ("adapter", "allowed"),
    [
        ("lantern.cli", ("lantern.cli",)),
        ("lantern.portal", ("lantern.portal", "lantern.cli")),
    ],
)
def test_adapters_are_imported_by_nothing_below_them(adapter: str, allowed: tuple[str, ...]):
    bad = [
        f"{module.name} line {line}: {target}"
        for module in MODULES
        if not _within(module.name, allowed)
        for target, line in module.imports
        if _within(target, (adapter,))
    ]
    assert not bad, f"{adapter} is an adapter on top of the layers; imported by:\n" + "\n".join(bad)


def test_the_checks_catch_what_they_are_for(tmp_path: Path):
    """The walk itself: an I/O import, a relative import and a file call are all seen."""
    source = (
        "from __future__ import annotations\n"
        "import os\n"
        "from ..warehouse import Warehouse\n"
        "def f(p):\n"
        "    import duckdb\n"
        "    return p.read_text()\n"
    )
    path = tmp_path / "lantern" / "index" / "bad.py"
    module = Module("lantern.index.bad", path, ast.parse(source))
    targets = {t for t, _ in module.imports}
    assert {"os", "lantern.warehouse", "duckdb"} <= targets
    calls = {_called_name(n) for n in ast.walk(module.tree) if isinstance(n, ast.Call)}
    assert "read_text" in calls & FILE_CALLS
