"""CSV for people who open it in a spreadsheet: every export of the portal writes through here.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or their
full-width forms) is a formula to Excel, LibreOffice and Google Sheets; such text cells get a
leading apostrophe, as OWASP recommends, so ``=HYPERLINK(...)`` shows as text and runs nothing.
Numbers are written as numbers. Rows end in CRLF (RFC 4180), so a cell holding a line break is
quoted and cannot start a row of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will read it harmlessly."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    if value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows pass through ``safe_cell``."""

    def __init__(self, out: io.TextIOBase | io.StringIO, **kwargs: Any) -> None:
        # RFC 4180 line ends: a cell holding a bare CR or LF is then quoted, never split
        kwargs["lineterminator"] = "\r\n"
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def to_csv(header: Iterable[str], rows: Iterable[Iterable[Any]], *, preamble: str = "") -> str:
    """A whole CSV document as text (``preamble`` lines first, e.g. a watermark)."""
    out = io.StringIO()
    out.write(preamble)
    writer = SafeWriter(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
