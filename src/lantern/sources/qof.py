"""QOF practice registers, 2018/19 to 2021/22, apportioned to LSOA 2011 by where patients live.

For practice p and LSOA l, with patients_{p,l} registered patients living in l:

    register_l = Σ_p register_p · patients_{p,l} / Σ_l' patients_{p,l'}
    list_l     = Σ_p list_p     · patients_{p,l} / Σ_l' patients_{p,l'}
    prevalence_l = 100 · register_l / list_l

Σ_l' runs over every LSOA (in England) the practice serves, so a practice straddling the area's
edge contributes only its share. Aggregating upward sums registers and lists, never rates.

Each QOF year is one period (``2018/19`` …) of the same indicators ``qof.<group>_prevalence``.
2021/22 was published here as practice prevalence rates only, without counts: its LSOA value is
the mean of the practices' rates weighted by the LSOA's registered patients at each practice,
and it carries no numerator or denominator. Every year is apportioned by the July 2022
registrations (the only practice × LSOA file available). A practice with a blank register for a
group (2018/19) is left out of that group's register and list alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from lantern.errors import InputError
from lantern.sources.checked import GapFound, parse_ahead, read_table, reuse_key
from lantern.sources.context import LoadContext
from lantern.sources.model import TIDY_COLUMNS, FileRead, Loaded, Source, WideRows
from lantern.sources.rules import COUNT, POSITIVE, PROPORTION, WHOLE_COUNT, PartsOf
from lantern.sources.table import Allowed, Codes, Gap, TableSpec

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
    "NDH": ("ndh", "Non-diabetic hyperglycaemia (18+)"),
    "OB": ("ob", "Obesity (18+)"),
    "OST": ("ost", "Osteoporosis (50+)"),
    "PAD": ("pad", "Peripheral arterial disease"),
    "PC": ("pc", "Palliative care"),
    "RA": ("ra", "Rheumatoid arthritis (16+)"),
    "STIA": ("stia", "Stroke and transient ischaemic attack"),
}
PRACTICE_PATTERN = r"[A-Z][0-9A-Z]{5}"
PRACTICE_WHAT = "an ODS practice code like A81001"
REG_PARQUET = ("OrganisationCode", "LSOA11CD", "Patient")
REG_CSV = ("practice_code", "lsoa11_code", "number_of_patients", "practice_total_patients")
NO_LSOA = "NO2011"  # NHS Digital: patients with no valid LSOA 2011
ENGLAND_ONLY = Gap(
    "English GP practices only: Welsh LSOAs appear only for residents registered in England",
    outside=("E92000001",),
)
UNREGISTERED = Gap(
    "GP practices of this QOF year with no patients in the July 2022 registrations (closed or "
    "merged since): their registers and lists are left out of every LSOA"
)
_WITHOUT_NDH = tuple(g for g in GROUPS if g != "NDH")


@dataclass(frozen=True)
class QofYear:
    """One year's NHS Digital prevalence file: its layout differs from year to year."""

    period: str
    path: str
    group_column: str = "GROUP_CODE"
    list_column: str = "PATIENT_LIST_SIZE"
    groups: tuple[str, ...] = _WITHOUT_NDH
    over_list: frozenset[tuple[str, str]] = frozenset()  # published registers above the list
    rates_only: bool = False


YEARS = {
    "qof1819": QofYear(
        "2018/19",
        "qof_practice_nhsd/qof_prevalence_practice_2018_19_england.csv",
        group_column="INDICATOR_GROUP_CODE",
        over_list=frozenset({("Y05750", "LD")}),
    ),
    "qof1920": QofYear(
        "2019/20",
        "qof_practice_nhsd/qof_prevalence_practice_2019_20_england.csv",
        over_list=frozenset(
            {("Y03051", g) for g in ("AST", "DEP", "DM", "HYP", "OB")} | {("Y05750", "LD")}
        ),
    ),
    "qof2021": QofYear(
        "2020/21",
        "qof_practice_nhsd/qof_prevalence_practice_2020_21_england.csv",
        list_column="PRACTICE_LIST_SIZE",
        groups=tuple(g for g in GROUPS if g != "CVDPP"),
        over_list=frozenset({("Y05750", "LD")}),
    ),
    "qof2122": QofYear(
        "2021/22",
        "qof_practice_nhsd/qof_prevalence_rates_practice_2021_22_england.csv",
        group_column="",
        list_column="",
        groups=tuple(g for g in GROUPS if g not in ("CVDPP", "OST", "RA")),
        over_list=frozenset({("Y05750",)}),  # type: ignore[arg-type]
        rates_only=True,
    ),
}
OVER_LIST_REASON = (
    "published by NHS Digital with a register larger than the age-specific list (specialist "
    "practices, e.g. for people with learning disabilities)"
)


