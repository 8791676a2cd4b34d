"""Crypto-shredding that shreds (finding 4): one expired batch's keys destroyed everywhere,
nothing of it decryptable with any key left, other batches intact, nothing outside data roots."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.audit import AuditLog
from lantern.cli import main
from lantern.errors import GovernanceError, IntegrityError
from lantern.governance import load_agreement
from lantern.governance.retention import apply_retention, record_data_roots
from lantern.keys import aead
from lantern.keys.files import open_any, read_header, write_frame
from lantern.keys.local import local_store
from lantern.keys.store import KeyStore
from lantern.linkage.link import link
from lantern.linkage.normalise import normalise_series
from lantern.linkage.pseudonymise import pseudonymise
from lantern.linkage.synthetic import partner_extract, synthetic_people
from lantern.linkage.tokens import Tokeniser

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "examples"
    / "agreements"
    / "essex-covid-vulnerability.yaml"
)
TODAY = date(2026, 6, 1)
PURPOSE = "covid-vulnerability-targeting"
POSTCODES = ["CM1 1AA", "CM2 0AB", "SS1 2AB", "CO1 1AA", "CM11 2AA", "RM16 2AA"]


def _every_key_left(stores: list[KeyStore], extra_files: list[Path]) -> list[bytes]:
    """Every key material left anywhere: all stores (and this machine's), and anything a stray
    copy of a key file would yield under any key-encryption key still held."""
    import base64
    import json

    keys: list[bytes] = []
    for store in [*stores, local_store()]:
        keys += store.every_key()
    for path in extra_files:  # stray copies of wrapped key files
        body = json.loads(path.read_text())
        for name, wrapped in body.get("wrapped", {}).items():
            for kek in list(keys):
                owner = f"{body['project']}/{body['batch']}/{name}"
                try:
                    keys.append(aead.unwrap(kek, base64.b64decode(wrapped), owner))
                except (IntegrityError, ValueError):
                    continue
    return keys


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Two batches through pseudonymise and link; keys at the partner, the hub and the portal."""
    root = tmp_path_factory.mktemp("retention")
    agreement = load_agreement(EXAMPLE)
    people = synthetic_people(150, postcodes=POSTCODES, seed=4)
    partner, hub, portal = (KeyStore(root / n) for n in ("partner-keys", "hub-keys", "portal-keys"))
    runs = {}
    for batch, until in (("b-old", TODAY - timedelta(days=1)), ("b-new", None)):
        keys = partner.create("essex-covid", batch, retain_until=until)
        partner.export_for_hub("essex-covid", batch, hub.root)
        shutil.copy(partner.path("essex-covid", batch), root / f"stray-{batch}.key")  # a stray copy
        # the portal holds a partner copy of the batch keys (for its objection form)
        shutil.copytree(partner.root, portal.root, dirs_exist_ok=True)
        for name, share in (("ecc-asc", 0.6), ("essex-police", 0.4)):
            frame = partner_extract(people, fraction=share, seed=hash((batch, name)) % 1000,
                                    error_rate=0.02, with_nhs_number=name == "ecc-asc")  # fmt: skip
            cols = ["forename", "surname", "date_of_birth", "postcode"]
            if name == "ecc-asc":
                cols = ["nhs_number", *cols, "sex"]
                frame["lives_alone"], frame["receives_care_package"] = "true", "false"
                cols += ["lives_alone", "receives_care_package"]
            else:
                frame["vulnerable_adult_concern"] = "true"
                cols += ["vulnerable_adult_concern"]
            extract = root / "extracts" / f"{batch}-{name}.csv"
            extract.parent.mkdir(exist_ok=True)
            frame[["record_id", *cols]].to_csv(extract, index=False) if "record_id" in frame else \
                frame.assign(record_id=range(len(frame)))[["record_id", *cols]].to_csv(extract, index=False)  # fmt: skip
            pseudonymise(
                agreement=agreement, partner=name, purpose=PURPOSE, extract=extract, keys=keys,
                out_dir=root / "partner-data" / batch / "outbox",
                keymap_path=root / "partner-data" / batch / "private" / f"{name}-keymap.lnt",
                audit_log=root / "partner-data" / "audit.jsonl", today=TODAY,
            )  # fmt: skip
        hub_keys = hub.load("essex-covid", batch)
        shutil.copytree(root / "partner-data" / batch / "outbox", root / "hub-data" / batch / "in")
        link(agreement=agreement, purpose=PURPOSE, release_dir=root / "hub-data" / batch / "in",
             keys=hub_keys, out_dir=root / "hub-data" / batch / "out",
             audit_log=root / "hub-data" / "audit.jsonl", link_type="link_and_dedupe", today=TODAY)  # fmt: skip
        # backups: one inside the hub's data root, one outside every root
        backup = root / "hub-data" / "backups" / batch
        backup.mkdir(parents=True)
        shutil.copy(root / "hub-data" / batch / "out" / "persons.lnt", backup / "persons.lnt.bak")
        record_data_roots(hub_keys, [root / "hub-data" / "backups"])
        stash = root / "elsewhere" / batch
        shutil.copytree(root / "partner-data" / batch, stash / "partner")
        shutil.copytree(root / "hub-data" / batch, stash / "hub")
        runs[batch] = keys
    (root / "hub-data" / "notes.txt").write_text("the hub's own notes, not Lantern data")
    (root / "unrelated").mkdir()
    (root / "unrelated" / "precious.txt").write_text("keep me")
    return root, agreement, [partner, hub, portal], runs


def _lantern_files(folder: Path) -> list[Path]:
    out = []
    for p in folder.rglob("*"):
        if p.is_file():
            try:
                read_header(p)
            except (IntegrityError, OSError):
                continue
            out.append(p)
    return out


def test_finding_retention_shreds_one_batch_everywhere_and_nothing_else(pipeline):
    root, agreement, stores, runs = pipeline
    old_files = [p for p in _lantern_files(root) if read_header(p).get("batch") == "b-old"]
    new_files = [p for p in _lantern_files(root) if read_header(p).get("batch") == "b-new"]
    assert len(old_files) >= 10 and len(new_files) >= 10  # outboxes, key maps, hub outputs, backups
    token_sample = open_any(next(p for p in old_files if p.name == "ecc-asc.tokens.lnt"),
                            [runs["b-old"].storage_key])[1]  # fmt: skip

    # an unrelated folder passed as --data is refused, and nothing at all is touched
    with pytest.raises(GovernanceError, match="outside the project's declared data roots"):
        apply_retention(agreement=agreement, project="essex-covid", keystores=stores,
                        data_paths=[root / "unrelated"], audit_log=root / "retention.jsonl",
                        today=TODAY)  # fmt: skip
    assert (root / "unrelated" / "precious.txt").exists()
    assert all(p.exists() for p in old_files)

    result = apply_retention(agreement=agreement, project="essex-covid", keystores=stores,
                             audit_log=root / "retention.jsonl", today=TODAY)  # fmt: skip
    assert result.keys_destroyed == ["b-old"] and result.kept == ["b-new"]
    assert result.stores_shredded == 3
    for store in stores:
        assert ("essex-covid", "b-old") not in store.releases()
        assert ("essex-covid", "b-new") in store.releases()
    # files inside the declared roots are gone; unrelated files stay
    for folder in ("partner-data/b-old/outbox", "partner-data/b-old/private", "hub-data/b-old/in",
                   "hub-data/b-old/out"):  # fmt: skip
        assert not (root / folder).exists(), folder
    assert not (root / "hub-data" / "backups" / "b-old").exists()
    assert (root / "hub-data" / "notes.txt").exists() and (
        root / "unrelated" / "precious.txt"
    ).exists()
    assert AuditLog(root / "retention.jsonl").verify().entries == 1

    # no surviving copy of the expired batch (stash outside every root) opens with any key left
    left = _every_key_left(stores, [root / "stray-b-old.key"])
    assert len(left) > 10
    survivors = [p for p in _lantern_files(root) if read_header(p).get("batch") == "b-old"]
    assert survivors and all("elsewhere" in p.parts for p in survivors)
    for path in survivors:
        with pytest.raises(IntegrityError):
            open_any(path, left)
    # and no key left recomputes a token of the expired batch (control: the destroyed secret did)
    clear = pd.read_csv(root / "extracts" / "b-old-ecc-asc.csv", dtype=str)["nhs_number"]
    clear = normalise_series(clear, "nhs_number").dropna()
    nhs_tokens = set(token_sample["nhs_number"].dropna())
    destroyed = Tokeniser(runs["b-old"].token_secret, release="b-old")
    assert nhs_tokens & set(destroyed.token_series("nhs_number", clear))
    for key in left:
        if len(key) >= 32:
            guess = Tokeniser(key, release="b-old").token_series("nhs_number", clear)
            assert not nhs_tokens & set(guess.dropna())
    # the newer batch is untouched and readable by each party that holds it
    for path in new_files:
        assert path.exists()
        header, frame = open_any(path, [stores[1].load("essex-covid", "b-new").storage_key])
        assert len(frame) > 0
    assert open_any(root / "elsewhere" / "b-new" / "hub" / "out" / "persons.lnt",
                    [stores[2].load("essex-covid", "b-new").storage_key])  # fmt: skip


def test_retention_cli_refuses_outside_roots_and_reports(pipeline, tmp_path, capsys):
    root, _, stores, _ = pipeline
    code = main(["retention", "--agreement", str(EXAMPLE), "--keys", str(stores[0].root),
                 "--project", "essex-covid", "--data", str(root / "unrelated"),
                 "--audit", str(tmp_path / "a.jsonl")])  # fmt: skip
    assert code in (0, 5)  # 0 once b-old is gone (nothing expired today), 5 while it is held
    assert (root / "unrelated" / "precious.txt").exists()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expired=st.lists(st.booleans(), min_size=2, max_size=4))
