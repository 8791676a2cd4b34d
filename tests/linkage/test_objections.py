"""Done-when: objectors change nothing in any output; objector tokens in the linked set = 0."""

from __future__ import annotations

import json
import math

import pytest

from lantern.linkage import crypto
from lantern.linkage.objections import add_objection, load_register
from lantern.linkage.pseudonymise import file_label, release_paths

from .essex import essex_data, new_keys, run_essex


@pytest.fixture(scope="module")
def objection_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("objections")
    data = essex_data()
    keys = new_keys(root / "keys")
    objectors = data.people.sample(n=15, random_state=3)
    register = root / "register.csv"
    for _, person in objectors.iterrows():
        ids = {"nhs_number": person["nhs_number"], "given_name": person["forename"],
               "family_name": person["surname"], "date_of_birth": person["date_of_birth"],
               "postcode": person["postcode"]}  # fmt: skip
        add_objection(register, ids, keys.require_token_secret(), keys.release)
    supplied = run_essex(root / "supplied", data, keys, register=register)
    never = run_essex(root / "never", data, keys, drop_people=set(objectors["person"]))
    hub_only = run_essex(root / "hub-only", data, keys, register=register, partner_register=False)
    return data, objectors, register, supplied, never, hub_only


def _same_model(a: object, b: object) -> bool:
    """Equal structure and values, floats equal to 1e-9 relative."""
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_model(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_model(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _partition(run) -> set[frozenset[str]]:
    persons = run.result.persons.assign(record=run.result.persons["release_id"].map(run.keymap))
    return {frozenset(g) for _, g in persons.groupby("person_id")["record"]}


def test_objectors_change_nothing_in_any_output(objection_runs):
    _, objectors, _, supplied, never, _ = objection_runs
    assert _partition(supplied) == _partition(never)
    q_supplied = {k: v for k, v in supplied.result.quality.items() if k != "removed_objectors"}
    q_never = {k: v for k, v in never.result.quality.items() if k != "removed_objectors"}
    assert _same_model(q_supplied, q_never)
    # The trained model is the same; DuckDB's parallel sums may differ in the last bits of a float.
    assert _same_model(
        json.loads((supplied.out_dir / "settings.json").read_text()),
        json.loads((never.out_dir / "settings.json").read_text()),
    )
    removed = sum(supplied.result.quality["removed_objectors"].values())
    assert removed == 0  # already removed by every partner, so none reached the hub


def test_partner_side_removal_counts(objection_runs):
    data, objectors, *_ = objection_runs
    in_extracts = sum(
        data.extracts[p]["person"].isin(objectors["person"]).sum() for p in data.extracts
    )
    assert in_extracts > 0


def test_hub_removes_objectors_a_partner_missed(objection_runs):
    _, _, register, supplied, _, hub_only = objection_runs
    assert sum(hub_only.result.quality["removed_objectors"].values()) > 0
    assert _partition(hub_only) == _partition(supplied)


def test_objector_tokens_in_the_linked_set_is_zero(objection_runs):
    _, _, register, supplied, _, hub_only = objection_runs
    for run in (supplied, hub_only):
        tokens = load_register(register, run.keys.release)
        linked = set(run.result.persons["release_id"])
        found = 0
        for partner in ("ecc-asc", "nhs-mse", "essex-police"):
            frame = crypto.read_frame(
                release_paths(run.release_dir, partner)["tokens"], run.keys.storage_key,
                file_label(run.keys.release, partner, "tokens"),
            )  # fmt: skip
            frame = frame[frame["release_id"].isin(linked)]
            for key, values in tokens.items():
                if key in frame:
                    found += int(frame[key].isin(values).sum())
        assert found == 0


def test_objectors_change_nothing_in_cohort_counts(objection_runs, tmp_path):
    from lantern.geography.hierarchy import load_hierarchy
    from lantern.linkage.cohort import aggregate_cohort
    from lantern.paths import BUNDLED_ESSEX

    from .essex import PURPOSE, TODAY

    chain = load_hierarchy(BUNDLED_ESSEX, 2021).chain
    _, _, _, supplied, never, _ = objection_runs
    outputs = []
    for name, run in (("supplied", supplied), ("never", never)):
        out = aggregate_cohort(
            agreement=run.agreement, purpose=PURPOSE, cohort_name="multi_agency_vulnerable",
            release_dir=run.release_dir, link_dir=run.out_dir, storage_key=run.keys.storage_key,
            release=run.keys.release, chain=chain, levels=["lsoa", "msoa", "district"],
            audit_log=tmp_path / "audit.jsonl", out_csv=tmp_path / f"{name}.csv", today=TODAY,
        )  # fmt: skip
        outputs.append((tmp_path / f"{name}.csv").read_bytes())
        assert (
            out.protected.table["count"].notna().any()
            or out.levels["district"]["value"].notna().any()
        )
    assert outputs[0] == outputs[1]
