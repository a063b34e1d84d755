"""Pages of the documents feature.

- The preview buttons of 拟稿 and 转发: the form as it stands, posted here, answers the 公文 it would issue (a
  PDF, in a new tab). Nothing is stored, no file is uploaded (the chosen files' names make the 附件说明), no
  文号 is allocated. A form that cannot make a notice yet (an unknown unit, a bad date) answers the error page.
- The 报送 page's upload of a filled 样表: submitted as the typed form would be, or the 报送 page again with
  every problem, each naming its place in the file."""

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from shared.contracts.common import Actor, NoticeQuery
from shared.errors import Invalid
from shared.ids import submission_id
from shared.schemas import DocumentElements

from ...core import forms
from ...core.backend import Backend
from ...core.deps import BackendDep, Issuer, Submitter
from ...core.document_form import elements_of
from ...core.forms import REFUSALS, refused
from ...core.rendering import render, see_other
from ...core.submit_page import notice_and_ask, submission_of, submit_page
from .filled import submit_filled_form
from .output import chosen_format, notice_file
from .preview import preview_notice

router = APIRouter(include_in_schema=False)

# Inputs of the notice editor that repeat their name (the same as the notices feature's form reads).
MULTI = ("unit_kinds", "recipients", "co_issuers", "accept")


async def _preview(request: Request, b: Backend, actor: Actor, fmt: str, upstream_id: str | None) -> Response:
    form = await request.form()
    data = forms.nested(form, MULTI)
    state = request.app.state
    uploaded = [v for v in form.getlist("uploaded") if isinstance(v, str)]
    chosen = [getattr(f, "filename", "") for f in form.getlist("files") if getattr(f, "filename", None)]
    try:
        kind = chosen_format(fmt, ("pdf", "docx"))
        notice = await preview_notice(
            b,
            actor,
            node_id=state.settings.node_id,
            now=state.clock.now(),
            timezone=state.settings.timezone,
            title=forms.text(data.get("title")),
            issuer_ids=[actor.unit_id, *[u for u in data.get("co_issuers") or [] if u != actor.unit_id]],
            recipient_ids=data.get("recipients") or [],
            body=forms.text(data.get("body")),
            cover_note=forms.text(data.get("cover_note")),
            doc_number=forms.text(data.get("doc_number")) or None,
            contacts=forms.contacts_of(data.get("contacts")),
            filenames=[*_uploaded_names(uploaded), *chosen],
            elements=DocumentElements.model_validate(elements_of(data)),
            upstream_id=upstream_id,
        )
        return await notice_file(request, notice, kind, f"preview.{kind}")
    except REFUSALS as exc:
        no = refused(request, exc)
        return render(request, "error.html", no.status, error=no.error)


def _uploaded_names(values: list[str]) -> list[str]:
    """Files uploaded by an earlier try of the form, kept in hidden inputs as JSON: their names."""
    names = []
    for v in values:
        try:
            names.append(str(json.loads(v).get("filename") or ""))
        except (ValueError, AttributeError):
            continue
    return [n for n in names if n]


@router.post("/notices/new/preview.{fmt}")
async def preview_issue(fmt: str, request: Request, b: BackendDep, actor: Issuer) -> Response:
    """拟稿's 预览公文: the notice the form would issue, as its 公文."""
    return await _preview(request, b, actor, fmt, None)


@router.post("/notices/{notice_id}/forward/preview.{fmt}")
async def preview_forward(notice_id: str, fmt: str, request: Request, b: BackendDep, actor: Issuer) -> Response:
    """转发's 预览公文: the 转发 the form would issue, with the notice it forwards as 附件."""
    return await _preview(request, b, actor, fmt, notice_id)


@router.post("/notices/{notice_id}/asks/{ask_id}/submit/upload")
async def submit_upload(notice_id: str, ask_id: str, request: Request, b: BackendDep, actor: Submitter) -> Response:
    """报送 by the filled 样表 (.xlsx or .docx) chosen on the 报送 page."""
    file = (await request.form()).get("file")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise Invalid("请选择填好的样表文件（.xlsx 或 .docx）", field="file", code="empty_file")
        notice = await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor))
        done = await submit_filled_form(request, b, actor, notice, ask_id, file)
    except REFUSALS as exc:
        no = refused(request, exc)
        problems = [p | {"label": "样表文件"} if p.get("field") == "file" else p for p in no.problems]
        shown, ask = await notice_and_ask(b, notice_id, ask_id, actor)
        current = await submission_of(b, submission_id(notice_id, ask_id, actor.unit_id), actor)
        last = (current.get("revisions") or [{}])[-1].get("items") or []
        return await submit_page(request, b, actor, shown, ask, last, problems, status_code=no.status)
    return see_other(f"/submissions/{done.id}")
