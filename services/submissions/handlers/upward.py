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
"""

from shared import outbox
from shared.contracts.submissions import Compiled, CompileReport
from shared.errors import Conflict, Invalid, NotFound
from shared.events import ReportCompiled, SubmissionAccepted
from shared.schemas import Contribution, UpwardMode, UpwardPolicy
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
    doc = await d.repo.get(event.submission_id)
    notice = await d.repo.get_notice(event.notice_id)
    if doc is None or notice is None or policy_of(notice, event.ask_id).mode != UpwardMode.direct:
        return
    target = await _target(notice, event.ask_id, doc["to_unit_id"], d)
    if target is None:  # the unit it was routed to does not answer upstream (a route to another unit)
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
    limit = policy.limit or domain.ask_of(source, cmd.ask_id).max_items
    sent = set(target.get("items_sent") or [])
    new = [doc for doc in picked if doc["unit_id"] not in sent]
    if len(sent) + len(new) > limit:
        raise Invalid(
            f"择优上报最多{limit}项：已上报{len(sent)}项，本次又选了{len(new)}项",
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


async def _send(source: dict, notice: dict, target: dict, mode: UpwardMode, by: str, d: Deps):
    """Make the item and publish it (once: its ids are deterministic; a second call publishes it again)."""
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
    now = d.clock.now()
    fact = ReportCompiled(
        event_id=domain.derived_id(sid, "1"),
        occurred_at=now,
        origin_node=d.node,
        root_notice_id=upstream.get("root_notice_id"),
        report_id=domain.derived_id(sid, "report"),
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
        revision=1,
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
    await d.repo.expect([item_doc(target, sid, source, mode)])
    pending = outbox.entries((fact, None), *((fact, n) for n in d.copy_to(target["issuer_node"])))
    revision = {
        "_id": revision_id(sid, 1),
        "submission_id": sid,
        "revision": 1,
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
        revision = await d.repo.revision(sid, 1) or revision
    fields = domain.submitted_fields(
        revision=1, at=revision["submitted_at"], by=by, late=fact.late, items=len(fact.items), compiled=True
    )
    updated = await d.repo.advance(sid, 1, domain.SUBMITTED, fields) or await d.repo.get(sid)
    await d.repo.flush(d.repo.revisions, revision["_id"], revision.get(outbox.FIELD) or [])
    await d.repo.set_fields(
        source["_id"],
        {"compiled_in": {"submission_id": sid, "revision": 1, "report_id": fact.report_id, "at": now}},
    )
    return view(updated or {})


def item_doc(target: dict, sid: str, source: dict, mode: UpwardMode) -> dict:
    """The item as a submission: the level's own upstream, answering the target's ask, from ``source``."""
    return {
        **{k: v for k, v in target.items() if k not in (outbox.FIELD, "items_sent", "compiled_in", "upward")},
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
