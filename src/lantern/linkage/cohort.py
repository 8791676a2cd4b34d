"""Linked cohorts counted by neighbourhood, released only through the output gate.

A cohort (from the agreement) selects persons whose linked records meet every ``all_of`` and at
least one ``any_of`` condition: an attribute true in any of the person's records, or ``in:<party>``
(a record from that party). Each person is counted once, in one home LSOA: the LSOA most of their
records give (ties: the first party in the agreement's order, then the smaller code). Counts for
every LSOA of the area (zeros included) go through ``lantern.disclosure.protect_table`` with the
agreement's policy; only the levels the agreement permits are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lantern import __version__
from lantern.audit import AuditLog
from lantern.disclosure import Hierarchy, Protected, policy_from, protect_table
from lantern.errors import InputError
from lantern.governance.agreement import Agreement, Cohort
from lantern.governance.purposes import authorise_run, require_output_level
from lantern.keys.placement import require_data_location
from lantern.keys.store import AuditKey
from lantern.linkage import crypto
from lantern.linkage.link import discover_release, out_paths
from lantern.linkage.pseudonymise import LSOA, PARTNER, RELEASE_ID, file_label, sha256_file

TRUE = {"true", "1", "yes", "y", "t"}
LEVEL_COLUMNS = {
    "lsoa": "lsoa21_code",
    "msoa": "msoa21_code",
    "ward": "ward24_code",
    "district": "ltla24_code",
    "county": "utla21_code",
}
VINTAGE = 2021


def _truthy(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower().isin(TRUE).fillna(False).astype(bool)


def cohort_persons(
    persons: pd.DataFrame, attributes: pd.DataFrame, cohort: Cohort, party_order: list[str]
) -> pd.DataFrame:
    """``person_id, lsoa_code`` of every person in the cohort (pure)."""
    records = persons.merge(
        attributes.drop(columns=[PARTNER], errors="ignore"), on=RELEASE_ID, how="left"
    )
    flags = pd.DataFrame({"person_id": records["person_id"]})
    for cond in {*cohort.all_of, *cohort.any_of}:
        if cond.startswith("in:"):
            flags[cond] = records[PARTNER] == cond[3:]
        elif cond in records:
            flags[cond] = _truthy(records[cond])
        else:
            flags[cond] = False
    per_person = flags.groupby("person_id").any()
    keep = (
        per_person[list(cohort.all_of)].all(axis=1)
        if cohort.all_of
        else pd.Series(True, index=per_person.index)
    )
    if cohort.any_of:
        keep &= per_person[list(cohort.any_of)].any(axis=1)
    chosen = per_person.index[keep]
    homes = records[records["person_id"].isin(chosen) & records[LSOA].notna()].copy()
    homes["rank"] = (
        homes[PARTNER].map({p: i for i, p in enumerate(party_order)}).fillna(len(party_order))
    )
    votes = (
        homes.groupby(["person_id", LSOA])
        .agg(n=(RELEASE_ID, "size"), rank=("rank", "min"))
        .reset_index()
    )
    votes = votes.sort_values(["person_id", "n", "rank", LSOA], ascending=[True, False, True, True])
    return votes.drop_duplicates("person_id")[["person_id", LSOA]].reset_index(drop=True)


def lsoa_counts(members: pd.DataFrame, chain: pd.DataFrame) -> pd.DataFrame:
    """One row per LSOA of the chain with its parents and the cohort count (zeros included)."""
    counts = members.groupby(LSOA).size()
    out = (
        chain[[c for c in LEVEL_COLUMNS.values() if c in chain.columns]]
        .drop_duplicates("lsoa21_code")
        .copy()
    )
    out["count"] = out["lsoa21_code"].map(counts).fillna(0).astype(np.int64)
    return out.reset_index(drop=True)


@dataclass
class CohortOutput:
    levels: dict[str, pd.DataFrame]  # level -> area_code, value (None = withheld)
    outside_area: int
    protected: Protected


def protect_counts(counts: pd.DataFrame, agreement: Agreement, levels: list[str]) -> Protected:
    """Apply the agreement's disclosure policy to LSOA counts and their higher-level totals."""
    higher = tuple(
        LEVEL_COLUMNS[lv]
        for lv in ("msoa", "ward", "district")
        if lv in levels and LEVEL_COLUMNS[lv] in counts
    )
    return protect_table(
        counts,
        count_columns=["count"],
        policy=policy_from(
            agreement.disclosure_policy.as_spec(), where=f"agreement {agreement.id}"
        ),
        hierarchy=Hierarchy(geography="lsoa21_code", levels=higher),
    )


