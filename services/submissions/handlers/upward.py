"""直接上报 and 择优上报: a forwarding level sends submissions it accepted up one by one, keeping their source.

The level chose per inherited ask when it forwarded (the 转发's ``upward``; services/notices/upward.py).
Under 逐级汇总 it compiles its own answer (compiling.py). Otherwise each submission it sends up is an *item*:
its own submission on the upstream notice, ``<upstream>:<ask>:<level unit>:<source unit>``, published as a
``report.compiled`` with ``upward`` set and the source unit as its one contribution. Upstream reviews each
item like any submission and sees the source unit "via" the forwarding level; decisions come back here.

- 直接上报: the item goes up as soon as the level accepts the submission (``on_accepted``, a consumer of the
  level's own ``submission.accepted``: redelivered, it finds the item already made and only publishes again).
- 择优上报: the level's reviewer picks up to ``limit`` accepted submissions (``select``); the picks are
  reserved on the level's own submission upstream (``items_sent``) by one conditional update, so two
  reviewers picking at once cannot pass the limit.

The level's own submission upstream is then answered by its items: it leaves the 报送 still owed (``open``
false), nobody chases it, and it shows how many went up.

An item returned from above (退回) is not a dead end. It no longer counts against a 择优上报 limit
(``items_held``, ``on_returned``); the level's reviewer may 退回下级 (``return_down``): the accepted
submission it came from goes back to its unit with the level above's reason, and once corrected and accepted
again it goes up as the item's next revision (直接上报 at once, 择优上报 when picked again). The revision
counter is the item's own, kept here, so upstream applies each revision once, in order, across outages.
"""

from shared import outbox
from shared.contracts.common import Actor
from shared.contracts.submissions import Compiled, CompileReport, ReturnDown, SubmissionView
from shared.errors import Conflict, Invalid, NotFound
from shared.events import ReportCompiled, SubmissionAccepted, SubmissionReturned
from shared.schemas import Contribution, Role, UpwardMode, UpwardPolicy
from shared.scope import actor_name

from .. import domain
from ..repository import revision_id
from .deps import Deps
from .views import view


def item_id(target_id: str, source_unit_id: str) -> str:
    """An item sent up: the level's own submission upstream, one per source unit (deterministic)."""
    return f"{target_id}:{source_unit_id}"


def policy_of(notice: dict, ask_id: str) -> UpwardPolicy:
    raw = (notice.get("upward") or {}).get(ask_id)
    return UpwardPolicy.model_validate(raw) if raw else UpwardPolicy()


async def on_accepted(event: SubmissionAccepted, d: Deps) -> None:
    """直接上报: a submission the level accepted here goes up by itself, at once."""
    if event.origin_node != d.node:
        return
    notice = await d.repo.get_notice(event.notice_id)  # most asks are 逐级汇总: then the submission is not read
    if notice is None or policy_of(notice, event.ask_id).mode != UpwardMode.direct:
        return
    doc = await d.repo.get(event.submission_id)
    if doc is None:
        return
    if (doc["status"], doc["revision"]) != ("accepted", event.revision):  # reopened (退回下级) or moved on since
        return
    target = await _target(notice, event.ask_id, doc["to_unit_id"], d)
    if target is None:  # the unit it was routed to does not answer upstream (a route to another unit)
        return
    try:
        await _next_revision(target, doc, d)
    except Conflict:  # a redelivery after the level above returned it: nothing goes up until corrected
        return
    if await d.repo.reserve_items(target["_id"], [doc["unit_id"]], limit=None, mode=UpwardMode.direct.value):
        await _send(doc, notice, target, UpwardMode.direct, event.reviewed_by, d)


