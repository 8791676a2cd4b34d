"""The Splink model for token files: one settings dictionary for DuckDB and Spark alike.

Every comparison is exact equality of keyed tokens (tokens carry no similarity), so the fuzzy
levels come from variant tokens: phonetic codes for names, two-of-three date-of-birth parts,
postcode sector and district. Exact levels carry term-frequency adjustment. The SQL is plain
ANSI so the same settings run on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lantern.linkage.blocking import Candidate, Rule, candidates, rule_sql, same

STRONG = ("nhs_number", "name_dob")
KNOWN = {
    "nhs_number", "name_dob", "given_name", "given_name_mp", "given_name_sx", "family_name",
    "family_name_mp", "family_name_sx", "dob", "dob_ym", "dob_md", "dob_yd", "sex", "postcode",
    "postcode_sector", "postcode_district",
}  # fmt: skip
UNIQUE_ID = "release_id"
# Columns compared with each other (swapped names), so their tokens must stay comparable.
CROSS_COMPARED = (("given_name", "family_name"),)


def _null(col: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }


def _exact(col: str, *, tf: bool = True, label: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {
        "sql_condition": f"{col}_l = {col}_r",
        "label_for_charts": label or f"{col} equal",
    }
    if tf:
        level.update(tf_adjustment_column=col, tf_adjustment_weight=1.0)
    return level


def _custom(sql: str, label: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label}


ELSE = {"sql_condition": "ELSE", "label_for_charts": "all other"}


def _name(kind: str, other: str, columns: set[str]) -> dict[str, Any]:
    levels = [_null(kind), _exact(kind)]
    if other in columns:
        levels.append(
            _custom(f"{kind}_l = {other}_r AND {other}_l = {kind}_r", "given and family swapped")
        )
    levels.append(_custom(f"{kind}_mp_l = {kind}_mp_r", "metaphone equal"))
    levels.append(_custom(f"{kind}_sx_l = {kind}_sx_r", "soundex equal"))
    levels.append(ELSE)
    return {"output_column_name": kind, "comparison_levels": levels}


def _dob() -> dict[str, Any]:
    two_of_three = "dob_ym_l = dob_ym_r OR dob_md_l = dob_md_r OR dob_yd_l = dob_yd_r"
    levels = [
        _null("dob"),
        _exact("dob"),
        _custom(two_of_three, "two of year, month, day equal"),
        ELSE,
    ]
    return {"output_column_name": "dob", "comparison_levels": levels}


def _postcode() -> dict[str, Any]:
    levels = [
        _null("postcode"),
        _exact("postcode"),
        _custom("postcode_sector_l = postcode_sector_r", "sector equal"),
        _custom("postcode_district_l = postcode_district_r", "district equal"),
        ELSE,
    ]
    return {"output_column_name": "postcode", "comparison_levels": levels}


def _plain(col: str, *, tf: bool) -> dict[str, Any]:
    return {"output_column_name": col, "comparison_levels": [_null(col), _exact(col, tf=tf), ELSE]}


def comparison_columns(token_columns: Iterable[str]) -> list[str]:
    """The compared fields: known kinds by their base name, other fields as themselves."""
    cols = set(token_columns)
    out: list[str] = [
        c
        for c in ("nhs_number", "given_name", "family_name", "dob", "sex", "postcode")
        if c in cols
    ]
    out += sorted(c for c in cols if c not in KNOWN and not c.startswith("obj_"))
    return out


def _block(*cols: str) -> str:
    return rule_sql(same(*cols))


def blocking_candidates(
    token_columns: Iterable[str],
    identifiers: Iterable[str] = (),
    extra: Sequence[Sequence[str]] = (),
) -> list[Candidate]:
    """Default blocking candidates: strong keys, identifier-kind fields, standard rules, and
    every compared field alone and in pairs (see :mod:`lantern.linkage.blocking`)."""
    columns = set(token_columns)
    return candidates(columns, comparison_columns(columns), identifiers=identifiers, extra=extra)


def deterministic_rules(columns: set[str], identifiers: Iterable[str] = ()) -> list[str]:
    """Rules strict enough that every pair they find is a true link."""
    rules = []
    if {"nhs_number", "dob"} <= columns:
        rules.append(_block("nhs_number", "dob"))
    if {"name_dob", "postcode"} <= columns:
        rules.append(_block("name_dob", "postcode"))
    rules += [_block(i, "name_dob") for i in identifiers if {i, "name_dob"} <= columns]
    return rules


def build_settings(
    token_columns: Iterable[str],
    *,
    link_type: str,
    blocking: Sequence[Rule] | None = None,
    identifiers: Iterable[str] = (),
    compare: Sequence[str] | None = None,
    extra_blocking: Sequence[Sequence[str]] = (),
    tf_columns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A complete Splink settings dictionary over the token columns present in every file.

    ``blocking`` gives the rules to use; by default every candidate of
    :func:`lantern.linkage.blocking.candidates` (the engine then keeps those within budget).
    """
    columns = set(token_columns)
    wanted = list(compare) if compare is not None else comparison_columns(columns)
    comparisons = []
    for col in wanted:
        if col in ("given_name", "family_name"):
            comparisons.append(
                _name(col, "family_name" if col == "given_name" else "given_name", columns)
            )
        elif col == "dob":
            comparisons.append(_dob())
        elif col == "postcode" and "postcode_sector" in columns:
            comparisons.append(_postcode())
        else:
            tf = col != "sex" and (tf_columns is None or col in tf_columns)
            comparisons.append(_plain(col, tf=tf))
    return {
        "link_type": link_type,
        "unique_id_column_name": UNIQUE_ID,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule_sql(r)}
            for r in (
                blocking
                if blocking is not None
                else [c.rule for c in blocking_candidates(columns, identifiers, extra_blocking)]
            )
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "probability_two_random_records_match": 0.0001,
        "em_convergence": 0.0001,
        "max_iterations": 25,
    }
