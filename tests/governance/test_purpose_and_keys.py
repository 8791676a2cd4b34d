"""Purpose end to end (finding 2) and keys that never travel with data (finding 5)."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.cli import main
from lantern.errors import GovernanceError, IntegrityError
from lantern.governance import load_agreement
from lantern.keys.files import read_header
from lantern.keys.placement import require_data_location, require_keystore_location
from lantern.keys.store import KeyStore
from lantern.linkage import crypto
from lantern.linkage.link import discover_release, link
from lantern.linkage.pseudonymise import file_label, pseudonymise, release_paths

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "agreements"
    / "essex-covid-vulnerability.yaml"
)
TODAY = date(2026, 6, 1)
PURPOSES = ["covid-vulnerability-targeting", "service-planning", "method-validation"]


def _agreement(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["purposes"].append({"code": "method-validation", "description": "checks"})
    path = tmp_path / "agreement.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _extract(path: Path) -> Path:
    pd.DataFrame(
        {"record_id": ["1", "2", "3"], "nhs_number": ["9434765919", None, "9434765870"],
         "forename": ["Ann", "Bo", "Cy"], "surname": ["Lee", "Ng", "Ode"],
         "date_of_birth": ["1950-01-02", "1960-03-04", "1970-05-06"], "sex": ["F", "M", "F"],
         "postcode": ["CM1 1AA", "SS1 2AB", "CO1 1AA"], "lives_alone": ["true", "false", "true"],
         "receives_care_package": ["true", "true", "false"]}
    ).to_csv(path, index=False)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """One batch folder per purpose, pseudonymised by the same partner."""
    root = tmp_path_factory.mktemp("purpose")
    agreement = load_agreement(_agreement(root))
    store = KeyStore(root / "keys")
    out = {}
    for purpose in PURPOSES:
        keys = store.create("essex-covid", f"b-{purpose}")
        folder = root / "outbox" / purpose
        pseudonymise(
            agreement=agreement, partner="ecc-asc", purpose=purpose, extract=_extract(root / "x.csv"),
            keys=keys, out_dir=folder, keymap_path=root / "private" / purpose / "keymap.lnt",
            audit_log=root / "private" / "audit.jsonl", today=TODAY,
        )  # fmt: skip
        out[purpose] = (keys, folder)
    return root, agreement, store, out


@pytest.mark.parametrize("made_for,used_for", list(itertools.permutations(PURPOSES, 2)))
def test_every_step_refuses_another_purpose_naming_both(batches, made_for, used_for, tmp_path):
    root, agreement, store, out = batches
    keys, folder = out[made_for]
    with pytest.raises(GovernanceError) as err:
        link(agreement=agreement, purpose=used_for, release_dir=folder, keys=keys,
             out_dir=tmp_path / "hub", audit_log=tmp_path / "a.jsonl", today=TODAY)  # fmt: skip
    assert made_for in str(err.value) and used_for in str(err.value)
    assert not (tmp_path / "hub").exists()
    # the encrypted files themselves carry the purpose in their authenticated header
    path = release_paths(folder, "ecc-asc")["tokens"]
    assert read_header(path)["purpose"] == made_for
    with pytest.raises(GovernanceError, match=f"{made_for}.*{used_for}"):
        crypto.read_frame(path, keys.storage_key, file_label(keys.release, "ecc-asc", "tokens"),
                          purpose=used_for)  # fmt: skip
    # the same purpose is accepted
    assert discover_release(folder, agreement, keys.release, purpose=made_for,
                            storage_key=keys.storage_key)  # fmt: skip


def test_editing_the_manifest_or_the_file_header_purpose_is_detected(batches, tmp_path):
    root, agreement, store, out = batches
    keys, folder = out["service-planning"]
    copy = tmp_path / "copy"
    copy.mkdir()
    for p in folder.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    manifest_path = copy / "ecc-asc.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["purpose"] = "covid-vulnerability-targeting"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IntegrityError, match="manifest altered"):
        discover_release(copy, agreement, keys.release, purpose="covid-vulnerability-targeting",
                         storage_key=keys.storage_key)  # fmt: skip
    tokens = copy / "ecc-asc.tokens.lnt"
    blob = tokens.read_bytes()
    relabelled = blob.replace(b"service-planning", b"service-plannin_")
    tokens.write_bytes(relabelled)
    with pytest.raises(IntegrityError):
        crypto.read_frame(tokens, keys.storage_key, file_label(keys.release, "ecc-asc", "tokens"))


def test_cohort_refuses_another_purpose(batches, tmp_path):
    from lantern.linkage.cohort import aggregate_cohort

    root, agreement, store, out = batches
    keys, folder = out["service-planning"]
    with pytest.raises(GovernanceError, match="service-planning.*covid-vulnerability-targeting"):
        aggregate_cohort(
            agreement=agreement, purpose="covid-vulnerability-targeting",
            cohort_name="asc_cev_lives_alone", release_dir=folder, link_dir=tmp_path,
            storage_key=keys.storage_key, release=keys.release, chain=pd.DataFrame(),
            levels=["msoa"], audit_log=tmp_path / "a.jsonl", today=TODAY,
        )  # fmt: skip


# -- keys never travel ------------------------------------------------------------------------


def test_finding_key_store_inside_the_outbox_is_refused(tmp_path):
    """`keys create --keys outbox/keys` then `pseudonymise --out outbox/` must not ship the secret."""
    agreement = _agreement(tmp_path)
    data = yaml.safe_load(agreement.read_text())
    data["start_date"] = (date.today() - timedelta(days=5)).isoformat()
    data["retention_end"] = (date.today() + timedelta(days=50)).isoformat()
    agreement.write_text(yaml.safe_dump(data))
    common = [
        "--keys",
        str(tmp_path / "outbox" / "keys"),
        "--project",
        "essex-covid",
        "--batch",
        "b1",
    ]
    assert main(["keys", "create", *common]) == 0
    code = main(["pseudonymise", str(_extract(tmp_path / "x.csv")), "--agreement", str(agreement),
                 "--partner", "ecc-asc", "--purpose", "service-planning", *common,
                 "--out", str(tmp_path / "outbox"), "--keymap", str(tmp_path / "private" / "k.lnt"),
                 "--audit", str(tmp_path / "private" / "audit.jsonl")])  # fmt: skip
    assert code == 5
    assert not list((tmp_path / "outbox").glob("*.lnt"))
    # the same run into a folder of its own works, and then no key store may be made inside it
    common[1] = str(tmp_path / "keys")
    assert main(["keys", "create", *common]) == 0
    assert main(["pseudonymise", str(tmp_path / "x.csv"), "--agreement", str(agreement),
                 "--partner", "ecc-asc", "--purpose", "service-planning", *common,
                 "--out", str(tmp_path / "outbox2"), "--keymap", str(tmp_path / "private" / "k.lnt"),
                 "--audit", str(tmp_path / "private" / "audit.jsonl")]) == 0  # fmt: skip
    assert main(["keys", "create", "--keys", str(tmp_path / "outbox2" / "keys"),
                 "--project", "essex-covid", "--batch", "b2"]) == 5  # fmt: skip


def _nested(base: Path, parts: list[str]) -> Path:
    return base.joinpath(*parts) if parts else base


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shared=st.lists(st.sampled_from(["a", "b", "c"]), max_size=2),
    keys_tail=st.lists(st.sampled_from(["k", "x", "y"]), max_size=2),
    data_tail=st.lists(st.sampled_from(["d", "x", "y"]), max_size=2),
)
def test_keys_and_data_are_never_one_inside_the_other(
    tmp_path_factory, shared, keys_tail, data_tail
):
    """Hypothesis: for any layout, a write is refused exactly when key store and data folder nest."""
    base = tmp_path_factory.mktemp("layout")
    keys_root = _nested(base, shared + keys_tail)
    data_root = _nested(base, shared + data_tail)
    store = KeyStore(keys_root)
    nested = (
        keys_root == data_root or keys_root in data_root.parents or data_root in keys_root.parents
    )
    if data_root in keys_root.parents or keys_root == data_root:
        data_root.mkdir(parents=True, exist_ok=True)
    try:
        store.create("p", "b1")
    except GovernanceError:
        pytest.fail("an empty folder layout should allow the key store")
    if nested:
        with pytest.raises(GovernanceError):
            require_data_location(data_root, keys_root)
        with pytest.raises(GovernanceError):  # even when the caller does not say where keys are
            require_data_location(data_root)
    else:
        require_data_location(data_root, keys_root)
        (data_root / "p.manifest.json").parent.mkdir(parents=True, exist_ok=True)
        (data_root / "p.manifest.json").write_text("{}")
        with pytest.raises(GovernanceError):
            require_keystore_location(data_root / "keys")


def test_a_key_store_inside_a_release_folder_is_refused_when_used(tmp_path):
    release = tmp_path / "release"
    release.mkdir()
    (release / "disclosure-policy.json").write_text("{}")
    with pytest.raises(GovernanceError, match="inside the release"):
        KeyStore(release / "keys").create("p", "b1")
    store = KeyStore(tmp_path / "keys")
    store.create("p", "b1")
    (tmp_path / "keys" / "sub").mkdir()
    (tmp_path / "keys" / "sub" / "x.manifest.json").write_text("{}")  # data moved into the store
    with pytest.raises(GovernanceError):
        store.load("p", "b1")


def test_a_key_file_copied_by_hand_into_an_outbox_is_found(tmp_path):
    store = KeyStore(tmp_path / "keys")
    store.create("p", "b1")
    outbox = tmp_path / "outbox" / "sub"
    outbox.mkdir(parents=True)
    (outbox / "b1.key").write_bytes(store.path("p", "b1").read_bytes())
    with pytest.raises(GovernanceError, match="holds the key store"):
        require_data_location(tmp_path / "outbox")
    (outbox / "b1.key").unlink()
    (outbox / "keys").symlink_to(tmp_path / "keys", target_is_directory=True)
    with pytest.raises(GovernanceError):
        require_data_location(tmp_path / "outbox")
