"""A clearly synthetic demonstration world for tests, the benchmark and ``lantern portal demo``.

Areas and indicators are real (the bundled ONS lookup and the English Indices of Deprivation
2025); the agreement, accounts and households are invented. Household names, addresses and phone
numbers come from Faker (en_GB) and every reference starts with ``SYN-`` so no one mistakes them
for real people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantern.paths import BUNDLED_ESSEX
from lantern.portal import accounts, agreements, households, loaders
from lantern.portal.models import Area, AreaLink, Role

HUB_PARTY = "colchester-hub"
OWNER_PARTY = "ecc-asc"
CONTACT_FIELDS = ("contact_name", "address", "phone")
REASONS = (
    "shielding and lives alone",
    "care package ended",
    "no recent contact",
    "frailty and lives alone",
)
IOD2025 = "imd2019/iod2025_lsoa21_scores_ranks_deciles_england.csv"
IOD_COLUMNS = {
    "IMD_score": "iod2025.imd_score",
    "Income_score": "iod2025.income_score",
    "Health_score": "iod2025.health_score",
}
COLCHESTER, BASILDON = "E07000071", "E07000066"


def agreement_document(agreement_id: str, *, start: date, retention_end: date) -> dict[str, Any]:
    """A synthetic hub agreement in the ``lantern.governance`` schema."""
    return {
        "id": agreement_id,
        "title": f"SYNTHETIC DEMO - community hub outreach ({agreement_id})",
        "start_date": start.isoformat(),
        "retention_end": retention_end.isoformat(),
        "dpia_ref": "DEMO-DPIA-0001 (synthetic)",
        "ethics_ref": "not applicable (synthetic demonstration)",
        "parties": [
            {
                "id": OWNER_PARTY,
                "name": "Essex County Council - Adult Social Care (demo)",
                "role": "joint_controller",
                "organisation_type": "local_authority",
            },
            {
                "id": HUB_PARTY,
                "name": "Colchester community hub (demo)",
                "role": "joint_controller",
                "organisation_type": "voluntary_sector",
            },
        ],
        "purposes": [
            {
                "code": "hub-outreach",
                "description": "Contact households the linkage flagged to offer help.",
            }
        ],
        "lawful_basis": {
            "article_6": "6(1)(e)",
            "common_law": "not_confidential",
            "notes": "Synthetic demonstration.",
        },
        "fields": [
            {
                "party": OWNER_PARTY,
                "name": "nhs_number",
                "class": "direct_identifier",
                "kind": "nhs_number",
            },
            {
                "party": OWNER_PARTY,
                "name": "contact_name",
                "class": "direct_identifier",
                "kind": "text",
            },
            {"party": OWNER_PARTY, "name": "address", "class": "direct_identifier", "kind": "text"},
            {"party": OWNER_PARTY, "name": "phone", "class": "direct_identifier", "kind": "text"},
            {"party": HUB_PARTY, "name": "contact_outcome", "class": "attribute"},
        ],
        "permitted_outputs": ["lsoa", "ward"],
    }


def write_agreement(folder: Path, agreement_id: str, *, start: date, retention_end: date) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{agreement_id}.yaml"
    path.write_text(
        yaml.safe_dump(
            agreement_document(agreement_id, start=start, retention_end=retention_end),
            sort_keys=False,
        ),
        "utf-8",
    )
    return path


def write_households(
    path: Path, lsoas: list[str], *, per_lsoa: int, seed: int, prefix: str
) -> Path:
    from faker import Faker  # test/demo dependency

    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["reference", "lsoa21_code", "reason", *CONTACT_FIELDS, "nhs_number"])
        n = 0
        for lsoa in lsoas:
            for _ in range(per_lsoa):
                n += 1
                w.writerow(
                    [
                        f"SYN-{prefix}{n:05d}",
                        lsoa,
                        rng.choice(REASONS),
                        fake.name(),
                        fake.address().replace("\n", ", "),
                        fake.phone_number(),
                        synthetic_nhs_number(rng),
                    ]
                )
    return path


def synthetic_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the 999 range, which NHS England reserves for test data."""
    from lantern.linkage.normalise import nhs_check_digit

    while True:
        first = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = nhs_check_digit(first)
        if check is not None:
            return first + str(check)


