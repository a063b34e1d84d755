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
    return Ask(**{"ask_id": "summary", "kind": "summary_report", "title": "总结", "deadline": DEADLINE,
                  "routes": SEED000_ROUTES, **extra})


@pytest.mark.parametrize("kind, expected", [
    (UnitKind.keji, ("gd-kjt", "引进智力管理处")),
    (UnitKind.kexie, ("gd-kx", "组织联络部")),
    (UnitKind.society, ("gd-kx", "组织联络部")),
    (UnitKind.university, ("gd-kx", "组织联络部")),
    (UnitKind.enterprise, ("lead", None)),  # no route for its kind: the lead issuer, no department
])
def test_route_by_unit_kind_as_in_seed_000(kind, expected):
    assert domain.route_for(ask(), unit("u", kind), "lead") == expected


def test_first_matching_route_wins():
    routes = [Route(unit_kind=UnitKind.kexie, to_unit_id="first", department="甲"),
              Route(unit_kind=UnitKind.kexie, to_unit_id="second", department="乙")]
    assert domain.route_for(ask(routes=routes), unit("u", UnitKind.kexie), "lead") == ("first", "甲")


def test_only_the_named_kinds_must_answer():
    liaison = ask(ask_id="liaison", kind="liaison_form", unit_kinds=[UnitKind.kexie, UnitKind.society])
    assert domain.must_answer(liaison, unit("a", UnitKind.kexie))
    assert not domain.must_answer(liaison, unit("b", UnitKind.keji))
    assert domain.must_answer(ask(), unit("b", UnitKind.keji))  # no kinds named: everyone


def test_expectations_cover_recipients_hosted_here_that_must_answer():
    notice = NoticeSnapshot(
        notice_id="n1", doc_number="x", title="t", root_notice_id="n1", issued_at=DEADLINE,
        issuers=[unit("gd-kx", UnitKind.kexie), unit("gd-kjt", UnitKind.keji)],
        recipients=[unit("sz-kx", UnitKind.kexie), unit("sz-kjj", UnitKind.keji),
                    unit("fs-kx", UnitKind.kexie, node="fs")],  # hosted on another node
        asks=[ask(), ask(ask_id="liaison", kind="liaison_form", unit_kinds=[UnitKind.kexie])],
    )
    docs = domain.expectations(notice, "gd")
    assert sorted((d["ask_id"], d["unit_id"], d["to_unit_id"], d["department"]) for d in docs) == [
        ("liaison", "sz-kx", "gd-kx", "组织联络部"),
        ("summary", "sz-kjj", "gd-kjt", "引进智力管理处"),
        ("summary", "sz-kx", "gd-kx", "组织联络部"),
    ]
    assert all(d["status"] == "pending" and d["deadline"] == DEADLINE for d in docs)
    # Deterministic ids: a redelivered notice maps onto the same expectations.
    assert [d["_id"] for d in docs] == [d["_id"] for d in domain.expectations(notice, "gd")]
    assert docs[0]["_id"] == domain.expectation_id("n1", docs[0]["ask_id"], docs[0]["unit_id"])
    assert [d["unit_id"] for d in domain.expectations(notice, "fs")] == ["fs-kx", "fs-kx"]