@dataclass(frozen=True)
class Shares:
    """Registered patients (practice × area rows) as integer positions, built once per run and
    shared by every QOF year: a year then matches its practices by position, not by string."""

    areas: pd.Index  # sorted distinct area codes
    rows: np.ndarray  # each patient row's position in ``areas``
    practices: pd.Index  # distinct practice codes
    practice_of: np.ndarray  # each patient row's position in ``practices`` (-1: blank)
    patients: np.ndarray  # float
    totals: np.ndarray | None  # float, each practice's patients over every area (if given)

    @classmethod
    def of(cls, patients: pd.DataFrame) -> Shares:
        area, area_values = _codes(patients["area_code"])
        present = area_values[np.unique(area[area >= 0])]
        areas = pd.Index(sorted(present))
        where = areas.get_indexer(area_values)
        practice, practices = _codes(patients["practice_code"])
        totals = patients.get("practice_total")
        return cls(
            areas,
            np.where(area >= 0, where[np.maximum(area, 0)], -1),
            practices,
            practice,
            patients["patients"].to_numpy(float),
            None if totals is None else totals.to_numpy(float),
        )

    def columns(self, practices: pd.Index) -> np.ndarray:
        """Each patient row's position in ``practices`` (-1: not among them)."""
        found = practices.get_indexer(self.practices)
        return np.where(self.practice_of >= 0, found[np.maximum(self.practice_of, 0)], -1)


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column (-1 for blanks) and the distinct values they index."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), pd.Index(column.cat.categories.astype(object))
    codes, values = pd.factorize(column)
    return codes, pd.Index(values, dtype=object)


def patient_shares(patients: pd.DataFrame, ctx: LoadContext | None = None) -> Shares:
    """:class:`Shares` of ``patients``, kept in ``ctx`` for the run (the QOF years share them)."""
    key = ("shares", id(patients))
    cached = ctx.tables.get(key) if ctx is not None else None
    if isinstance(cached, tuple) and cached[0] is patients:
        return cached[1]
    shares = Shares.of(patients)
    if ctx is not None:
        ctx.tables[key] = (patients, shares)
    return shares


def apportion_matrices(
    practices: pd.DataFrame, patients: pd.DataFrame, shares: Shares | None = None
) -> tuple[pd.Index, list[str], np.ndarray, np.ndarray]:
    """Areas, groups, and the apportioned register and list matrices (areas × groups).

    One sparse product S·R, where S[l, p] = patients_{p,l} / practice_total_p.
    """
    shares = shares or Shares.of(patients)
    assert shares.totals is not None
    registers = practices.pivot_table(
        index="practice_code", columns="group", values="register", aggfunc="sum"
    )
    lists = practices.pivot_table(
        index="practice_code", columns="group", values="list", aggfunc="sum"
    )
    groups = sorted(registers.columns)
    registers, lists = registers[groups], lists.reindex(columns=groups)
    cols = shares.columns(registers.index)
    usable = (cols >= 0) & (shares.totals > 0)
    share = shares.patients[usable] / shares.totals[usable]
    matrix = sparse.csr_matrix(
        (share, (shares.rows[usable], cols[usable])),
        shape=(len(shares.areas), len(registers.index)),
    )
    reg = matrix @ np.nan_to_num(registers.to_numpy(float))
    lst = matrix @ np.nan_to_num(lists.to_numpy(float))
    return shares.areas, groups, np.asarray(reg), np.asarray(lst)


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