@dataclass
class World:
    """Codes and credentials of a demo world (passwords are for tests and demos only)."""

    hub_ward: str
    other_ward: str
    in_lsoas: list[str]
    out_lsoa_same_district: str
    out_lsoa_other_district: str
    district: str
    other_district: str
    agreement: str
    expired_agreement: str
    passwords: dict[str, str] = field(default_factory=dict)
    household_refs: dict[str, list[str]] = field(default_factory=dict)


def lsoas_in(session: Session, parent: str) -> list[str]:
    return sorted(
        session.scalars(
            select(AreaLink.child_code).where(
                AreaLink.parent_code == parent, AreaLink.child_type == "lsoa"
            )
        )
    )


def build(
    session: Session,
    folder: Path,
    *,
    key: bytes,
    password: str,
    today: date,
    essex: Path = BUNDLED_ESSEX,
    households_per_lsoa: int = 3,
) -> World:
    """Load real Essex areas and IoD2025 scores, then add synthetic users, agreements, households."""
    loaders.load_lookup_areas(session, essex / "lookups")
    loaders.load_indicator_csv(
        session,
        essex / IOD2025,
        code_column="lsoa21_code",
        columns=IOD_COLUMNS,
        period="2025",
        source="MHCLG English Indices of Deprivation 2025",
    )
    wards = [
        w
        for w in session.scalars(
            select(AreaLink.child_code)
            .where(AreaLink.parent_code == COLCHESTER, AreaLink.child_type == "ward")
            .order_by(AreaLink.child_code)
        )
        if len(lsoas_in(session, w)) >= 3
    ]
    hub_ward, other_ward = wards[0], wards[1]
    in_lsoas = lsoas_in(session, hub_ward)
    world = World(
        hub_ward=hub_ward,
        other_ward=other_ward,
        in_lsoas=in_lsoas,
        out_lsoa_same_district=lsoas_in(session, other_ward)[0],
        out_lsoa_other_district=lsoas_in(session, BASILDON)[0],
        district=COLCHESTER,
        other_district=BASILDON,
        agreement="DEMO-HUB-001",
        expired_agreement="DEMO-HUB-000",
    )
    active = write_agreement(
        folder, world.agreement, start=date(2020, 4, 1), retention_end=date(today.year + 3, 3, 31)
    )
    expired = write_agreement(
        folder,
        world.expired_agreement,
        start=date(2020, 4, 1),
        retention_end=date(today.year - 1, 3, 31),
    )
    for path in (active, expired):
        agreements.load(session, path, actor="demo")
    lsoas = [*in_lsoas, world.out_lsoa_same_district, world.out_lsoa_other_district]
    for agreement_id, seed, prefix in (
        (world.agreement, 7, "A"),
        (world.expired_agreement, 8, "X"),
    ):
        csv_path = write_households(
            folder / f"{agreement_id}-households.csv",
            lsoas,
            per_lsoa=households_per_lsoa,
            seed=seed,
            prefix=prefix,
        )
        households.import_csv(
            session, csv_path, agreement_id=agreement_id, party=OWNER_PARTY, key=key, actor="demo"
        )
    users = {
        "admin": (Role.ADMINISTRATOR, [], "ecc"),
        "analyst": (Role.ANALYST, [], "ecc"),
        "officer": (Role.DISTRICT_OFFICER, [COLCHESTER], "colchester-bc"),
        "hub": (Role.HUB_WORKER, [hub_ward], HUB_PARTY),
        "hub2": (Role.HUB_WORKER, [other_ward], HUB_PARTY),
    }
    for name, (role, scope, org) in users.items():
        accounts.create_user(
            session,
            username=name,
            role=role,
            password=password,
            scope=scope,
            organisation=org,
            display_name=f"Demo {name}",
            actor="demo",
        )
        world.passwords[name] = password
    session.commit()
    names = dict(session.execute(select(Area.area_code, Area.area_name)).all())
    assert names  # areas loaded
    return world
