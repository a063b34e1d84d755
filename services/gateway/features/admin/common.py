"""What the node admin's API and pages share: the unit a user or token belongs to, the text of a search, the
filters and the export of the audit log."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from shared.contracts.common import Actor
from shared.contracts.notices import UnitQuery
from shared.errors import Invalid, NotFound
from shared.ids import is_slug

from ...core.audit import client_ip
from ...core.rendering import plain

ACTION_CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)*$")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


class AuditFilters(BaseModel):
    """What the audit log page and API filter on; dates are days in the node's time zone."""

    user_id: str | None = Field(default=None, max_length=100)
    action: str | None = Field(default=None, max_length=100, description="an action code, or a prefix: `notices`")
    unit_id: str | None = Field(default=None, max_length=100)
    since: date | None = Field(default=None, description="from this day on")
    until: date | None = Field(default=None, description="up to and including this day")

    def query(self, timezone: str) -> dict[str, Any]:
        if self.action and not ACTION_CODE.match(self.action.strip()):
            raise Invalid("操作代码无效（如 notices.issue 或 notices）", field="action")
        for name in ("since", "until"):
            day = getattr(self, name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                raise Invalid(f"日期须在 {FIRST_DAY} 与 {LAST_DAY} 之间", field=name)
        if self.since and self.until and self.until < self.since:
            raise Invalid("结束日期早于开始日期", field="until")
        tz = ZoneInfo(timezone)

        def start(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

        return {
            "user_id": (self.user_id or "").strip() or None,
            "action": (self.action or "").strip() or None,
            "unit_id": (self.unit_id or "").strip() or None,
            "since": start(self.since) if self.since else None,
            "until": start(self.until + timedelta(days=1)) if self.until else None,
        }


async def hosted_unit(request: Request, unit_id: str) -> dict:
    """Users and tokens belong to a unit of the directory hosted on this node (one lookup, not the directory)."""
    node = request.app.state.settings.node_id
    try:
        if not is_slug(unit_id):
            raise NotFound("", field="unit_id")
        unit = plain(await request.app.state.backend.notices.get_unit(UnitQuery(unit_id=unit_id)))
    except NotFound:
        raise Invalid(f"目录中没有该单位：{unit_id}", field="unit_id", code="unknown_unit") from None
    if (unit.get("node_id") or node) != node:
        raise Invalid(
            f"该单位由其他节点承载（{unit['node_id']}），其用户在那里登录", field="unit_id", code="unit_on_other_node"
        )
    return unit


def check_department(unit: dict, department: str | None) -> str | None:
    """A user's department must be one of its unit's (the directory lists them); empty: none."""
    name = " ".join((department or "").split())
    if not name:
        return None
    departments = unit.get("departments") or []
    if name not in departments:
        known = "、".join(departments) if departments else "该单位在名录中未登记部门"
        raise Invalid(
            f"{unit.get('name') or unit.get('id')}没有部门“{name}”（{known}）",
            field="department",
            code="unknown_department",
        )
    return name


def search_text(q: str | None) -> str:
    """What was typed into a search box, as plain text to look for (control characters, a NUL among them, would
    make the store refuse the pattern built from it)."""
    return "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:100]


async def export_audit(request: Request, actor: Actor, filters: AuditFilters) -> StreamingResponse:
    """The audit log as CSV (UTF-8 with BOM), filtered; the export is itself an entry of the log."""
    tz = request.app.state.settings.timezone
    query = filters.query(tz)
    # Reading the whole log out is itself worth a line in it.
    await request.app.state.audit.append(
        "audit.exported", by=actor, ip=client_ip(request), details={k: v for k, v in query.items() if v is not None}
    )
    stamp = request.app.state.clock.now().astimezone(ZoneInfo(tz)).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        request.app.state.audit.export_csv(tz, **query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
