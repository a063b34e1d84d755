"""The notice pages (zh-CN): 发文, 收文, compose and 转发 with the ask editor, detail with its chain, 更正/撤回.

Plain HTML forms with a CSRF token; each POST answers with a redirect
(post/redirect/get) or, when refused, the same form again with the errors
and what was typed (core/forms.py ``refused``). The notices service decides
what a unit may see and do; the roles are checked here.
"""

import asyncio
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shared.clock import local_text, local_year
from shared.contracts.common import Actor, Empty, NoticeQuery, UnitNoticesQuery
from shared.contracts.notices import (
    AcknowledgeNotice,
    CorrectNotice,
    DraftsQuery,
    ForwardDraft,
    ForwardNotice,
    IssueNotice,
    NoticeDraft,
    TrackingQuery,
    WithdrawNotice,
)
from shared.errors import Forbidden, NotFound, Unavailable
from shared.paging import PageQuery

from ...core import forms
from ...core.backend import Backend
from ...core.commands import send
from ...core.deps import BackendDep, CurrentActor, Issuer, Submitter, has
from ...core.document_form import elements_of
from ...core.files import upload
from ...core.forms import REFUSALS, refused
from ...core.paging import PageParams, YearFilter
from ...core.rendering import UNIT_KINDS, plain, render, see_other
from ...core.scope import visible_notice
from . import drafting
from .forms import (
    BLANK_ASK,
    asks_of,
    commendation_draft,
    inherited_of,
    notice_form,
    routes_of,
    uploaded_of,
    upward_of,
)
from .panel import commendations, notice_panel

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- 发文 / 收文


def recent_years(request: Request) -> list[int]:
    """The years a list can be narrowed to: this one (in the node's zone) and the four before."""
    this = local_year(request.app.state.clock.now(), request.app.state.settings.timezone)
    return list(range(this, this - 5, -1))


@router.get("/", response_class=HTMLResponse)
async def outbox(
    request: Request, b: BackendDep, actor: CurrentActor, page: PageParams, year: YearFilter
) -> HTMLResponse:
    found = plain(await b.notices.sent(UnitNoticesQuery(year=year, page=page, actor=actor)))
    to_sign = None
    if has(actor, "signer"):  # 待签发: what waits for the unit's 签发人, on their home page
        waiting = DraftsQuery(box="pending", page=PageQuery(per_page=10), actor=actor)
        to_sign = plain(await b.notices.drafts(waiting))
    return render(
        request,
        "outbox.html",
        to_sign=to_sign,
        notices=found["items"],
        page=found,
        year=year,
        years=recent_years(request),
        can_issue=has(actor, "issuer"),
    )


@router.get("/inbox", response_class=HTMLResponse)
async def inbox(
    request: Request, b: BackendDep, actor: CurrentActor, page: PageParams, year: YearFilter
) -> HTMLResponse:
    found = plain(await b.notices.inbox(UnitNoticesQuery(year=year, page=page, actor=actor)))
    return render(
        request,
        "inbox.html",
        entries=found["items"],
        page=found,
        year=year,
        years=recent_years(request),
        can_sign=has(actor, "submitter"),
        can_forward=has(actor, "issuer"),
    )


@router.post("/inbox/{notice_id}/acknowledge")
async def acknowledge(request: Request, notice_id: str, b: BackendDep, actor: Submitter) -> Response:
    await send(
        request, b.notices.acknowledge, AcknowledgeNotice(notice_id=notice_id, unit_id=actor.unit_id, actor=actor)
    )
    back = (await request.form()).get("next")
    return see_other(back if back in ("/inbox", f"/notices/{notice_id}") else "/inbox")


# ---------------------------------------------------------------- compose (发文)


async def _directory(b: Backend, actor: Actor) -> list[dict]:
    return plain(await b.notices.all_units(Empty(actor=actor)))["items"]