def published_levels(protected: Protected, levels: list[str]) -> dict[str, pd.DataFrame]:
    out = {}
    for level in levels:
        col = LEVEL_COLUMNS[level]
        frame = (
            protected.table[[col, "count"]]
            if level == "lsoa"
            else protected.totals[col][[col, "count"]]
        )
        out[level] = frame.rename(columns={col: "area_code", "count": "value"}).reset_index(
            drop=True
        )
    return out


def write_release_folder(
    protected: Protected,
    agreement: Agreement,
    cohort_name: str,
    folder: str | Path,
    *,
    period: str | None = None,
) -> Path:
    """Write the cohort's LSOA table, its totals and ``disclosure-policy.json`` describing them
    (the agreement's policy, the cohort and period) into ``folder``; ``aggregate_cohort`` builds
    it in a temporary folder and gates it before it reaches its destination."""
    from lantern.release import write_manifest

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    levels = list(protected.hierarchy.levels)
    lsoa_file = f"{cohort_name}_lsoa21.csv"
    protected.table[["lsoa21_code", *levels, "count"]].to_csv(folder / lsoa_file, index=False)
    totals = {}
    for col in levels:
        name = f"{cohort_name}_{col.split('_')[0]}.csv"
        protected.totals[col][[col, "count"]].to_csv(folder / name, index=False)
        totals[col] = name
    table = {
        "path": lsoa_file,
        "policy": agreement.disclosure_policy.as_spec(),
        "cohort": f"{agreement.id}/{cohort_name}",
        "count_columns": ["count"],
        "geography": "lsoa21_code",
        "area_type": "lsoa",
        "vintage": VINTAGE,
        "levels": levels,
        "totals": totals,
    }
    if period is not None:
        table["period"] = period
    write_manifest(folder, [table], output="cohort_counts")
    return folder


def write_counts_csv(
    table: pd.DataFrame, path: Path, agreement: Agreement, cohort_name: str, period: str
) -> Path:
    """The ``--out`` CSV (every level's areas, one row each) with the manifest describing it."""
    from lantern.release import write_manifest

    table.to_csv(path, index=False)
    spec = {
        "name": f"{cohort_name}_counts",
        "path": path.name,
        "policy": agreement.disclosure_policy.as_spec(),
        "cohort": f"{agreement.id}/{cohort_name}",
        "period": period,
        "count_columns": ["value"],
        "geography": "area_code",
        "constants": {"vintage": VINTAGE},
    }
    write_manifest(path.parent, [spec], output="cohort_counts")
    return path


