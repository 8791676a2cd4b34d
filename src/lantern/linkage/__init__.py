"""Safe person-level data joining: pseudonymisation at source, token linkage, cohort counts.

Partner side: ``pseudonymise`` (``lantern.linkage.pseudonymise``). Hub side: ``link``
(``lantern.linkage.link``) and ``aggregate_cohort`` (``lantern.linkage.cohort``). The objection
form calls ``objection_tokens``.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lantern.linkage.tokens import Tokeniser, objection_tokens

__all__ = ["Tokeniser", "objection_tokens"]


def __getattr__(name: str) -> Any:
    """Load ``tokens`` (pandas, jellyfish) only when its names are used, not on every import
    of a ``lantern.linkage`` module (``lantern keys create`` needs neither)."""
    if name in __all__:
        from lantern.linkage import tokens

        return getattr(tokens, name)
    raise AttributeError(f"module 'lantern.linkage' has no attribute {name!r}")
