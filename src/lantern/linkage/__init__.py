"""Safe person-level data joining: pseudonymisation at source, token linkage, cohort counts.

Partner side: ``pseudonymise`` (``lantern.linkage.pseudonymise``). Hub side: ``link``
(``lantern.linkage.link``) and ``aggregate_cohort`` (``lantern.linkage.cohort``). The objection
form calls ``objection_tokens``.
"""

from lantern.linkage.tokens import Tokeniser, objection_tokens

__all__ = ["Tokeniser", "objection_tokens"]