def practice_spec(source: Source) -> TableSpec:
    """The checks for one year's practice file."""
    year = YEARS[source.source_id]
    pattern = (("PRACTICE_CODE", PRACTICE_PATTERN, PRACTICE_WHAT),)
    allowed = (Allowed(frozenset(year.over_list), OVER_LIST_REASON),) if year.over_list else ()
    if year.rates_only:
        columns = tuple(f"{g}_prevalence" for g in year.groups)
        return TableSpec(
            source.source_id,
            year.path,
            text=("practice_code",),
            numbers=columns,
            key=("practice_code",),
            rules=tuple((c, PROPORTION) for c in columns),
            patterns=(("practice_code", PRACTICE_PATTERN, PRACTICE_WHAT),),
            allowed=allowed,
        )
    return TableSpec(
        source.source_id,
        year.path,
        text=("PRACTICE_CODE", year.group_column),
        numbers=("REGISTER", year.list_column),
        key=("PRACTICE_CODE", year.group_column),
        rules=(("REGISTER", WHOLE_COUNT), (year.list_column, POSITIVE)),
        parts=(PartsOf(("REGISTER",), year.list_column),),
        choices=((year.group_column, year.groups),),
        patterns=pattern,
        allowed=allowed,
    )


def registration_specs(source: Source) -> tuple[TableSpec, TableSpec]:
    """The England Parquet (used when present) and the area CSV of July 2022 registrations."""
    parquet, csv = source.extra_paths
    practice, lsoa, count = REG_PARQUET
    return (
        TableSpec(
            source.source_id,
            parquet,
            codes=(Codes(lsoa, "lsoa", 2011, markers=(NO_LSOA,)),),
            text=(practice,),
            numbers=(count,),
            key=(practice, lsoa),
            rules=((count, WHOLE_COUNT),),
            patterns=((practice, PRACTICE_PATTERN, PRACTICE_WHAT),),
            gaps=(ENGLAND_ONLY,),
            format="parquet",
            reuse=True,
        ),
        TableSpec(
            source.source_id,
            csv,
            codes=(Codes("lsoa11_code", "lsoa", 2011),),
            text=("practice_code",),
            numbers=("number_of_patients", "practice_total_patients"),
            key=("practice_code", "lsoa11_code"),
            rules=(("number_of_patients", WHOLE_COUNT), ("practice_total_patients", POSITIVE)),
            parts=(PartsOf(("number_of_patients",), "practice_total_patients"),),
            patterns=(("practice_code", PRACTICE_PATTERN, PRACTICE_WHAT),),
            gaps=(ENGLAND_ONLY,),
            reuse=True,
        ),
    )


def qof_tables(source: Source) -> list[TableSpec]:
    return [practice_spec(source), *registration_specs(source)]


def read_practices(source: Source, ctx: LoadContext) -> tuple[pd.DataFrame, FileRead]:
    """One row per practice and group: ``practice_code, group, register, list`` (or ``rate``)."""
    year = YEARS[source.source_id]
    table = read_table(practice_spec(source), ctx)
    frame, values = table.frame, table.values
    if year.rates_only:
        long = values.set_axis(frame["practice_code"].astype(object).to_numpy()).stack()
        index = long.index
        assert isinstance(index, pd.MultiIndex)
        groups = index.levels[1].str.replace("_prevalence", "")  # once per group, not per row
        practices = pd.DataFrame(
            {
                "practice_code": index.get_level_values(0).to_numpy(dtype=object),
                "group": groups.to_numpy(dtype=object)[index.codes[1]],
                "rate": long.to_numpy(dtype=float),
            }
        )
        return practices, table.file
    practices = pd.DataFrame(
        {
            "practice_code": frame["PRACTICE_CODE"].astype(object).to_numpy(),
            "group": frame[year.group_column].astype(object).to_numpy(),
            "register": values["REGISTER"].to_numpy(),
            "list": values[year.list_column].to_numpy(),
        }
    )
    blank = practices["register"].isna() | practices["list"].isna()
    return practices[~blank.to_numpy()].reset_index(drop=True), table.file


