"""Public pages: the transparency register (HTML and JSON) and the objection form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from lantern.errors import ConfigError
from lantern.linkage.keystore import KeyStore
from lantern.portal import agreements as agreements_mod
from lantern.portal import objections, register
from lantern.portal.deps import ClosingRoute, Ctx, context, require_csrf, with_session
from lantern.portal.models import ReleaseRecord, utcnow
from lantern.portal.routes.auth import render
from lantern.portal.schemas import Register

router = APIRouter(route_class=ClosingRoute)


def build_register(ctx: Ctx) -> dict:
    releases = [
        {
            "release_id": r.release_id,
            "agreement_id": r.agreement_id,
            "title": r.title,
            "released_at": r.released_at,
            "outputs": r.outputs,
        }
        for r in ctx.db.scalars(select(ReleaseRecord).order_by(ReleaseRecord.release_id))
    ]
    return register.build(
        agreements_mod.all_agreements(ctx.db),
        releases,
        today=ctx.today,
        now=utcnow(),
        objection_url=ctx.settings.link("/object"),
    )


@router.get("/api/register", response_model=Register, tags=["public"])
def register_json(request: Request, ctx: Ctx = Depends(context)) -> dict:
    """Every use of residents' data: purpose, partners, datasets, lawful basis, retention, outputs."""
    return build_register(ctx)


@router.get("/api/health", tags=["public"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/register", include_in_schema=False)
def register_page(request: Request, ctx: Ctx = Depends(context)) -> Response:
    return render(request, "register.html", ctx, register=build_register(ctx))


@router.get("/object", include_in_schema=False)
def objection_page(request: Request, ctx: Ctx = Depends(with_session)) -> Response:
    return render(request, "object.html", ctx, form={}, errors=[])


FormText = Annotated[str, Form()]


@router.post("/object", include_in_schema=False)
def objection_submit(
    request: Request,
    csrf_token: FormText = "",
    nhs_number: FormText = "",
    given_name: FormText = "",
    family_name: FormText = "",
    date_of_birth: FormText = "",
    postcode: FormText = "",
    ctx: Ctx = Depends(context),
) -> Response:
    """The resident's objection: validated field by field, answered with what was recorded."""
    require_csrf(ctx, csrf_token[:200])
    form = {
        "nhs_number": nhs_number,
        "given_name": given_name,
        "family_name": family_name,
        "date_of_birth": date_of_birth,
        "postcode": postcode,
    }
    checked, errors = objections.validate(form, ctx.today)
    shown = {k: v[: objections.MAX_LENGTH] for k, v in form.items()}
    if checked is None:
        return render(request, "object.html", ctx, status=400, form=shown, errors=errors)
    store = KeyStore(Path(ctx.settings.keystore)) if ctx.settings.keystore else None
    data_key = ctx.settings.key_bytes() if ctx.settings.data_key else None
    try:
        receipt = objections.submit(
            ctx.db, checked, keystore=store, data_key=data_key, today=ctx.today
        )
    except ConfigError:
        return render(
            request,
            "object.html",
            ctx,
            status=503,
            form=shown,
            errors=[],
            error="Objections cannot be recorded right now; please try again later.",
        )
    titles = receipt.titles
    return render(
        request,
        "object_done.html",
        ctx,
        reference=receipt.reference,
        receipt=receipt,
        projects=[titles.get(p, p) for p in receipt.projects],
        nhs_tail=checked.identifiers.get("nhs_number", "")[-3:],
        received=utcnow().strftime("%d %B %Y"),
    )