async def select(cmd: CompileReport, source: dict, policy: UpwardPolicy, d: Deps) -> Compiled:
    """择优上报: send up the accepted submissions the reviewer picked, at most ``policy.limit`` in all."""
    if cmd.items:
        raise Invalid("择优上报只报送所选的下级报送，不能附加本单位的内容", field="items", code="select_own_items")
    if not cmd.submission_ids:
        raise Invalid("请选择要择优上报的报送", field="submission_ids", code="empty_report")
    target = await _target(source, cmd.ask_id, cmd.unit_id, d)
    if target is None:
        raise Invalid("上级通知没有要求本单位报送这项", field="ask_id", code="not_owed")
    picked = []
    for i, sid in enumerate(dict.fromkeys(cmd.submission_ids)):
        doc = await d.repo.get(sid)
        if doc is None or (doc["notice_id"], doc["ask_id"], doc["to_unit_id"]) != (
            cmd.notice_id,
            cmd.ask_id,
            cmd.unit_id,
        ):
            raise Invalid("不是送交本单位的这项报送", field=f"submission_ids.{i}", code="unknown_submission")
        if doc["status"] != "accepted":
            raise Invalid(f"{doc['unit_name']}的报送尚未采用", field=f"submission_ids.{i}", code="not_accepted")
        picked.append(doc)
    for i, doc in enumerate(picked):  # one the level above returned goes up again only corrected (退回下级)
        await _next_revision(target, doc, d, field=f"submission_ids.{i}")
    limit = policy.limit or domain.ask_of(source, cmd.ask_id).max_items
    held = set(target.get("items_held") or [])  # sent up and not returned: what counts against the limit
    new = [doc for doc in picked if doc["unit_id"] not in held]
    if len(held) + len(new) > limit:
        raise Invalid(
            f"择优上报最多{limit}项：已上报{len(held)}项（不含上级退回的），本次又选了{len(new)}项",
            field="submission_ids",
            code="over_limit",
        )
    if new and not await d.repo.reserve_items(
        target["_id"], [doc["unit_id"] for doc in new], limit=limit, mode=UpwardMode.select.value
    ):
        raise Conflict("刚有他人择优上报了其他报送，请刷新后重试", field="submission_ids", code="concurrent_change")
    last = None
    for doc in picked:
        last = await _send(doc, source, target, UpwardMode.select, actor_name(cmd.actor), d)
    assert last is not None
    return Compiled.model_validate({**last.model_dump(), "report_id": last.id})


async def _target(notice: dict, ask_id: str, unit_id: str, d: Deps) -> dict | None:
    """The level's own submission on the notice it forwarded, for this ask, kept here; None if not owed here."""
    upstream_id = notice.get("parent_notice_id")
    if not upstream_id:
        return None
    target = await d.repo.get(domain.expectation_id(upstream_id, ask_id, unit_id))
    return target if target is not None and target["unit_node"] == d.node else None


async def _next_revision(target: dict, source: dict, d: Deps, field: str = "submission_ids") -> int:
    """The item's revision that carries ``source``'s accepted revision: the one that already does (sent before:
    published again), else the next one. Refused while the item awaits the level above or was accepted there,
    and when the level above returned it and the source was not corrected since (退回下级 first)."""
    item = await d.repo.get(item_id(target["_id"], source["unit_id"]))
    if item is None or not item.get("revision"):
        return 1
    last = await d.repo.revision(item["_id"], item["revision"])
    carried = ((last or {}).get("contributions") or [{}])[0]
    if (carried.get("submission_id"), carried.get("revision")) == (source["_id"], source["revision"]):
        if item["status"] == "returned":
            raise Conflict(
                f"上级已退回{source['unit_name']}的这项报送，请先退回下级，修改并采用后再上报",
                field=field,
                code="returned_above",
            )
        return item["revision"]
    if item["status"] not in ("pending", "returned"):
        raise Conflict(f"{source['unit_name']}的上一版报送上级尚未退回，不能再次上报", field=field, code="already_sent")
    return item["revision"] + 1


