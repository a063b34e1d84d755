"""Who owes what to whom: routing as seed 000 describes it."""

from datetime import UTC, datetime

import pytest

from services.submissions import domain
from shared.schemas import Ask, NoticeSnapshot, Route, UnitKind, UnitRef

DEADLINE = datetime(2020, 6, 10, 15, 59, 59, tzinfo=UTC)

# Seed 000: city 科技局 report to the 科技厅's 引进智力管理处; city 科协, societies and
# university associations to the 科协's 组织联络部.
SEED000_ROUTES = [
    Route(unit_kind=UnitKind.keji, to_unit_id="gd-kjt", department="引进智力管理处"),
    Route(unit_kind=UnitKind.kexie, to_unit_id="gd-kx", department="组织联络部"),
    Route(unit_kind=UnitKind.society, to_unit_id="gd-kx", department="组织联络部"),
    Route(unit_kind=UnitKind.university, to_unit_id="gd-kx", department="组织联络部"),
]


def unit(uid: str, kind: UnitKind, node: str = "gd") -> UnitRef:
    return UnitRef(unit_id=uid, name=uid, kind=kind, node_id=node)


def ask(**extra) -> Ask:
    return Ask(
        **{
            "ask_id": "summary",
            "kind": "summary_report",
            "title": "总结",
            "deadline": DEADLINE,
            "routes": SEED000_ROUTES,
            **extra,
        }
    )


@pytest.mark.parametrize(
    "kind, expected",
    [
        (UnitKind.keji, ("gd-kjt", "引进智力管理处")),
        (UnitKind.kexie, ("gd-kx", "组织联络部")),
        (UnitKind.society, ("gd-kx", "组织联络部")),
        (UnitKind.university, ("gd-kx", "组织联络部")),
        (UnitKind.enterprise, ("lead", None)),  # no route for its kind: the lead issuer, no department
    ],
)
def test_route_by_unit_kind_as_in_seed_000(kind, expected):
    assert domain.route_for(ask(), unit("u", kind), "lead") == expected


def test_first_matching_route_wins():
    routes = [
        Route(unit_kind=UnitKind.kexie, to_unit_id="first", department="甲"),
        Route(unit_kind=UnitKind.kexie, to_unit_id="second", department="乙"),
    ]
    assert domain.route_for(ask(routes=routes), unit("u", UnitKind.kexie), "lead") == ("first", "甲")


def test_only_the_named_kinds_must_answer():
    liaison = ask(ask_id="liaison", kind="liaison_form", unit_kinds=[UnitKind.kexie, UnitKind.society])
    assert domain.must_answer(liaison, unit("a", UnitKind.kexie))
    assert not domain.must_answer(liaison, unit("b", UnitKind.keji))
    assert domain.must_answer(ask(), unit("b", UnitKind.keji))  # no kinds named: everyone


def test_expectations_a_recipient_node_keeps_its_own_units_and_the_issuer_node_keeps_all():
    notice = NoticeSnapshot(
        notice_id="n1",
        doc_number="x",
        title="t",
        root_notice_id="n1",
        issued_at=DEADLINE,
        issuers=[unit("gd-kx", UnitKind.kexie), unit("gd-kjt", UnitKind.keji)],
        recipients=[
            unit("sz-kx", UnitKind.kexie),
            unit("sz-kjj", UnitKind.keji),
            unit("fs-kx", UnitKind.kexie, node="fs"),
        ],  # hosted on another node
        asks=[ask(), ask(ask_id="liaison", kind="liaison_form", unit_kinds=[UnitKind.kexie])],
    )
    # Received from node "nat": the node keeps only the units it hosts.
    docs = domain.expectations(notice, "gd", origin_node="nat")
    assert sorted((d["ask_id"], d["unit_id"], d["to_unit_id"], d["department"]) for d in docs) == [
        ("liaison", "sz-kx", "gd-kx", "组织联络部"),
        ("summary", "sz-kjj", "gd-kjt", "引进智力管理处"),
        ("summary", "sz-kx", "gd-kx", "组织联络部"),
    ]
    assert all(d["status"] == "pending" and d["deadline"] == DEADLINE and d["issuer_node"] == "nat" for d in docs)
    # Deterministic ids: a redelivered notice maps onto the same expectations.
    assert [d["_id"] for d in docs] == [d["_id"] for d in domain.expectations(notice, "gd", origin_node="nat")]
    assert docs[0]["_id"] == domain.expectation_id("n1", docs[0]["ask_id"], docs[0]["unit_id"])
    assert [d["unit_id"] for d in domain.expectations(notice, "fs", origin_node="nat")] == ["fs-kx", "fs-kx"]
    # Issued here: every recipient, wherever hosted, so the issuer knows who is late and whom to chase.
    mine = domain.expectations(notice, "gd", origin_node="gd")
    assert {(d["unit_id"], d["unit_node"]) for d in mine} == {("sz-kx", "gd"), ("sz-kjj", "gd"), ("fs-kx", "fs")}


