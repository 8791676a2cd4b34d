"""Dictionary-encode token columns before linkage: equal tokens become equal small integers.

Every comparison of tokens is an equality test, so replacing each 128-bit hex token by a dense
integer code loses nothing: two records agree on a field exactly when their codes are equal.
Columns compared with each other (given and family name, for swapped names) share one
dictionary. Codes are assigned in token order, so ordering rows by codes is ordering them by
token content, which keeps training independent of the random release ids and of the order in
which a partner's rows arrived. Integers take a fraction of the memory of strings and make the
blocking joins and term-frequency counts faster; the work is done in an embedded DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def encode_tokens(
    frames: dict[str, pd.DataFrame],
    *,
    id_column: str,
    shared: Iterable[Sequence[str]] = (),
    start: int = 0,
) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """Encode the token columns every frame has and order rows by content.

    Returns ``{name: frame}`` with ``id_column`` replaced by sequential integers (from ``start``,
    frames taken in name order) and the token columns as nullable ``Int32`` codes, plus the
    release ids in that same order, so position ``i - start`` holds the release id of row ``i``.
    """
    names = sorted(frames)
    columns = sorted(set.intersection(*(set(f.columns) for f in frames.values())) - {id_column})
    group_of = {c: c for c in columns}
    for group in shared:
        present = [c for c in group if c in group_of]
        for c in present:
            group_of[c] = present[0]
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        for i, name in enumerate(names):
            con.register("incoming", frames[name][[id_column, *columns]])
            con.execute(f"CREATE TEMP TABLE in_{i} AS SELECT * FROM incoming")
            con.unregister("incoming")
        for key in sorted(set(group_of.values())):
            members = [c for c in columns if group_of[c] == key]
            values = " UNION ALL ".join(
                f"SELECT {_ident(c)} AS v FROM in_{i}" for i in range(len(names)) for c in members
            )
            con.execute(
                f"CREATE TEMP TABLE {_ident('dict_' + key)} AS SELECT v, "
                "(row_number() OVER (ORDER BY v))::INTEGER AS k "
                f"FROM (SELECT DISTINCT v FROM ({values}) WHERE v IS NOT NULL)"
            )
        select = ", ".join(
            f"{_ident('d' + str(j))}.k AS {_ident(c)}" for j, c in enumerate(columns)
        )
        joins = " ".join(
            f"LEFT JOIN {_ident('dict_' + group_of[c])} AS {_ident('d' + str(j))} "
            f"ON t.{_ident(c)} = {_ident('d' + str(j))}.v"
            for j, c in enumerate(columns)
        )
        order = ", ".join(f"{_ident(c)} ASC NULLS LAST" for c in columns)
        out: dict[str, pd.DataFrame] = {}
        ids: list[pd.Series] = []
        offset = start
        for i, name in enumerate(names):
            frame = con.execute(
                f"SELECT t.{_ident(id_column)} AS __id, {select} FROM in_{i} AS t {joins} "
                f"ORDER BY {order}, __id ASC NULLS LAST"
                if columns
                else f"SELECT t.{_ident(id_column)} AS __id FROM in_{i} AS t ORDER BY __id"
            ).df()
            ids.append(frame.pop("__id").astype(object))
            frame = frame.astype({c: "Int32" for c in columns})
            frame.insert(0, id_column, np.arange(offset, offset + len(frame), dtype=np.int64))
            offset += len(frame)
            out[name] = frame
    finally:
        con.close()
    return out, pd.concat(ids, ignore_index=True)
