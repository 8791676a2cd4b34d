"""QOF 2019/20 practice registers apportioned to LSOA 2011 by where each practice's patients live.

For practice p and LSOA l, with patients_{p,l} registered patients living in l:

    register_l = Σ_p register_p · patients_{p,l} / Σ_l' patients_{p,l'}
    list_l     = Σ_p list_p     · patients_{p,l} / Σ_l' patients_{p,l'}
    prevalence_l = 100 · register_l / list_l

Σ_l' runs over every LSOA (in England) the practice serves, so a practice straddling the area's
edge contributes only its share. Aggregating upward sums registers and lists, never rates.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from lantern.errors import InputError
from lantern.geography.codes import AreaType
from lantern.sources.context import LoadContext
from lantern.sources.model import TIDY_COLUMNS, FileRead, Loaded, Source, WideRows
from lantern.sources.reading import (
    check_codes,
    check_header,
    check_unique,
    numeric,
    parse_csv,
    read_raw,
)

GROUPS = {
    "AF": ("af", "Atrial fibrillation"),
    "AST": ("ast", "Asthma"),
    "CAN": ("can", "Cancer"),
    "CHD": ("chd", "Coronary heart disease"),
    "CKD": ("ckd", "Chronic kidney disease (18+)"),
    "COPD": ("copd", "Chronic obstructive pulmonary disease"),
    "CVDPP": ("cvdpp", "Cardiovascular disease primary prevention (30-74)"),
    "DEM": ("dem", "Dementia"),
    "DEP": ("dep", "Depression (18+)"),
    "DM": ("dm", "Diabetes mellitus (17+)"),
    "EP": ("ep", "Epilepsy (18+)"),
    "HF": ("hf", "Heart failure"),
    "HYP": ("hyp", "Hypertension"),
    "LD": ("ld", "Learning disability"),
    "MH": ("mh", "Mental health (schizophrenia, bipolar, other psychoses)"),
    "OB": ("ob", "Obesity (18+)"),
    "OST": ("ost", "Osteoporosis (50+)"),
    "PAD": ("pad", "Peripheral arterial disease"),
    "PC": ("pc", "Palliative care"),
    "RA": ("ra", "Rheumatoid arthritis (16+)"),
    "STIA": ("stia", "Stroke and transient ischaemic attack"),
}
QOF_COLUMNS = ["PRACTICE_CODE", "GROUP_CODE", "REGISTER", "PATIENT_LIST_SIZE"]
PRACTICE_PATTERN = r"[A-Z][0-9A-Z]{5}"
REG_PARQUET = ("OrganisationCode", "LSOA11CD", "Patient")
REG_CSV = ("practice_code", "lsoa11_code", "number_of_patients", "practice_total_patients")


def apportion_matrices(
    practices: pd.DataFrame, patients: pd.DataFrame
) -> tuple[pd.Index, list[str], np.ndarray, np.ndarray]:
    """Areas, groups, and the apportioned register and list matrices (areas × groups).

    One sparse product S·R, where S[l, p] = patients_{p,l} / practice_total_p.
    """
    registers = practices.pivot_table(
        index="practice_code", columns="group", values="register", aggfunc="sum"
    )
    lists = practices.pivot_table(
        index="practice_code", columns="group", values="list", aggfunc="sum"
    )
    groups = sorted(registers.columns)
    registers, lists = registers[groups], lists.reindex(columns=groups)
    usable = patients[
        patients["practice_code"].isin(registers.index) & (patients["practice_total"] > 0)
    ]
    areas = pd.Index(sorted(patients["area_code"].unique()))
    rows = areas.get_indexer(usable["area_code"])
    cols = registers.index.get_indexer(usable["practice_code"])
    share = usable["patients"].to_numpy(float) / usable["practice_total"].to_numpy(float)
    matrix = sparse.csr_matrix((share, (rows, cols)), shape=(len(areas), len(registers.index)))
    reg = matrix @ np.nan_to_num(registers.to_numpy(float))
    lst = matrix @ np.nan_to_num(lists.to_numpy(float))
    return areas, groups, np.asarray(reg), np.asarray(lst)


def apportion(practices: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Apportion practice counts to areas by registered-patient shares (pure).

    ``practices``: ``practice_code``, ``group``, ``register``, ``list``.
    ``patients``: ``practice_code``, ``area_code``, ``patients``, ``practice_total`` (the practice's
    patients over *all* areas, so shares of areas outside the frame are left out).
    Returns ``area_code``, ``group``, ``register``, ``list`` for every area in ``patients`` × group.
    """
    areas, groups, reg, lst = apportion_matrices(practices, patients)
    n, k = len(areas), len(groups)
    return pd.DataFrame(
        {
            "area_code": np.repeat(areas.to_numpy(dtype=object), k),
            "group": np.tile(np.array(groups, dtype=object), n),
            "register": reg.reshape(-1),
            "list": lst.reshape(-1),
        }
    )


