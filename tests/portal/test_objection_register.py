"""Objections made at any time reach every list and every linkage batch, present and future.

The portal keeps objectors' identifiers encrypted and re-tokenises them whenever a list is
loaded or a batch is exported, so the order of objections, loads, new batches, new data keys,
exports and purges never matters. Checked on SQLite and PostgreSQL against an oracle that knows
who each household is and who objected, and through the linkage's own readers of the register
(``load_register`` on the partner side, ``load_objections`` on the holder side).
"""

from __future__ import annotations

import csv
import random
import string
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import count
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from typer.testing import CliRunner

from lantern.linkage.keystore import KeyStore
from lantern.linkage.objections import load_objections, load_register, objector_mask
from lantern.linkage.tokens import objection_tokens
from lantern.portal import agreements, audit_db, households, objections, objectors, retention
from lantern.portal.app import create_app
from lantern.portal.crypto import new_key
from lantern.portal.models import Household, HouseholdMatch, Objection
from lantern.portal.synthetic import agreement_document, synthetic_nhs_number

from .conftest import UNLIMITED, csrf_from, make_portal

PARTY = "ecc-asc"
PROJECT = "OBJ-REGISTER-1"
IDENTIFIERS = ["nhs_number", "given_name", "family_name", "date_of_birth", "postcode"]
#: which identifier columns a household file carries
COLUMNS = {
    "nhs": ["nhs_number"],
    "names": ["given_name", "family_name", "date_of_birth", "postcode"],
    "all": IDENTIFIERS,
}
#: what a resident gives on the form, by route
ROUTES = {
    "nhs": ["nhs_number"],
    "name_dob": ["given_name", "family_name", "date_of_birth"],
    "one_name_pc": ["family_name", "date_of_birth", "postcode"],
    "everything": IDENTIFIERS,
}
_ids = count()


def person(rng: random.Random) -> dict[str, str]:
    """A synthetic person whose names and birth date share nothing with anyone else's."""

    def name() -> str:
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(9)).capitalize()

    born = date(1930 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28))
    nhs = unique_nhs_number()
    district = rng.choice(["CO1", "CO2", "CO3", "CO4", "CM1", "SS1"])
    return {
        "nhs_number": nhs,
        "given_name": name(),
        "family_name": name(),
        "date_of_birth": born.isoformat(),
        "postcode": f"{district} {rng.randrange(10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
    }


_nhs = count(1)


def unique_nhs_number() -> str:
    """A valid NHS number from the 999 test range, never the same twice in this process."""
    from lantern.linkage.normalise import nhs_check_digit

    while True:
        first = f"999{next(_nhs):06d}"
        check = nhs_check_digit(first)
        if check is not None:
            return first + str(check)