def test_a_submission_only_moves_forward():
    pending = {"revision": 0, "stage": domain.PENDING}
    assert domain.applies(None, 1, domain.SUBMITTED)
    assert domain.applies(pending, 1, domain.SUBMITTED)
    submitted = {"revision": 1, "stage": domain.SUBMITTED}
    assert domain.applies(submitted, 1, domain.REVIEWED)
    assert not domain.applies(submitted, 1, domain.SUBMITTED)  # the same event again
    reviewed = {"revision": 1, "stage": domain.REVIEWED}
    assert domain.applies(reviewed, 2, domain.SUBMITTED)  # resubmitted after a 退回
    resubmitted = {"revision": 2, "stage": domain.SUBMITTED}
    assert not domain.applies(resubmitted, 1, domain.REVIEWED)  # a late decision on the old revision


def test_who_can_submit_and_review_when():
    from shared.errors import Conflict

    assert domain.can_submit({"status": "pending"}, "issued") == 1
    assert domain.can_submit({"status": "returned", "revision": 1}, "corrected") == 2
    assert domain.can_submit({"status": "submitted", "revision": 1}, "issued") == 2  # a fix before review
    with pytest.raises(Conflict, match="采用"):
        domain.can_submit({"status": "accepted", "revision": 1}, "issued")
    with pytest.raises(Conflict, match="撤回"):
        domain.can_submit({"status": "pending"}, "withdrawn")
    domain.check_review({"status": "submitted", "revision": 2}, 2)
    with pytest.raises(Conflict) as stale:
        domain.check_review({"status": "submitted", "revision": 2}, 1)
    assert stale.value.field == "revision"
    with pytest.raises(Conflict, match="尚未报送"):
        domain.check_review({"status": "pending", "revision": 0}, 1)


def test_one_reminder_at_a_time_before_the_deadline_and_one_when_missed():
    from datetime import timedelta

    days = [3, 1]
    assert domain.reminder_due(DEADLINE, DEADLINE - timedelta(days=4), days, set()) is None
    assert domain.reminder_due(DEADLINE, DEADLINE - timedelta(days=3), days, set()) == "before-3"
    assert domain.reminder_due(DEADLINE, DEADLINE - timedelta(days=2), days, {"before-3"}) is None
    # A node that was down through both offsets sends only the nearer one.
    assert domain.reminder_due(DEADLINE, DEADLINE - timedelta(hours=1), days, set()) == "before-1"
    assert domain.reminder_due(DEADLINE, DEADLINE, days, {"before-3", "before-1"}) == "missed"
    assert domain.reminder_due(DEADLINE, DEADLINE + timedelta(days=9), days, {"missed"}) is None


def test_reminders_in_working_days_skip_weekends_and_holidays_and_go_out_at_nine():
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    monday = datetime(2020, 6, 8, 23, 59, 59, tzinfo=shanghai)  # 于6月8日（星期一）前报送
    assert domain.reminder_at(monday, 1, "Asia/Shanghai", working=True) == datetime(2020, 6, 5, 9, tzinfo=shanghai)
    assert domain.reminder_at(monday, 1, "Asia/Shanghai", working=False) == monday - timedelta(days=1)  # Sunday
    # 2020: 端午节 25–27 June, 28 June (Sunday) a working day. Due Monday 29 June: 1 working day before is
    # Sunday 28th; 2 before skips the holiday back to Wednesday 24th.
    after_holiday = datetime(2020, 6, 29, 17, 0, tzinfo=shanghai)
    assert domain.reminder_at(after_holiday, 1, "Asia/Shanghai", working=True).date().isoformat() == "2020-06-28"
    assert domain.reminder_at(after_holiday, 2, "Asia/Shanghai", working=True).date().isoformat() == "2020-06-24"
    friday_evening = datetime(2020, 6, 5, 20, tzinfo=shanghai)
    assert domain.reminder_due(monday, friday_evening, [3, 1], set(), working=True) == "before-1"
    assert domain.reminder_due(monday, friday_evening, [3, 1], set(), working=False) is None
