"""What the notifications API and pages share: the filters and pages of a notice's delivery log, the audit
target of a message template, the causes and channels there are."""

from typing import Annotated, get_args

from fastapi import Depends, Query

from shared.contracts.notifications import DeliveriesQuery, Delivery, NotificationCause, NotificationChannel
from shared.errors import Invalid
from shared.paging import Page, PageQuery

from ...core.backend import Backend

DELIVERY_STATUSES = ("pending", "retrying", "sent", "failed", "skipped")
CHANNELS, CAUSES = get_args(NotificationChannel), get_args(NotificationCause)


def template_target(cause: str, channel: str) -> str:
    """What a change of a message template is about, in the audit log."""
    return f"{cause}/{channel}"


def delivery_filters(
    channel: Annotated[str | None, Query(max_length=20, description=f"one of {', '.join(CHANNELS)}")] = None,
    status: Annotated[str | None, Query(max_length=20, description=f"one of {', '.join(DELIVERY_STATUSES)}")] = None,
    cause: Annotated[
        str | None, Query(max_length=40, description="the event that caused it, e.g. notice.issued")
    ] = None,
    unit_id: Annotated[str | None, Query(max_length=100, description="the unit told")] = None,
) -> dict[str, str]:
    """The filters of a delivery log (empty: all); a value that is none of the known ones is a 422 naming it."""
    for field, value, known, what in (
        ("channel", channel, CHANNELS, "渠道"),
        ("status", status, DELIVERY_STATUSES, "状态"),
        ("cause", cause, CAUSES, "事由"),
    ):
        if value and value not in known:
            raise Invalid(f"{what}无效，可选：{'、'.join(known)}", field=field, code="bad_filter")
    return {
        k: v.strip()
        for k, v in (("channel", channel), ("status", status), ("cause", cause), ("unit_id", unit_id))
        if v and v.strip()
    }


DeliveryFilters = Annotated[dict[str, str], Depends(delivery_filters)]


async def deliveries_page(b: Backend, notice_id: str, filters: dict[str, str], page: PageQuery) -> Page[Delivery]:
    return await b.notifications.deliveries(
        DeliveriesQuery.model_validate({"notice_id": notice_id, **filters, "page": page})
    )
