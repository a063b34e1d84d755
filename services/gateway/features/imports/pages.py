"""The 导入公文 pages (zh-CN): upload or paste a received 公文 (``/imports/new``, from 拟稿; ``?notice=`` from a
收文 notice: a 转发 of it), then the review (``/imports/{draft_id}``): every extracted field (待核对) with its
confidence and the text it came from, to confirm, above the notice editor holding the draft (the 拟稿 or 转发
form, prefilled; an input holding a 待核对 field is marked). The draft is saved, sent for 签发 and signed as any
draft: nothing is issued without a person.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from shared.contracts.common import Actor, Empty
from shared.contracts.notices import DraftQuery
from shared.errors import Invalid

from ...core.backend import Backend
from ...core.deps import BackendDep, Issuer
from ...core.editor import editor_values
from ...core.forms import REFUSALS, refused, text
from ...core.rendering import plain, render, see_other
from ...core.scope import visible_notice
from .editor import inputs_of
from .importing import import_and_keep
from .reviews import view_of

router = APIRouter(include_in_schema=False)

FORM_PART_BYTES = 4 * 1024 * 1024


async def _form_page(
    request: Request,
    b: Backend,
    actor: Actor,
    notice_id: str | None,
    values: dict[str, Any],
    errors: list[dict],
    status_code: int = 200,
) -> HTMLResponse:
    forwarding = await visible_notice(b, notice_id, actor) if notice_id else None
    return render(
        request,
        "import.html",
        status_code=status_code,
        forwarding=forwarding,
        values=values,
        errors=errors,
    )


@router.get("/imports/new", response_class=HTMLResponse)
async def import_form(request: Request, b: BackendDep, actor: Issuer, notice: str | None = None) -> HTMLResponse:
    return await _form_page(request, b, actor, notice[:40] if notice else None, {}, [])


@router.post("/imports/new", response_class=HTMLResponse)
async def import_document(request: Request, b: BackendDep, actor: Issuer) -> Response:
    form = await request.form(max_part_size=FORM_PART_BYTES)
    given = form.get("file")
    file = given if isinstance(given, UploadFile) and given.filename else None
    pasted = form.get("text") if isinstance(form.get("text"), str) else ""
    notice_id = text(form.get("notice_id"))[:40] or None
    values = {"text": pasted}
    try:
        if file is None and not text(pasted):
            raise Invalid("请选择要导入的公文文件，或粘贴公文的全文", field="file", code="no_document")
        _, imported = await import_and_keep(
            request, b, actor, text=None if file else str(pasted), file=file, notice_id=notice_id
        )
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _form_page(request, b, actor, notice_id, values, no.problems, no.status)
    return see_other(f"/imports/{imported.draft.id}")


@router.get("/imports/{draft_id}", response_class=HTMLResponse)
async def review_page(request: Request, draft_id: str, b: BackendDep, actor: Issuer) -> HTMLResponse:
    doc = await request.app.state.imports.get(draft_id, actor.unit_id)
    draft = await b.notices.get_draft(DraftQuery(draft_id=draft_id, actor=actor))
    view = view_of(doc, draft)
    shown = plain(draft)
    editable = bool((shown.get("viewer") or {}).get("can_edit"))
    upstream = None
    if shown["kind"] == "forward" and shown.get("forward"):
        upstream = await visible_notice(b, shown["forward"]["notice_id"], actor)
    context: dict[str, Any] = {}
    if editable:
        units = plain(await b.notices.all_units(Empty(actor=actor)))["items"]
        context = {
            "mode": "forward" if upstream else "issue",
            "actor": actor,
            "units": units,
            "me_unit": next((u for u in units if u["id"] == actor.unit_id), None),
            "values": editor_values(shown, request.app.state.settings.timezone, upstream),
            "errors": [],
            "presets": plain(await b.notices.form_templates(Empty(actor=actor)))["items"],
            "upstream": upstream,
        }
    ask_ids, own_ids = doc.get("ask_ids") or {}, doc.get("own_ids") or {}
    marks = [
        {"id": f.id, "inputs": inputs_of(f, shown, ask_ids, own_ids, upstream)}
        for f in view.fields
        if f.state == "pending" and f.use == "draft"
    ]
    return render(
        request,
        "import_review.html",
        editable=editable,
        review=view.model_dump(mode="json"),
        draft=shown,
        marks=[m for m in marks if m["inputs"]],
        confirmed=request.query_params.get("confirmed"),
        **context,
    )


@router.post("/imports/{draft_id}/confirm", response_class=HTMLResponse)
async def confirm(request: Request, draft_id: str, actor: Issuer) -> Response:
    form = await request.form()
    reviews = request.app.state.imports
    doc = await reviews.get(draft_id, actor.unit_id)
    if form.get("action") == "all":
        ids = [f["id"] for f in doc["fields"]]
    else:
        ids = [v for v in form.getlist("confirm") if isinstance(v, str)]
    await reviews.confirm(draft_id, actor.unit_id, ids, actor.display_name)
    return see_other(f"/imports/{draft_id}?confirmed={len(ids)}#import-review")
