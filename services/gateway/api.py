"""The JSON API: who am I, and the read models that follow a notice (status, deliveries, what is owed).

Notices and the directory are in notices_api.py. Every route needs a login
(app.py); the role is checked here, the unit scope by the services, which get
the actor in every command and query.
"""

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Query, Request

from shared.contracts.common import Actor, NoticeQuery
from shared.contracts.notifications import (
    DeliveriesQuery,
    Delivery,
    NotificationCause,
    NotificationChannel,
    SendingSummary,
)
from shared.contracts.reports import NoticeStatus
from shared.contracts.submissions import SubmissionView
from shared.errors import Forbidden, Invalid
from shared.paging import Page, PageQuery
from shared.schemas import Role

from .auth import Identity, login_required, require
from .backend import Backend
from .paging import PageParams
from .web import plain

router = APIRouter(prefix="/api", tags=["api"])


def backend(request: Request) -> Backend:
    return request.app.state.backend


BackendDep = Annotated[Backend, Depends(backend)]
Tracker = Annotated[Actor, Depends(require(Role.issuer, Role.reviewer))]


@router.get("/me", summary="Who the credentials belong to: user or token, unit, roles")
async def me(identity: Annotated[Identity, Depends(login_required)]) -> dict[str, Any]:
    return {**identity.actor.model_dump(mode="json"), "via": identity.via}


async def visible_notice(b: Backend, notice_id: str, actor: Actor) -> dict[str, Any]:
    return plain(await b.notices.get(NoticeQuery(notice_id=notice_id, actor=actor)))


async def issued_by_own_unit(b: Backend, notice_id: str, actor: Actor) -> dict[str, Any]:
    """Tracking a notice (who acknowledged, deliveries, what is owed) is for its issuing unit."""
    notice = await visible_notice(b, notice_id, actor)
    if actor.unit_id not in {i["unit_id"] for i in notice["issuers"]}:
        raise Forbidden("只有发文单位可以查看办理情况", field="notice_id", code="not_issuer")
    return notice


@router.get("/notices/{notice_id}/status", summary="Who has and has not acknowledged (read model)")
async def notice_status(notice_id: str, b: BackendDep, actor: Tracker) -> NoticeStatus:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.reports.notice_status(NoticeQuery(notice_id=notice_id))


DELIVERY_STATUSES = ("pending", "retrying", "sent", "failed", "skipped")
CHANNELS, CAUSES = get_args(NotificationChannel), get_args(NotificationCause)


def delivery_filters(
    channel: Annotated[str | None, Query(max_length=20, description=f"one of {', '.join(CHANNELS)}")] = None,
    status: Annotated[str | None, Query(max_length=20, description=f"one of {', '.join(DELIVERY_STATUSES)}")] = None,
    cause: Annotated[str | None, Query(max_length=40, description="the event that caused it, e.g. notice.issued")] = None,
    unit_id: Annotated[str | None, Query(max_length=100, description="the unit told")] = None,
) -> dict[str, str]:
    """The filters of a delivery log (empty: all); a value that is none of the known ones is a 422 naming it."""
    for field, value, known, what in (("channel", channel, CHANNELS, "渠道"), ("status", status, DELIVERY_STATUSES, "状态"),
                                      ("cause", cause, CAUSES, "事由")):
        if value and value not in known:
            raise Invalid(f"{what}无效，可选：{'、'.join(known)}", field=field, code="bad_filter")
    return {k: v.strip() for k, v in (("channel", channel), ("status", status), ("cause", cause),
                                      ("unit_id", unit_id)) if v and v.strip()}


DeliveryFilters = Annotated[dict[str, str], Depends(delivery_filters)]


async def deliveries_page(b: Backend, notice_id: str, filters: dict[str, str], page: PageQuery) -> Page[Delivery]:
    return await b.notifications.deliveries(DeliveriesQuery.model_validate({"notice_id": notice_id, **filters,
                                                                            "page": page}))


@router.get("/notices/{notice_id}/deliveries",
            summary="A page of the delivery log of a notice (`page`, `per_page`), filtered by channel, status, "
                    "cause and unit; `total` counts the filtered log")
async def notice_deliveries(notice_id: str, b: BackendDep, actor: Tracker, page: PageParams,
                            filters: DeliveryFilters) -> Page[Delivery]:
    await issued_by_own_unit(b, notice_id, actor)
    return await deliveries_page(b, notice_id, filters, page)


@router.get("/notices/{notice_id}/deliveries/summary",
            summary="How sending went: counts per cause, channel and status; the messages that did not go")
async def notice_deliveries_summary(notice_id: str, b: BackendDep, actor: Tracker) -> SendingSummary:
    await issued_by_own_unit(b, notice_id, actor)
    return await b.notifications.deliveries_summary(NoticeQuery(notice_id=notice_id))


@router.get("/notices/{notice_id}/expected", summary="Submissions owed for a notice")
async def notice_expected(notice_id: str, b: BackendDep, actor: Tracker) -> list[SubmissionView]:
    await issued_by_own_unit(b, notice_id, actor)
    return (await b.submissions.expected(NoticeQuery(notice_id=notice_id))).items
