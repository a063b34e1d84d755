"""The reports read models: a header per notice, a small document per recipient, a statistics row per unit."""

from datetime import UTC, datetime, timedelta

from services.reports import domain
from shared.events import NoticeAcknowledged
from shared.schemas import Ask, AskKind, NoticeSnapshot, UnitKind, UnitRef

T0 = datetime(2020, 5, 20, 2, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"


def unit(uid: str, kind: UnitKind = UnitKind.kexie) -> UnitRef:
    return UnitRef(unit_id=uid, name=f"名{uid}", kind=kind, node_id="gd")


def notice(**changes) -> NoticeSnapshot:
    return NoticeSnapshot(
        **{
            "notice_id": "n1",
            "doc_number": "粤科协联〔2020〕9号",
            "title": "通知",
            "issuers": [unit("gd-kx"), unit("gd-kjt", UnitKind.keji)],
            "recipients": [unit("sz-kx"), unit("sz-kjj", UnitKind.keji), unit("gd-jxxh", UnitKind.society)],
            "asks": [
                Ask(ask_id="summary", title="总结", kind=AskKind.summary_report, deadline=T0 + timedelta(days=20)),
                Ask(
                    ask_id="plan",
                    title="方案",
                    kind=AskKind.plan,
                    deadline=T0 + timedelta(days=10),
                    unit_kinds=[UnitKind.kexie],
                ),
            ],
            "root_notice_id": "n1",
            "issued_at": T0,
            **changes,
        }
    )


def ack(uid: str, minutes: int) -> NoticeAcknowledged:
    return NoticeAcknowledged(
        occurred_at=T0,
        origin_node="gd",
        notice_id="n1",
        issuer_node="gd",
        unit_id=uid,
        unit_name=uid,
        acknowledged_by="联络员",
        acknowledged_at=T0 + timedelta(minutes=minutes),
    )


def header(n: NoticeSnapshot | None = None) -> dict:
    n = n or notice()
    return {"_id": n.notice_id, **domain.notice_fields(n, TZ)}


def units(n: NoticeSnapshot | None = None, **extra: dict) -> list[dict]:
    """The notice's unit documents, with ``extra`` fields merged into the named units' documents."""
    n = n or notice()
    docs = {r.unit_id: domain.unit_fields(n, r, TZ) for r in n.recipients}
    for uid, fields in extra.items():
        docs[uid] = {**docs.get(uid, {"_id": f"n1:{uid}", "notice_id": "n1", "unit_id": uid}), **fields}
    return list(docs.values())


def test_the_header_holds_the_notice_not_its_recipients():
    fields = domain.notice_fields(notice(), TZ)
    assert fields["issuer_name"] == "名gd-kx、名gd-kjt" and fields["issuer_unit_id"] == "gd-kx"
    assert (fields["year"], fields["revision"], fields["kind"]) == (2020, 1, "issued")
    assert not any("recipient" in k or k.startswith("sz-") for k in fields)
    many = notice(recipients=[unit(f"u{i:04d}") for i in range(2000)])
    assert domain.notice_fields(many, TZ) == fields  # 2,000 recipients: the same header
    assert domain.part_fields(2, 500) == {"recipient_parts.2": 500}
    assert domain.recipient_count({"recipient_parts": {"1": 500, "2": 120}}) == 620
    assert domain.notice_fields(notice(parent_notice_id="n0"), TZ)["kind"] == "forwarded"


def test_the_year_is_the_nodes_local_year():
    new_year_eve = datetime(2020, 12, 31, 17, 0, tzinfo=UTC)  # 2021-01-01 01:00 in Beijing
    assert domain.notice_fields(notice(issued_at=new_year_eve), TZ)["year"] == 2021
    doc = domain.unit_fields(notice(issued_at=new_year_eve), unit("sz-kx"), TZ)
    assert (doc["year"], doc["row"]) == (2021, "gd-kx:2021:sz-kx")


def test_a_recipients_document_knows_what_it_owes_and_where_it_counts():
    doc = domain.unit_fields(notice(), unit("sz-kjj", UnitKind.keji), TZ)
    assert doc["_id"] == "n1:sz-kjj" and doc["notice_id"] == "n1" and doc["recipient"] is True
    assert doc["owes"] == ["summary"]  # the plan is asked of 科协 only
    assert domain.unit_fields(notice(), unit("sz-kx"), TZ)["owes"] == ["summary", "plan"]
    assert (doc["issuer_unit_id"], doc["year"], doc["row"], doc["notice_rev"]) == (
        "gd-kx",
        2020,
        "gd-kx:2020:sz-kjj",
        1,
    )
    assert domain.row_key(doc["row"]) == ("gd-kx", 2020, "sz-kjj")


def test_view_lists_pending_first_then_acknowledged_each_by_unit_id():
    view = domain.status_view(header(), units(**{"sz-kjj": domain.receipt_fields(ack("sz-kjj", 1))}))
    assert [r["unit_id"] for r in view["recipients"]] == ["gd-jxxh", "sz-kx", "sz-kjj"]
    assert (view["total"], view["acknowledged"], view["pending"]) == (3, 1, 2)
    row = view["recipients"][-1]
    assert row["acknowledged_at"] == T0 + timedelta(minutes=1) and row["acknowledged_by"] == "联络员"
    assert view["recipients"][0]["acknowledged_at"] is None
    assert (view["status"], view["issuer_name"], view["notice_id"]) == ("issued", "名gd-kx、名gd-kjt", "n1")


def test_receipt_for_a_unit_that_is_not_a_recipient_does_not_count():
    view = domain.status_view(header(), units(stranger=domain.receipt_fields(ack("stranger", 1))))
    assert view["acknowledged"] == 0 and view["total"] == 3


def test_a_withdrawal_shows_over_a_correction_handled_after_it():
    h = {**header(), "status": "corrected", "change_reason": "改期", **{"withdrawn": True, "withdraw_reason": "重复"}}
    view = domain.status_view(h, units())
    assert (view["status"], view["change_reason"]) == ("withdrawn", "重复")


def test_a_units_state_for_an_ask_takes_the_decision_only_about_the_latest_revision():
    from services.reports.domain import unit_state

    assert unit_state({}) == {"status": "pending", "revision": 0}
    first = {"submitted": {"revision": 1, "late": False}}
    assert unit_state(first)["status"] == "submitted"
    returned = {**first, "reviewed": {"revision": 1, "status": "returned", "reason": "请补充"}}
    assert (unit_state(returned)["status"], unit_state(returned)["reason"]) == ("returned", "请补充")
    again = {**returned, "submitted": {"revision": 2, "late": True}}
    state = unit_state(again)
    assert (state["status"], state["revision"], state["late"]) == ("submitted", 2, True)
    assert "reason" not in state  # the 退回 was about revision 1
    # A decision handled before the submission it is about: the same state either way.
    early = {"reviewed": {"revision": 2, "status": "accepted"}, "submitted": {"revision": 1}}
    assert (unit_state(early)["status"], unit_state(early)["revision"]) == ("accepted", 2)


def test_an_accepted_revision_sent_back_down_stands_returned_until_submitted_again():
    """退回下级: the level above returned the item it went up as; the accepted revision is returned to its unit
    (its own part, ``reopened``, so it commutes with the acceptance) until the unit submits again."""
    from services.reports.domain import unit_state

    accepted = {"submitted": {"revision": 1}, "reviewed": {"revision": 1, "status": "accepted"}}
    reopened = {**accepted, "reopened": {"revision": 1, "reviewed_at": T0, "reason": "上级退回：请补充"}}
    state = unit_state(reopened)
    assert (state["status"], state["revision"], state["reason"]) == ("returned", 1, "上级退回：请补充")
    again = {**reopened, "submitted": {"revision": 2}}
    assert (unit_state(again)["status"], unit_state(again)["revision"]) == ("submitted", 2)
    decided = {**again, "reviewed": {"revision": 2, "status": "accepted"}}
    assert unit_state(decided)["status"] == "accepted"


def test_completeness_counts_per_ask_from_the_units_documents():
    subs = {
        "summary": {
            "submitted": {"revision": 1, "late": True, "items": 2},
            "reviewed": {"revision": 1, "status": "accepted"},
        }
    }
    view = domain.completeness_view(header(), units(**{"sz-kx": {"subs": subs}}))
    summary, plan = view["asks"][1], view["asks"][0]  # by deadline: the plan is due first
    assert (summary["ask_id"], summary["owed"], summary["accepted"], summary["pending"], summary["late"]) == (
        "summary",
        3,
        1,
        2,
        1,
    )
    assert (plan["ask_id"], plan["owed"], [u["unit_id"] for u in plan["units"]]) == ("plan", 1, ["sz-kx"])


def test_a_unit_answering_by_items_sent_up_stands_where_its_items_do_together():
    """直接上报/择优上报: each item is its own submission upstream (``<unit's id>:<source>``), one revision each;
    they are kept apart, so accepting one does not make the unit's answer accepted while others await review."""
    from shared.events import ReportCompiled, SubmissionAccepted, SubmissionReturned
    from shared.schemas import Contribution, UpwardMode

    def item(source: str, name: str, revision: int = 1) -> ReportCompiled:
        return ReportCompiled(
            occurred_at=T0,
            origin_node="sz",
            report_id=f"r-{source}",
            submission_id=f"n1:summary:sz-kx:{source}",
            notice_id="n1",
            source_notice_id="f1",
            ask_id="summary",
            kind=AskKind.summary_report,
            unit_id="sz-kx",
            unit_name="名sz-kx",
            unit_node="sz",
            issuer_node="gd",
            to_unit_id="gd-kx",
            revision=revision,
            items=[{"text": name}],
            contributions=[
                Contribution(submission_id=f"f1:summary:{source}", unit_id=source, unit_name=name, revision=1, items=1)
            ],
            compiled_by="审核人",
            compiled_at=T0,
            upward=UpwardMode.direct,
        )

    def decided(cls, source: str, revision: int = 1, **kw):
        return cls(
            occurred_at=T0,
            origin_node="gd",
            submission_id=f"n1:summary:sz-kx:{source}",
            notice_id="n1",
            ask_id="summary",
            unit_id="sz-kx",
            to_unit_id="gd-kx",
            revision=revision,
            reviewed_by="省审核人",
            reviewed_at=T0 + timedelta(hours=1),
            **kw,
        )

    entry: dict = {}

    def apply(event) -> dict:
        part, revision, fields = domain.submission_state(event)
        source = domain.item_source(event)
        assert source is not None
        entry.setdefault("up", {}).setdefault(source, {})[part] = {**fields, "revision": revision}
        return domain.unit_state(entry)

    apply(item("ns-kx", "南山区科协"))
    state = apply(item("ft-kx", "福田区科协"))
    assert (state["status"], state["items"], state["sent_up"], state["upward"], state["compiled"]) == (
        "submitted",
        2,
        2,
        "direct",
        False,
    )
    assert apply(decided(SubmissionAccepted, "ns-kx"))["status"] == "submitted"  # 福田's still awaits review
    state = apply(decided(SubmissionReturned, "ft-kx", reason="请补充经费预算"))
    assert (state["status"], state["reason"]) == ("returned", "福田区科协：请补充经费预算")
    assert apply(item("ft-kx", "福田区科协", revision=2))["status"] == "submitted"  # sent up again
    assert apply(decided(SubmissionAccepted, "ft-kx", revision=2))["status"] == "accepted"
    # The unit's own submission (or its 汇总) is no item.
    own = decided(SubmissionAccepted, "x").model_copy(update={"submission_id": "n1:summary:sz-kx"})
    assert domain.item_source(own) is None
    view = domain.completeness_view(header(), units(**{"sz-kx": {"subs": {"summary": entry}}}))
    [row] = [u for u in view["asks"][1]["units"] if u["unit_id"] == "sz-kx"]
    assert (row["status"], row["upward"], row["sent_up"], row["items"]) == ("accepted", "direct", 2, 2)


def test_a_statistics_row_counts_signing_and_answering_of_its_units_notices():
    later = notice(notice_id="n2", issued_at=T0 + timedelta(days=1), asks=[])
    sz = unit("sz-kx")
    docs = [
        {
            **domain.unit_fields(notice(), sz, TZ),
            "ack": {"at": T0 + timedelta(hours=3)},
            "subs": {
                "summary": {"submitted": {"revision": 1, "late": False}},
                "plan": {"submitted": {"revision": 1, "late": True}, "reviewed": {"revision": 1, "status": "returned"}},
            },
        },
        {**domain.unit_fields(later, sz.model_copy(update={"name": "新名"}), TZ), "ack": {"at": later.issued_at}},
        {**domain.unit_fields(notice(notice_id="n3"), sz, TZ), "withdrawn": True, "ack": {"at": T0}},
        {"_id": "n4:sz-kx", "ack": {"at": T0}},  # a receipt whose notice never named the unit
    ]
    row = domain.row_figures(docs)
    assert (row["name"], row["notices"], row["acknowledged"], row["ack_rate"], row["avg_ack_hours"]) == (
        "新名",
        2,
        2,
        1.0,
        1.5,
    )
    assert (row["owed"], row["submitted"], row["on_time"], row["late"], row["returned"], row["pending"]) == (
        2,
        2,
        1,
        1,
        1,
        0,
    )
    assert row["on_time_rate"] == 0.5 and row["listed"] is True
    assert domain.row_figures(docs[2:])["listed"] is False  # only withdrawn notices: not shown
    assert set(domain.row_view({**row, "_id": "x", "version": 3})) == set(domain.ROW_FIELDS)
