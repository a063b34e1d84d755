"""JSON API of the node admin for notifications: channels and message templates. The admin pages do the same.

Changes go to the notifications service as commands through ``commands.send``
(so each is in the audit log); reads and the preview are queries.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from shared.contracts.common import Actor, Empty
from shared.contracts.notifications import (
    Channels,
    NotificationCause,
    NotificationChannel,
    Preview,
    PreviewTemplate,
    ResetTemplate,
    Template,
    TemplateQuery,
    UpdateChannels,
    UpdateTemplate,
)
from shared.schemas import Role

from .commands import send
from .auth import require
from .notices_api import as_command, body_of

router = APIRouter(prefix="/api/admin", tags=["admin"])

Admin = Annotated[Actor, Depends(require(Role.admin))]
ChannelsBody = body_of(UpdateChannels)
TemplateBody = body_of(UpdateTemplate, "cause", "channel")
PreviewBody = body_of(PreviewTemplate, "cause", "channel")


def template_target(cause: str, channel: str) -> str:
    return f"{cause}/{channel}"


@router.get("/channels", summary="The node's notification channels: which are enabled, and their parameters")
async def get_channels(request: Request, actor: Admin) -> Channels:
    return await request.app.state.backend.notifications.channels(Empty(actor=actor))


@router.put("/channels", summary="Enable or disable channels (email, sms, chat) and set their non-secret parameters")
async def put_channels(body: ChannelsBody, request: Request, actor: Admin) -> Channels:  # type: ignore[valid-type]
    return await send(request, request.app.state.backend.notifications.update_channels,
                      as_command(UpdateChannels, body, actor), target="channels")


@router.get("/templates", summary="Message templates per cause and channel, with the variables each may use")
async def list_templates(
    request: Request, actor: Admin,
    cause: Annotated[NotificationCause | None, Query()] = None,
    channel: Annotated[NotificationChannel | None, Query()] = None,
) -> list[Template]:
    return (await request.app.state.backend.notifications.templates(
        TemplateQuery(cause=cause, channel=channel, actor=actor))).items


@router.get("/templates/{cause}/{channel}", summary="One message template")
async def get_template(cause: NotificationCause, channel: NotificationChannel, request: Request,
                       actor: Admin) -> Template:
    [entry] = (await request.app.state.backend.notifications.templates(
        TemplateQuery(cause=cause, channel=channel, actor=actor))).items
    return entry


@router.put("/templates/{cause}/{channel}",
            summary="Change a template (Jinja2 in a sandbox; a bad one is refused with 422 naming the field)")
async def put_template(cause: NotificationCause, channel: NotificationChannel, body: TemplateBody,  # type: ignore[valid-type]
                       request: Request, actor: Admin) -> Template:
    cmd = as_command(UpdateTemplate, body, actor, cause=cause, channel=channel)
    return await send(request, request.app.state.backend.notifications.update_template, cmd,
                      target=template_target(cause, channel))


@router.delete("/templates/{cause}/{channel}", summary="Go back to the built-in template")
async def reset_template(cause: NotificationCause, channel: NotificationChannel, request: Request,
                         actor: Admin) -> Template:
    cmd = ResetTemplate(cause=cause, channel=channel, actor=actor)
    return await send(request, request.app.state.backend.notifications.reset_template, cmd,
                      target=template_target(cause, channel))


@router.post("/templates/{cause}/{channel}/preview",
             summary="Render a template (the one given, else the current one) with sample values; nothing is stored")
async def preview_template(cause: NotificationCause, channel: NotificationChannel, body: PreviewBody,  # type: ignore[valid-type]
                           request: Request, actor: Admin) -> Preview:
    cmd = as_command(PreviewTemplate, body, actor, cause=cause, channel=channel)
    return await request.app.state.backend.notifications.preview_template(cmd)
