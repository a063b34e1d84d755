"""The submission pages (zh-CN): 报送 (what my unit owes, the form), 审核 (采用/退回), 评选, 汇总, 催办.

Plain HTML forms with a CSRF token, post/redirect/get; a refused form comes
back with the errors and what was typed (core/forms.py ``refused``). The
submissions service decides what a unit may see and do; the roles are
checked here.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from shared.contracts.common import Actor, UnitNoticesQuery
from shared.contracts.submissions import (
    AcceptSubmission,
    ChaseSubmissions,
    CommendSubmission,
    CompileReport,
    ReturnDown,
    ReturnSubmission,
    ReviewQuery,
    SubmissionTableQuery,
    SubmitItems,
)
from shared.errors import Invalid
from shared.ids import submission_id as submission_id_of
from shared.schemas import Commendation

from ...core import forms
from ...core.backend import Backend
from ...core.commands import send
from ...core.departments import UNASSIGNED_TEXT, staffing
from ...core.deps import BackendDep, CurrentActor, Issuer, Reviewer, Submitter, has
from ...core.files import upload
from ...core.forms import REFUSALS, refused
from ...core.paging import PageParams
from ...core.rendering import plain, render, see_other
from ...core.submit_page import blocks, notice_and_ask, submission_of, submit_page
from . import forms as sf

router = APIRouter(include_in_schema=False)


async def _names(request: Request, unit_ids: set[str]) -> dict[str, str]:
    return {uid: await request.app.state.unit_names.name(uid) for uid in unit_ids}


# ---------------------------------------------------------------- 报送


@router.get("/submissions", response_class=HTMLResponse)
async def my_submissions(request: Request, b: BackendDep, actor: CurrentActor, page: PageParams) -> HTMLResponse:
    found = plain(await b.submissions.mine(UnitNoticesQuery(page=page, actor=actor)))
    rows = found["items"]
    return render(
        request,
        "submissions.html",
        rows=rows,
        page=found,
        can_submit=has(actor, "submitter"),
        can_return_down=has(actor, "reviewer"),
        names=await _names(request, {r["to_unit_id"] for r in rows}),
    )


@router.get("/notices/{notice_id}/asks/{ask_id}/submit", response_class=HTMLResponse)
async def submit_form(request: Request, notice_id: str, ask_id: str, b: BackendDep, actor: Submitter) -> HTMLResponse:
    notice, ask = await notice_and_ask(b, notice_id, ask_id, actor)
    current = await submission_of(b, submission_id_of(notice_id, ask_id, actor.unit_id), actor)
    last = (current.get("revisions") or [{}])[-1].get("items")
    return await submit_page(request, b, actor, notice, ask, last or [], [])


@router.post("/notices/{notice_id}/asks/{ask_id}/submit", response_class=HTMLResponse)
async def submit(request: Request, notice_id: str, ask_id: str, b: BackendDep, actor: Submitter) -> Response:
    notice, ask = await notice_and_ask(b, notice_id, ask_id, actor)
    form = await request.form()
    limit = request.app.state.settings.max_upload_bytes
    uploaded: dict = {}
    items = sf.items_of(form, ask, uploaded)
    try:
        for where, files in sf.files_to_upload(form, ask).items():
            uploaded[where] = [await upload(b, f, actor, limit) for f in files]
        items = sf.items_of(form, ask, uploaded)
        done = await send(
            request,
            b.submissions.submit,
            SubmitItems(notice_id=notice_id, ask_id=ask_id, unit_id=actor.unit_id, items=items, actor=actor),
        )
    except REFUSALS as exc:
        no = refused(request, exc)
        return await submit_page(request, b, actor, notice, ask, items, no.problems, status_code=no.status)
    return see_other(f"/submissions/{done.id}")


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
async def submission_page(request: Request, submission_id: str, b: BackendDep, actor: CurrentActor) -> HTMLResponse:
    sub = await submission_of(b, submission_id, actor)
    return await _submission_page(request, sub, actor, error=request.query_params.get("error"))


async def _submission_page(
    request: Request, sub: dict, actor: Actor, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "submission.html",
        status_code=status_code,
        sub=sub,
        can_review=sub["can_review"] and has(actor, "reviewer"),
        can_commend=sub.get("can_commend") and has(actor, "reviewer"),
        can_return_down=sub.get("can_return_down") and has(actor, "reviewer"),
        categories=list(Commendation),
        names=await _names(request, {sub["to_unit_id"]}),
        error=error,
    )


async def _decided(
    request: Request, b: Backend, submission_id: str, actor: Actor, action, command: Callable[[], BaseModel]
) -> Response:
    """A decision of the submission page (采用, 退回, 评选): the page again on a refusal, with why."""
    try:
        await send(request, action, command())
    except REFUSALS as exc:
        no = refused(request, exc)
        sub = await submission_of(b, submission_id, actor)
        return await _submission_page(request, sub, actor, error=no.message, status_code=no.status)
    return see_other(f"/submissions/{submission_id}")


@router.post("/submissions/{submission_id}/commend")
async def commend(request: Request, submission_id: str, b: BackendDep, actor: Reviewer) -> Response:
    form = await request.form()
    category = forms.given(form.get("category"))
    note = forms.given(form.get("note"))
    return await _decided(
        request,
        b,
        submission_id,
        actor,
        b.submissions.commend,
        lambda: CommendSubmission.model_validate(
            {"submission_id": submission_id, "category": category or None, "note": note, "actor": actor}
        ),
    )


# ---------------------------------------------------------------- 审核


REVIEW_STATUSES = {"submitted": "待审核", "accepted": "已采用", "returned": "已退回"}


@router.get("/review", response_class=HTMLResponse)
async def review_queue(request: Request, b: BackendDep, actor: Reviewer, page: PageParams) -> HTMLResponse:
    notice_id = request.query_params.get("notice_id") or None
    status = request.query_params.get("status") or None
    if status not in (None, *REVIEW_STATUSES):
        raise Invalid("状态须为待审核、已采用或已退回", field="status", code="bad_status")
    department = (request.query_params.get("department") or "").strip()[:200] or None
    staff = await staffing(request, b, actor)
    query = ReviewQuery.model_validate(
        {
            "notice_id": notice_id,
            "status": status,
            "department": department,
            "unstaffed": staff.unstaffed,
            "page": page,
            "actor": actor,
        }
    )
    found = plain(await b.submissions.review(query))
    return render(
        request,
        "review.html",
        rows=found["items"],
        page=found,
        notice_id=notice_id,
        status=status,
        statuses=REVIEW_STATUSES,
        department=department,
        departments=staff.departments,
        unstaffed=staff.unstaffed,
        unassigned_text=UNASSIGNED_TEXT,
    )


def _revision(form) -> int:
    raw = form.get("revision")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else 0  # 0 is refused as a revision


@router.post("/submissions/{submission_id}/accept")
async def accept(request: Request, submission_id: str, b: BackendDep, actor: Reviewer) -> Response:
    form = await request.form()
    return await _decided(
        request,
        b,
        submission_id,
        actor,
        b.submissions.accept,
        lambda: AcceptSubmission(submission_id=submission_id, revision=_revision(form), actor=actor),
    )


@router.post("/submissions/{submission_id}/return")
async def return_(request: Request, submission_id: str, b: BackendDep, actor: Reviewer) -> Response:
    form = await request.form()
    reason = forms.text(form.get("reason"))
    return await _decided(
        request,
        b,
        submission_id,
        actor,
        b.submissions.return_,
        lambda: ReturnSubmission(submission_id=submission_id, revision=_revision(form), reason=reason, actor=actor),
    )


@router.post("/submissions/{submission_id}/return-down")
async def return_down(request: Request, submission_id: str, b: BackendDep, actor: Reviewer) -> Response:
    """退回下级 from the page of an item the level above returned: back to that page, or with why not."""
    form = await request.form()
    note = forms.text(form.get("note"))
    return await _decided(
        request,
        b,
        submission_id,
        actor,
        b.submissions.return_down,
        lambda: ReturnDown(submission_id=submission_id, note=note, actor=actor),
    )


# ---------------------------------------------------------------- 汇总


async def _compile_page(
    request: Request,
    b: Backend,
    actor: Actor,
    notice: dict,
    ask: dict,
    values: dict,
    errors: list[dict],
    status_code: int = 200,
) -> HTMLResponse:
    # Every accepted submission of the ask (bounded by the notice's recipients): the 汇总表 lists them all.
    table = plain(
        await b.submissions.table(SubmissionTableQuery(notice_id=notice["id"], ask_id=ask["ask_id"], actor=actor))
    )
    rows = [r for r in table["rows"] if r["status"] == "accepted"]
    return render(
        request,
        "compile.html",
        status_code=status_code,
        notice=notice,
        ask=ask,
        rows=rows,
        values=values,
        blocks=blocks(ask, values.get("items")),
        errors=errors,
    )


@router.get("/notices/{notice_id}/asks/{ask_id}/compile", response_class=HTMLResponse)
async def compile_form(request: Request, notice_id: str, ask_id: str, b: BackendDep, actor: Reviewer) -> HTMLResponse:
    notice, ask = await notice_and_ask(b, notice_id, ask_id, actor)
    return await _compile_page(request, b, actor, notice, ask, {"selected": None}, [])


@router.post("/notices/{notice_id}/asks/{ask_id}/compile", response_class=HTMLResponse)
async def compile_report(request: Request, notice_id: str, ask_id: str, b: BackendDep, actor: Reviewer) -> Response:
    notice, ask = await notice_and_ask(b, notice_id, ask_id, actor)
    form = await request.form()
    selected = [v for v in form.getlist("submission_ids") if isinstance(v, str)]
    note = forms.given(form.get("note"))
    uploaded: dict = {}
    values: dict[str, Any] = {"selected": selected, "note": note, "items": sf.items_of(form, ask, uploaded)}
    try:
        limit = request.app.state.settings.max_upload_bytes
        for where, files in sf.files_to_upload(form, ask).items():
            uploaded[where] = [await upload(b, f, actor, limit) for f in files]
        values["items"] = sf.items_of(form, ask, uploaded)
        done = await send(
            request,
            b.submissions.compile_report,
            CompileReport(
                notice_id=notice_id,
                ask_id=ask_id,
                unit_id=actor.unit_id,
                submission_ids=selected,
                items=values["items"],
                note=note.strip(),
                actor=actor,
            ),
        )
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _compile_page(request, b, actor, notice, ask, values, no.problems, status_code=no.status)
    return see_other(f"/submissions/{done.id}")


# ---------------------------------------------------------------- 催办


@router.post("/notices/{notice_id}/chase")
async def chase(request: Request, notice_id: str, b: BackendDep, actor: Issuer) -> Response:
    """The 催办 form is on the notice page: a refusal goes back there, with its message."""
    form = await request.form()
    ask_id = forms.given(form.get("ask_id")) or None
    note = forms.given(form.get("note"))
    try:
        done = await send(
            request,
            b.submissions.chase,
            ChaseSubmissions(notice_id=notice_id, ask_id=ask_id, note=note.strip(), actor=actor),
        )
    except REFUSALS as exc:
        return see_other(f"/notices/{notice_id}?error={quote(refused(request, exc).message)}#completeness")
    return see_other(f"/notices/{notice_id}?chased={done.units}#completeness")
