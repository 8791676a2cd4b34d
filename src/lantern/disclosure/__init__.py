"""Statistical disclosure control: pure rules over frames and arrays, no file I/O.

Public contract (see ``docs/disclosure.md``): ``Policy`` and its presets, ``Hierarchy``,
``protect_table`` -> ``Protected``, ``published_rate``, ``check_table`` -> list of ``Failure``,
the OpenDP and cell-key noise helpers.
"""

from lantern.disclosure.check import Failure, check_table
from lantern.disclosure.hierarchy import Hierarchy
from lantern.disclosure.noise import cell_key_table, noisy_counts
from lantern.disclosure.policy import DEFAULT_POLICY, PRESETS, Policy, policy_from
from lantern.disclosure.protect import Protected, protect_table, published_layout, published_rate
from lantern.disclosure.rules import midpoint6, round_half_up

__all__ = [
    "DEFAULT_POLICY",
    "PRESETS",
    "Failure",
    "Hierarchy",
    "Policy",
    "Protected",
    "cell_key_table",
    "check_table",
    "midpoint6",
    "noisy_counts",
    "policy_from",
    "protect_table",
    "published_layout",
    "published_rate",
    "round_half_up",
]
