"""The method note's validation section, rendered from the ``index_validation`` rows.

Rows are ``scope`` (``england`` or ``county``: the build's own areas, labelled with its place's
name, so an England build never reads "County"), ``predictor``, ``measure``, ``value`` and
``detail`` (the predictor's label). The same rows feed the site's method page, so the note, the
page and the docs show one table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCOPES = {"england": "England", "county": "County"}
ORDER = ("index", "index_held_out", "brc_vi", "imd", "aged_70_plus", "strongest")


def _value(rows: pd.DataFrame, scope: str, predictor: str, measure: str) -> float:
    hit = rows[(rows.scope == scope) & (rows.predictor == predictor) & (rows.measure == measure)]
    return float(hit["value"].iloc[0]) if len(hit) else np.nan


def rho_cell(rows: pd.DataFrame, scope: str, predictor: str) -> str:
    """``+0.414 (0.394 to 0.433)`` or ``–`` when not computed."""
    rho = _value(rows, scope, predictor, "spearman")
    if np.isnan(rho):
        return "–"
    low = _value(rows, scope, predictor, "spearman_low")
    high = _value(rows, scope, predictor, "spearman_high")
    ci = "" if np.isnan(low) else f" ({low:+.3f} to {high:+.3f})"
    return f"{rho:+.3f}{ci}"


def scope_labels(place: str = "") -> dict[str, str]:
    """Column names of the scopes: ``county`` is the build's place when it is known."""
    return {**SCOPES, "county": place or SCOPES["county"]}


def comparison_table(rows: pd.DataFrame, place: str = "") -> list[list[str]]:
    """Header plus one row per predictor: label, then ρ with its interval for each scope."""
    labels = scope_labels(place)
    scopes = [s for s in SCOPES if (rows.scope == s).any()]
    if place == "England" and "england" in scopes:
        scopes.remove("county")  # the build's own areas are England: one England column
    header = ["predictor"] + [
        f"{labels[s]} ({int(_value(rows, s, 'index', 'n_areas')):,} MSOAs)" for s in scopes
    ]
    table = [header]
    present = [p for p in ORDER if (rows.predictor == p).any()]
    for predictor in present:
        label = rows[rows.predictor == predictor]["detail"].dropna()
        table.append(
            [label.iloc[0] if len(label) else predictor]
            + [rho_cell(rows, s, predictor) for s in scopes]
        )
    return table


def validation_markdown(rows: pd.DataFrame, *, place: str = "") -> str:
    """The whole validation section (Markdown) from the ``index_validation`` rows of one index;
    ``place`` names the build's own areas ("England", "Essex, Southend-on-Sea and Thurrock")."""
    if rows.empty:
        return "## Validation\n\nNot run yet: `lantern validate`."
    rows = rows.assign(scope=rows["scope"].fillna("county"))
    outcome = rows[rows.predictor == "outcome"]["detail"].dropna()
    table = comparison_table(rows, place)
    labels = scope_labels(place)
    shown = [s for s in SCOPES if (rows.scope == s).any()]
    if place == "England" and "england" in shown:
        shown.remove("county")
    lines = [
        "## Validation against COVID-19 deaths",
        "",
        outcome.iloc[0] if len(outcome) else "",
        "",
        "Spearman's ρ between each predictor and the crude death rate, with a 95% bootstrap "
        "interval (1,000 resamples of MSOAs): crude rates of about ten deaths per MSOA are noisy.",
        "",
        "| " + " | ".join(table[0]) + " |",
        "|" + "---|" * len(table[0]),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    for scope in shown:
        lines += [
            "",
            f"Deaths per 100,000 residents by decile of each predictor, {labels[scope]} "
            "(decile 1 = most vulnerable 10% of MSOAs):",
            "",
        ]
        lines += [
            "| predictor | " + " | ".join(f"d{i}" for i in range(1, 11)) + " |",
            "|---|" + "---|" * 10,
        ]
        for predictor in (
            p for p in ORDER if ((rows.scope == scope) & (rows.predictor == p)).any()
        ):
            cells = [_value(rows, scope, predictor, f"rate_decile_{i}") for i in range(1, 11)]
            if all(np.isnan(c) for c in cells):
                continue
            label = rows[rows.predictor == predictor]["detail"].dropna()
            name = label.iloc[0] if len(label) else predictor
            lines.append(
                f"| {name} | "
                + " | ".join("–" if np.isnan(c) else f"{c:.0f}" for c in cells)
                + " |"
            )
    held = rows[rows.predictor == "held_out_weights"]
    notes = rows[rows.predictor == "held_out_note"]["detail"].dropna()
    if len(notes):
        lines += ["", notes.iloc[0]]
    if len(held):
        weights = ", ".join(f"{r.measure} {r.value:.3f}" for r in held.itertuples())
        lines += ["", f"Domain weights fitted without {labels['county']}'s region: {weights}."]
    lines.append("")
    return "\n".join(lines)