def read_registrations(source: Source, ctx: LoadContext) -> tuple[pd.DataFrame, FileRead, list]:
    """GP patients by practice and LSOA 2011: the England Parquet if present, else the area CSV.

    Read once per run (every QOF year uses them); codes are kept as categories, not strings.
    """
    parquet_spec, csv_spec = registration_specs(source)
    spec = parquet_spec if (ctx.data_dir / parquet_spec.path).exists() else csv_spec
    table = read_table(spec, ctx)
    cached = ctx.tables.get(("patients", reuse_key(spec)))
    if isinstance(cached, pd.DataFrame):
        frame = cached
    elif spec is parquet_spec:
        practice, lsoa, count = REG_PARQUET
        codes = table.frame[practice].astype("category")
        # each practice's total over every row, its patients with no valid LSOA included
        totals = table.values[count].groupby(codes.to_numpy(), observed=True).sum()
        areas = ~table.marker
        frame = pd.DataFrame(
            {
                "practice_code": codes[areas].cat.remove_unused_categories(),
                "area_code": table.frame[lsoa][areas].astype("category"),
                "patients": table.values[count].to_numpy()[areas],
            }
        ).reset_index(drop=True)
        frame["practice_total"] = frame["practice_code"].map(totals).astype(float).to_numpy()
    else:
        frame = pd.DataFrame(
            {
                "practice_code": table.frame["practice_code"].astype("category"),
                "area_code": table.frame["lsoa11_code"].astype("category"),
                "patients": table.values["number_of_patients"].to_numpy(),
                "practice_total": table.values["practice_total_patients"].to_numpy(),
            }
        ).reset_index(drop=True)
    ctx.tables[("patients", reuse_key(spec))] = frame
    inside = ctx.tables.get(("patients inside", reuse_key(spec)))
    if not isinstance(inside, pd.DataFrame):
        keep = ctx.keep(frame["area_code"], "lsoa", 2011)
        inside = ctx.tables[("patients inside", reuse_key(spec))] = frame[keep.to_numpy()]
    return inside, table.file, table.gaps


def unregistered(source: Source, ctx: LoadContext, practices: pd.DataFrame) -> GapFound | None:
    """The practices of a QOF year absent from the registrations (every LSOA, not only the area's),
    recorded as a known gap of the source: they cannot be apportioned."""
    parquet_spec, csv_spec = registration_specs(source)
    registered = ctx.tables.get(("patients", reuse_key(parquet_spec)))
    if registered is None:
        registered = ctx.tables.get(("patients", reuse_key(csv_spec)))
    if not isinstance(registered, pd.DataFrame):
        return None
    codes = pd.Index(practices["practice_code"].unique())
    missing = codes.difference(registered_practices(registered, ctx))
    if not len(missing):
        return None
    return GapFound(
        source.source_id,
        "practice",
        2011,
        len(missing),
        len(codes),
        str(min(missing)),
        UNREGISTERED.reason,
    )


def registered_practices(registered: pd.DataFrame, ctx: LoadContext) -> pd.Index:
    """The practices with registered patients (kept in ``ctx`` for the run)."""
    key = ("registered practices", id(registered))
    cached = ctx.tables.get(key)
    if isinstance(cached, tuple) and cached[0] is registered:
        return cached[1]
    codes, values = _codes(registered["practice_code"])
    practices = values[np.unique(codes[codes >= 0])]
    ctx.tables[key] = (registered, practices)
    return practices


def apportion_rates(
    practices: pd.DataFrame, patients: pd.DataFrame, shares: Shares | None = None
) -> tuple[pd.Index, list[str], np.ndarray]:
    """Areas, groups and each area's patient-weighted mean of its practices' rates (× 100)."""
    shares = shares or Shares.of(patients)
    rates = practices.pivot_table(index="practice_code", columns="group", values="rate")
    groups = sorted(rates.columns)
    rates = rates[groups]
    cols = shares.columns(rates.index)
    usable = cols >= 0
    weights = sparse.csr_matrix(
        (shares.patients[usable], (shares.rows[usable], cols[usable])),
        shape=(len(shares.areas), len(rates.index)),
    )
    values = rates.to_numpy(float)
    known = np.isfinite(values)
    num = weights @ np.where(known, values, 0.0)
    den = weights @ known.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(den > 0, 100 * num / np.where(den > 0, den, 1), np.nan)
    return shares.areas, groups, np.asarray(mean)


