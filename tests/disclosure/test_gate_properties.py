"""Hypothesis attack suite for the release gate: random Essex releases (LSOA counts with small
cells, protected or naively suppressed, plus random MSOA, ward and district tables, long tables
and renamed columns, in random formats, some declared ``official``) go through ``check_folder``.

Whatever the gate lets through, an independent attacker — integer programming over LSOA counts,
with the geography read straight from the ONS lookup (``oracle.py``) — must not pin any withheld
cell or tell it is at most the threshold, nor work out any unpublished LSOA as a small count. A
safe control (every count at least 10, rounded to 5) must always pass.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lantern.disclosure import PRESETS, Hierarchy, protect_table
from lantern.paths import BUNDLED_ESSEX
from lantern.release import check_folder, write_disclosure_record

from .folders import project_rules_with, write_folder
from .oracle import attacker_ranges, lsoa_sets

SETS = lsoa_sets(BUNDLED_ESSEX)
LOOKUP = pd.read_csv(BUNDLED_ESSEX / "lookups/lsoa21_msoa21_ward24_lad24_ew.csv", dtype=str)
SMALL_MSOAS = sorted(m for m, g in LOOKUP.groupby("msoa21_code") if len(g) <= 5)
FORMATS = ("csv", "tsv", "xlsx", "json", "parquet", "csv.gz", "txt")
GATE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)


def encode(frame: pd.DataFrame, fmt: str) -> str | bytes:
    """The frame as a file of the given format (blank = withheld), written by the test."""
    text = frame.astype(object).where(frame.notna(), "")
    if fmt in ("csv", "csv.gz"):
        out = text.to_csv(index=False)
        return gzip.compress(out.encode()) if fmt == "csv.gz" else out
    if fmt in ("tsv", "txt"):
        return text.to_csv(index=False, sep="\t")
    if fmt == "json":
        return json.dumps(text.to_dict("records"))
    buf = io.BytesIO()
    if fmt == "parquet":
        numbers = {c: "Float64" for c in frame.columns if c in ("count", "people")}
        frame.astype(numbers).to_parquet(buf)
    else:
        text.to_excel(buf, index=False)
    return buf.getvalue()


def naive(values: np.ndarray, policy) -> np.ndarray:
    """Primary suppression and rounding only — no secondary suppression (often unsafe)."""
    v = np.asarray(values, dtype=float)
    b = policy.rounding_base
    out = np.floor((v + b // 2) / b) * b
    return np.where((v >= 1) & (v <= policy.threshold), np.nan, out)


@st.composite
def releases(draw, safe: bool = False):
    msoas = draw(st.lists(st.sampled_from(SMALL_MSOAS), min_size=1, max_size=2, unique=True))
    rows = LOOKUP[LOOKUP["msoa21_code"].isin(msoas)]
    lsoas = list(rows["lsoa21_code"])
    wards = sorted(set(rows["ward24_code"]))
    universe = sorted(set(lsoas).union(*(SETS[w] for w in wards)))
    small, big = st.integers(0, 9), st.integers(0, 40)
    counts = st.integers(10, 60) if safe else st.one_of(small, big)
    truth = {lsoa: draw(counts) for lsoa in universe}
    policy = (
        PRESETS["nhs_small_area"]
        if safe
        else draw(st.sampled_from([PRESETS["nhs_small_area"], PRESETS["threshold_only"]]))
    )
    extras = draw(st.sets(st.sampled_from(["msoa", "ward", "district", "long"]), max_size=3))
    return {
        "lsoas": lsoas,
        "msoas": msoas,
        "wards": wards,
        "truth": truth,
        "policy": policy,
        "protect": safe or draw(st.booleans()),
        "extras": extras,
        "rename": draw(st.booleans()),
        "official": not safe and draw(st.sampled_from([None, "asked", "approved"])),
        "formats": [draw(st.sampled_from(FORMATS)) for _ in range(5)],
        "district": rows["ltla24_code"].iat[0],
    }


def build(folder: Path, r: dict) -> list[tuple[frozenset[str], float]]:
    """Write the release; return every published cell as (LSOA set, value)."""
    policy, truth = r["policy"], r["truth"]
    base = pd.DataFrame(
        {
            "lsoa21_code": r["lsoas"],
            "msoa21_code": [
                LOOKUP.set_index("lsoa21_code").at[x, "msoa21_code"] for x in r["lsoas"]
            ],
        }
    )
    base["count"] = [truth[x] for x in r["lsoas"]]
    files, tables, cells = {}, [], []
    fmt = iter(r["formats"])

    def add(name: str, frame: pd.DataFrame, geo: str, **spec) -> None:
        f = next(fmt)
        path = f"{name}.{f}"
        files[path] = encode(frame, f)
        tables.append(
            {"name": name, "path": path, "geography": geo, "cohort": "c", "period": "p", **spec}
        )
        value_col = [c for c in frame.columns if c not in (geo, "msoa21_code", "level")][0]
        cells.extend(
            (SETS[a], float(v) if pd.notna(v) else math.nan)
            for a, v in zip(frame[geo], frame[value_col], strict=True)
        )

    if r["protect"]:
        out = protect_table(
            base,
            count_columns=["count"],
            policy=policy,
            hierarchy=Hierarchy("lsoa21_code", ("msoa21_code",)),
        )
        lsoa = out.table[["lsoa21_code", "count"]]
        msoa = out.totals["msoa21_code"][["msoa21_code", "count"]]
    else:
        lsoa = base[["lsoa21_code"]].assign(count=naive(base["count"], policy))
        totals = base.groupby("msoa21_code")["count"].sum()
        msoa = pd.DataFrame(
            {"msoa21_code": totals.index, "count": naive(totals.to_numpy(), policy)}
        )
    add("lsoa", lsoa.astype({"count": "Float64"}), "lsoa21_code")
    official = r["official"] and "msoa" in r["extras"]
    for extra in sorted(r["extras"]):
        if extra == "msoa":
            name = "people" if r["rename"] else "count"
            raw = official and pd.Series(
                [sum(truth[x] for x in SETS[m]) for m in msoa["msoa21_code"]]
            )
            values = raw.to_numpy(dtype=float) if official else msoa["count"].to_numpy(dtype=float)
            frame = pd.DataFrame({"msoa21_code": msoa["msoa21_code"], name: values})
            add("msoa", frame, "msoa21_code", **({"policy": "official"} if official else {}))
        elif extra in ("ward", "district"):
            codes = r["wards"] if extra == "ward" else [r["district"]]
            values = naive(
                np.array([sum(truth[x] for x in SETS[c] if x in truth) for c in codes]), policy
            )
            if extra == "district":
                # a district total is only published where the truth covers all of it
                codes, values = [], []
            if len(codes):
                add(extra, pd.DataFrame({"area_code": codes, "count": values}), "area_code")
        elif extra == "long":
            long = pd.concat(
                [
                    lsoa.rename(columns={"lsoa21_code": "area_code"}).assign(level="lsoa"),
                    msoa.rename(columns={"msoa21_code": "area_code"}).assign(level="msoa"),
                ]
            )
            add("long", long[["area_code", "level", "count"]].reset_index(drop=True), "area_code")
    write_folder(folder, files, tables)
    return cells


def attack(cells, policy, withheld_targets, lsoas_published, universe):
    """Withheld cells and unpublished LSOAs the independent attacker narrows too far."""
    published = [(s, v, policy) for s, v in cells]
    targets = list(withheld_targets) + [
        frozenset([x]) for x in universe if x not in lsoas_published
    ]
    found = []
    need, low = policy.required_high, policy.suppressed_low
    for t, (lo, hi) in zip(targets, attacker_ranges(published, targets), strict=True):
        withheld = t in withheld_targets
        if (withheld and (lo == hi or hi < need)) or (not withheld and lo >= low and hi < need):
            found.append((sorted(t), lo, hi))
    return found


@settings(GATE, max_examples=120)
@given(r=releases())
def test_nothing_the_gate_passes_lets_the_attacker_narrow_a_withheld_cell(tmp_path_factory, r):
    folder = tmp_path_factory.mktemp("release")
    cells = build(folder, r)
    approvals = (
        [{"type": "official", "tables": ["msoa"], "approved_by": "A. Approver", "reason": "test"}]
        if r["official"] == "approved"
        else []
    )
    rules = project_rules_with(cohort_counts=r["policy"].name, approvals=approvals)
    result = check_folder(folder, rules=rules)
    event(f"gate {'passed' if result.ok else 'refused'}")
    if not result.ok:
        return
    policy = r["policy"]
    withheld = {s for s, v in cells if math.isnan(v)}
    published_lsoas = {next(iter(s)) for s, v in cells if len(s) == 1}
    universe = [x for x in r["truth"] if any(x in s for s, _ in cells)]
    found = attack(cells, policy, withheld, published_lsoas, universe)
    assert not found, f"the gate passed a release the attacker breaks: {found}"


@settings(GATE, max_examples=30)
@given(r=releases(safe=True))
def test_safe_control_always_passes(tmp_path_factory, r):
    folder = tmp_path_factory.mktemp("safe")
    build(folder, r)
    result = check_folder(folder, rules=project_rules_with())
    assert result.ok, [str(f) for f in result.failures]


@pytest.mark.slow
@settings(GATE, max_examples=40)
@given(r=releases(), moves=st.lists(st.integers(-3, 3), min_size=12, max_size=12))
def test_a_second_period_never_gives_away_a_small_change(tmp_path_factory, r, moves):
    """Two periods of one cohort, a few people apart: if both pass, the attacker (each period on
    its own) must not pin any area's change to between 1 and the threshold."""
    history = tmp_path_factory.mktemp("history")
    rules = project_rules_with(cohort_counts=r["policy"].name, history=history)
    first = tmp_path_factory.mktemp("first")
    cells1 = build(first, {**r, "official": None})
    one = check_folder(first, rules=rules)
    if not one.ok:
        return
    write_disclosure_record(first, one, release_id="first", rules=rules)
    truth2 = {k: max(0, v + moves[i % len(moves)]) for i, (k, v) in enumerate(r["truth"].items())}
    second = tmp_path_factory.mktemp("second")
    cells2 = build(second, {**r, "truth": truth2, "official": None})
    manifest = json.loads((second / "disclosure-policy.json").read_text())
    for t in manifest["tables"]:
        t["period"] = "p2"
    (second / "disclosure-policy.json").write_text(json.dumps(manifest))
    two = check_folder(second, rules=rules)
    event(f"second period {'passed' if two.ok else 'refused'}")
    if not two.ok:
        return
    policy = r["policy"]
    areas = sorted({s for s, _ in cells1} & {s for s, _ in cells2}, key=sorted)
    r1 = attacker_ranges([(s, v, policy) for s, v in cells1], areas)
    r2 = attacker_ranges([(s, v, policy) for s, v in cells2], areas)
    t = policy.required_high - 1
    for area, (a_lo, a_hi), (b_lo, b_hi) in zip(areas, r1, r2, strict=True):
        d_lo, d_hi = b_lo - a_hi, b_hi - a_lo
        assert not (d_lo >= 1 and d_hi <= t), f"{sorted(area)} changed by {d_lo}..{d_hi}"
        assert not (-t <= d_lo and d_hi <= -1), f"{sorted(area)} changed by {d_lo}..{d_hi}"


def test_the_attacker_finds_what_a_naive_release_gives_away(tmp_path):
    """The harness can fail: exact counts with exact MSOA totals and no secondary suppression
    give a withheld LSOA away, and the attacker says so (and the gate refuses it)."""
    msoa = SMALL_MSOAS[0]
    lsoas = sorted(SETS[msoa])
    truth = {x: (3 if i == 0 else 20 + i) for i, x in enumerate(lsoas)}
    r = {"lsoas": lsoas, "msoas": [msoa], "wards": [], "truth": truth, "policy": PRESETS["threshold_only"],
         "protect": False, "extras": {"msoa"}, "rename": False, "official": None,
         "formats": ["csv", "xlsx", "csv", "csv", "csv"], "district": None}  # fmt: skip
    cells = build(tmp_path, r)
    withheld = {s for s, v in cells if math.isnan(v)}
    found = attack(cells, r["policy"], withheld, set(lsoas), lsoas)
    assert found and found[0][1] == found[0][2] == 3
    rules = project_rules_with(cohort_counts="threshold_only")
    assert not check_folder(tmp_path, rules=rules).ok
