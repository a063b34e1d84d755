"""Pages (zh-CN) for notifications: the node admin's 通知渠道 (channels) and 消息模板 (templates, with a preview);
the issuer's 通知发送记录 of a notice (the delivery log, a page at a time)."""

from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from shared.contracts.common import Actor, Empty, NoticeQuery
from shared.contracts.notifications import (
    NotificationCause,
    NotificationChannel,
    PreviewTemplate,
    ResetTemplate,
    TemplateQuery,
    UpdateChannels,
    UpdateTemplate,
)
from shared.errors import NotFound

from ...core.commands import send
from ...core.deps import Admin, BackendDep, Tracker
from ...core.forms import REFUSALS, Refused, refused
from ...core.paging import PageParams
from ...core.rendering import plain, render, see_other
from ...core.scope import issued_by_own_unit
from .common import CAUSES, CHANNELS, deliveries_page, delivery_filters, template_target

# No prefix: the admin's pages are under /admin, the issuer's delivery log under its notice.
router = APIRouter(include_in_schema=False)

FIELD_LABELS = {
    "subject": "主题",
    "body": "正文",
    "email.sender": "发件地址",
    "email.sender_name": "发件人名称",
    "email.reply_to": "回复地址",
    "sms.signature": "短信签名",
    "chat.webhook_url": "Webhook 地址",
    "chat.provider": "机器人类型",
    "public_url": "本节点网址",
    "escalation.after_hours": "提醒升级间隔（小时）",
}


# ---------------------------------------------------------------- channels


def _checked(value: str) -> bool:
    return value in ("1", "on", "true")


@router.get("/admin/channels", response_class=HTMLResponse)
async def channels(request: Request, b: BackendDep, actor: Admin, saved: str | None = None) -> HTMLResponse:
    current = plain(await b.notifications.channels(Empty(actor=actor)))
    return render(
        request, "admin/channels.html", channels=current, error=None, saved=bool(saved), field_labels=FIELD_LABELS
    )


