"""Public pages: the transparency register (HTML and JSON) and the objection form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from lantern.errors import ConfigError, InputError
from lantern.linkage.keystore import KeyStore
from lantern.portal import agreements as agreements_mod
from lantern.portal import objections, register
from lantern.portal.deps import Ctx, context, require_csrf, with_session
from lantern.portal.models import ReleaseRecord, utcnow
from lantern.portal.routes.auth import render
from lantern.portal.schemas import Register

router = APIRouter()


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
    return render(request, "object.html", ctx)


@router.post("/object", include_in_schema=False)
def objection_submit(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    nhs_number: Annotated[str, Form(max_length=20)] = "",
    given_name: Annotated[str, Form(max_length=100)] = "",
    family_name: Annotated[str, Form(max_length=100)] = "",
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
    ctx: Ctx = Depends(context),
) -> Response:
    require_csrf(ctx, csrf_token)
    store = KeyStore(Path(ctx.settings.keystore)) if ctx.settings.keystore else None
    identifiers = {
        "nhs_number": nhs_number,
        "given_name": given_name,
        "family_name": family_name,
        "date_of_birth": date_of_birth,
    }
    try:
        reference = objections.submit(ctx.db, identifiers, keystore=store, today=ctx.today)
    except InputError as exc:
        return render(request, "object.html", ctx, status=400, error=str(exc))
    except ConfigError:
        return render(
            request,
            "object.html",
            ctx,
            status=503,
            error="Objections cannot be recorded right now; please try again later.",
        )
    return render(request, "object_done.html", ctx, reference=reference)
