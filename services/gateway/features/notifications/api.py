"""JSON API for notifications: the node admin's channels and message templates (the admin pages do the same),
and the issuer's delivery log of a notice.

Changes go to the notifications service as commands through ``commands.send``
(so each is in the audit log); reads and the preview are queries.
"""

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request

from shared.contracts.common import Empty, NoticeQuery
from shared.contracts.notifications import (
    Channels,
    Delivery,
    NotificationCause,
    NotificationChannel,
    Preview,
    PreviewTemplate,
    ResetTemplate,
    SendingSummary,
    Template,
    TemplateQuery,
    UpdateChannels,
    UpdateTemplate,
)
from shared.paging import Page

from ...core.bodies import as_command, body_of
from ...core.commands import send
from ...core.deps import Admin, BackendDep, Tracker
from ...core.paging import PageParams
from ...core.scope import issued_by_own_unit
from .common import DeliveryFilters, deliveries_page, template_target

router = APIRouter(prefix="/api/admin", tags=["admin"])
deliveries = APIRouter(prefix="/api", tags=["notifications"])

if TYPE_CHECKING:  # to the type checker a body is its command (core/bodies.py)
    ChannelsBody = UpdateChannels
    TemplateBody = UpdateTemplate
    PreviewBody = PreviewTemplate
else:
    ChannelsBody = body_of(UpdateChannels)
    TemplateBody = body_of(UpdateTemplate, "cause", "channel")
    PreviewBody = body_of(PreviewTemplate, "cause", "channel")


# ---------------------------------------------------------------- channels and templates (the node admin's)


@router.get("/channels", summary="The node's notification channels: which are enabled, and their parameters")
async def get_channels(b: BackendDep, actor: Admin) -> Channels:
    return await b.notifications.channels(Empty(actor=actor))


@router.put("/channels", summary="Enable or disable channels (email, sms, chat) and set their non-secret parameters")
async def put_channels(body: ChannelsBody, request: Request, b: BackendDep, actor: Admin) -> Channels:
    return await send(
        request, b.notifications.update_channels, as_command(UpdateChannels, body, actor), target="channels"
    )


@router.get("/templates", summary="Message templates per cause and channel, with the variables each may use")
async def list_templates(
    b: BackendDep,
    actor: Admin,
    cause: Annotated[NotificationCause | None, Query()] = None,
    channel: Annotated[NotificationChannel | None, Query()] = None,
) -> list[Template]:
    return (await b.notifications.templates(TemplateQuery(cause=cause, channel=channel, actor=actor))).items


@router.get("/templates/{cause}/{channel}", summary="One message template")
async def get_template(cause: NotificationCause, channel: NotificationChannel, b: BackendDep, actor: Admin) -> Template:
    [entry] = (await b.notifications.templates(TemplateQuery(cause=cause, channel=channel, actor=actor))).items
    return entry


@router.put(
    "/templates/{cause}/{channel}",
    summary="Change a template (Jinja2 in a sandbox; a bad one is refused with 422 naming the field)",
)
async def put_template(
    cause: NotificationCause,
    channel: NotificationChannel,
    body: TemplateBody,
    request: Request,
    b: BackendDep,
    actor: Admin,
) -> Template:
    cmd = as_command(UpdateTemplate, body, actor, cause=cause, channel=channel)
    return await send(request, b.notifications.update_template, cmd, target=template_target(cause, channel))


@router.delete("/templates/{cause}/{channel}", summary="Go back to the built-in template")
async def reset_template(
    cause: NotificationCause, channel: NotificationChannel, request: Request, b: BackendDep, actor: Admin
) -> Template:
    cmd = ResetTemplate(cause=cause, channel=channel, actor=actor)
    return await send(request, b.notifications.reset_template, cmd, target=template_target(cause, channel))


@router.post(
    "/templates/{cause}/{channel}/preview",
    summary="Render a template (the one given, else the current one) with sample values; nothing is stored",
)
async def preview_template(
    cause: NotificationCause,
    channel: NotificationChannel,
    body: PreviewBody,
    b: BackendDep,
    actor: Admin,
) -> Preview:
    cmd = as_command(PreviewTemplate, body, actor, cause=cause, channel=channel)
    return await b.notifications.preview_template(cmd)


# ---------------------------------------------------------------- the delivery log of a notice (its issuer's)


@deliveries.get(
    "/notices/{notice_id}/deliveries",
    summary="A page of the delivery log of a notice (`page`, `per_page`), filtered by channel, status, "
    "cause and unit; `total` counts the filtered log",
)
async def notice_deliveries(
    notice_id: str, b: BackendDep, actor: Tracker, page: PageParams, filters: DeliveryFilters
) -> Page[Delivery]:
    await issued_by_own_unit(b, notice_id, actor)
    return await deliveries_page(b, notice_id, filters, page)


@deliveries.get(
    "/notices/{notice_id}/deliveries/summary",
    summary="How sending went: counts per cause, channel and status; the messages that did not go",
)
async def notice_deliveries_summary(notice_id: str, b: BackendDep, actor: Tracker) -> SendingSummary:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.notifications.deliveries_summary(NoticeQuery(notice_id=notice_id))
