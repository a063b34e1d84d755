"""The submission pages (zh-CN): 报送 (what my unit owes, the form), 审核 (采用/退回), 汇总, 催办.

Plain HTML forms with a CSRF token, post/redirect/get; a refused form comes
back with the errors and what was typed. The submissions service decides
what a unit may see and do; the roles are checked here.
"""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from shared.contracts.common import Actor, NoticeQuery, UnitNoticesQuery
from shared.contracts.submissions import (
    AcceptSubmission,
    ChaseSubmissions,
    CommendSubmission,
    CompileReport,
    ReturnSubmission,
    ReviewQuery,
    SubmissionTableQuery,
    SubmitItems,
)
from shared.errors import DomainError, Invalid, NotFound
from shared.ids import submission_id
from shared.schemas import Commendation, Role

from . import submission_forms as sf
from .commands import send
from .paging import PageParams
from .auth import CurrentActor, require
from .notice_forms import problems
from .notices_api import upload
from .notices_pages import has, render, see_other
from .submissions_api import get_submission
from .web import plain

router = APIRouter(include_in_schema=False)

Submitter = Annotated[Actor, Depends(require(Role.submitter))]
Reviewer = Annotated[Actor, Depends(require(Role.reviewer))]
Issuer = Annotated[Actor, Depends(require(Role.issuer))]


def _refused(exc: Exception) -> int:
    if isinstance(exc, DomainError) and exc.status in (401, 403, 404):
        raise exc
    return exc.status if isinstance(exc, DomainError) else 422


async def _notice_and_ask(request: Request, notice_id: str, ask_id: str, actor: Actor) -> tuple[dict, dict]:
    notice = plain(await request.app.state.backend.notices.get(NoticeQuery(notice_id=notice_id, actor=actor)))
    ask = next((a for a in notice["asks"] if a["ask_id"] == ask_id), None)
    if ask is None:
        raise NotFound("该通知没有这项报送要求", field="ask_id")
    return notice, ask


# ---------------------------------------------------------------- 报送


@router.get("/submissions", response_class=HTMLResponse)
async def my_submissions(request: Request, actor: CurrentActor, page: PageParams) -> HTMLResponse:
    found = plain(await request.app.state.backend.submissions.mine(UnitNoticesQuery(page=page, actor=actor)))
    rows = found["items"]
    return render(request, "submissions.html", rows=rows, page=found, can_submit=has(actor, "submitter"),
                  names=await _names(request, {r["to_unit_id"] for r in rows}))


async def _names(request: Request, unit_ids: set[str]) -> dict[str, str]:
    return {uid: await request.app.state.unit_names.name(uid) for uid in unit_ids}


async def _submit_page(request: Request, actor: Actor, notice: dict, ask: dict, items: list[dict],
                       errors: list[dict], status_code: int = 200) -> HTMLResponse:
    sid = submission_id(notice["id"], ask["ask_id"], actor.unit_id)
    current = await get_submission(request.app.state.backend, sid, actor)
    return render(request, "submit.html", status_code=status_code, notice=notice, ask=ask, current=current,
                  blocks=sf.blocks(ask, items), errors=errors)


@router.get("/notices/{notice_id}/asks/{ask_id}/submit", response_class=HTMLResponse)
async def submit_form(request: Request, notice_id: str, ask_id: str, actor: Submitter) -> HTMLResponse:
    notice, ask = await _notice_and_ask(request, notice_id, ask_id, actor)
    current = await get_submission(request.app.state.backend, submission_id(notice_id, ask_id, actor.unit_id), actor)
    last = (current.get("revisions") or [{}])[-1].get("items")
    return await _submit_page(request, actor, notice, ask, last or [], [])


