"""The status read model: updates commute and repeat harmlessly; the view orders pending first."""

from datetime import UTC, datetime, timedelta

from services.reports import domain
from shared.events import NoticeAcknowledged
from shared.schemas import NoticeSnapshot, UnitKind, UnitRef

T0 = datetime(2020, 5, 20, 2, 0, tzinfo=UTC)


def unit(uid: str, kind: UnitKind = UnitKind.kexie) -> UnitRef:
    return UnitRef(unit_id=uid, name=f"名{uid}", kind=kind, node_id="gd")


def notice() -> NoticeSnapshot:
    return NoticeSnapshot(
        notice_id="n1", doc_number="粤科协联〔2020〕9号", title="通知",
        issuers=[unit("gd-kx"), unit("gd-kjt", UnitKind.keji)],
        recipients=[unit("sz-kx"), unit("sz-kjj", UnitKind.keji), unit("gd-jxxh", UnitKind.society)],
        root_notice_id="n1", issued_at=T0,
    )


def ack(uid: str, minutes: int) -> NoticeAcknowledged:
    return NoticeAcknowledged(
        occurred_at=T0, origin_node="gd", notice_id="n1", issuer_node="gd", unit_id=uid, unit_name=uid,
        acknowledged_by="联络员", acknowledged_at=T0 + timedelta(minutes=minutes),
    )


def apply_set(doc: dict, fields: dict) -> dict:
    """MongoDB's ``$set`` with dotted paths, as the repository's upsert applies it."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in doc.items()}
    for path, value in fields.items():
        *parents, leaf = path.split(".")
        target = out
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = value
    return out


def test_issue_and_receipts_commute_and_repeat_harmlessly():
    updates = [domain.status_from_notice(notice(), "issued"), domain.receipt_fields(ack("sz-kjj", 5)),
               domain.receipt_fields(ack("sz-kx", 9))]
    in_order = {"_id": "n1"}
    for u in updates:
        in_order = apply_set(in_order, u)
    reversed_ = {"_id": "n1"}
    for u in reversed(updates):  # receipts before their notice (another node was faster)
        reversed_ = apply_set(reversed_, u)
    twice = in_order
    for u in updates:  # redelivery
        twice = apply_set(twice, u)
    assert in_order == reversed_ == twice
    assert domain.status_view(in_order)["acknowledged"] == 2


def test_view_lists_pending_first_then_acknowledged_each_by_unit_id():
    doc = apply_set({"_id": "n1"}, domain.status_from_notice(notice(), "issued"))
    doc = apply_set(doc, domain.receipt_fields(ack("sz-kjj", 1)))
    view = domain.status_view(doc)
    assert [r["unit_id"] for r in view["recipients"]] == ["gd-jxxh", "sz-kx", "sz-kjj"]
    assert (view["total"], view["acknowledged"], view["pending"]) == (3, 1, 2)
    row = view["recipients"][-1]
    assert row["acknowledged_at"] == T0 + timedelta(minutes=1) and row["acknowledged_by"] == "联络员"
    assert view["recipients"][0]["acknowledged_at"] is None


def test_joint_issue_shows_every_issuer_and_the_lead_issuer_id():
    fields = domain.status_from_notice(notice(), "issued")
    assert fields["issuer_name"] == "名gd-kx、名gd-kjt"
    assert fields["issuer_unit_id"] == "gd-kx"
    assert fields["recipients.sz-kjj"] == {"name": "名sz-kjj", "kind": "科技厅/局", "node_id": "gd"}


def test_receipt_for_a_unit_that_is_not_a_recipient_does_not_count():
    doc = apply_set({"_id": "n1"}, domain.status_from_notice(notice(), "issued"))
    doc = apply_set(doc, domain.receipt_fields(ack("stranger", 1)))
    view = domain.status_view(doc)
    assert view["acknowledged"] == 0 and view["total"] == 3


def test_a_later_receipt_of_the_same_unit_replaces_the_earlier_one():
    doc = apply_set({"_id": "n1"}, domain.receipt_fields(ack("sz-kx", 1)))
    doc = apply_set(doc, domain.receipt_fields(ack("sz-kx", 7)))
    assert doc["acks"]["sz-kx"]["at"] == T0 + timedelta(minutes=7)


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
