"""Sending a command: call the service through its typed client and, once it took effect, record it in the audit
log. Every route that changes state sends through here; queries call the clients directly."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from .audit import client_ip

log = logging.getLogger("cascade.gateway.commands")

# Fields of a command copied into its entry: what it was about, not its whole text.
SUMMARY_FIELDS = (
    "notice_id",
    "draft_id",
    "unit_id",
    "ask_id",
    "submission_id",
    "report_id",
    "doc_number",
    "title",
    "reason",
    "format",
    "cause",
    "channel",
)
# From what it answered, when the command did not say: a draft's 送签发, 签发 and 退回 name only the draft, and its
# view names the notice (title, and notice_id and 文号 once issued).
RESULT_FIELDS = ("notice_id", "doc_number", "title", "submission_id", "report_id", "recipients")


def _summary(command: Any, result: Any) -> dict:
    fields = command.model_dump(mode="json") if hasattr(command, "model_dump") else dict(command or {})
    out = {k: fields[k] for k in SUMMARY_FIELDS if isinstance(fields.get(k), str | int) and fields.get(k) != ""}
    if isinstance(result, dict):
        for k in RESULT_FIELDS:
            if isinstance(result.get(k), str | int):
                out.setdefault(k, result[k])
    return out


async def send[Req: BaseModel, Rep](
    request: Request,
    action: Callable[[Req], Awaitable[Rep]],
    cmd: Req,
    *,
    target: str | None = None,
    via: str | None = None,
) -> Rep:
    """``action`` is a client's bound action (``backend.notices.issue``); a refused command raises before anything
    is recorded. ``via``: how the actor came without a login (``link``: a personal link in a message)."""
    result = await action(cmd)
    # Contract.bind() gives a bound action its service's name, which a Callable type cannot declare.
    await record(request, f"{action.service}.{action.__name__}", cmd, result, target=target, via=via)  # type: ignore[attr-defined]
    return result


async def record(
    request: Request, name: str, cmd: Any, result: Any, *, target: str | None = None, via: str | None = None
) -> None:
    """The audit entry of a command that took effect: who, what, on what, through what."""
    details = _summary(cmd, result.model_dump(mode="json") if isinstance(result, BaseModel) else result)
    identity = getattr(request.state, "identity", None)
    actor = getattr(cmd, "actor", None) or (identity.actor if identity else None)
    try:
        await request.app.state.audit.append(
            name,
            by=actor,
            target=target or details.get("notice_id") or details.get("unit_id"),
            via=via or (identity.via if identity else None),
            ip=client_ip(request),
            details=details,
        )
    except Exception:  # the command took effect; losing its entry must not turn success into an error
        log.exception("could not record %s by %s in the audit log", name, actor)