@router.post("/notices/{notice_id}/asks/{ask_id}/submit", response_class=HTMLResponse)
async def submit(request: Request, notice_id: str, ask_id: str, actor: Submitter) -> Response:
    notice, ask = await _notice_and_ask(request, notice_id, ask_id, actor)
    form = await request.form()
    b, limit = request.app.state.backend, request.app.state.settings.max_upload_bytes
    uploaded: dict = {}
    items = sf.items_of(form, ask, uploaded)
    try:
        for where, files in sf.files_to_upload(form, ask).items():
            uploaded[where] = [await upload(b, f, actor, limit) for f in files]
        items = sf.items_of(form, ask, uploaded)
        done = await send(request, b.submissions.submit,
                          SubmitItems(notice_id=notice_id, ask_id=ask_id, unit_id=actor.unit_id, items=items,
                                      actor=actor))
    except (ValidationError, DomainError) as exc:
        status = _refused(exc)
        return await _submit_page(request, actor, notice, ask, items, problems(exc), status_code=status)
    return see_other(f"/submissions/{done.id}")


@router.get("/submissions/{sid}", response_class=HTMLResponse)
async def submission_page(request: Request, sid: str, actor: CurrentActor) -> HTMLResponse:
    sub = await get_submission(request.app.state.backend, sid, actor)
    return await _submission_page(request, sub, actor, error=request.query_params.get("error"))


async def _submission_page(request: Request, sub: dict, actor: Actor, error: str | None = None,
                           status_code: int = 200) -> HTMLResponse:
    return render(request, "submission.html", status_code=status_code, sub=sub,
                  can_review=sub["can_review"] and has(actor, "reviewer"),
                  can_commend=sub.get("can_commend") and has(actor, "reviewer"), categories=list(Commendation),
                  names=await _names(request, {sub["to_unit_id"]}), error=error)


@router.post("/submissions/{sid}/commend")
async def commend(request: Request, sid: str, actor: Reviewer) -> Response:
    form = await request.form()
    category = form.get("category") if isinstance(form.get("category"), str) else ""
    note = form.get("note") if isinstance(form.get("note"), str) else ""
    try:
        await send(request, request.app.state.backend.submissions.commend,
                   CommendSubmission(submission_id=sid, category=category or None, note=note, actor=actor))
    except (ValidationError, DomainError) as exc:
        status = _refused(exc)
        sub = await get_submission(request.app.state.backend, sid, actor)
        return await _submission_page(request, sub, actor, error=problems(exc)[0]["message"], status_code=status)
    return see_other(f"/submissions/{sid}")


# ---------------------------------------------------------------- 审核


REVIEW_STATUSES = {"submitted": "待审核", "accepted": "已采用", "returned": "已退回"}


@router.get("/review", response_class=HTMLResponse)
async def review_queue(request: Request, actor: Reviewer, page: PageParams) -> HTMLResponse:
    notice_id = request.query_params.get("notice_id") or None
    status = request.query_params.get("status") or None
    if status not in (None, *REVIEW_STATUSES):
        raise Invalid("状态须为待审核、已采用或已退回", field="status", code="bad_status")
    found = plain(await request.app.state.backend.submissions.review(
        ReviewQuery(notice_id=notice_id, status=status, page=page, actor=actor)))
    return render(request, "review.html", rows=found["items"], page=found, notice_id=notice_id, status=status,
                  statuses=REVIEW_STATUSES)


@router.post("/submissions/{sid}/accept")
async def accept(request: Request, sid: str, actor: Reviewer) -> Response:
    form = await request.form()
    return await _decide(request, sid, lambda rev: AcceptSubmission(submission_id=sid, revision=rev, actor=actor),
                         request.app.state.backend.submissions.accept, form)


@router.post("/submissions/{sid}/return")
async def return_(request: Request, sid: str, actor: Reviewer) -> Response:
    form = await request.form()
    reason = (form.get("reason") or "").strip() if isinstance(form.get("reason"), str) else ""
    return await _decide(
        request, sid, lambda rev: ReturnSubmission(submission_id=sid, revision=rev, reason=reason, actor=actor),
        request.app.state.backend.submissions.return_, form)


