"""``Warehouse``: the only code that opens the project's DuckDB file.

Open one to read (``Warehouse(path)``, read-only), or write through one of two context managers
that take the writer lock (:mod:`lantern.warehouse.lock`) and swap a finished file in atomically:

* ``Warehouse.rebuild(path, command=...)`` — a fresh, empty file (``lantern ingest``);
* ``Warehouse.update(path, command=...)`` — a copy of the current file (``lantern build``,
  ``lantern validate``, a linked cohort indicator).

Either way the file in place is never half-written: a failure, ``Ctrl-C`` or SIGTERM removes the
temporary file and logs the run as failed or interrupted; ``kill -9`` leaves it for the next
writer to remove (and log). Every database error is raised as :class:`WarehouseError` naming the
file and the table. Reads are named methods (``areas``, ``indicator_values``, ``index_scores``…);
``indicator_frame`` (in :mod:`lantern.warehouse.frames`) gives the index its inputs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from lantern.audit import AuditLog
from lantern.errors import InputError, LanternError, WarehouseError
from lantern.warehouse import runs as runlog
from lantern.warehouse.frames import FramesMixin
from lantern.warehouse.lock import WriterLock, remove_orphans, temp_path
from lantern.warehouse.results import ResultsMixin
from lantern.warehouse.schema import ALL_TABLES, INDEX_TABLES, columns, create_statements
from lantern.warehouse.values import ValuesMixin

WRITER_MEMORY = "200MB"
_TABLE_IN_SQL = re.compile(r"(?i)\b(?:from|join|into|update|table)\s+([a-z_][a-z0-9_]*)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Warehouse(FramesMixin, ResultsMixin, ValuesMixin):
    """An open warehouse file. Use as a context manager, or call ``close``."""

    def __init__(self, path: str | Path, *, read_only: bool = True) -> None:
        if not read_only:
            raise ValueError("write through Warehouse.rebuild(...) or Warehouse.update(...)")
        self.path = Path(path)
        if not self.path.exists():
            raise InputError("warehouse not found; run `lantern ingest` first", file=self.path)
        self._open(read_only=True)

    def _open(self, *, read_only: bool) -> None:
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise WarehouseError(
                f"{self.path}: cannot open the warehouse ({_first_line(exc)}); "
                "if it is damaged, run `lantern ingest` to rebuild it"
            ) from None
        self._cache: dict[str, Any] = {}
        self._tables: set[str] | None = None
        self.run: runlog.Run | None = None

    @classmethod
    def _writable(cls, path: Path, run: runlog.Run) -> Warehouse:
        wh = cls.__new__(cls)
        wh.path = path
        wh._open(read_only=False)
        wh.run = run
        # A writer keeps DuckDB's buffers small (it spills to disk beyond them), so an England
        # ingest stays well under 1 GB of memory; insertion order is not kept (no table relies on it).
        with wh.guard("warehouse settings"):
            wh.con.execute(f"SET memory_limit = '{WRITER_MEMORY}'")
            wh.con.execute("SET preserve_insertion_order = false")
        return wh

    @classmethod
    def from_config(cls, config: Any) -> Warehouse:
        return cls(config.warehouse)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- guarded access ---------------------------------------------------------------------
    @contextmanager
    def guard(self, table: str) -> Iterator[None]:
        """Turn any DuckDB error into a ``WarehouseError`` naming the file and ``table``."""
        try:
            yield
        except duckdb.Error as exc:
            hint = ""
            if isinstance(exc, duckdb.CatalogException) and table in ALL_TABLES:
                hint = "; run `lantern ingest`" + (
                    " and `lantern build`" if table in INDEX_TABLES else ""
                )
            raise WarehouseError(
                f"{self.path}, table {table!r}: {_first_line(exc)}{hint}"
            ) from None

    def query(
        self, sql: str, params: Sequence[Any] | None = None, *, table: str | None = None
    ) -> pd.DataFrame:
        """Run one SELECT; errors name ``table`` (default: the first table the SQL reads)."""
        name = table or next(iter(_TABLE_IN_SQL.findall(sql)), "?")
        self.flush_values()
        with self.guard(name):
            return self.con.execute(sql, list(params or [])).df()

    def tables(self) -> set[str]:
        """Names of the tables this warehouse holds."""
        if self._tables is None:
            frame = self.query(
                "SELECT table_name FROM information_schema.tables", table="information_schema"
            )
            self._tables = set(frame["table_name"])
        return self._tables

    def has(self, table: str) -> bool:
        return table in self.tables()

    def table(self, name: str) -> pd.DataFrame:
        if name not in ALL_TABLES:
            raise KeyError(f"unknown warehouse table {name!r}; tables: {', '.join(ALL_TABLES)}")
        return self.query(f"SELECT * FROM {name}", table=name)

    @contextmanager
    def _codes(self, codes: Iterable[str] | None) -> Iterator[str]:
        """A registered one-column relation ``area_code`` to join on (fast for 35,000 codes)."""
        name = f"_codes_{uuid.uuid4().hex[:8]}"
        frame = pd.DataFrame({"area_code": pd.Series(list(codes or []), dtype=object)})
        self.con.register(name, frame)
        try:
            yield name
        finally:
            self.con.unregister(name)

    # ----- named reads: geography -------------------------------------------------------------
    def areas(
        self,
        *,
        area_type: str | None = None,
        vintage: int | None = None,
        codes: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Rows of ``areas`` (optionally of one type, vintage, or only ``codes``), by code."""
        sql = (
            "SELECT * FROM areas WHERE (? IS NULL OR area_type = ?) AND (? IS NULL OR vintage = ?)"
        )
        params = [area_type, area_type, vintage, vintage]
        if codes is None:
            return self.query(sql + " ORDER BY area_code", params, table="areas")
        with self._codes(codes) as rel:
            return self.query(
                sql + f" AND area_code IN (SELECT area_code FROM {rel}) ORDER BY area_code",
                params,
                table="areas",
            )

    def area_names(self) -> pd.Series:
        """Each code's name (for codes in both vintages, the latest boundary year's)."""
        frame = self.query(
            "SELECT area_code, arg_max(area_name, boundary_year) AS area_name FROM areas GROUP BY 1",
            table="areas",
        )
        return pd.Series(frame["area_name"].to_numpy(), index=frame["area_code"])

    def area_codes(
        self, area_type: str, vintage: int, within: Iterable[str] | None = None
    ) -> list[str]:
        """Sorted codes of ``area_type``/``vintage``, optionally only those in or among ``within``."""
        if within is None:
            return list(self.areas(area_type=area_type, vintage=vintage)["area_code"])
        wanted = list(within)
        return list(
            self.query(
                """SELECT DISTINCT area_code FROM areas WHERE area_type = ? AND vintage = ? AND (
                   list_contains(?, area_code) OR area_code IN (
                       SELECT child_code FROM area_links WHERE vintage = ? AND list_contains(?, parent_code)))
                   ORDER BY area_code""",
                [area_type, vintage, wanted, vintage, wanted],
                table="areas",
            )["area_code"]
        )

    def area_links(
        self,
        *,
        child_type: str | None = None,
        parent_type: str | None = None,
        vintage: int | None = None,
        children: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Child → ancestor links (``child_code, child_type, parent_code, parent_type, vintage``)."""
        sql = (
            "SELECT * FROM area_links WHERE (? IS NULL OR child_type = ?) "
            "AND (? IS NULL OR parent_type = ?) AND (? IS NULL OR vintage = ?)"
        )
        params = [child_type, child_type, parent_type, parent_type, vintage, vintage]
        if children is None:
            return self.query(sql, params, table="area_links")
        with self._codes(children) as rel:
            return self.query(
                sql + f" AND child_code IN (SELECT area_code FROM {rel})",
                params,
                table="area_links",
            )

    def crosswalk(self) -> pd.DataFrame:
        if "crosswalk" not in self._cache:
            self._cache["crosswalk"] = self.table("crosswalk")
        return self._cache["crosswalk"]

    def geometries(self, codes: Iterable[str], *, area_type: str, vintage: int) -> pd.DataFrame:
        """``area_code, geometry`` (WKB) for ``codes`` of one type and vintage."""
        with self._codes(codes) as rel:
            return self.query(
                f"SELECT area_code, geometry FROM geometries JOIN {rel} USING (area_code) "
                "WHERE area_type = ? AND vintage = ?",
                [area_type, vintage],
                table="geometries",
            )

    def postcodes(self) -> pd.DataFrame:
        """The postcode lookup (empty when the warehouse has none)."""
        if not self.has("postcodes"):
            return pd.DataFrame(columns=columns("postcodes"))
        return self.table("postcodes")

    # ----- named reads: indicators and sources ------------------------------------------------
    def meta(self, indicator_ids: Iterable[str] | None = None) -> pd.DataFrame:
        if indicator_ids is None:
            return self.query("SELECT * FROM indicator_meta ORDER BY indicator_id")
        return self.query(
            "SELECT * FROM indicator_meta WHERE list_contains(?, indicator_id) ORDER BY indicator_id",
            [list(indicator_ids)],
        )

    def indicator_values(
        self,
        indicator_ids: Iterable[str] | None = None,
        *,
        codes: Iterable[str] | None = None,
        vintage: int | str | None = None,
        area_types: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Long rows ``area_code, indicator_id, period, value, numerator, denominator`` (+ area_type).

        Filters: these indicators, these area codes, one vintage, or areas of these types.
        """
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if indicator_ids is not None:
            where.append("list_contains(?, i.indicator_id)")
            params.append(list(indicator_ids))
        if vintage is not None:
            where.append("i.vintage = ?")
            params.append(int(vintage))
        select = "i.area_code, i.indicator_id, i.period, i.value, i.numerator, i.denominator"
        join = ""
        if area_types is not None:
            select += ", a.area_type"
            join = " JOIN (SELECT DISTINCT area_code, area_type FROM areas) a USING (area_code)"
            where.append("list_contains(?, a.area_type)")
            params.append(list(area_types))
        with self._codes(codes) as rel:
            if codes is not None:
                join += f" JOIN {rel} USING (area_code)"
            return self.query(
                f"SELECT {select} FROM indicators i{join} WHERE {' AND '.join(where)}",
                params,
                table="indicators",
            )

    def sources(self) -> pd.DataFrame:
        """The files loaded, with checksum, size, rows, publisher and licence."""
        return self.query("SELECT * FROM sources ORDER BY source_id, file")

    def source_gaps(self) -> pd.DataFrame:
        """Declared gaps: areas of the area of interest a source does not cover."""
        if not self.has("source_gaps"):
            return pd.DataFrame(columns=columns("source_gaps"))
        return self.query("SELECT * FROM source_gaps ORDER BY source_id")

    def runs(self) -> pd.DataFrame:
        return self.query("SELECT * FROM runs ORDER BY started_at")

    # ----- writes (only inside rebuild/update) ------------------------------------------------
    def _check_writable(self) -> None:
        if self.run is None:
            raise WarehouseError(
                f"{self.path}: opened read-only; write through Warehouse.rebuild or Warehouse.update"
            )

    def create_tables(self) -> None:
        self._check_writable()
        for statement in create_statements():
            with self.guard(statement.split()[2]):
                self.con.execute(statement)
        self._tables = None

    def insert(self, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows to ``table`` by column name (``indicators``: keyed)."""
        if table == "indicators":
            self.insert_indicators(frame)
            return
        self._append(table, frame)

    def _forget_reads(self) -> None:
        """Drop what was read and kept (crosswalk, links, populations): a write may change it.
        The writer's own key lists (names starting ``_``) follow its writes and stay."""
        for key in [k for k in self._cache if not k.startswith("_")]:
            del self._cache[key]

    def _append(self, table: str, frame: pd.DataFrame) -> None:
        self._check_writable()
        unknown = [c for c in frame.columns if c not in columns(table)]
        if unknown:
            raise WarehouseError(f"{self.path}, table {table!r}: no column(s) {unknown}")
        names = ", ".join(f'"{c}"' for c in frame.columns)
        rel = f"_insert_{uuid.uuid4().hex[:8]}"
        self._forget_reads()
        with self.guard(table):
            self.con.register(rel, frame)
            try:
                self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {rel}")
            finally:
                self.con.unregister(rel)

    def checkpoint(self) -> None:
        """Write what DuckDB holds in memory and in its log into the file now, so the final
        checkpoint has less to do (values held back by ``batched_values`` stay held)."""
        self._check_writable()
        with self.guard("checkpoint"):
            self.con.execute("CHECKPOINT")

    def execute(self, table: str, sql: str, params: Sequence[Any] | None = None) -> None:
        """One write statement against ``table`` (inside rebuild/update)."""
        self._check_writable()
        self.flush_values()
        self._forget_reads()
        self._forget_keys()  # the statement may change the keys too
        with self.guard(table):
            self.con.execute(sql, list(params or []))

    @contextmanager
    def transaction(self, table: str) -> Iterator[None]:
        self._check_writable()
        self.flush_values()
        with self.guard(table):
            self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            if self._batch:  # values held back since the transaction began: rolled back too
                self._batch = []
            with suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            self._forget_reads()
            self._forget_keys()  # keys given out inside the transaction are gone
            raise
        self.flush_values()
        with self.guard(table):
            self.con.execute("COMMIT")

    def ensure_table(self, table: str) -> None:
        from lantern.warehouse.schema import create_statement

        self._check_writable()
        with self.guard(table):
            self.con.execute(create_statement(table, if_not_exists=True))
        self._tables = None

    def _write_runs(self, log: AuditLog) -> None:
        self.ensure_table("runs")
        frame = runlog.runs_frame(log)
        rel = f"_runs_{uuid.uuid4().hex[:8]}"
        with self.guard("runs"):
            self.con.execute("DELETE FROM runs")
            self.con.register(rel, frame)
            self.con.execute(
                f"""INSERT INTO runs SELECT run_id, command, CAST(started_at AS TIMESTAMPTZ),
                    CAST(finished_at AS TIMESTAMPTZ), status, lantern_version, config_sha256,
                    CAST(details AS JSON) FROM {rel}"""
            )
            self.con.unregister(rel)

    # ----- the two ways to write --------------------------------------------------------------
    @classmethod
    @contextmanager
    def rebuild(
        cls, path: str | Path, *, command: str, config_sha256: str | None = None
    ) -> Iterator[Warehouse]:
        """A new, empty warehouse for ``path``; swapped in only if the block succeeds."""
        with _session(cls, Path(path), command, config_sha256, copy=False) as wh:
            yield wh

    @classmethod
    @contextmanager
    def update(
        cls, path: str | Path, *, command: str, config_sha256: str | None = None
    ) -> Iterator[Warehouse]:
        """A writable copy of the warehouse at ``path``; swapped in only if the block succeeds."""
        path = Path(path)
        if not path.exists():
            raise InputError("warehouse not found; run `lantern ingest` first", file=path)
        with _session(cls, path, command, config_sha256, copy=True) as wh:
            yield wh


class _Terminated(SystemExit):
    """SIGTERM while writing: unwind (remove the temporary file, log the run) and exit 143."""


@contextmanager
def _sigterm_unwinds() -> Iterator[list[int]]:
    """Turn SIGTERM into :class:`_Terminated`; yields the list of signals received.

    DuckDB catches an exception raised by the handler while a query runs and reports
    ``RuntimeError: Query interrupted`` instead, so the caller checks the list too.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        raise _Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """Hold SIGTERM until the block ends (then it is delivered and unwinds as usual)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        with suppress(FileNotFoundError):
            candidate.unlink()


@contextmanager
def _session(
    cls: type[Warehouse], path: Path, command: str, config_sha256: str | None, *, copy: bool
) -> Iterator[Warehouse]:
    run = runlog.Run(uuid.uuid4().hex, command, config_sha256)
    log = AuditLog(runlog.run_log_path(path))
    with WriterLock(path, command, run.run_id), _sigterm_unwinds() as signals:
        removed = remove_orphans(path)
        recovered = runlog.recover_unfinished(log, removed=removed)
        if removed or recovered:
            run.details["cleaned_up"] = {"files": removed, "unfinished_runs": recovered}
        tmp = temp_path(path, run.run_id, "updating" if copy else "building")
        runlog.start(log, run)
        committed = False
        try:
            if copy:
                shutil.copyfile(path, tmp)
            wh = cls._writable(tmp, run)
            try:
                yield wh
            except BaseException:
                wh.close()
                raise
            with _sigterm_deferred():  # the swap and its log entry happen whole or not at all
                try:
                    runlog.finish(log, run, "ok", run.details)
                    wh._write_runs(log)
                    with wh.guard("runs"):
                        wh.con.execute("CHECKPOINT")
                finally:
                    wh.close()
                os.replace(tmp, path)
                committed = True
        except BaseException as exc:
            if committed:  # a SIGTERM held during the swap: the run finished; now exit
                raise
            _remove(tmp)
            if signals and not isinstance(exc, _Terminated):  # interrupted inside a DuckDB query
                runlog.finish(
                    log, run, "interrupted", {**run.details, "error": "stopped by SIGTERM"}
                )
                raise _Terminated(128 + signals[0]) from None
            if isinstance(exc, _Terminated):
                status, message = "interrupted", "stopped by SIGTERM"
            elif isinstance(exc, KeyboardInterrupt):
                status, message = "interrupted", "stopped by Ctrl-C"
            elif isinstance(exc, LanternError):
                status, message = "failed", str(exc)
            else:
                status, message = "failed", f"{type(exc).__name__}: {_first_line(exc)}"
            runlog.finish(log, run, status, {**run.details, "error": message})
            raise
