"""Deliveries recorded for a notice, the admin's channels, and the statistics rows, with no server."""

import asyncio
from datetime import UTC, datetime, timedelta

from shared.clock import FixedClock
from shared.contracts.common import Empty, NoticeQuery
from shared.contracts.notices import AcknowledgeNotice, IssueNotice, UpsertUnit
from shared.contracts.notifications import (
    ChatChannel,
    DeliveriesQuery,
    EmailChannel,
    EscalationChannel,
    UpdateChannels,
)
from shared.contracts.reports import StatisticsQuery
from shared.errors import Forbidden
from shared.schemas import Contact, Role, UnitKind

from .conftest import fast_node
from .test_notices_flow import actor

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)


async def zhanjiang(node, count: int, contacts=lambda i: [], name: str = "湛江第{}学会") -> list[str]:
    """湛江市科协 and ``count`` societies under it (``contacts(i)`` each, named by ``name``); their ids."""
    await node.notices.upsert_unit(UpsertUnit(unit_id="zj-kx", name="湛江市科学技术协会", kind=UnitKind.kexie))
    for i in range(count):
        await node.notices.upsert_unit(
            UpsertUnit(
                unit_id=f"zj-u{i}", name=name.format(i), kind=UnitKind.society, parent_id="zj-kx", contacts=contacts(i)
            )
        )
    return [f"zj-u{i}" for i in range(count)]


async def issue_from_zhanjiang(node, units: list[str]):
    """湛江市科协's issuer sends its 科普月 notice to ``units``."""
    return await node.notices.issue(
        IssueNotice(
            title="关于开展科普月活动的通知",
            issuer_unit_ids=["zj-kx"],
            recipient_unit_ids=units,
            actor=actor("zj-kx", Role.issuer),
        )
    )


async def test_a_notice_records_a_delivery_per_contact_and_channel_and_a_node_without_mail_skips_them(tmp):
    async with fast_node(tmp, services=("notices", "notifications"), clock=FixedClock(NOW)) as node:
        await node.notices.upsert_unit(UpsertUnit(unit_id="zj-kx", name="湛江市科学技术协会", kind=UnitKind.kexie))
        await node.notices.upsert_unit(
            UpsertUnit(
                unit_id="zj-u0",
                name="湛江市计算机学会",
                kind=UnitKind.society,
                parent_id="zj-kx",
                contacts=[Contact(name="李明", email="li@example.cn", mobile="13800000001")],
            )
        )
        issued = await issue_from_zhanjiang(node, ["zj-u0"])
        log = await node.notifications.deliveries(DeliveriesQuery(notice_id=issued.notice_id))
        assert sorted((d.channel, d.status) for d in log.items) == [("email", "skipped"), ("sms", "skipped")]
        summary = await node.notifications.deliveries_summary(NoticeQuery(notice_id=issued.notice_id))
        assert (summary.total, summary.sent) == (2, 0)

        admin = actor("zj-kx", Role.admin)
        saved = await node.notifications.update_channels(
            UpdateChannels(email=EmailChannel(sender="kx@zj.example.cn", sender_name="湛江市科协"), actor=admin)
        )
        assert saved.email.sender == "kx@zj.example.cn" and "email" in (saved.enabled or [])
        try:
            await node.notifications.update_channels(UpdateChannels(actor=actor("zj-kx", Role.issuer)))
            raise AssertionError("only a node admin changes the channels")
        except Forbidden:
            pass
        assert (await node.notifications.channels(Empty(actor=admin))).email.sender_name == "湛江市科协"


async def test_first_counts_are_written_with_the_deliveries_and_counts_lost_are_made_by_the_summary(tmp):
    """A cause's first deliveries are counted from what was just written (no recount); counts still to come from a
    recount that waits (recounts.py), or lost to a stop before it ran, are made by the summary's next view."""
    overrides = {"notifications": {"recount_delay_seconds": 3600}, "notices": {"recipients_per_event": 2}}
    async with fast_node(
        tmp, services=("notices", "notifications"), clock=FixedClock(NOW), overrides=overrides
    ) as node:
        units = await zhanjiang(node, 3, lambda i: [Contact(name="李明", email="li@example.cn", mobile="13800000001")])
        issued = await issue_from_zhanjiang(node, units)
        counts = node.dbs["notifications"]["delivery_counts"]
        mine = {"notice_id": issued.notice_id}

        async def kept() -> dict[str, tuple[int, int]]:
            return {d["channel"]: (d["counts"]["skipped"], d["version"]) async for d in counts.find(mine)}

        # Two parts (2 + 1 recipients): the first part's counts were written with its deliveries; the second
        # part's found them there and waits for its recount.
        assert await kept() == {"email": (2, 1), "sms": (2, 1)}
        assert all([d["skipped_reason"] async for d in counts.find(mine)])
        summary = await node.notifications.deliveries_summary(NoticeQuery(notice_id=issued.notice_id))
        assert (summary.total, summary.sent) == (6, 0)
        assert await kept() == {"email": (3, 2), "sms": (3, 2)}

        await counts.delete_many(mine)  # lost
        summary = await node.notifications.deliveries_summary(NoticeQuery(notice_id=issued.notice_id))
        assert (summary.total, summary.sent) == (6, 0)
        assert await kept() == {"email": (3, 1), "sms": (3, 1)}


