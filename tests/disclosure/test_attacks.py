"""The eight attacks that once got through ``lantern release check``, each refused by name.

True counts: LSOAs L1..L3 = 3, 10, 12 make MSOA M1 (25); M2's five LSOAs are 20, 15, 30, 25, 40.
The project allows exact counts above 7 (``threshold_only``) so each refusal is for the attack
itself, and the same folders are refused under the default policy too.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from lantern.cli import main
from lantern.errors import DisclosureError, IntegrityError
from lantern.release import check_folder

from .folders import L1, L2, L3, M1, M2, M2_LSOAS, default_rules, project_rules_with, write_folder

LSOA = {L1: 3, L2: 10, L3: 12, **dict(zip(M2_LSOAS, (20, 15, 30, 25, 40), strict=True))}
MSOA = {M1: 25, M2: 130}


def exact():
    """The project allows exact counts above 7 (each test has its own history)."""
    return project_rules_with(cohort_counts="threshold_only")


def lsoa_csv(values: dict[str, int | None], extra: dict[str, list] | None = None) -> str:
    head = ["lsoa21_code", "count", *(extra or {})]
    lines = [",".join(head)]
    for i, (code, v) in enumerate(values.items()):
        row = [code, "" if v is None or v <= 7 else str(v)]
        row += [str(col[i]) for col in (extra or {}).values()]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def msoa_csv() -> str:
    return "msoa21_code,count\n" + "".join(f"{k},{v}\n" for k, v in MSOA.items())


def lsoa_table(**kw) -> dict:
    return {
        "name": "cases",
        "path": "lsoa.csv",
        "geography": "lsoa21_code",
        "cohort": "cases",
        "period": "2021",
        **kw,
    }


def msoa_table(**kw) -> dict:
    return {
        "name": "cases_msoa",
        "path": "msoa.csv",
        "geography": "msoa21_code",
        "cohort": "cases",
        "period": "2021",
        **kw,
    }


def rules_of(result) -> set[str]:
    return {f.rule for f in result.failures}


# 1. MSOA totals published as their own table, not declared as the LSOA table's totals.
def test_attack_1_totals_as_their_own_table_are_linked_by_geography(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path, {"lsoa.csv": lsoa_csv(LSOA), "msoa.csv": msoa_csv()}, [lsoa_table(), msoa_table()]
    )
    result = check_folder(folder, rules=exact())
    (f,) = [f for f in result.failures if f.area == L1]
    assert f.rule == "differencing" and f.row == 2 and "lsoa.csv" in f.table
    text = str(f)
    # the checker sees the file, the cell, the rule and the sum that recovers it
    assert (
        f"{M1} [msoa.csv (cases_msoa)] count 25" in text
        and f"{L2} [lsoa.csv (cases)] count 10" in text
    )
    assert "bound it to 3" in text
    # renaming the cohort, the column or the table does not unlink it
    renamed = tmp_path / "renamed"
    write_folder(
        renamed,
        {"lsoa.csv": lsoa_csv(LSOA), "m.csv": msoa_csv()},
        [lsoa_table(), msoa_table(path="m.csv", name="other")],
    )
    assert "differencing" in rules_of(check_folder(renamed, rules=exact()))
    assert not check_folder(folder, rules=default_rules()).ok


# 2. The same totals declared official.
def test_attack_2_totals_declared_official_need_an_approver_and_are_still_linked(
    tmp_path: Path,
) -> None:
    folder = write_folder(
        tmp_path,
        {"lsoa.csv": lsoa_csv(LSOA), "msoa.csv": msoa_csv()},
        [lsoa_table(), msoa_table(policy="official")],
    )
    result = check_folder(folder, rules=exact())
    assert {"relaxation", "differencing"} <= rules_of(result)
    (relax,) = [f for f in result.failures if f.rule == "relaxation"]
    assert "approved_by" in relax.message and "official" in relax.message
    approved = project_rules_with(
        cohort_counts="threshold_only",
        approvals=[
            {
                "type": "official",
                "tables": ["cases_msoa"],
                "approved_by": "Dr Ada Lovelace, Caldicott Guardian",
                "reason": "ONS mid-year estimates",
            }
        ],
    )
    result = check_folder(folder, rules=approved)
    assert "relaxation" not in rules_of(result) and "differencing" in rules_of(result)
    assert result.relaxations[0]["approved_by"] == "Dr Ada Lovelace, Caldicott Guardian"


# 3. The raw LSOA table declared official, or exempted with any reason.
def test_attack_3_raw_table_declared_official_or_exempt_is_refused(tmp_path: Path) -> None:
    raw = "lsoa21_code,count\n" + "".join(f"{k},{v}\n" for k, v in LSOA.items())
    folder = write_folder(tmp_path / "official", {"lsoa.csv": raw}, [lsoa_table(policy="official")])
    result = check_folder(folder, rules=exact())
    assert {"relaxation", "suppressed-range"} <= rules_of(result)
    assert any(f.area == L1 and f.rule == "suppressed-range" for f in result.failures)
    folder = write_folder(
        tmp_path / "exempt", {"lsoa.csv": raw, "ok.csv": lsoa_csv({L2: 10, L3: 12})},
        [lsoa_table(path="ok.csv")], exempt=[{"path": "lsoa.csv", "reason": "boundaries only"}],
    )  # fmt: skip
    result = check_folder(folder, rules=exact())
    assert {"relaxation", "undeclared"} <= rules_of(result)
    assert any(f.table == "lsoa.csv" and f.column == "count" for f in result.failures)


# 4. The folder's policy overridden to threshold 0, or a second table at threshold 2.
def test_attack_4_folder_cannot_lower_the_threshold(tmp_path: Path) -> None:
    raw = lsoa_csv(LSOA).replace(f"{L1},\n", f"{L1},3\n")
    folder = write_folder(
        tmp_path / "zero",
        {"lsoa.csv": raw},
        [lsoa_table(policy={"preset": "threshold_only", "threshold": 0})],
    )
    result = check_folder(folder, rules=exact())
    assert any(
        f.rule == "relaxation" and "threshold 0 is below the project's 7" in f.message
        for f in result.failures
    )
    assert any(f.rule == "suppressed-range" and f.area == L1 for f in result.failures)
    two = raw
    folder = write_folder(
        tmp_path / "two",
        {"lsoa.csv": lsoa_csv(LSOA), "lsoa_b.csv": two},
        [
            lsoa_table(),
            lsoa_table(
                name="cases_b",
                path="lsoa_b.csv",
                period="2021b",
                policy={"preset": "threshold_only", "threshold": 2},
            ),
        ],
    )
    result = check_folder(folder, rules=exact())
    assert any(f.rule == "relaxation" and "lsoa_b.csv" in f.table for f in result.failures)
    assert any(
        f.rule == "suppressed-range" and f.area == L1 and "lsoa_b.csv" in f.table
        for f in result.failures
    )


# 5. An undeclared column of raw counts; a rate from which the withheld count follows.
def test_attack_5_every_numeric_column_is_a_count_unless_a_measure(tmp_path: Path) -> None:
    people = [LSOA[k] for k in LSOA]
    folder = write_folder(
        tmp_path / "people",
        {"lsoa.csv": lsoa_csv(LSOA, {"people": people})},
        [lsoa_table(count_columns=["count"])],
    )
    result = check_folder(folder, rules=exact())
    assert any(
        f.rule == "suppressed-range" and f.column == "people" and f.area == L1
        for f in result.failures
    )
    pop = [1500 + 10 * i for i in range(len(LSOA))]
    rate = [round(v / p * 1000, 3) for v, p in zip(LSOA.values(), pop, strict=True)]
    files = {"lsoa.csv": lsoa_csv(LSOA, {"population": pop, "rate_per_1000": rate})}
    undeclared = write_folder(tmp_path / "rate", files, [lsoa_table()])
    result = check_folder(undeclared, rules=exact())
    assert any(f.rule == "whole-count" and f.column == "rate_per_1000" for f in result.failures)
    measure = {"rate_per_1000": {"numerator": "count", "denominator": "population", "per": 1000}}
    declared = write_folder(tmp_path / "measure", files, [lsoa_table(measures=measure)])
    result = check_folder(declared, rules=exact())
    (f,) = [f for f in result.failures if f.area == L1 and f.column == "rate_per_1000"]
    assert f.rule == "measure" and "withheld" in f.message
    # a rate from the published numerator and denominator, withheld with it, passes
    safe_rate = [
        "" if v <= 7 else round(v / p * 1000, 3) for v, p in zip(LSOA.values(), pop, strict=True)
    ]
    safe = write_folder(
        tmp_path / "safe",
        {"lsoa.csv": lsoa_csv(LSOA, {"population": pop, "rate_per_1000": safe_rate})},
        [lsoa_table(measures=measure)],
    )
    assert check_folder(safe, rules=exact()).ok


def _xlsx(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "visible"
    hidden = book.create_sheet("raw")
    hidden.sheet_state = "hidden"
    for r in rows:
        hidden.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


RAW_ROWS = [["lsoa21_code", "n"], *[[k, v] for k, v in LSOA.items()]]
HIDING_PLACES = {
    "raw.json": json.dumps([{"lsoa21_code": k, "n": v} for k, v in LSOA.items()]),
    "notes.txt": "\n".join(f"{k} {v}" for k, v in LSOA.items()),
    "raw.csv.gz": gzip.compress("\n".join(",".join(map(str, r)) for r in RAW_ROWS).encode()),
    "book.xlsx": _xlsx(RAW_ROWS),
    "raw.CSV.bak": "\n".join(",".join(map(str, r)) for r in RAW_ROWS),
    ".release/history/0000/files/lsoa.csv": "\n".join(",".join(map(str, r)) for r in RAW_ROWS),
    ".hidden.tsv": "\n".join("\t".join(map(str, r)) for r in RAW_ROWS),
}


# 6. Raw counts in files the checker did not read.
@pytest.mark.parametrize("name", sorted(HIDING_PLACES))
def test_attack_6_every_file_in_every_format_is_inspected(tmp_path: Path, name: str) -> None:
    files = {"lsoa.csv": lsoa_csv(LSOA), "msoa.csv": msoa_csv(), name: HIDING_PLACES[name]}
    safe_totals = {"msoa.csv": "msoa21_code,count\n" + f"{M1},\n{M2},130\n"}
    folder = write_folder(tmp_path, {**files, **safe_totals}, [lsoa_table(), msoa_table()])
    result = check_folder(folder, rules=exact())
    hits = [f for f in result.failures if f.table.startswith(name)]
    assert hits and all(f.rule == "undeclared" for f in hits), [str(f) for f in result.failures]
    assert main(["release", "check", str(folder), "--no-record"]) == DisclosureError.exit_code


# 7. A second release of the same cohort one person apart: new period, fresh folder.
def _month(tmp_path: Path, name: str, lsoa: dict, m1: int, *, cohort="cases", period="2021-01"):
    files = {
        "lsoa.csv": "lsoa21_code,count\n"
        + "".join(f"{k},{'' if v is None else v}\n" for k, v in lsoa.items()),
        "msoa.csv": f"msoa21_code,count\n{M1},{m1}\n{M2},130\n",
    }
    tables = [
        lsoa_table(cohort=cohort, period=period, name=f"{name}_lsoa"),
        msoa_table(cohort=cohort, period=period, name=f"{name}_msoa"),
    ]
    return write_folder(tmp_path / name, files, tables)


def test_attack_7_a_new_period_is_audited_against_earlier_releases_of_the_cohort(
    tmp_path: Path,
) -> None:
    from lantern.release import write_disclosure_record

    rules = exact()
    rest = {k: v for k, v in LSOA.items() if k not in (L1, L2, L3)}
    january = _month(tmp_path, "january", {L1: 8, L2: 10, L3: 12, **rest}, 30)
    first = check_folder(january, rules=rules)
    assert first.ok, [str(f) for f in first.failures]
    write_disclosure_record(january, first, release_id="january", rules=rules)
    # One person leaves L1 (8 -> 7): February alone is safe (L1 and L2 withheld), but M1 30 -> 29.
    february = {L1: None, L2: None, L3: 12, **rest}
    alone = check_folder(
        _month(tmp_path, "alone", february, 29, period="2021-02"),
        rules=project_rules_with(cohort_counts="threshold_only", history=tmp_path / "empty"),
    )
    assert alone.ok, [str(f) for f in alone.failures]
    result = check_folder(_month(tmp_path, "february", february, 29, period="2021-02"), rules=rules)
    (f,) = [f for f in result.failures if f.area == M1]
    assert f.rule == "differencing-periods" and "-1" in f.message and "january" in f.message
    # Renaming the cohort and its tables does not escape: the counts match the earlier release.
    renamed = check_folder(
        _month(tmp_path, "renamed", february, 29, cohort="cases-v2", period="2021-02"), rules=rules
    )
    assert any(f.rule == "differencing-periods" and f.area == M1 for f in renamed.failures)
    # The history lives outside the folder; an edited history is refused, not trusted.
    log = rules.history_dir / "releases.jsonl"
    log.write_text(log.read_text().replace('"january"', '"janvier"'))
    with pytest.raises(IntegrityError, match="does not match"):
        check_folder(_month(tmp_path, "march", february, 29, period="2021-03"), rules=rules)


def test_attack_1_with_renamed_columns_is_linked_by_values(tmp_path: Path) -> None:
    """The MSOA column named differently, in another cohort: its values still sum the LSOAs."""
    msoa = msoa_csv().replace("msoa21_code,count", "msoa21_code,people")
    folder = write_folder(
        tmp_path,
        {"lsoa.csv": lsoa_csv(LSOA), "other.csv": msoa},
        [lsoa_table(), msoa_table(path="other.csv", name="residents", cohort="residents")],
    )
    result = check_folder(folder, rules=exact())
    (f,) = [f for f in result.failures if f.area == L1]
    assert (
        f.rule == "differencing" and "reading 'count' and 'people' as the same counts" in f.message
    )
    # an MSOA column whose values cannot be those sums (M2's LSOAs are all published and add
    # to 130) is a different measure and is not linked
    unrelated = msoa.replace(f"{M2},130", f"{M2},75")
    (tmp_path / "other.csv").write_text(unrelated)
    assert check_folder(folder, rules=exact()).ok


def test_2011_and_2021_tables_are_linked_through_the_lsoa_lookup(tmp_path: Path) -> None:
    """LSOA 2011 E01015895 split into 2021's E01034095 and E01034096: a 2011 table publishing the
    old LSOA gives away a withheld 2021 half."""
    old, (half_a, half_b) = "E01015895", ("E01034095", "E01034096")
    folder = write_folder(
        tmp_path,
        {
            "lsoa21.csv": f"lsoa21_code,count\n{half_a},\n{half_b},40\n",
            "lsoa11.csv": f"lsoa11_code,count\n{old},43\n",
        },
        [
            {"path": "lsoa21.csv", "geography": "lsoa21_code", "cohort": "c", "vintage": 2021},
            {"path": "lsoa11.csv", "geography": "lsoa11_code", "cohort": "c", "vintage": 2011},
        ],
    )
    result = check_folder(folder, rules=exact())
    (f,) = [f for f in result.failures if f.area == half_a]
    assert f.rule == "differencing" and "bound it to 3" in f.message