def read_practice_registers(path_source: Source, ctx: LoadContext) -> tuple[pd.DataFrame, FileRead]:
    """Validate the NHS Digital QOF prevalence file: one row per practice and group."""
    raw = read_raw(path_source.file(ctx.data_dir))
    check_header(raw, QOF_COLUMNS)
    frame = parse_csv(raw, usecols=QOF_COLUMNS, text_columns=["PRACTICE_CODE", "GROUP_CODE"])
    bad = ~frame["PRACTICE_CODE"].str.fullmatch(PRACTICE_PATTERN).fillna(False).astype(bool)
    if bad.any():
        raise InputError(
            "expected an ODS practice code like A81001",
            file=raw.path,
            row=int(bad.to_numpy().argmax()) + 2,
            column="PRACTICE_CODE",
        )
    unknown = ~frame["GROUP_CODE"].isin(GROUPS)
    if unknown.any():
        raise InputError(
            f"expected a QOF 2019/20 group code ({', '.join(GROUPS)})",
            file=raw.path,
            row=int(unknown.to_numpy().argmax()) + 2,
            column="GROUP_CODE",
        )
    values = numeric(raw, frame, ["REGISTER", "PATIENT_LIST_SIZE"])
    check_unique(raw, frame, ["PRACTICE_CODE", "GROUP_CODE"])
    practices = pd.DataFrame(
        {
            "practice_code": frame["PRACTICE_CODE"].astype(object),
            "group": frame["GROUP_CODE"].astype(object),
            "register": values["REGISTER"],
            "list": values["PATIENT_LIST_SIZE"],
        }
    )
    return practices, FileRead(
        path_source.source_id, path_source.path, raw.sha256, raw.size, len(frame)
    )


def read_registrations(source: Source, ctx: LoadContext) -> tuple[pd.DataFrame, FileRead]:
    """GP patients by practice and LSOA 2011: the England parquet if present, else the area CSV."""
    parquet, csv_path = source.extra_paths
    if (ctx.data_dir / parquet).exists():
        path = ctx.data_dir / parquet
        data = path.read_bytes()
        practice, lsoa, count = REG_PARQUET
        con = duckdb.connect()
        try:
            con.execute("CREATE TEMP TABLE reg AS SELECT * FROM read_parquet(?)", [str(path)])
            counted = con.execute("SELECT count(*) FROM reg").fetchone()
            total_rows = int(counted[0]) if counted is not None else 0
            frame = con.execute(
                f"""SELECT * FROM (
                        SELECT {practice} AS practice_code, {lsoa} AS area_code,
                               CAST({count} AS DOUBLE) AS patients,
                               CAST(sum({count}) OVER (PARTITION BY {practice}) AS DOUBLE) AS practice_total
                        FROM reg)
                    WHERE area_code LIKE 'E01%' OR area_code LIKE 'W01%'"""
            ).df()
        finally:
            con.close()
        sha = hashlib.sha256(data).hexdigest()
        file = FileRead(source.source_id, parquet, sha, len(data), total_rows)
    else:
        raw = read_raw(ctx.data_dir / csv_path)
        check_header(raw, REG_CSV)
        parsed = parse_csv(raw, usecols=REG_CSV, text_columns=["practice_code", "lsoa11_code"])
        check_codes(
            raw,
            parsed,
            "lsoa11_code",
            AreaType.LSOA,
            vintage=2011,
            other_vintage_codes=ctx.other_vintage_codes("lsoa", 2011),
        )
        counts = numeric(raw, parsed, ["number_of_patients", "practice_total_patients"])
        check_unique(raw, parsed, ["practice_code", "lsoa11_code"])
        frame = pd.DataFrame(
            {
                "practice_code": parsed["practice_code"].astype(object),
                "area_code": parsed["lsoa11_code"].astype(object),
                "patients": counts["number_of_patients"],
                "practice_total": counts["practice_total_patients"],
            }
        )
        file = FileRead(source.source_id, csv_path, raw.sha256, raw.size, len(parsed))
    keep = ctx.keep(frame["area_code"], "lsoa", 2011)
    return frame[keep.to_numpy()], file


