"""JSON API of the node admin for notifications: channels and message templates. The admin pages do the same.

Changes go to the notifications service as commands through ``audit.command``
(so each is in the audit log); reads and the preview are queries.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from shared.contracts.common import Actor
from shared.commands import (
    NotificationCause,
    NotificationChannel,
    PreviewTemplate,
    ResetTemplate,
    TemplateQuery,
    UpdateChannels,
    UpdateTemplate,
)
from shared.schemas import Role

from .audit import command
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
async def get_channels(request: Request, actor: Admin) -> dict[str, Any]:
    return await request.app.state.backend.call("notifications", "channels.get")


@router.put("/channels", summary="Enable or disable channels (email, sms, chat) and set their non-secret parameters")
async def put_channels(body: ChannelsBody, request: Request, actor: Admin) -> dict[str, Any]:  # type: ignore[valid-type]
    return await command(request, "notifications", "channels.update", as_command(UpdateChannels, body, actor),
                         target="channels")


@router.get("/templates", summary="Message templates per cause and channel, with the variables each may use")
async def list_templates(
    request: Request, actor: Admin,
    cause: Annotated[NotificationCause | None, Query()] = None,
    channel: Annotated[NotificationChannel | None, Query()] = None,
) -> list[dict[str, Any]]:
    return await request.app.state.backend.call("notifications", "templates.list",
                                                TemplateQuery(cause=cause, channel=channel, actor=actor))


@router.get("/templates/{cause}/{channel}", summary="One message template")
async def get_template(cause: NotificationCause, channel: NotificationChannel, request: Request,
                       actor: Admin) -> dict[str, Any]:
    [entry] = await request.app.state.backend.call("notifications", "templates.list",
                                                   TemplateQuery(cause=cause, channel=channel, actor=actor))
    return entry


@router.put("/templates/{cause}/{channel}",
            summary="Change a template (Jinja2 in a sandbox; a bad one is refused with 422 naming the field)")
async def put_template(cause: NotificationCause, channel: NotificationChannel, body: TemplateBody,  # type: ignore[valid-type]
                       request: Request, actor: Admin) -> dict[str, Any]:
    cmd = as_command(UpdateTemplate, body, actor, cause=cause, channel=channel)
    return await command(request, "notifications", "templates.update", cmd, target=template_target(cause, channel))


@router.delete("/templates/{cause}/{channel}", summary="Go back to the built-in template")
async def reset_template(cause: NotificationCause, channel: NotificationChannel, request: Request,
                         actor: Admin) -> dict[str, Any]:
    cmd = ResetTemplate(cause=cause, channel=channel, actor=actor)
    return await command(request, "notifications", "templates.reset", cmd, target=template_target(cause, channel))


@router.post("/templates/{cause}/{channel}/preview",
             summary="Render a template (the one given, else the current one) with sample values; nothing is stored")
async def preview_template(cause: NotificationCause, channel: NotificationChannel, body: PreviewBody,  # type: ignore[valid-type]
                           request: Request, actor: Admin) -> dict[str, Any]:
    cmd = as_command(PreviewTemplate, body, actor, cause=cause, channel=channel)
    return await request.app.state.backend.call("notifications", "templates.preview", cmd)
