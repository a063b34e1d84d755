"""The unit scope the gateway checks itself, before reading what a service answers for anyone who asks.

The services scope every command and query by the actor inside it; some read models (a notice's 签收 status,
its delivery log, what is owed) are asked for without an actor, so the gateway first checks that the notice
is visible to the caller and issued by its unit.
"""

from typing import Any

from shared.contracts.common import Actor, NoticeQuery
from shared.errors import Forbidden

from .backend import Backend
from .rendering import plain


def own_unit(actor: Actor, unit_id: str, field: str = "unit_id") -> None:
    """Acting for a unit is only allowed for one's own unit."""
    if actor.unit_id != unit_id:
        raise Forbidden("只能处理本单位的事务", field=field, code="other_unit")


async def visible_notice(b: Backend, notice_id: str, actor: Actor, recipients: int | None = None) -> dict[str, Any]:
    """The notice as the actor's unit sees it, or the notices service's 404; with ``recipients``, only the first
    that many of its recipients (``recipient_count`` says how many)."""
    return plain(await b.notices.get(NoticeQuery(notice_id=notice_id, recipients=recipients, actor=actor)))


async def issued_by_own_unit(b: Backend, notice_id: str, actor: Actor) -> dict[str, Any]:
    """Tracking a notice (who acknowledged, deliveries, what is owed) is for its issuing unit."""
    notice = await visible_notice(b, notice_id, actor, recipients=0)
    if actor.unit_id not in {i["unit_id"] for i in notice["issuers"]}:
        raise Forbidden("只有发文单位可以查看办理情况", field="notice_id", code="not_issuer")
    return notice