async def _send(source: dict, notice: dict, target: dict, mode: UpwardMode, by: str, d: Deps):
    """Make the item's next revision carrying ``source`` and publish it (once: its ids are deterministic, so a
    second call for the same source revision publishes the same revision again)."""
    rev = await d.repo.revision(source["_id"], source["revision"])
    if rev is None:
        raise Conflict(
            f"{source['unit_name']}的报送内容尚未同步到本节点", field="submission_ids", code="content_missing"
        )
    upstream = await d.repo.get_notice(target["notice_id"])
    if upstream is None:
        raise NotFound("上级通知不存在", field="notice_id")
    ask = domain.ask_of(upstream, target["ask_id"])
    sid = item_id(target["_id"], source["unit_id"])
    await d.repo.expect([item_doc(target, sid, source, mode)])
    n = await _next_revision(target, source, d)
    now = d.clock.now()
    fact = ReportCompiled(
        event_id=domain.derived_id(sid, str(n)),
        occurred_at=now,
        origin_node=d.node,
        root_notice_id=upstream.get("root_notice_id"),
        report_id=domain.derived_id(sid, "report") if n == 1 else domain.derived_id(sid, "report", str(n)),
        submission_id=sid,
        notice_id=target["notice_id"],
        source_notice_id=notice["_id"],
        ask_id=target["ask_id"],
        kind=ask.kind,
        unit_id=target["unit_id"],
        unit_name=target["unit_name"],
        unit_node=d.node,
        issuer_node=target["issuer_node"],
        to_unit_id=target["to_unit_id"],
        department=target.get("department"),
        revision=n,
        items=rev["items"],
        contributions=[
            Contribution(
                submission_id=source["_id"],
                unit_id=source["unit_id"],
                unit_name=source["unit_name"],
                revision=source["revision"],
                items=len(rev["items"]),
                contributions=rev.get("contributions") or [],  # a 汇总 or an item from below: its sources
            )
        ],
        late=domain.is_late(now, target["deadline"]),
        compiled_by=by,
        compiled_at=now,
        upward=mode,
    )
    pending = outbox.entries((fact, None), *((fact, node) for node in d.copy_to(target["issuer_node"])))
    revision = {
        "_id": revision_id(sid, n),
        "submission_id": sid,
        "revision": n,
        "items": fact.items,
        "submitted_at": now,
        "submitted_by": by,
        "event_id": fact.event_id,
        "late": fact.late,
        "contributions": [c.model_dump(mode="python") for c in fact.contributions],
        "note": "",
        "source_notice_id": notice["_id"],
        outbox.FIELD: pending,
    }
    if not await d.repo.add_revision(revision):  # made before (a redelivery): publish what it carries
        revision = await d.repo.revision(sid, n) or revision
    fields = domain.submitted_fields(
        revision=n, at=revision["submitted_at"], by=by, late=fact.late, items=len(fact.items), compiled=True
    )
    updated = await d.repo.advance(sid, n, domain.SUBMITTED, fields) or await d.repo.get(sid)
    await d.repo.flush(d.repo.revisions, revision["_id"], revision.get(outbox.FIELD) or [])
    compiled_in = {"submission_id": sid, "revision": n, "report_id": fact.report_id, "at": now, "upward": mode.value}
    await d.repo.set_fields(source["_id"], {"compiled_in": compiled_in})
    return view(updated or {})


async def on_returned(event: SubmissionReturned, d: Deps) -> None:
    """The level above returned an item sent up from here: it no longer counts against a 择优上报 limit."""
    item = await d.repo.get(event.submission_id)
    if (
        item is not None
        and item.get("parent_submission_id")
        and item["unit_node"] == d.node
        and (item["status"], item["revision"]) == ("returned", event.revision)
    ):
        await d.repo.release_item(item["parent_submission_id"], item["source_unit_id"])


def sends_up(actor: Actor | None, item: dict) -> bool:
    """The actor reviews for the level that sent the item up (its own unit's, kept here)."""
    return actor is None or (actor.unit_id == item["unit_id"] and Role.reviewer in actor.roles)