def aggregate_cohort(
    *,
    agreement: Agreement,
    purpose: str,
    cohort_name: str,
    release_dir: str | Path,
    link_dir: str | Path,
    storage_key: bytes,
    release: str,
    chain: pd.DataFrame,
    levels: list[str],
    audit_log: str | Path,
    out_csv: str | Path | None = None,
    warehouse: str | Path | None = None,
    release_out: str | Path | None = None,
    today: date | None = None,
    audit_key: AuditKey | None = None,
    rules: Any = None,
) -> CohortOutput:
    """Count a linked cohort by area through the output gate; write CSV and/or warehouse rows.
    ``rules``: the project's disclosure rules (default: from ``./lantern.toml``)."""
    authorise_run(agreement, purpose=purpose, today=today)
    for level in levels:
        require_output_level(agreement, level)
    cohort = agreement.cohort(cohort_name)
    if cohort is None:
        names = ", ".join(c.name for c in agreement.cohorts) or "none"
        raise InputError(
            f"cohort {cohort_name!r} is not defined in agreement {agreement.id} (defined: {names})"
        )
    files = discover_release(
        release_dir, agreement, release, purpose=purpose, storage_key=storage_key
    )
    if release_out is not None:
        require_data_location(release_out)
    for f in files:
        if f.manifest.get("lsoa_vintage") not in (VINTAGE, None):
            raise InputError(
                f"home LSOAs are {f.manifest['lsoa_vintage']} codes; cohort counts use LSOA {VINTAGE}: "
                "pseudonymise again with --vintage 2021",
                file=f.tokens_path.with_name(f"{f.partner}.manifest.json"),
            )
    attributes = pd.concat(
        [
            crypto.read_frame(
                f.attributes_path,
                storage_key,
                file_label(release, f.partner, "attributes"),
                purpose=purpose,
            )
            for f in files
        ],
        ignore_index=True,
    )
    persons_path = out_paths(link_dir)["persons"]
    persons = crypto.read_frame(
        persons_path, storage_key, file_label(release, "hub", "persons"), purpose=purpose
    )
    if LSOA not in attributes:
        raise InputError(
            "no home LSOA in the attribute files: pseudonymise with --postcodes", file=release_dir
        )
    members = cohort_persons(persons, attributes, cohort, [p.id for p in agreement.parties])
    counts = lsoa_counts(members, chain)
    outside = int(len(members) - counts["count"].sum())
    protected = protect_counts(counts, agreement, levels)
    published = published_levels(protected, levels)
    indicator = f"linked.{cohort.name}_count"
    rows = pd.concat([f.assign(level=lv) for lv, f in published.items()], ignore_index=True)
    # Every output is built in a temporary folder and gated; only when all pass are they swapped
    # in (a refusal leaves every destination, and the warehouse, as it was).
    from lantern.release.writers import Output, gate_outputs

    table = rows.assign(indicator_id=indicator, period=release, vintage=VINTAGE)
    outputs = []
    if out_csv is not None:
        dest = Path(out_csv)
        outputs.append(Output(dest, lambda tmp: write_counts_csv(table, tmp / dest.name, agreement, cohort.name, release), single_file=True))  # fmt: skip
    if release_out is not None:
        outputs.append(Output(Path(release_out), lambda tmp: write_release_folder(protected, agreement, cohort.name, tmp, period=release)))  # fmt: skip
    gate_outputs(outputs, rules=rules, output="cohort_counts")
    if warehouse is not None:
        write_indicator(warehouse, indicator, release, rows, agreement, cohort, levels)
    AuditLog(audit_log, key=audit_key).append(
        "cohort",
        agreement=agreement.id,
        purpose=purpose,
        release=release,
        cohort=cohort.name,
        levels=levels,
        policy=protected.policy.name,
        code_version=__version__,
        inputs={persons_path.name: sha256_file(persons_path)},
        outputs={Path(out_csv).name: sha256_file(out_csv)} if out_csv else {},
        rows_in=len(persons),
        rows_out=len(rows),
        withheld_cells=int(len(protected.suppressed)),
    )
    return CohortOutput(published, outside, protected)


def write_indicator(
    warehouse: str | Path,
    indicator: str,
    period: str,
    rows: pd.DataFrame,
    agreement: Agreement,
    cohort: Cohort,
    levels: list[str],
) -> None:
    """Replace this indicator's rows for the period in the warehouse and describe it."""
    from lantern.warehouse import Warehouse

    meta = {
        "indicator_id": indicator,
        "title": f"Linked cohort: {cohort.description or cohort.name}",
        "description": f"People in linked partner records meeting: {cohort.name}; "
        f"disclosure-controlled ({agreement.disclosure_policy.preset}).",
        "unit": "people",
        "kind": "count",
        "polarity": "higher_worse",
        "area_type": levels[0],
        "vintage": VINTAGE,
        "period": period,
        "source_id": f"linkage:{agreement.id}",
        "publisher": ", ".join(p.name for p in agreement.parties if p.role != "processor"),
        "dataset": f"{agreement.id} cohort {cohort.name}",
        "licence": f"Aggregate under data-sharing agreement {agreement.id}",
        "url": "",
    }
    with Warehouse.update(warehouse, command="cohort") as wh:
        wh.replace_indicator(meta, period, rows[["area_code", "value"]])