def load_qof_apportioned(source: Source, ctx: LoadContext) -> Loaded:
    practices, qof_file = read_practice_registers(source, ctx)
    patients, reg_file = read_registrations(source, ctx)
    areas, groups, reg, lst = apportion_matrices(practices, patients)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(lst > 0, 100 * reg / np.where(lst > 0, lst, 1), np.nan)
    ids = [f"qof1920.{GROUPS[g][0]}_prevalence" for g in groups]
    wide = WideRows(areas.to_numpy(dtype=object), ids, value, reg, lst, 2011, source.period)
    meta = [
        source.meta(
            f"qof1920.{slug}_prevalence",
            f"{name}: recorded prevalence (QOF 2019/20, %)",
            unit="%",
            kind="rate",
            polarity="higher_worse",
            description=f"{name} register as % of the practice list, apportioned from GP practices to "
            "LSOA 2011 by where registered patients live (July 2022 registrations).",
        )
        for slug, name in GROUPS.values()
    ]
    return Loaded(wide=wide, meta=meta, files=[qof_file, reg_file])


def load_hoc_qof(source: Source, ctx: LoadContext) -> Loaded:
    """House of Commons Library modelled QOF 2019/20 prevalence by district (long table)."""
    columns = ["lad_code", "group_code", "register", "list", "prevalence"]
    raw = read_raw(source.file(ctx.data_dir))
    check_header(raw, columns)
    frame = parse_csv(raw, usecols=columns, text_columns=["lad_code", "group_code"])
    check_codes(raw, frame, "lad_code", AreaType.DISTRICT)
    unknown = ~frame["group_code"].isin(GROUPS)
    if unknown.any():
        raise InputError(
            f"expected a QOF group code ({', '.join(GROUPS)})",
            file=raw.path,
            row=int(unknown.to_numpy().argmax()) + 2,
            column="group_code",
        )
    values = numeric(raw, frame, ["register", "list", "prevalence"])
    check_unique(raw, frame, ["lad_code", "group_code"])
    keep = ctx.keep(frame["lad_code"], "district", source.vintage).to_numpy()
    frame, values = frame[keep], values[keep]
    rows = pd.DataFrame(
        {
            "area_code": frame["lad_code"].to_numpy(dtype=object),
            "vintage": source.vintage,
            "indicator_id": (
                "hoc_qof1920." + frame["group_code"].map(lambda g: GROUPS[g][0]) + "_prevalence"
            ).to_numpy(),
            "period": source.period,
            "value": 100 * values["prevalence"].to_numpy(),
            "numerator": values["register"].to_numpy(),
            "denominator": values["list"].to_numpy(),
        },
        columns=TIDY_COLUMNS,
    )
    meta = [
        source.meta(
            f"hoc_qof1920.{slug}_prevalence",
            f"{name}: modelled prevalence (district, %)",
            unit="%",
            kind="rate",
            polarity="higher_worse",
            description=f"{name}: House of Commons Library model of QOF 2019/20 registers by district "
            "(age-specific lists, weighted by limiting long-term illness).",
        )
        for slug, name in GROUPS.values()
    ]
    return Loaded(
        rows=rows,
        meta=meta,
        files=[FileRead(source.source_id, source.path, raw.sha256, raw.size, len(frame))],
    )
