"""The public transparency register, generated from loaded agreements and release records.

Nothing here is typed in by hand: each entry is derived from the agreement the portal enforces
and from the releases the output gate approved, so the register cannot drift from what runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from lantern.portal.agreements import AgreementView


def datasets_of(agreement: AgreementView) -> list[dict[str, Any]]:
    """One dataset per supplying party: its fields, and which are special-category data."""
    out = []
    for party in agreement.parties:
        fields = [f for f in agreement.fields if f.get("party") == party["id"]]
        if not fields:
            continue
        out.append(
            {
                "party": party["name"],
                "fields": [f["name"] for f in fields],
                "special_category_fields": [f["name"] for f in fields if f.get("special_category")],
                "identifying_fields": [f["name"] for f in fields if f.get("class") != "attribute"],
            }
        )
    return out


def entry(
    agreement: AgreementView, releases: Iterable[dict[str, Any]], today: date
) -> dict[str, Any]:
    doc = agreement.document
    return {
        "agreement_id": agreement.id,
        "title": agreement.title,
        "status": agreement.status(today),
        "purposes": [
            {"code": p["code"], "description": p.get("description", "")} for p in agreement.purposes
        ],
        "partners": [{"name": p["name"], "role": p.get("role", "")} for p in agreement.parties],
        "datasets": datasets_of(agreement),
        "lawful_basis": agreement.lawful_basis,
        "retention_end": agreement.retention_end.isoformat(),
        "outputs_permitted": list(agreement.permitted_outputs),
        "outputs_released": sorted(
            (r for r in releases if r.get("agreement_id") == agreement.id),
            key=lambda r: str(r.get("released_at", "")),
        ),
        "dpia_ref": str(doc.get("dpia_ref", "")),
        "transparency_notice_url": str(doc.get("transparency_notice_url", "")),
    }


def build(
    agreements: Iterable[AgreementView],
    releases: Iterable[dict[str, Any]],
    *,
    today: date,
    now: datetime,
    objection_url: str,
) -> dict[str, Any]:
    releases = list(releases)
    return {
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "objection_url": objection_url,
        "how_to_object": (
            f"Use the objection form at {objection_url}: give your NHS number, or your name and "
            "date of birth. They are turned into one-way keyed codes at once and are not stored; "
            "you get a reference, and every later linkage run leaves you out."
        ),
        "uses": [entry(a, releases, today) for a in agreements],
    }