async def return_down(cmd: ReturnDown, d: Deps) -> SubmissionView:
    """退回下级: the level above returned an item; the accepted submission it came from goes back to its unit,
    with the level above's reason. Corrected and accepted again, it goes up as the item's next revision."""
    item = await d.repo.get(cmd.submission_id)
    if (
        item is None
        or not item.get("parent_submission_id")
        or item["unit_node"] != d.node
        or not sends_up(cmd.actor, item)
    ):
        raise NotFound("没有本单位逐项上报的这项报送", field="submission_id")
    if item["status"] != "returned":
        raise Conflict(
            f"该项上报当前为“{domain.STATUS_TEXT[item['status']]}”，未被上级退回，不能退回下级",
            field="submission_id",
            code="not_returned",
        )
    last = await d.repo.revision(item["_id"], item["revision"])
    carried = ((last or {}).get("contributions") or [None])[0]
    source = await d.repo.get(carried["submission_id"]) if carried else None
    if source is None or carried is None or source["issuer_node"] != d.node:
        raise NotFound("这项上报的来源报送不在本节点", field="submission_id", code="source_missing")
    if source["revision"] != carried["revision"] or source["status"] not in ("accepted", "returned"):
        raise Conflict(
            f"{source['unit_name']}已重新报送第{source['revision']}版，请到审核页面处理",
            field="submission_id",
            code="resubmitted",
        )
    if source["status"] == "returned":
        raise Conflict(
            f"已退回下级，等待{source['unit_name']}修改后重新报送", field="submission_id", code="already_returned_down"
        )
    now = d.clock.now()
    fact = SubmissionReturned(
        occurred_at=now,
        origin_node=d.node,
        submission_id=source["_id"],
        notice_id=source["notice_id"],
        ask_id=source["ask_id"],
        unit_id=source["unit_id"],
        to_unit_id=source["to_unit_id"],
        revision=source["revision"],
        reviewed_by=actor_name(cmd.actor),
        reviewed_at=now,
        reason=domain.reason_down(item.get("return_reason"), cmd.note),
        reopened=True,
    )
    pending = outbox.entries((fact, None), *((fact, node) for node in d.copy_to(source["unit_node"])))
    fields = domain.reopened_fields(revision=fact.revision, at=now, by=fact.reviewed_by, reason=fact.reason)
    updated = await d.repo.advance(source["_id"], fact.revision, domain.REOPENED, fields, events=pending)
    if updated is None:
        raise Conflict("该项刚被他人退回下级或重新报送，请刷新后重试", field="submission_id", code="concurrent_change")
    await d.repo.flush(d.repo.expected, source["_id"], pending)
    await d.repo.set_fields(item["_id"], {"returned_down": item["revision"]})
    return view(updated)


def item_doc(target: dict, sid: str, source: dict, mode: UpwardMode) -> dict:
    """The item as a submission: the level's own upstream, answering the target's ask, from ``source``."""
    return {
        **{
            k: v
            for k, v in target.items()
            if k not in (outbox.FIELD, "items_sent", "items_held", "compiled_in", "upward", "returned_down")
        },
        "_id": sid,
        "status": "pending",
        **domain.listing_flags("pending"),
        "revision": 0,
        "stage": domain.PENDING,
        "item_count": 0,
        "source_unit_id": source["unit_id"],
        "source_unit_name": source["unit_name"],
        "upward": mode.value,
        "parent_submission_id": target["_id"],
    }


def item_fields(event: ReportCompiled) -> dict:
    """What an item arriving upstream adds to the document it creates there (its source, its level's own)."""
    if event.upward == UpwardMode.compile or not event.contributions:
        return {}
    parent = event.submission_id.rsplit(":", 1)[0]
    return {
        "source_unit_id": event.contributions[0].unit_id,
        "source_unit_name": event.contributions[0].unit_name,
        "upward": event.upward.value,
        "parent_submission_id": parent,
    }
