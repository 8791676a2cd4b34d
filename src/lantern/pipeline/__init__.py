"""The use cases: each is ``f(config, *, progress)`` and every CLI command is a thin adapter.

``init`` (write a project's settings), ``fetch`` (download official files), ``bundle`` (cut an
area's open-data sample), ``ingest`` (official files → warehouse), ``build`` (warehouse → index
tables and method note), ``validate`` (index against COVID-19 deaths), ``publish`` (warehouse →
open site). ``explain`` and ``standalone`` serve ``lantern explain`` and ``lantern index``.
Import each from its module (``from lantern.pipeline.build import build``) so a command loads
only what it needs.
"""

from lantern.pipeline.progress import Progress, quiet

__all__ = ["Progress", "quiet"]
