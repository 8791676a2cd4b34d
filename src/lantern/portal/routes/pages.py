"""Server-rendered pages for signed-in staff and administrators."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from lantern.errors import ConfigError, GovernanceError, IntegrityError
from lantern.portal import agreements as agreements_mod
from lantern.portal import audit_db, households
from lantern.portal.deps import (
    ADMIN_ROLES,
    AREA_ROLES,
    HOUSEHOLD_ROLES,
    ClosingRoute,
    Ctx,
    aggregate_export_response,
    aggregate_for,
    household_export_response,
    require_csrf,
    roles,
    scoped,
)
from lantern.portal.routes.auth import render
from lantern.portal.scope import AREA_TYPES

router = APIRouter(include_in_schema=False, route_class=ClosingRoute)
staff = roles(*AREA_ROLES, page=True)
hub = roles(*HOUSEHOLD_ROLES, page=True)
admin = roles(*ADMIN_ROLES, page=True)
Text = Annotated[str, Query(max_length=100)]


@router.get("/dashboard")
def dashboard(
    request: Request, ctx: Ctx = Depends(staff), q: Text = "", area_type: Text = ""
) -> Response:
    kind = area_type if area_type in AREA_TYPES else None
    total, areas = scoped(ctx).areas(area_type=kind, q=q or None, limit=200)
    return render(
        request,
        "dashboard.html",
        ctx,
        areas=areas,
        total=total,
        q=q,
        area_type=kind or "",
        area_types=AREA_TYPES,
    )


NEXT_LEVEL = {"district": "ward", "ward": "lsoa", "msoa": "lsoa"}


@router.get("/areas/{code}")
def area_page(request: Request, code: str, ctx: Ctx = Depends(staff)) -> Response:
    from lantern.portal.profile import profile

    q = scoped(ctx)
    area = q.area(code[:12])
    level = NEXT_LEVEL.get(area.area_type)
    total, children = (
        q.areas(within=area.area_code, area_type=level, limit=500) if level else (0, [])
    )
    held = q.child_counts(area.area_code)
    counts = {t: held.get(t, 0) for t in AREA_TYPES}
    return render(
        request,
        "area.html",
        ctx,
        area=area,
        parents=q.parents(area.area_code),
        groups=profile(ctx.db, q, area.area_code),
        children=children,
        level=level,
        counts={t: n for t, n in counts.items() if n},
    )


@router.get("/aggregates")
def aggregates_page(
    request: Request,
    ctx: Ctx = Depends(staff),
    agreement: Text = "",
    table: Text = "households",
    area_type: Text = "",
) -> Response:
    """Choose an agreement, a table and an area level; see the protected table; download it."""
    from lantern.portal import aggregates

    options = [
        a
        for a in agreements_mod.all_agreements(ctx.db)
        if a.is_active(ctx.today) and set(a.permitted_outputs) & set(aggregates.LEVELS)
    ]
    chosen = next((a for a in options if a.id == agreement), options[0] if options else None)
    levels = [lvl for lvl in aggregates.LEVELS if chosen and lvl in chosen.permitted_outputs]
    if area_type not in levels:
        area_type = "ward" if "ward" in levels else (levels[0] if levels else "")
    table = table if table in aggregates.TABLES else "households"
    result, problem = None, None
    if chosen is not None and area_type:
        try:
            result = aggregate_for(
                ctx,
                agreement=chosen.id,
                table=table,
                area_type=area_type,
                event="aggregates.viewed",
            )
        except GovernanceError as exc:  # a level this agreement cannot combine safely
            problem = str(exc)
    return render(
        request,
        "aggregates.html",
        ctx,
        options=options,
        agreement=chosen.id if chosen else "",
        tables=aggregates.TABLES,
        table=table,
        levels=levels,
        area_type=area_type,
        result=result,
        problem=problem,
        withheld_mark=aggregates.WITHHELD,
    )


@router.get("/aggregates/export")
def aggregates_export(
    ctx: Ctx = Depends(staff),
    agreement: Text = "",
    table: Text = "households",
    area_type: Text = "ward",
) -> Response:
    return aggregate_export_response(ctx, agreement=agreement, table=table, area_type=area_type)


def _choice(ctx: Ctx, agreement: str, purpose: str) -> tuple[list, str, str]:
    assert ctx.user is not None
    options = agreements_mod.household_agreements(ctx.db, ctx.user.organisation, ctx.today)
    if not agreement and options:
        agreement = options[0].id
    chosen = next((a for a in options if a.id == agreement), None)
    if chosen is not None and purpose not in chosen.purpose_codes:
        purpose = chosen.purpose_codes[0] if chosen.purpose_codes else ""  # switched agreement
    return options, agreement, purpose


@router.get("/households")
def household_page(
    request: Request, ctx: Ctx = Depends(hub), agreement: Text = "", purpose: Text = ""
) -> Response:
    assert ctx.user is not None
    options, agreement, purpose = _choice(ctx, agreement, purpose)
    rows = None
    if agreement and purpose and request.query_params.get("show"):
        rows = households.view(
            ctx.db,
            scoped(ctx),
            ctx.user,
            agreement_id=agreement,
            purpose=purpose,
            key=ctx.settings.key_bytes(),
            today=ctx.today,
        )
    return render(
        request,
        "households.html",
        ctx,
        options=options,
        agreement=agreement,
        purpose=purpose,
        rows=rows,
        outcomes=households.OUTCOMES,
        saved=request.query_params.get("saved", "")[:40],
    )


@router.post("/households/{reference}/outcome")
def household_outcome(
    reference: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    outcome: Annotated[str, Form(max_length=60)] = "",
    agreement: Annotated[str, Form(max_length=100)] = "",
    purpose: Annotated[str, Form(max_length=100)] = "",
    ctx: Ctx = Depends(hub),
) -> Response:
    require_csrf(ctx, csrf_token)
    assert ctx.user is not None
    households.record_outcome(
        ctx.db,
        scoped(ctx),
        ctx.user,
        reference=reference[:40],
        outcome=outcome,
        agreement_id=agreement,
        purpose=purpose,
        today=ctx.today,
    )
    from urllib.parse import urlencode

    query = urlencode(
        {"agreement": agreement, "purpose": purpose, "show": 1, "saved": reference[:40]}
    )
    return RedirectResponse(f"/households?{query}", status_code=303)


@router.get("/households/export")
def household_export(ctx: Ctx = Depends(hub), agreement: Text = "", purpose: Text = "") -> Response:
    return household_export_response(ctx, agreement=agreement, purpose=purpose)


@router.get("/admin/audit")
def audit_page(
    request: Request, ctx: Ctx = Depends(admin), event: Text = "", q: Text = ""
) -> Response:
    entries = audit_db.search(ctx.db, limit=300, event=event or None, text_contains=q or None)
    try:
        verified = audit_db.verify(ctx.db)
        chain = f"Chain verified: {verified.entries} entries, head {verified.head[:16]}…"
        ok = True
    except IntegrityError as exc:
        chain, ok = str(exc), False
    return render(request, "audit.html", ctx, entries=entries, event=event, q=q, chain=chain, ok=ok)


@router.get("/admin/agreements")
def agreements_page(request: Request, ctx: Ctx = Depends(admin)) -> Response:
    return render(
        request,
        "agreements.html",
        ctx,
        agreements=agreements_mod.all_agreements(ctx.db),
        today=ctx.today,
    )


@router.post("/admin/agreements")
async def agreement_upload(request: Request, ctx: Ctx = Depends(admin)) -> Response:
    form = await request.form()
    require_csrf(ctx, str(form.get("csrf_token") or ""))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            request,
            "agreements.html",
            ctx,
            status=400,
            error="choose an agreement file",
            agreements=agreements_mod.all_agreements(ctx.db),
            today=ctx.today,
        )
    raw = await upload.read(1_000_001)
    suffix = Path(upload.filename).suffix.lower()
    if len(raw) > 1_000_000 or suffix not in (".yaml", ".yml", ".toml"):
        return render(
            request,
            "agreements.html",
            ctx,
            status=400,
            error="agreements are YAML or TOML files under 1 MB",
            agreements=agreements_mod.all_agreements(ctx.db),
            today=ctx.today,
        )
    assert ctx.user is not None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"agreement{suffix}"
        path.write_bytes(raw)
        try:
            doc = agreements_mod.read_agreement_file(path)
        except ConfigError as exc:
            problems = "; ".join(
                p.message if not p.column else f"{p.column}: {p.message}" for p in exc.problems
            )
            return render(
                request,
                "agreements.html",
                ctx,
                status=400,
                error=f"agreement is invalid: {problems}",
                agreements=agreements_mod.all_agreements(ctx.db),
                today=ctx.today,
            )
    agreements_mod.store(
        ctx.db,
        doc,
        sha256=hashlib.sha256(raw).hexdigest(),
        actor=ctx.user.username,
        source=Path(upload.filename).name,
    )
    return RedirectResponse("/admin/agreements", status_code=303)