def matchable(route: str, columns: str) -> bool:
    """Whether an objection by ``route`` can recognise a household in a file with ``columns``."""
    gave, has = set(ROUTES[route]), set(COLUMNS[columns])
    both = gave & has
    return (
        "nhs_number" in both
        or {"given_name", "family_name", "date_of_birth"} <= both
        or ({"date_of_birth", "postcode"} <= both and bool({"given_name", "family_name"} & both))
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("objreg")
    portal = make_portal(request.param, "portal_objreg", folder, request, **UNLIMITED)
    doc = agreement_document(
        PROJECT, start=date(2020, 4, 1), retention_end=date(date.today().year + 2, 3, 31)
    )
    doc["fields"] += [
        {"party": PARTY, "name": n, "class": "direct_identifier", "kind": n}
        for n in ("given_name", "family_name", "date_of_birth", "postcode")
    ]
    with portal.session() as s:
        agreements.store(s, doc, sha256="0" * 64, actor="test", source="test")
        s.commit()
    return portal


@dataclass
class Run:
    """One sequence of events and what the oracle knows about it."""

    portal: object
    folder: Path
    store: KeyStore
    register: Path
    data_key: bytes
    people: list[dict[str, str]]
    objected: dict[int, set[str]] = field(default_factory=dict)  # person → routes used
    exported: set[int] = field(default_factory=set)  # objectors in the register's last export
    listed: dict[str, tuple[int, str]] = field(default_factory=dict)  # reference → person, cols
    batches: int = 0

    project: str = PROJECT

    def new_batch(self) -> None:
        self.batches += 1
        self.store.create(self.project, f"b{self.batches}")

    def object(self, who: int, route: str) -> None:
        form = {k: self.people[who][k] for k in ROUTES[route]}
        checked, errors = objections.validate(form, date.today())
        assert checked is not None, errors
        with self.portal.session() as s:
            objections.submit(
                s, checked, keystore=self.store, data_key=self.data_key, today=date.today()
            )
        self.objected.setdefault(who, set()).add(route)

    def load(self, who: frozenset[int], columns: str) -> None:
        n = next(_ids)
        rows = []
        for i in sorted(who):
            ref = f"SYN-R{n:04d}-{i}"
            rows.append(
                {
                    "reference": ref,
                    "lsoa21_code": self.portal.world.in_lsoas[i % len(self.portal.world.in_lsoas)],
                    "reason": "x",
                    "contact_name": "Synthetic",
                    **{k: self.people[i][k] for k in COLUMNS[columns]},
                }
            )
            self.listed[ref] = (i, columns)
        path = self.folder / f"list{n}.csv"
        cols = ["reference", "lsoa21_code", "reason", "contact_name", *COLUMNS[columns]]
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            writer.writerows(rows)
        with self.portal.session() as s:
            households.import_csv(
                s,
                path,
                agreement_id=self.project,
                party=PARTY,
                key=self.data_key,
                actor="test",
            )

    def export(self) -> None:
        with self.portal.session() as s:
            objections.export_register(s, self.project, self.register, self.store)
        self.exported = set(self.objected)

    def purge(self) -> None:
        with self.portal.session() as s:
            retention.purge(s, self.portal.settings, today=date.today(), actor="test")

    def rotate(self) -> None:
        import base64

        self.data_key = base64.b64decode(new_key())

    # -- the oracle ---------------------------------------------------------------------------
    def check_lists(self) -> None:
        with self.portal.session() as s:
            held = set(
                s.scalars(
                    select(Household.reference).where(Household.reference.in_(list(self.listed)))
                )
            )
        for ref, (who, columns) in self.listed.items():
            routes = self.objected.get(who, set())
            must_go = any(matchable(route, columns) for route in routes)
            if must_go:
                assert ref not in held, f"objector {who} ({routes}) still listed ({columns})"
            else:
                assert ref in held, f"{who} was removed but did not object ({columns})"

    def check_batches(self) -> None:
        """Every batch of the project, before or after the export, leaves out exactly the
        objectors exported; partners (token list only) see the batches held at the export."""
        if not self.register.exists():
            return
        with self.register.open(newline="") as fh:
            marked = {r["release"] for r in csv.DictReader(fh) if r["key"] == "tokenised"}
        for project, batch in self.store.releases():
            if project != self.project:
                continue
            keys = self.store.load(project, batch)
            secret = keys.require_token_secret()
            people = pd.DataFrame([objection_tokens(p, secret, batch) for p in self.people])
            expected = [i in self.exported for i in range(len(self.people))]
            holder = load_objections(self.register, keys)  # re-tokenises from the register
            assert objector_mask(people, holder).tolist() == expected, batch
            if batch in marked:
                partner = load_register(self.register, batch)
                assert objector_mask(people, partner).tolist() == expected, batch


EVENTS = st.one_of(
    st.tuples(st.just("object"), st.integers(0, 5), st.sampled_from(sorted(ROUTES))),
    st.tuples(
        st.just("load"),
        st.frozensets(st.integers(0, 5), min_size=1, max_size=6),
        st.sampled_from(sorted(COLUMNS)),
    ),
    st.tuples(st.just("batch")),
    st.tuples(st.just("export")),
    st.tuples(st.just("purge")),
    st.tuples(st.just("rotate")),
)


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), events=st.lists(EVENTS, min_size=2, max_size=9))
def test_objections_reach_every_list_and_batch_whatever_the_order(world, seed, events):
    n = next(_ids)
    folder = world.folder / f"run{n}"
    folder.mkdir()
    rng = random.Random(f"{seed}/{n}")  # new people on every run, replays included
    run = Run(
        portal=world,
        folder=folder,
        store=KeyStore(folder.parent / f"keys{n}"),
        register=folder / "objections.csv",
        data_key=world.settings.key_bytes(),
        people=[person(rng) for _ in range(6)],
    )
    for event in events:
        kind, *args = event
        {
            "object": run.object,
            "load": run.load,
            "batch": run.new_batch,
            "export": run.export,
            "purge": run.purge,
            "rotate": run.rotate,
        }[kind](*args)
        run.check_lists()
    run.new_batch()  # a batch made after everything else still leaves out every objector
    run.export()
    run.check_lists()
    run.check_batches()