def qof_meta(source: Source, groups) -> list:  # noqa: ANN001
    return [
        source.meta(
            f"qof.{GROUPS[g][0]}_prevalence",
            f"{GROUPS[g][1]}: recorded prevalence (QOF, %)",
            unit="%",
            kind="rate",
            polarity="higher_worse",
            description=f"{GROUPS[g][1]} register as % of the practice list (QOF, NHS Digital), "
            "apportioned from GP practices to LSOA 2011 by where registered patients live (July "
            "2022 registrations). 2021/22 was published as practice rates only: that year is the "
            "patient-weighted mean of practice rates, without counts.",
        )
        for g in groups
    ]


def load_qof_apportioned(source: Source, ctx: LoadContext) -> Loaded:
    practices, qof_file = read_practices(source, ctx)
    patients, reg_file, gaps = read_registrations(source, ctx)
    year = YEARS[source.source_id]
    shares = patient_shares(patients, ctx)
    if year.rates_only:
        areas, groups, value = apportion_rates(practices, patients, shares)
        reg = lst = np.full(value.shape, np.nan)
    else:
        areas, groups, reg, lst = apportion_matrices(practices, patients, shares)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(lst > 0, 100 * reg / np.where(lst > 0, lst, 1), np.nan)
    ids = [f"qof.{GROUPS[g][0]}_prevalence" for g in groups]
    wide = WideRows(areas.to_numpy(dtype=object), ids, value, reg, lst, 2011, source.period)
    found = [g.__class__(**{**g.__dict__, "source_id": source.source_id}) for g in gaps]
    unmatched = unregistered(source, ctx, practices)
    return Loaded(
        wide=wide,
        meta=qof_meta(source, groups),
        files=[qof_file, reg_file],
        gaps=found + ([unmatched] if unmatched else []),
    )


def prepare_qof(source: Source, ctx: LoadContext) -> bool:
    """Read ahead what a QOF year shares with the others (the GP registrations, read and checked,
    and their integer positions) and parse its practice file, while the loading thread would
    otherwise wait for the writer. Nothing is skipped: the year still checks its practice file in
    its turn. A file that fails is left alone here, so the year reads it again and reports the
    same error in its turn. True when the registrations were kept."""
    parse_ahead(practice_spec(source), ctx)
    try:
        patients, _, _ = read_registrations(source, ctx)
    except InputError:
        return False
    patient_shares(patients, ctx)
    return True


load_qof_apportioned.tables = qof_tables  # type: ignore[attr-defined]
load_qof_apportioned.prepare = prepare_qof  # type: ignore[attr-defined]


def hoc_spec(source: Source) -> TableSpec:
    return TableSpec(
        source.source_id,
        source.path,
        codes=(Codes("lad_code", "district", 2011),),
        text=("group_code",),
        numbers=("register", "list", "prevalence"),
        key=("lad_code", "group_code"),
        rules=(("register", COUNT), ("list", POSITIVE), ("prevalence", PROPORTION)),
        parts=(PartsOf(("register",), "list"),),
        choices=(("group_code", _WITHOUT_NDH),),
        gaps=tuple(source.gaps),
    )


def load_hoc_qof(source: Source, ctx: LoadContext) -> Loaded:
    """House of Commons Library modelled QOF 2019/20 prevalence by district (long table)."""
    table = read_table(hoc_spec(source), ctx)
    frame, values = table.frame, table.values
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
            f"hoc_qof1920.{GROUPS[g][0]}_prevalence",
            f"{GROUPS[g][1]}: modelled prevalence (district, %)",
            unit="%",
            kind="rate",
            polarity="higher_worse",
            description=f"{GROUPS[g][1]}: House of Commons Library model of QOF 2019/20 registers "
            "by district (age-specific lists, weighted by limiting long-term illness).",
        )
        for g in _WITHOUT_NDH
    ]
    return Loaded(rows=rows, meta=meta, files=[table.file], gaps=table.gaps)


load_hoc_qof.tables = lambda source: [hoc_spec(source)]  # type: ignore[attr-defined]
