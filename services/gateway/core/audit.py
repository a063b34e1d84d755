"""The audit log: who did what, when, and through what (a login session, an API token, the CLI).

Append-only: this module is the only code that touches the ``audit``
collection, and it only inserts and reads. Entries are written

- by ``commands.send()``, the one way gateway routes send a command to a
  service: when the service accepts it (issue, forward, acknowledge, submit,
  return, accept, compile, chase…), the entry names the command and its target;
- by the account use cases (users.py, tokens): logins, user and token changes.
"""

import csv
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock, local_text
from shared.contracts.common import Actor
from shared.ids import new_id
from shared.paging import PageQuery, Segment, read_page
from shared.storage import Index

from .spreadsheet import BOM, cell

log = logging.getLogger("cascade.gateway.audit")

# Newest first, a page at a time: each filter a clerk uses is an equality the index starts with, then the
# order (``_id`` breaks ties of ``at``, so pages never overlap or skip).
NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]
INDEXES = [
    Index("audit", NEWEST_FIRST),
    Index("audit", [("user_id", ASCENDING), *NEWEST_FIRST]),
    Index("audit", [("action", ASCENDING), *NEWEST_FIRST]),
    Index("audit", [("unit_id", ASCENDING), *NEWEST_FIRST]),
]

# What the audit page calls each action; an action missing here shows as its name.
ACTION_LABELS = {
    "notices.issue": "发文",
    "notices.forward": "转发",
    "notices.acknowledge": "签收",
    "notices.correct": "更正通知",
    "notices.withdraw": "撤回通知",
    "notices.create_draft": "拟稿",
    "notices.update_draft": "修改草稿",
    "notices.submit_draft": "送签发",
    "notices.approve_draft": "签发",
    "notices.reject_draft": "退回草稿",
    "drafts.import": "导入公文",
    "submissions.submit": "报送",
    "submissions.return_": "退回",
    "submissions.return_down": "退回下级",
    "submissions.accept": "采用",
    "submissions.chase": "催办",
    "submissions.compile_report": "汇总上报",
    "submissions.commend": "评选",
    "notices.upsert_unit": "修改单位",
    "notices.delete_unit": "删除单位",
    "notices.import_units": "导入单位",
    "login": "登录",
    "login.failed": "登录失败",
    "logout": "退出登录",
    "user.created": "新建用户",
    "user.updated": "修改用户",
    "user.disabled": "停用用户",
    "user.enabled": "启用用户",
    "user.password_reset": "重置密码",
    "user.password_changed": "修改密码",
    "token.created": "创建接口令牌",
    "token.revoked": "吊销接口令牌",
    "audit.exported": "导出审计日志",
    "notifications.update_channels": "修改通知渠道",
    "notifications.update_template": "修改消息模板",
    "notifications.reset_template": "恢复默认消息模板",
    "notifications.revoke_links": "撤销签收链接",
    "notifications.update_unit_preferences": "修改本单位消息方式",
    "dead_letter.dismissed": "移除异常消息",
}

MAX_QUERY = 500


@dataclass
class AuditLog:
    db: AsyncDatabase
    clock: Clock

    @property
    def entries(self):
        return self.db["audit"]

    async def append(
        self,
        action: str,
        *,
        by: Actor | None,
        target: str | None = None,
        via: str | None = None,
        ip: str | None = None,
        details: dict | None = None,
    ) -> dict:
        entry = {
            "_id": new_id(),
            "at": self.clock.now(),
            "action": action,
            "user_id": by.user_id if by else None,
            "display_name": by.display_name if by else None,
            "unit_id": by.unit_id if by else None,
            "roles": [r.value for r in by.roles] if by else [],
            "via": via or ("session" if by and not by.user_id.startswith("token:") else "token" if by else None),
            "ip": ip,
            "target": target,
            "details": details or {},
        }
        await self.entries.insert_one(entry)
        return entry

    def _filter(
        self,
        *,
        user_id: str | None = None,
        action: str | None = None,
        unit_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> dict:
        query: dict[str, Any] = {}
        if user_id:
            query["user_id"] = user_id
        if action:
            query["action"] = actions_under(action)
        if unit_id:
            query["unit_id"] = unit_id
        if since or until:
            query["at"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
        return query

    async def page(self, pq: PageQuery, **filters: Any) -> tuple[list[dict], bool]:
        """A page of the entries, newest first, and whether older ones follow.

        Not counted: the log only grows, so a count would read more of it every day; one entry read past
        the page says whether there is another.
        """
        docs, more, _ = await read_page(self.entries, [Segment(self._filter(**filters), NEWEST_FIRST)], pq)
        return docs, more

    async def query(self, *, limit: int = 100, **filters: Any) -> list[dict]:
        """The newest ``limit`` entries (at most ``MAX_QUERY``): for code and tests that look at what was just done."""
        cursor = self.entries.find(self._filter(**filters)).sort(NEWEST_FIRST).limit(min(max(limit, 1), MAX_QUERY))
        return [e async for e in cursor]

    async def export_csv(self, timezone: str, **filters: Any) -> AsyncIterator[str]:
        """Every matching entry as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese), newest first.

        Complete, however long: rows are written as the cursor reads them, so neither the gateway nor the
        response holds the log at once.
        """
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["时间", "操作", "操作代码", "用户", "姓名", "单位", "角色", "方式", "对象", "详情", "IP"])
        yield BOM + _drain(buf)
        cursor = self.entries.find(self._filter(**filters)).sort(NEWEST_FIRST)
        async for e in cursor:
            writer.writerow(
                [
                    cell(v)
                    for v in (
                        local_text(e["at"], timezone, "%Y-%m-%d %H:%M:%S"),
                        label(e["action"]),
                        e["action"],
                        e.get("user_id") or "",
                        e.get("display_name") or "",
                        e.get("unit_id") or "",
                        " ".join(e.get("roles") or []),
                        e.get("via") or "",
                        e.get("target") or "",
                        details_text(e.get("details") or {}),
                        e.get("ip") or "",
                    )
                ]
            )
            yield _drain(buf)


def actions_under(action: str) -> str | dict:
    """The filter on ``action`` for an action code or a prefix of codes: ``notices`` is every ``notices.*``,
    ``login`` is ``login`` and ``login.failed``.

    A prefix is spelt out as the codes this module knows under it (``$in``), not a regular expression: an
    equality or a list of them is what an index on (action, at) answers in date order; a pattern would have
    every entry under the prefix read and sorted for each page. A code missing from ``ACTION_LABELS`` is
    found by its exact name only; give every new action a label.
    """
    under = [code for code in ACTION_LABELS if code.startswith(action + ".")]
    return {"$in": [action, *under]} if under else action


def label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def details_text(details: dict) -> str:
    return "; ".join(f"{k}={_plain(v)}" for k, v in details.items())


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)


def _drain(buf: io.StringIO) -> str:
    text = buf.getvalue()
    buf.seek(0)
    buf.truncate()
    return text


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
