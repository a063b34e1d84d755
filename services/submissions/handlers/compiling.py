"""汇总: a level compiles the accepted submissions of a notice it forwarded into its own answer upstream.

The 汇总 is the compiling unit's own submission on the upstream notice, so it
travels up like any other.
"""

from shared.contracts.submissions import Compiled, CompileReport
from shared.errors import Conflict, Invalid, NotFound
from shared.events import ReportCompiled
from shared.ids import new_id
from shared.schemas import Contribution, UpwardMode
from shared.scope import act_as, actor_name

from .. import domain, forms
from . import upward
from .deps import Deps, notice_of
from .submitting import check_files, record_submission


async def compile_report(cmd: CompileReport, d: Deps) -> Compiled:
    """The compiling unit's answer to the upstream ask: its own items, then the accepted ones it selected."""
    act_as(cmd.actor, cmd.unit_id)
    source = await notice_of(cmd.notice_id, d)
    if cmd.unit_id not in source["issuer_unit_ids"] or source["issuer_node"] != d.node:
        raise NotFound("本单位没有发出该通知", field="notice_id")
    domain.ask_of(source, cmd.ask_id)
    policy = upward.policy_of(source, cmd.ask_id)  # the level chose it when forwarding (直接上报, 择优上报)
    if policy.mode == UpwardMode.direct:
        raise Invalid(
            "本级对这项报送要求选择了直接上报：采用后即逐项自动上报，无需汇总", field="ask_id", code="direct_upward"
        )
    if policy.mode == UpwardMode.select:
        return await upward.select(cmd, source, policy, d)
    upstream_id = source.get("parent_notice_id")
    upstream = await d.repo.get_notice(upstream_id) if upstream_id else None
    if upstream is None:
        raise Invalid("该通知不是转发的上级通知，没有可报送的上级", field="notice_id", code="no_upstream")
    ask = domain.ask_of(upstream, cmd.ask_id)
    target = await d.repo.get(domain.expectation_id(upstream["_id"], cmd.ask_id, cmd.unit_id))
    if target is None or target["unit_node"] != d.node:
        raise Invalid("上级通知没有要求本单位报送这项", field="ask_id", code="not_owed")
    revision = domain.can_submit(target, upstream.get("status", "issued"))
    if not cmd.submission_ids and not cmd.items:
        raise Invalid("请选择要汇总的报送，或填写本单位的内容", field="submission_ids", code="empty_report")
    own = forms.check_items(ask, cmd.items, field="items", own_only=True)
    await check_files(own, cmd.actor, d)
    items, contributions = list(own), []
    for i, sid in enumerate(dict.fromkeys(cmd.submission_ids)):
        doc = await d.repo.get(sid)
        if (
            doc is None
            or doc["notice_id"] != cmd.notice_id
            or doc["ask_id"] != cmd.ask_id
            or doc["to_unit_id"] != cmd.unit_id
        ):
            raise Invalid("不是送交本单位的这项报送", field=f"submission_ids.{i}", code="unknown_submission")
        if doc["status"] != "accepted":
            raise Invalid(f"{doc['unit_name']}的报送尚未采用", field=f"submission_ids.{i}", code="not_accepted")
        rev = await d.repo.revision(sid, doc["revision"])
        if rev is None:
            raise Conflict(
                f"{doc['unit_name']}的报送内容尚未同步到本节点", field=f"submission_ids.{i}", code="content_missing"
            )
        items.extend(rev["items"])
        contributions.append(
            Contribution(
                submission_id=sid,
                unit_id=doc["unit_id"],
                unit_name=doc["unit_name"],
                revision=doc["revision"],
                items=len(rev["items"]),
                contributions=rev.get("contributions") or [],  # its own sources: every level keeps them
            )
        )
    now = d.clock.now()
    fact = ReportCompiled(
        occurred_at=now,
        origin_node=d.node,
        root_notice_id=upstream.get("root_notice_id"),
        report_id=new_id(),
        submission_id=target["_id"],
        notice_id=upstream["_id"],
        source_notice_id=cmd.notice_id,
        ask_id=cmd.ask_id,
        kind=ask.kind,
        unit_id=cmd.unit_id,
        unit_name=target["unit_name"],
        unit_node=d.node,
        issuer_node=target["issuer_node"],
        to_unit_id=target["to_unit_id"],
        department=target.get("department"),
        revision=revision,
        items=items,
        contributions=contributions,
        note=cmd.note,
        late=domain.is_late(now, target["deadline"]),
        compiled_by=actor_name(cmd.actor),
        compiled_at=now,
    )
    result = await record_submission(target, fact, d, compiled=True)
    for c in contributions:
        await d.repo.set_fields(
            c.submission_id,
            {
                "compiled_in": {
                    "submission_id": target["_id"],
                    "revision": revision,
                    "report_id": fact.report_id,
                    "at": now,
                }
            },
        )
    return Compiled.model_validate({**result.model_dump(), "report_id": fact.report_id})
