"""QOF practice → LSOA apportionment: a hand-worked example, invariants, and the real files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.sources import LoadContext, get_source, load_source
from lantern.sources.qof import GROUPS, YEARS, apportion


def test_hand_worked_example():
    """Two practices, three LSOAs (A, B, C), one group (DM).

    P1 has 100 patients: 60 in A, 40 in B. Register 10, list 100.
    P2 has 200 patients: 50 in B, 100 in C, 50 outside the area. Register 40, list 180.
    Shares: P1→A 0.6, P1→B 0.4; P2→B 0.25, P2→C 0.5.
      register_A = 10·0.6 = 6          list_A = 100·0.6 = 60             prevalence 10%
      register_B = 10·0.4 + 40·0.25 = 14   list_B = 100·0.4 + 180·0.25 = 85   prevalence 16.47%
      register_C = 40·0.5 = 20         list_C = 180·0.5 = 90             prevalence 22.22%
    Total register 40 = 10 + 40·0.75 (a quarter of P2 lives outside).
    """
    practices = pd.DataFrame(
        {
            "practice_code": ["P1", "P2"],
            "group": ["DM", "DM"],
            "register": [10.0, 40.0],
            "list": [100.0, 180.0],
        }
    )
    patients = pd.DataFrame(
        {
            "practice_code": ["P1", "P1", "P2", "P2"],
            "area_code": ["A", "B", "B", "C"],
            "patients": [60, 40, 50, 100],
            "practice_total": [100, 100, 200, 200],
        }
    )
    out = apportion(practices, patients).set_index("area_code")
    assert out["register"].to_dict() == pytest.approx({"A": 6.0, "B": 14.0, "C": 20.0})
    assert out["list"].to_dict() == pytest.approx({"A": 60.0, "B": 85.0, "C": 90.0})
    prevalence = 100 * out["register"] / out["list"]
    assert prevalence.to_dict() == pytest.approx({"A": 10.0, "B": 1400 / 85, "C": 200 / 9})
    assert out["register"].sum() == pytest.approx(40.0)


@st.composite
def practices_inside(draw):
    """Random practices whose patients all live in the loaded areas (so shares sum to 1)."""
    n_practices = draw(st.integers(1, 6))
    n_areas = draw(st.integers(1, 8))
    rows, regs = [], []
    for p in range(n_practices):
        counts = draw(
            st.lists(st.integers(0, 500), min_size=n_areas, max_size=n_areas).filter(
                lambda c: sum(c) > 0
            )
        )
        total = sum(counts)
        rows += [(f"P{p}", f"L{a}", c, total) for a, c in enumerate(counts) if c > 0]
        for group in ("DM", "HYP"):
            register = draw(st.integers(0, 1000))
            regs.append(
                (f"P{p}", group, float(register), float(register + draw(st.integers(0, 5000))))
            )
    patients = pd.DataFrame(
        rows, columns=["practice_code", "area_code", "patients", "practice_total"]
    )
    practices = pd.DataFrame(regs, columns=["practice_code", "group", "register", "list"])
    return practices, patients


@settings(max_examples=60, deadline=None)
@given(practices_inside())
def test_registers_sum_back_to_practice_totals(data):
    practices, patients = data
    out = apportion(practices, patients)
    for group, part in out.groupby("group"):
        expected = practices.loc[practices["group"] == group]
        assert part["register"].sum() == pytest.approx(
            expected["register"].sum(), rel=1e-9, abs=1e-9
        )
        assert part["list"].sum() == pytest.approx(expected["list"].sum(), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(practices_inside())
def test_upward_aggregation_sums_numerators_not_rates(data):
    """Merging areas then dividing equals dividing the summed apportioned counts."""
    practices, patients = data
    out = apportion(practices, patients)
    merged = patients.assign(area_code="ALL")
    whole = apportion(practices, merged).set_index("group")
    summed = out.groupby("group")[["register", "list"]].sum()
    assert np.allclose(whole.loc[summed.index, "register"], summed["register"])
    assert np.allclose(whole.loc[summed.index, "list"], summed["list"])


def test_real_practice_files_for_essex(bundled_essex):
    from lantern.pipeline.ingest import geography

    _, _, ctx = geography(bundled_essex, ["E10000012", "E06000033", "E06000034"])
    loaded = load_source(get_source("qof1920"), ctx)
    rows = loaded.rows
    assert rows["area_code"].nunique() == 1077
    assert set(rows["indicator_id"]) == {
        f"qof.{GROUPS[g][0]}_prevalence" for g in YEARS["qof1920"].groups
    }
    assert set(rows["period"]) == {"2019/20"}
    dm = rows[rows["indicator_id"] == "qof.dm_prevalence"]
    assert dm["value"].between(1, 20).all()  # diabetes prevalence (17+) in Essex is about 7%
    overall = 100 * dm["numerator"].sum() / dm["denominator"].sum()
    assert 6.0 < overall < 8.5
    assert [f.file for f in loaded.files] == [
        "qof_practice_nhsd/qof_prevalence_practice_2019_20_england.csv",
        "gp_registrations_lsoa/gp_reg_pat_prac_lsoa11_jul2022_essex.csv",
    ]


def test_england_registers_add_up_to_practice_totals(shared_data):
    """Over all of England, apportioned registers equal the registers of the matched practices,
    less the share of patients with no valid LSOA (code NO2011)."""
    source = get_source("qof1920")
    ctx = LoadContext(shared_data)  # no area filter: every LSOA
    loaded = load_source(source, ctx)
    dm = loaded.rows[loaded.rows["indicator_id"] == "qof.dm_prevalence"]
    regs = pd.read_parquet(shared_data / source.extra_paths[0])
    qof = pd.read_csv(shared_data / source.path)
    qof = qof[(qof["GROUP_CODE"] == "DM") & qof["PRACTICE_CODE"].isin(regs["OrganisationCode"])]
    totals = regs.groupby("OrganisationCode")["Patient"].sum()
    in_lsoa = (
        regs[regs["LSOA11CD"].str.match(r"[EW]01")].groupby("OrganisationCode")["Patient"].sum()
    )
    share = (in_lsoa / totals).reindex(qof["PRACTICE_CODE"]).fillna(0).to_numpy()
    assert dm["numerator"].sum() == pytest.approx(
        (qof["REGISTER"].to_numpy() * share).sum(), rel=1e-9
    )


def test_practices_missing_from_the_registrations_are_a_measured_gap(tmp_path, capsys):
    """A practice of a QOF year with no registered patients cannot be apportioned: it is counted
    as a known gap of that year (shown by `lantern sources`), never silently dropped."""
    from lantern.cli import main
    from lantern.sources.manifest import entry_for

    from .test_bad_inputs import project

    config, data = project(tmp_path, parquet=False)
    relative = YEARS["qof1920"].path
    path = data / relative
    text = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    added = newline.join(f"Z99999,{g},5,TOTAL,1000" for g in ("AF", "DM")) + newline
    path.unlink()
    path.write_bytes((text + added).encode("utf-8"))
    manifest = data / "manifest.json"
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    entry = entry_for(path)
    entries[relative] = {"sha256": entry.sha256, "rows": entry.rows, "bytes": entry.bytes}
    manifest.unlink()
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    practices = pd.read_csv(path)["PRACTICE_CODE"].nunique()

    assert main(["sources", "--check", "-c", str(config), relative]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"known gap: qof1920: 1 of {practices:,} PRACTICE 2011 (e.g. Z99999)" in out
    assert main(["ingest", "-c", str(config), "-q"]) == 0
    capsys.readouterr()
    assert main(["sources", "-c", str(config)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"qof1920: 1 of {practices:,} PRACTICE 2011 in this project's area" in out
    assert "qof2021: none in this project's data" in out


def test_registrations_are_read_once_for_every_qof_year(bundled_essex, monkeypatch):
    """The GP registrations every QOF year apportions by are read and checked once per run; each
    year still records the file under its own source and gets the same values as when loaded
    alone."""
    from lantern.pipeline.ingest import geography
    from lantern.sources import checked

    areas = ["E10000012", "E06000033", "E06000034"]
    alone = {}
    for source_id in YEARS:
        _, _, fresh = geography(bundled_essex, areas)
        alone[source_id] = load_source(get_source(source_id), fresh)

    _, _, ctx = geography(bundled_essex, areas)
    reads: list[str] = []
    real = checked._read_table
    monkeypatch.setattr(
        checked, "_read_table", lambda spec, ctx: reads.append(spec.path) or real(spec, ctx)
    )
    for source_id in YEARS:
        loaded = load_source(get_source(source_id), ctx)
        registrations = [f for f in loaded.files if f.file.startswith("gp_registrations_lsoa/")]
        assert [f.source_id for f in loaded.files] == [source_id, source_id]
        assert registrations and registrations[0] == alone[source_id].files[1]
        assert [g.source_id for g in loaded.gaps] == [source_id] * len(loaded.gaps)
        assert loaded.gaps == alone[source_id].gaps
        pd.testing.assert_frame_equal(loaded.rows, alone[source_id].rows)
    registration_reads = [p for p in reads if p.startswith("gp_registrations_lsoa/")]
    assert len(registration_reads) == 1
    assert len(reads) == len(YEARS) + 1


@st.composite
def registrations(draw):
    """Practices and registrations that do not line up: practices with no registered patients,
    registered practices with no QOF row, practices with no patients at all (total 0), blank
    registers, and patients in areas no QOF practice serves."""
    practice_codes = [f"P{i}" for i in range(draw(st.integers(1, 7)))]
    areas = [f"L{i}" for i in range(draw(st.integers(1, 6)))]
    rows = []
    for p in practice_codes:
        served = draw(st.lists(st.sampled_from(areas), unique=True, max_size=len(areas)))
        counts = [draw(st.integers(0, 300)) for _ in served]
        outside = draw(st.integers(0, 50))
        rows += [(p, a, c, sum(counts) + outside) for a, c in zip(served, counts, strict=True)]
    rows = draw(st.permutations(rows)) if rows else rows
    patients = pd.DataFrame(
        rows, columns=["practice_code", "area_code", "patients", "practice_total"]
    )
    if patients.empty:
        patients = pd.DataFrame(
            {"practice_code": ["P0"], "area_code": ["L0"], "patients": [1], "practice_total": [1]}
        )
    in_qof = draw(st.lists(st.sampled_from([*practice_codes, "PX"]), unique=True, min_size=1))
    regs = []
    for p in in_qof:
        for group in ("DM", "HYP"):
            blank = draw(st.booleans()) and group == "HYP"
            register = float("nan") if blank else float(draw(st.integers(0, 900)))
            regs.append((p, group, register, float(draw(st.integers(900, 5000)))))
    practices = pd.DataFrame(regs, columns=["practice_code", "group", "register", "list"])
    return practices, patients


def oracle(practices: pd.DataFrame, patients: pd.DataFrame, column: str) -> dict:
    """Σ_p column_p · patients_{p,l} / total_p by area and group, one row at a time."""
    values = {
        (r.practice_code, r.group): getattr(r, column)
        for r in practices.itertuples(index=False)
        if getattr(r, column) == getattr(r, column)  # blanks count as 0
    }
    groups = set(practices["group"])
    out = {(str(a), g): 0.0 for a in set(patients["area_code"]) for g in groups}
    for r in patients.itertuples(index=False):
        if r.practice_total <= 0:
            continue
        for g in groups:
            out[(str(r.area_code), g)] += values.get((r.practice_code, g), 0.0) * (
                r.patients / r.practice_total
            )
    return out


@settings(max_examples=80, deadline=None)
@given(registrations())
def test_apportioning_by_integer_positions_matches_a_row_by_row_oracle(data):
    """The positions shared by every QOF year (``Shares``) give what the sums say, whether the
    codes are text or categories, and reused for a second year with other practices."""
    from lantern.sources.qof import Shares, apportion_matrices

    practices, patients = data
    categorical = patients.astype({"practice_code": "category", "area_code": "category"})
    shares = Shares.of(categorical)
    for frame in (practices, practices.iloc[::-1]):
        areas, groups, reg, lst = apportion_matrices(frame, categorical, shares)
        text = apportion_matrices(frame, patients)
        assert list(areas) == list(text[0]) == sorted(set(patients["area_code"]))
        assert np.array_equal(reg, text[2]) and np.array_equal(lst, text[3])
        for column, matrix in (("register", reg), ("list", lst)):
            expected = oracle(frame, patients, column)
            got = {(a, g): matrix[i, j] for i, a in enumerate(areas) for j, g in enumerate(groups)}
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(registrations())
def test_rates_by_integer_positions_match_a_row_by_row_oracle(data):
    """2021/22's patient-weighted mean of practice rates, against a mean taken row by row."""
    from lantern.sources.qof import Shares, apportion_rates

    practices, patients = data
    rates = practices.rename(columns={"register": "rate"})
    rates["rate"] = rates["rate"] / 1000
    categorical = patients.astype({"practice_code": "category", "area_code": "category"})
    areas, groups, mean = apportion_rates(rates, categorical, Shares.of(categorical))
    assert np.array_equal(mean, apportion_rates(rates, patients)[2], equal_nan=True)
    known = {
        (r.practice_code, r.group): r.rate
        for r in rates.itertuples(index=False)
        if r.rate == r.rate
    }
    for i, area in enumerate(areas):
        for j, group in enumerate(groups):
            num = den = 0.0
            for r in patients[patients["area_code"] == area].itertuples(index=False):
                if (r.practice_code, group) in known:
                    num += r.patients * known[(r.practice_code, group)]
                    den += r.patients
            if den > 0:
                assert mean[i, j] == pytest.approx(100 * num / den, rel=1e-9)
            else:
                assert np.isnan(mean[i, j])
