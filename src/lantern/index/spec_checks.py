"""Reading a spec's TOML tables while collecting every problem, for ``lantern.index.spec``."""

from __future__ import annotations

from typing import Any

from lantern.errors import Problem


class Checker:
    """Reads keys from a TOML table while collecting every problem found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.source, column=where))

    def table(self, data: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.problem(where, "must be a table")
            return {}
        for key in sorted(set(data) - allowed):
            self.problem(f"{where}.{key}" if where else key, "unknown key")
        return data

    def string(
        self,
        data: dict[str, Any],
        key: str,
        where: str,
        *,
        required: bool = False,
        default: str = "",
    ) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(f"{where}.{key}", "is required")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(f"{where}.{key}", "must be a non-empty string")
            return default
        return value

    def choice(
        self, data: dict[str, Any], key: str, where: str, options: tuple[str, ...], default: str
    ) -> str:
        value = data.get(key, default)
        for option in options:
            if value == option:
                return option
        self.problem(f"{where}.{key}", f"is {value!r}; choose one of {', '.join(options)}")
        return default

    def number(
        self,
        data: dict[str, Any],
        key: str,
        where: str,
        *,
        minimum: float | None = None,
        integer: bool = False,
        default: Any = None,
    ) -> Any:
        value = data.get(key, default)
        if value is None:
            return None
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind):
            self.problem(f"{where}.{key}", "must be " + ("an integer" if integer else "a number"))
            return default
        if minimum is not None and value < minimum:
            self.problem(f"{where}.{key}", f"must be at least {minimum}")
            return default
        return value


def flag(c: Checker, data: dict[str, Any], key: str, where: str, default: bool = True) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        c.problem(f"{where}.{key}", "must be true or false")
        return default
    return value


def share(c: Checker, data: dict[str, Any], key: str, where: str, default: float) -> float:
    value = c.number(data, key, where, default=default)
    if value is None or not 0 < value <= 1:
        c.problem(f"{where}.{key}", "must be a share above 0 and at most 1, e.g. 0.2")
        return default
    return float(value)