async def _decide(request: Request, sid: str, build, action, form) -> Response:
    raw = form.get("revision")
    revision = int(raw) if isinstance(raw, str) and raw.isdigit() else 0  # 0 is refused as a revision
    try:
        await send(request, action, build(revision))
    except (ValidationError, DomainError) as exc:
        status = _refused(exc)
        actor = request.state.identity.actor
        sub = await get_submission(request.app.state.backend, sid, actor)
        return await _submission_page(request, sub, actor, error=problems(exc)[0]["message"], status_code=status)
    return see_other(f"/submissions/{sid}")


# ---------------------------------------------------------------- 汇总


async def _compile_page(request: Request, actor: Actor, notice: dict, ask: dict, values: dict, errors: list[dict],
                        status_code: int = 200) -> HTMLResponse:
    # Every accepted submission of the ask (bounded by the notice's recipients): the 汇总表 lists them all.
    table = plain(await request.app.state.backend.submissions.table(
        SubmissionTableQuery(notice_id=notice["id"], ask_id=ask["ask_id"], actor=actor)))
    rows = [r for r in table["rows"] if r["status"] == "accepted"]
    return render(request, "compile.html", status_code=status_code, notice=notice, ask=ask, rows=rows,
                  values=values, blocks=sf.blocks(ask, values.get("items")), errors=errors)


@router.get("/notices/{notice_id}/asks/{ask_id}/compile", response_class=HTMLResponse)
async def compile_form(request: Request, notice_id: str, ask_id: str, actor: Reviewer) -> HTMLResponse:
    notice, ask = await _notice_and_ask(request, notice_id, ask_id, actor)
    return await _compile_page(request, actor, notice, ask, {"selected": None}, [])


@router.post("/notices/{notice_id}/asks/{ask_id}/compile", response_class=HTMLResponse)
async def compile_report(request: Request, notice_id: str, ask_id: str, actor: Reviewer) -> Response:
    notice, ask = await _notice_and_ask(request, notice_id, ask_id, actor)
    form = await request.form()
    selected = [v for v in form.getlist("submission_ids") if isinstance(v, str)]
    note = form.get("note") if isinstance(form.get("note"), str) else ""
    uploaded: dict = {}
    values = {"selected": selected, "note": note, "items": sf.items_of(form, ask, uploaded)}
    try:
        b, limit = request.app.state.backend, request.app.state.settings.max_upload_bytes
        for where, files in sf.files_to_upload(form, ask).items():
            uploaded[where] = [await upload(b, f, actor, limit) for f in files]
        values["items"] = sf.items_of(form, ask, uploaded)
        done = await send(request, b.submissions.compile_report, CompileReport(
            notice_id=notice_id, ask_id=ask_id, unit_id=actor.unit_id, submission_ids=selected,
            items=values["items"], note=note.strip(), actor=actor))
    except (ValidationError, DomainError) as exc:
        return await _compile_page(request, actor, notice, ask, values, problems(exc), status_code=_refused(exc))
    return see_other(f"/submissions/{done.id}")


# ---------------------------------------------------------------- 催办


@router.post("/notices/{notice_id}/chase")
async def chase(request: Request, notice_id: str, actor: Issuer) -> Response:
    form = await request.form()
    ask_id = form.get("ask_id") if isinstance(form.get("ask_id"), str) and form.get("ask_id") else None
    note = form.get("note") if isinstance(form.get("note"), str) else ""
    try:
        done = await send(request, request.app.state.backend.submissions.chase,
                          ChaseSubmissions(notice_id=notice_id, ask_id=ask_id, note=note.strip(), actor=actor))
    except (ValidationError, DomainError) as exc:
        _refused(exc)
        return see_other(f"/notices/{notice_id}?error={quote(problems(exc)[0]['message'])}#completeness")
    return see_other(f"/notices/{notice_id}?chased={done.units}#completeness")