async def _editor_page(
    request: Request,
    b: Backend,
    actor: Actor,
    values: dict,
    errors: list[dict],
    *,
    upstream: dict | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The notice editor: 拟稿 (``upstream`` None) or 转发 of ``upstream``."""
    units = await _directory(b, actor)
    return render(
        request,
        "compose.html",
        status_code=status_code,
        mode="forward" if upstream else "issue",
        actor=actor,
        units=units,
        me_unit=next((u for u in units if u["id"] == actor.unit_id), None),
        values=values,
        errors=errors,
        presets=plain(await b.notices.form_templates(Empty(actor=actor)))["items"],
        upstream=upstream,
    )


@router.get("/notices/new", response_class=HTMLResponse)
async def compose_form(
    request: Request, b: BackendDep, actor: Issuer, commend: str | None = None, draft: str | None = None
) -> HTMLResponse:
    """The compose form; ``commend``: a notice of this unit whose 评选结果 the draft announces (通报表扬)."""
    values = {"asks": [BLANK_ASK], "contacts": [{}, {}], "recipients": [], "co_issuers": [], "uploaded": []}
    if commend:
        notice = await visible_notice(b, commend[:40], actor)
        if not (notice.get("viewer") or {}).get("is_issuer"):
            raise NotFound("本单位没有发出该通知", field="commend")
        expected = plain(await b.submissions.expected(NoticeQuery(notice_id=notice["id"])))["items"]
        values |= commendation_draft(notice, commendations(expected))
    if draft:  # a draft of the unit's, to edit again
        values = await drafting.editor_values(b, actor, draft[:40], request.app.state.settings.timezone)
    return await _editor_page(request, b, actor, values, [])


async def _attachments(request: Request, b: Backend, form, actor: Actor) -> list[dict]:
    """Files chosen in this try, uploaded now; plus those uploaded by an earlier try of the form."""
    files = [f for f in form.getlist("files") if getattr(f, "filename", None)]
    out = uploaded_of([v for v in form.getlist("uploaded") if isinstance(v, str)])
    for f in files:
        out.append(plain(await upload(b, f, actor, request.app.state.settings.max_upload_bytes)))
    return out


@router.post("/notices/new", response_class=HTMLResponse)
async def compose(request: Request, b: BackendDep, actor: Issuer) -> Response:
    form = await request.form()
    data = notice_form(form)
    tz = request.app.state.settings.timezone
    values = {
        **data,
        "asks": data.get("asks") or [BLANK_ASK],
        "contacts": data.get("contacts") or [{}],
        "recipients": data.get("recipients") or [],
        "co_issuers": data.get("co_issuers") or [],
        "uploaded": [],
    }
    try:
        values["uploaded"] = await _attachments(request, b, form, actor)
        cmd = (NoticeDraft if drafting.saving(form) else IssueNotice).model_validate(
            {
                "title": forms.text(data.get("title")),
                "issuer_unit_ids": [actor.unit_id, *[u for u in data.get("co_issuers") or [] if u != actor.unit_id]],
                "recipient_unit_ids": data.get("recipients") or [],
                "body": forms.text(data.get("body")),
                "doc_number": forms.text(data.get("doc_number")) or None,
                "asks": asks_of(data.get("asks"), tz),
                **elements_of(data),
                "contacts": forms.contacts_of(data.get("contacts")),
                "attachments": values["uploaded"],
                "actor": actor,
            }
        )
        created = await drafting.issue_or_draft(request, b, form, notice=cmd)
        if isinstance(created, str):  # kept as a draft (保存草稿, 送签发, or 签发 due first): its page
            return see_other(created)
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _editor_page(request, b, actor, values, no.problems, status_code=no.status)
    return see_other(f"/notices/{created.notice_id}")


# ---------------------------------------------------------------- 转发


def _forward_defaults(upstream: dict, units: list[dict], actor: Actor, tz: str) -> dict:
    """A 转发 starts from the upstream asks (same deadlines, to be moved earlier), the forwarder as the
    destination of every kind the upstream routed, and the forwarder's own subordinates as recipients."""
    me = next((u for u in units if u["id"] == actor.unit_id), {})
    department = (me.get("departments") or [""])[0]
    kinds = [k for k in UNIT_KINDS if any(r["unit_kind"] == k for a in upstream["asks"] for r in a["routes"])]
    return {
        "title": "",
        "inherit": [
            {"ask_id": a["ask_id"], "deadline": _local_date(a["deadline"], tz), "unit_kinds": a["unit_kinds"]}
            for a in upstream["asks"]
        ],
        "routes": [{"unit_kind": k, "to_unit_id": actor.unit_id, "department": department} for k in kinds] or [{}],
        "recipients": [u["id"] for u in units if u.get("parent_id") == actor.unit_id],
        "co_issuers": [],
        "extra": [BLANK_ASK],
        "contacts": [c for c in me.get("contacts", [])] or [{}],
        "uploaded": [],
    }


@router.get("/notices/{notice_id}/forward", response_class=HTMLResponse)
async def forward_form(
    request: Request, notice_id: str, b: BackendDep, actor: Issuer, draft: str | None = None
) -> HTMLResponse:
    upstream = await visible_notice(b, notice_id, actor)
    units = await _directory(b, actor)
    defaults = _forward_defaults(upstream, units, actor, request.app.state.settings.timezone)
    if draft:  # a draft 转发 of the unit's, to edit again
        defaults = await drafting.editor_values(b, actor, draft[:40], request.app.state.settings.timezone, upstream)
    return await _editor_page(request, b, actor, defaults, [], upstream=upstream)


@router.post("/notices/{notice_id}/forward", response_class=HTMLResponse)
async def forward(request: Request, notice_id: str, b: BackendDep, actor: Issuer) -> Response:
    upstream = await visible_notice(b, notice_id, actor)
    form = await request.form()
    data = notice_form(form)
    tz = request.app.state.settings.timezone
    inherit = data.get("inherit") or []
    values = {
        **data,
        "inherit": inherit,
        "routes": data.get("routes") or [{}],
        "extra": data.get("extra") or [BLANK_ASK],
        "contacts": data.get("contacts") or [{}],
        "recipients": data.get("recipients") or [],
        "co_issuers": data.get("co_issuers") or [],
        "uploaded": [],
    }
    try:
        values["uploaded"] = await _attachments(request, b, form, actor)
        deadlines, unit_kinds = inherited_of(inherit, tz)
        cmd = (ForwardDraft if drafting.saving(form) else ForwardNotice).model_validate(
            {
                "notice_id": notice_id,
                "unit_id": actor.unit_id,
                "co_issuer_unit_ids": [u for u in data.get("co_issuers") or [] if u != actor.unit_id],
                "title": forms.text(data.get("title")) or None,
                "cover_note": forms.text(data.get("cover_note")),
                "recipient_unit_ids": data.get("recipients") or [],
                "doc_number": forms.text(data.get("doc_number")) or None,
                "deadlines": deadlines,
                "unit_kinds": unit_kinds,
                "routes": routes_of(data.get("routes")),
                "extra_asks": asks_of(data.get("extra"), tz, prefix="extra"),
                **elements_of(data),
                "contacts": forms.contacts_of(data.get("contacts")),
                "attachments": values["uploaded"],
                "upward": upward_of(inherit),
                "actor": actor,
            }
        )
        created = await drafting.issue_or_draft(request, b, form, forward=cmd)
        if isinstance(created, str):
            return see_other(created)
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _editor_page(request, b, actor, values, no.problems, upstream=upstream, status_code=no.status)
    return see_other(f"/notices/{created.notice_id}")


# ---------------------------------------------------------------- detail


# How many recipients the notice page names (收文单位：…等 N 个单位); the 签收 table lists them all, a page at a time.
RECIPIENTS_NAMED = 30


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_page(
    request: Request, notice_id: str, b: BackendDep, actor: CurrentActor, page: PageParams
) -> HTMLResponse:
    notice = await visible_notice(b, notice_id, actor, recipients=RECIPIENTS_NAMED)
    viewer = notice.get("viewer") or {}

    async def tracked() -> dict | None:
        try:
            return plain(await b.notices.tracking(TrackingQuery(notice_id=notice_id, page=page, actor=actor)))
        except Forbidden:
            return None

    async def sent() -> dict | None:
        try:
            return plain(await b.notifications.deliveries_summary(NoticeQuery(notice_id=notice_id)))
        except Unavailable:  # the page still shows the notice; only this panel waits for the service
            return {"unavailable": True}

    async def nothing() -> None:
        return None

    # The issuer's panels come from three services: asked at once.
    issuer = viewer.get("is_issuer") and (has(actor, "issuer") or has(actor, "reviewer"))
    tracking, sending, panel = await asyncio.gather(
        tracked() if issuer else nothing(),
        sent() if issuer else nothing(),
        notice_panel(b, notice, actor, viewer, page),
    )
    names = request.app.state.unit_names
    # Route targets by name: as the notice carries them (a unit of another level), else from the directory.
    carried = {u["unit_id"]: u["name"] for u in [*notice.get("route_units", []), *notice["issuers"]]}
    route_names = {
        r["to_unit_id"]: carried.get(r["to_unit_id"]) or await names.name(r["to_unit_id"])
        for a in notice["asks"]
        for r in a["routes"]
    }
    return render(
        request,
        "notice.html",
        notice=notice,
        viewer=viewer,
        tracking=tracking,
        sending=sending,
        route_names=route_names,
        can_sign=has(actor, "submitter"),
        can_issue=has(actor, "issuer"),
        error=request.query_params.get("error"),
        chased=request.query_params.get("chased"),
        **panel,
    )


# ---------------------------------------------------------------- 更正 / 撤回


def _correct_page(
    request: Request, notice: dict, values: dict, errors: list[dict], status_code: int = 200
) -> HTMLResponse:
    return render(request, "correct.html", status_code=status_code, notice=notice, values=values, errors=errors)


@router.get("/notices/{notice_id}/correct", response_class=HTMLResponse)
async def correct_form(request: Request, notice_id: str, b: BackendDep, actor: Issuer) -> HTMLResponse:
    notice = await visible_notice(b, notice_id, actor)
    tz = request.app.state.settings.timezone
    values = {
        "title": notice["title"],
        "body": notice["body"],
        "cover_note": notice["cover_note"],
        "reason": "",
        "asks": [{"deadline": _local_date(a["deadline"], tz)} for a in notice["asks"]],
    }
    return _correct_page(request, notice, values, [])


def _local_date(iso: str, tz: str) -> str:
    return local_text(datetime.fromisoformat(iso), tz, "%Y-%m-%d")


@router.post("/notices/{notice_id}/correct", response_class=HTMLResponse)
async def correct(request: Request, notice_id: str, b: BackendDep, actor: Issuer) -> Response:
    notice = await visible_notice(b, notice_id, actor)
    data = notice_form(await request.form())
    tz = request.app.state.settings.timezone
    rows = data.get("asks") or []
    asks = []
    for n, ask in enumerate(notice["asks"]):
        given = forms.text(rows[n].get("deadline")) if n < len(rows) else ""
        same_day = given == _local_date(ask["deadline"], tz)
        asks.append({**ask, "deadline": ask["deadline"] if not given or same_day else forms.deadline(given, tz)})
    try:
        cmd = CorrectNotice.model_validate(
            {
                "notice_id": notice_id,
                "reason": forms.text(data.get("reason")),
                "title": forms.text(data.get("title")) or None,
                "body": data.get("body") if notice["kind"] == "issued" else None,
                "cover_note": data.get("cover_note") if notice["kind"] == "forwarded" else None,
                "asks": asks,
                "actor": actor,
            }
        )
        await send(request, b.notices.correct, cmd)
    except REFUSALS as exc:
        no = refused(request, exc)
        return _correct_page(request, notice, {**data, "asks": rows}, no.problems, no.status)
    return see_other(f"/notices/{notice_id}")


@router.post("/notices/{notice_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, notice_id: str, b: BackendDep, actor: Issuer) -> Response:
    """The 撤回 form is on the notice page: a refusal goes back there, with its message."""
    reason = forms.text((await request.form()).get("reason"))
    try:
        await send(request, b.notices.withdraw, WithdrawNotice(notice_id=notice_id, reason=reason, actor=actor))
    except REFUSALS as exc:
        return see_other(f"/notices/{notice_id}?error=" + quote(refused(request, exc).message))
    return see_other(f"/notices/{notice_id}")