def test_any_set_of_batches_only_the_expired_are_shredded(tmp_path_factory, expired):
    """Hypothesis over batch sets: expired ones unreadable with every key left, others intact."""
    root = tmp_path_factory.mktemp("batches")
    agreement = load_agreement(EXAMPLE)
    stores = [KeyStore(root / n) for n in ("partner", "hub")]
    frame = pd.DataFrame({"release_id": ["a", "b"], "v": [1, 2]})
    files: dict[str, list[Path]] = {}
    for i, gone in enumerate(expired):
        batch = f"b{i}"
        keys = stores[0].create("proj", batch, agreement=agreement.id,
                                retain_until=TODAY - timedelta(days=1) if gone else None)  # fmt: skip
        stores[0].export_for_hub("proj", batch, stores[1].root)
        files[batch] = []
        for where, kind in (("partner", "tokens"), ("partner", "keymap"), ("hub", "persons")):
            path = root / f"{where}-data" / batch / f"{kind}.lnt"
            write_frame(frame, path, keys.storage_key, f"{batch}/x/{kind}",
                        {"project": "proj", "batch": batch, "kind": kind})  # fmt: skip
            copy = root / "copies" / batch / f"{where}-{kind}.lnt"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, copy)
            files[batch] += [path, copy]
        record_data_roots(keys, [root / "partner-data", root / "hub-data"])
    result = apply_retention(agreement=agreement, project="proj", keystores=stores,
                             audit_log=root / "audit.jsonl", today=TODAY)  # fmt: skip
    assert result.keys_destroyed == sorted(f"b{i}" for i, g in enumerate(expired) if g)
    left = _every_key_left(stores, [])
    for i, gone in enumerate(expired):
        batch = f"b{i}"
        for path in files[batch]:
            if gone:
                assert "copies" in path.parts or not path.exists()
                if path.exists():
                    with pytest.raises(IntegrityError):
                        open_any(path, left)
            else:
                assert open_any(path, [stores[1].load("proj", batch).storage_key])[1].equals(frame)