async def test_statistics_count_each_units_receipts_of_the_year(tmp):
    async with fast_node(tmp, services=("notices", "reports"), clock=FixedClock(NOW)) as node:
        units = await zhanjiang(node, 3)
        issuer = actor("zj-kx", Role.issuer)
        for n in range(2):
            issued = await node.notices.issue(
                IssueNotice(title=f"第{n}号通知", issuer_unit_ids=["zj-kx"], recipient_unit_ids=units, actor=issuer)
            )
            await node.notices.acknowledge(
                AcknowledgeNotice(notice_id=issued.notice_id, unit_id=units[n], actor=actor(units[n], Role.submitter))
            )
        stats = await node.reports.unit_statistics(StatisticsQuery(unit_id="zj-kx", year=2026))
        rows = {r.unit_id: r for r in stats.units.items}
        assert stats.notices == 2 and stats.units.total == 3
        assert [(rows[u].notices, rows[u].acknowledged) for u in units] == [(2, 1), (2, 1), (2, 0)]


async def test_a_notice_in_parts_tells_each_contact_and_the_group_chat_once_naming_every_unit(tmp):
    overrides = {"notices": {"recipients_per_event": 2}}
    async with fast_node(tmp, ("notices", "notifications"), FixedClock(NOW), overrides) as node:
        await zhanjiang(node, 5, lambda i: [Contact(name=f"联系人{i}", email=f"u{i}@example.cn")], "湛江市第{}学会")
        hook = "https://oapi.dingtalk.com/robot/send?access_token=t"
        await node.notifications.update_channels(
            UpdateChannels(
                email=EmailChannel(sender="kx@zj.example.cn"),
                chat=ChatChannel(enabled=True, webhook_url=hook),
                actor=actor("zj-kx", Role.admin),
            )
        )
        issued = await issue_from_zhanjiang(node, [f"zj-u{i}" for i in range(5)])
        log = (await node.notifications.deliveries(DeliveriesQuery(notice_id=issued.notice_id))).items
        # Three parts (2 + 2 + 1 recipients): an e-mail to each contact, and one group message naming all five.
        assert sorted(d.unit_id for d in log if d.channel == "email") == [f"zj-u{i}" for i in range(5)]
        [group] = [d for d in log if d.channel == "chat"]
        assert group.unit_name == "、".join(f"湛江市第{i}学会" for i in range(5))


async def test_the_last_round_of_a_notice_in_parts_goes_to_the_group_once_naming_every_silent_unit(tmp):
    clock = FixedClock(NOW)
    overrides = {"notices": {"recipients_per_event": 2}, "notifications": {"reach_tick_seconds": 0.05}}
    async with fast_node(tmp, ("notices", "notifications"), clock, overrides) as node:
        await zhanjiang(
            node,
            5,
            lambda i: [Contact(name=f"联系人{i}", email=f"u{i}@example.cn", mobile=f"1380000000{i}")],
            "湛江市第{}学会",
        )
        await node.notifications.update_channels(
            UpdateChannels(
                email=EmailChannel(sender="kx@zj.example.cn"),
                chat=ChatChannel(enabled=True, webhook_url="https://oapi.dingtalk.com/robot/send?access_token=t"),
                escalation=EscalationChannel(after_hours=1),
                actor=actor("zj-kx", Role.admin),
            )
        )
        issued = await issue_from_zhanjiang(node, [f"zj-u{i}" for i in range(5)])
        await node.notices.acknowledge(
            AcknowledgeNotice(notice_id=issued.notice_id, unit_id="zj-u0", actor=actor("zj-u0", Role.submitter))
        )

        async def log(channel: str, n: int) -> list:
            for _ in range(100):
                rows = (await node.notifications.deliveries(DeliveriesQuery(notice_id=issued.notice_id))).items
                mine = [d for d in rows if d.channel == channel]
                if len(mine) >= n:
                    return mine
                await asyncio.sleep(0.05)
            raise AssertionError(f"fewer than {n} {channel} deliveries: {rows}")

        assert len(await log("email", 5)) == 5 and not await log("sms", 0)
        clock.advance(timedelta(hours=1, minutes=1))
        assert sorted(d.unit_id for d in await log("sms", 4)) == [f"zj-u{i}" for i in range(1, 5)]  # zj-u0 signed
        clock.advance(timedelta(hours=1, minutes=1))
        [group] = await log("chat", 1)
        await asyncio.sleep(0.3)  # a few more ticks: still one
        assert len(await log("chat", 1)) == 1
        assert group.unit_name == "、".join(f"湛江市第{i}学会" for i in range(1, 5))