def test_134_objections_made_before_a_new_batch_and_list_all_carry_over(world, tmp_path):
    """The regression: objections made while one batch exists reach a batch and a household
    list that arrive later (0 of 134 carried over before the register kept identifiers)."""
    rng = random.Random(134)
    people = [person(rng) for _ in range(164)]
    objectors_ = people[:134]
    store = KeyStore(tmp_path / "keys")
    project = PROJECT
    store.create(project, "r2025")
    app = create_app(replace(world.settings, keystore=str(store.root)))
    client = TestClient(app, follow_redirects=False)
    token = csrf_from(client.get("/object").text)
    for i, p in enumerate(objectors_):
        form = (
            {"nhs_number": p["nhs_number"]}
            if i % 2
            else {k: p[k] for k in ("given_name", "family_name", "date_of_birth")}
        )
        response = client.post("/object", data={**form, "csrf_token": token})
        assert response.status_code == 200, response.text
    # later: a new linkage batch and the household list that came from it
    store.create(project, "r2026")
    path = tmp_path / "r2026-households.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["reference", "lsoa21_code", "reason", "contact_name", *IDENTIFIERS])
        for i, p in enumerate(people):
            writer.writerow(
                [f"SYN-C{i:04d}", world.world.in_lsoas[0], "x", "Synthetic"]
                + [p[k] for k in IDENTIFIERS]
            )
    with world.session() as s:
        imported = households.import_csv(
            s, path, agreement_id=project, party=PARTY, key=world.settings.key_bytes(), actor="t"
        )
        entry = audit_db.search(s, event="households.imported", limit=1)[0]
    assert imported == 30 and entry.details["withheld_by_objection"] == 134
    # the linkage register gets all 134 for the new batch, through the CLI
    register = tmp_path / "objections.csv"
    from lantern.cli import _register
    from lantern.cli import app as cli

    _register()
    result = CliRunner().invoke(
        cli,
        [
            "portal", "data", "objections", project, str(register),
            "--keys", str(store.root), "--db", world.settings.database_url,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for batch in ("r2025", "r2026"):
        secret = store.load(project, batch).require_token_secret()
        tokens = pd.DataFrame([objection_tokens(p, secret, batch) for p in people])
        mask = objector_mask(tokens, load_register(register, batch))
        assert mask[:134].all() and not mask[134:].any(), batch
    # and a batch created after the export, at the register holder's pseudonymisation
    keys = store.create(project, "r2027")
    tokens = pd.DataFrame(
        [objection_tokens(p, keys.require_token_secret(), "r2027") for p in people]
    )
    mask = objector_mask(tokens, load_objections(register, keys))
    assert int(mask.sum()) >= 134 and mask[:134].all() and not mask[134:].any()


def test_register_holds_identifiers_only_encrypted(world, tmp_path):
    rng = random.Random(77)
    p = person(rng)
    store = KeyStore(tmp_path / "keys")
    checked, _ = objections.validate(p, date.today())
    with world.session() as s:
        receipt = objections.submit(
            s, checked, keystore=store, data_key=world.settings.key_bytes(), today=date.today()
        )
        row = s.scalar(select(Objection).where(Objection.reference == receipt.reference))
        dump = " ".join(str(r) for r in s.execute(text("select * from objections")).all())
        audit = " ".join(str(r) for r in s.execute(text("select details from audit_log")).all())
        frame = objectors.objectors(s)
    normalised = objectors.normalise_one(p)
    for value in [*p.values(), *(v for v in normalised.values() if v)]:
        assert value not in dump and value not in audit
    assert row.sealed is not None and row.match_tokens is None
    # the register decrypts to the normalised identifiers, bound to its reference
    mine = frame[frame["reference"] == receipt.reference].iloc[0]
    assert {k: mine[k] for k in IDENTIFIERS} == normalised
    with pytest.raises(Exception, match="cannot be decrypted"):
        objectors.unseal("OBJ-OTHER-00000", row.sealed)


def test_objection_needs_no_batch_to_exist_yet(world, tmp_path):
    """An objection made before any batch of any project exists is accepted and kept."""
    store = KeyStore(tmp_path / "empty-keys")
    app = create_app(replace(world.settings, keystore=str(store.root)))
    client = TestClient(app, follow_redirects=False)
    token = csrf_from(client.get("/object").text)
    nhs = synthetic_nhs_number(random.Random(4242))
    response = client.post("/object", data={"nhs_number": nhs, "csrf_token": token})
    assert response.status_code == 200
    assert (
        "including projects that start later" in response.text or "every later one" in response.text
    )


def test_lists_and_objections_from_before_the_register_are_still_matched(world, tmp_path):
    """Rows written before identifiers were kept carry tokens under the data key of the time:
    a new objection removes such a household, and such an objection keeps a person out of new
    lists."""
    rng = random.Random(99)
    old_household, old_objector = person(rng), person(rng)
    key = world.settings.key_bytes()
    legacy = objectors.legacy_match_key(key)
    with world.session() as s:
        path = tmp_path / "seed.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["reference", "lsoa21_code", "reason", "nhs_number"])
            writer.writerow(
                ["SYN-LEG-1", world.world.in_lsoas[0], "x", old_household["nhs_number"]]
            )
        households.import_csv(
            s, path, agreement_id=world.world.agreement, party=PARTY, key=key, actor="t"
        )
        hh = s.scalar(select(Household).where(Household.reference == "SYN-LEG-1"))
        # rewrite its tokens as an older version wrote them
        s.execute(HouseholdMatch.__table__.delete().where(HouseholdMatch.household_id == hh.id))
        frame = objectors.normalise(pd.DataFrame([old_household]))
        for t in objectors.match_tokens(frame, legacy)[0]:
            s.add(HouseholdMatch(household_id=hh.id, token=t))
        s.add(
            Objection(
                reference="OBJ-LEGACY-0001",
                tokens={},
                match_tokens=objectors.match_tokens(
                    objectors.normalise(pd.DataFrame([old_objector])), legacy
                )[0],
                fingerprint=None,
                sealed=None,
            )
        )
        s.commit()
    checked, _ = objections.validate({"nhs_number": old_household["nhs_number"]}, date.today())
    with world.session() as s:
        objections.submit(
            s, checked, keystore=KeyStore(tmp_path / "k"), data_key=key, today=date.today()
        )
        assert s.scalar(select(Household).where(Household.reference == "SYN-LEG-1")) is None
    path = tmp_path / "new.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["reference", "lsoa21_code", "reason", "nhs_number"])
        writer.writerow(["SYN-LEG-2", world.world.in_lsoas[0], "x", old_objector["nhs_number"]])
    with world.session() as s:
        assert (
            households.import_csv(
                s, path, agreement_id=world.world.agreement, party=PARTY, key=key, actor="t"
            )
            == 0
        )


def test_lists_without_identifiers_are_refused_or_left_out(world, tmp_path):
    path = tmp_path / "anonymous.csv"
    lsoa = world.world.in_lsoas[0]
    nhs = synthetic_nhs_number(random.Random(3))
    path.write_text(
        "reference,lsoa21_code,reason,contact_name,nhs_number\n"
        f"SYN-U1,{lsoa},x,A,{nhs}\nSYN-U2,{lsoa},x,B,\nSYN-U3,{lsoa},x,C,12345\n"
    )
    from lantern.errors import InputError

    with world.session() as s, pytest.raises(InputError) as exc:
        households.import_csv(
            s, path, agreement_id=world.world.agreement, party=PARTY,
            key=world.settings.key_bytes(), actor="t",
        )  # fmt: skip
    assert exc.value.row == 3 and "rows 3, 4" in str(exc.value)
    assert "12345" not in str(exc.value)
    with world.session() as s:
        assert s.scalar(select(Household).where(Household.reference == "SYN-U1")) is None
        n = households.import_csv(
            s, path, agreement_id=world.world.agreement, party=PARTY,
            key=world.settings.key_bytes(), actor="t", skip_unmatchable=True,
        )  # fmt: skip
        entry = audit_db.search(s, event="households.imported", limit=1)[0]
    assert n == 1 and entry.details["left_out_unmatchable"] == 2


def test_imports_and_objections_running_at_once_never_leave_an_objector(world, tmp_path):
    """An import and an objection in two threads at once: whichever commits first, the objector
    is not on the list afterwards (they are serialised by the database)."""
    rng = random.Random(2024)
    people = [person(rng) for _ in range(12)]
    store = KeyStore(tmp_path / "keys")
    key = world.settings.key_bytes()
    errors: list[BaseException] = []

    def importer() -> None:
        try:
            for batch in range(3):
                path = tmp_path / f"race{batch}.csv"
                with path.open("w", newline="") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(["reference", "lsoa21_code", "reason", "nhs_number"])
                    for i, p in enumerate(people):
                        writer.writerow(
                            [f"SYN-RACE-{batch}-{i}", world.world.in_lsoas[0], "x", p["nhs_number"]]
                        )
                with world.session() as s:
                    households.import_csv(
                        s, path, agreement_id=world.world.agreement, party=PARTY, key=key, actor="t"
                    )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def objector() -> None:
        try:
            for p in people[::2]:
                checked, _ = objections.validate({"nhs_number": p["nhs_number"]}, date.today())
                with world.session() as s:
                    objections.submit(s, checked, keystore=store, data_key=key, today=date.today())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=importer), threading.Thread(target=objector)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with world.session() as s:
        held = set(
            s.scalars(select(Household.reference).where(Household.reference.like("SYN-RACE-%")))
        )
    for batch in range(3):
        for i in range(len(people)):
            assert (f"SYN-RACE-{batch}-{i}" in held) == (i % 2 == 1)


@settings(max_examples=40, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), drop=st.sets(st.sampled_from(IDENTIFIERS)))
def test_match_tokens_are_the_linkage_objection_tokens(seed, drop):
    """The register's vectorised tokens equal ``lantern.linkage.tokens.objection_tokens``
    computed one person at a time (the independent reference)."""
    rng = random.Random(seed)
    people = [{k: v for k, v in person(rng).items() if k not in drop} for _ in range(3)]
    secret = bytes(rng.randrange(256) for _ in range(32))
    frame = objectors.token_frame(
        objectors.normalise(pd.DataFrame(people).reindex(columns=IDENTIFIERS)), secret, "b1"
    )
    for i, p in enumerate(people):
        expected = objection_tokens(p, secret, "b1")
        got = {k: v for k, v in frame.iloc[i].items() if isinstance(v, str)}
        assert got == expected