def test_partner_retention_reaches_every_key_store_on_this_machine(tmp_path, capsys):
    """The partner names only its own store; the hub's and the portal's copies go too."""
    agreement = load_agreement(EXAMPLE)
    partner, hub, portal = (KeyStore(tmp_path / n) for n in ("partner", "hub", "portal"))
    old = partner.create("proj-cli", "old", agreement=agreement.id, retain_until=date(2020, 1, 1))
    partner.create("proj-cli", "new", agreement=agreement.id)
    for store in (hub, portal):
        partner.export_for_hub("proj-cli", "old", store.root)
        partner.export_for_hub("proj-cli", "new", store.root)
    path = tmp_path / "data" / "persons.lnt"
    write_frame(pd.DataFrame({"a": [1]}), path, old.storage_key, "old/hub/persons",
                {"project": "proj-cli", "batch": "old", "kind": "persons"})  # fmt: skip
    assert main(["retention", "--agreement", str(EXAMPLE), "--keys", str(partner.root),
                 "--project", "proj-cli", "--audit", str(tmp_path / "a.jsonl")]) == 0  # fmt: skip
    for store in (partner, hub, portal):
        assert store.releases() == [("proj-cli", "new")]
    with pytest.raises(IntegrityError):
        open_any(path, _every_key_left([partner, hub, portal], []))