@router.post("/admin/channels", response_class=HTMLResponse)
async def save_channels(
    request: Request,
    b: BackendDep,
    actor: Admin,
    email_enabled: Annotated[str, Form(max_length=10)] = "",
    email_sender: Annotated[str, Form(max_length=300)] = "",
    email_sender_name: Annotated[str, Form(max_length=300)] = "",
    email_reply_to: Annotated[str, Form(max_length=300)] = "",
    sms_enabled: Annotated[str, Form(max_length=10)] = "",
    sms_signature: Annotated[str, Form(max_length=100)] = "",
    chat_enabled: Annotated[str, Form(max_length=10)] = "",
    chat_webhook_url: Annotated[str, Form(max_length=1000)] = "",
    chat_provider: Annotated[str, Form(max_length=20)] = "auto",
    public_url: Annotated[str, Form(max_length=1000)] = "",
    escalation_after_hours: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    typed: dict[str, Any] = {
        "email": {
            "enabled": _checked(email_enabled),
            "sender": email_sender.strip(),
            "sender_name": email_sender_name.strip(),
            "reply_to": email_reply_to.strip() or None,
        },
        "sms": {"enabled": _checked(sms_enabled), "signature": sms_signature.strip()},
        "chat": {
            "enabled": _checked(chat_enabled),
            "webhook_url": chat_webhook_url.strip() or None,
            "provider": chat_provider.strip() or "auto",
        },
        "public_url": public_url.strip() or None,
        # Empty: the service's setting (the environment); 0: off. A value that is no number is refused naming it.
        "escalation": {"after_hours": escalation_after_hours.strip() or None},
    }
    try:
        await send(request, b.notifications.update_channels, UpdateChannels(**typed, actor=actor), target="channels")
    except REFUSALS as exc:
        no = refused(request, exc)
        current = plain(await b.notifications.channels(Empty(actor=actor)))
        for key in ("email", "sms"):  # what the environment set stays as it is
            typed[key]["server"] = current[key].get("server")
        typed["escalation"] = {**current["escalation"], "after_hours": typed["escalation"]["after_hours"]}
        typed["limits"] = current.get("limits")
        return render(
            request,
            "admin/channels.html",
            no.status,
            channels=typed,
            error=no.error,
            saved=False,
            field_labels=FIELD_LABELS,
        )
    return see_other("/admin/channels?saved=1")


# ---------------------------------------------------------------- templates


@router.get("/admin/templates", response_class=HTMLResponse)
async def templates(request: Request, b: BackendDep, actor: Admin) -> HTMLResponse:
    entries = plain(await b.notifications.templates(TemplateQuery(actor=actor)))["items"]
    current = plain(await b.notifications.channels(Empty(actor=actor)))
    return render(request, "admin/templates.html", entries=entries, channels=current)


def _pair(cause: str, channel: str) -> tuple[NotificationCause, NotificationChannel]:
    """The template's cause and channel, as the path names them; there is no template of any other pair."""
    if cause not in CAUSES or channel not in CHANNELS:
        raise NotFound("没有这种消息模板", field="cause")
    # Checked just above; membership of get_args() does not narrow a str to the Literal.
    return cast(NotificationCause, cause), cast(NotificationChannel, channel)


async def template_page(
    request: Request,
    actor: Actor,
    cause: NotificationCause,
    channel: NotificationChannel,
    status_code: int = 200,
    *,
    typed: dict | None = None,
    refusal: Refused | None = None,
    preview: dict | None = None,
    saved: str | None = None,
) -> HTMLResponse:
    [entry] = plain(
        await request.app.state.backend.notifications.templates(
            TemplateQuery(cause=cause, channel=channel, actor=actor)
        )
    )["items"]
    form = typed or {"subject": entry["subject"], "body": entry["body"]}
    return render(
        request,
        "admin/template.html",
        status_code,
        entry=entry,
        form=form,
        error=refusal.error if refusal else None,
        preview=preview,
        saved=saved,
        field_labels=FIELD_LABELS,
    )


SAVED = {"1": "已保存。", "reset": "已恢复为默认模板。"}


@router.get("/admin/templates/{cause}/{channel}", response_class=HTMLResponse)
async def template(request: Request, cause: str, channel: str, actor: Admin, saved: str | None = None) -> HTMLResponse:
    cause, channel = _pair(cause, channel)
    return await template_page(request, actor, cause, channel, saved=SAVED.get(saved or ""))


@router.post("/admin/templates/{cause}/{channel}", response_class=HTMLResponse)
async def save_template(
    request: Request,
    cause: str,
    channel: str,
    b: BackendDep,
    actor: Admin,
    subject: Annotated[str, Form(max_length=1000)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    cause, channel = _pair(cause, channel)
    typed = {"subject": subject, "body": body}
    try:
        cmd = UpdateTemplate(cause=cause, channel=channel, subject=subject, body=body, actor=actor)
        await send(request, b.notifications.update_template, cmd, target=template_target(cause, channel))
    except REFUSALS as exc:
        no = refused(request, exc)
        return await template_page(request, actor, cause, channel, no.status, typed=typed, refusal=no)
    return see_other(f"/admin/templates/{cause}/{channel}?saved=1")


@router.post("/admin/templates/{cause}/{channel}/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    cause: str,
    channel: str,
    b: BackendDep,
    actor: Admin,
    subject: Annotated[str, Form(max_length=1000)] = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> HTMLResponse:
    cause, channel = _pair(cause, channel)
    typed = {"subject": subject, "body": body}
    try:
        cmd = PreviewTemplate(cause=cause, channel=channel, subject=subject, body=body, actor=actor)
        shown = plain(await b.notifications.preview_template(cmd))
    except REFUSALS as exc:
        no = refused(request, exc)
        return await template_page(request, actor, cause, channel, no.status, typed=typed, refusal=no)
    return await template_page(request, actor, cause, channel, typed=typed, preview=shown)


@router.post("/admin/templates/{cause}/{channel}/reset")
async def reset(request: Request, cause: str, channel: str, b: BackendDep, actor: Admin) -> Response:
    cause, channel = _pair(cause, channel)
    await send(
        request,
        b.notifications.reset_template,
        ResetTemplate(cause=cause, channel=channel, actor=actor),
        target=template_target(cause, channel),
    )
    return see_other(f"/admin/templates/{cause}/{channel}?saved=reset")


# ---------------------------------------------------------------- the delivery log of a notice (its issuer's)


@router.get("/notices/{notice_id}/deliveries", response_class=HTMLResponse)
async def deliveries(
    request: Request,
    notice_id: str,
    b: BackendDep,
    actor: Tracker,
    page: PageParams,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cause: Annotated[str | None, Query(max_length=40)] = None,
    unit_id: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    notice = await issued_by_own_unit(b, notice_id, actor)
    filters = delivery_filters(channel, status, cause, unit_id)
    found = plain(await deliveries_page(b, notice_id, filters, page))
    # The counts (a few small documents) say which causes and channels this notice has: the filters offer those.
    summary = plain(await b.notifications.deliveries_summary(NoticeQuery(notice_id=notice_id)))
    return render(
        request,
        "deliveries.html",
        notice=notice,
        rows=found["items"],
        page=found,
        summary=summary,
        filters={k: filters.get(k, "") for k in ("channel", "status", "cause", "unit_id")},
        causes={r["cause"]: r["cause_label"] for r in summary["rows"]},
        channels={r["channel"]: r["channel_label"] for r in summary["rows"]},
    )
