"""Rules of notices, without I/O: 文号, forwarding deadlines and slack, events in parts, the original as text."""

from datetime import UTC, datetime

import pytest

from services.notices import domain
from shared.contracts.notices import CorrectNotice, UpsertUnit
from shared.errors import Invalid
from shared.events import NoticeIssued
from shared.schemas import Ask, NoticeSnapshot, Route, UnitKind, UnitRef

from ..fixtures import deadline, seed000_national, seed003_national

NOW = datetime(2021, 4, 25, 1, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"


def ask(ask_id: str, day: str, **kw) -> Ask:
    return Ask.model_validate({"ask_id": ask_id, "kind": "plan", "title": f"要求{ask_id}", "deadline": day, **kw})


def unit(unit_id: str, node: str = "n1", kind: UnitKind = UnitKind.kexie) -> UnitRef:
    return UnitRef(unit_id=unit_id, name=f"单位{unit_id}", kind=kind, node_id=node)


def snapshot(recipients: list[UnitRef], **kw) -> NoticeSnapshot:
    return NoticeSnapshot(
        notice_id="N1",
        doc_number="甲〔2021〕1号",
        title="通知",
        issuers=[unit("boss")],
        recipients=recipients,
        root_notice_id="N1",
        issued_at=NOW,
        **kw,
    )


def test_doc_number_from_template():
    assert domain.format_doc_number("粤科协联〔{year}〕{seq}号", prefix="x", year=2020, seq=9) == "粤科协联〔2020〕9号"
    assert domain.format_doc_number(None, prefix="渭南市科协", year=2020, seq=12) == "渭南市科协〔2020〕12号"
    with pytest.raises(Invalid) as exc:
        domain.check_doc_number_template("甲〔{year}〕号")
    assert exc.value.field == "doc_number_template"


@pytest.mark.parametrize(
    "forwarded, upstream, working, expected",
    [
        # 2021-05-08 was an adjusted working Saturday, 05-09 a Sunday, 05-10 a Monday.
        ((2021, 5, 8), (2021, 5, 10), True, 1),
        ((2021, 5, 8), (2021, 5, 10), False, 2),
        ((2021, 5, 10), (2021, 5, 10), True, 0),
        # Around 劳动节 2021 (5月1日–5日 off): from 4月30日 to 5月6日 only 5月6日 is a working day.
        ((2021, 4, 30), (2021, 5, 6), True, 1),
        ((2021, 4, 30), (2021, 5, 6), False, 6),
        # Seed 000: 6月10日 → 6月20日 (a Saturday) 2020: 6月11–12, 15–19 → 7 working days.
        ((2020, 6, 10), (2020, 6, 20), True, 7),
        # Outside the years the holiday calendar knows: Monday to Friday.
        ((2031, 1, 3), (2031, 1, 6), True, 1),
    ],
)
def test_slack_days(forwarded, upstream, working, expected):
    f = datetime.fromisoformat(deadline(*forwarded))
    u = datetime.fromisoformat(deadline(*upstream))
    assert domain.slack_days(f, u, TZ, working=working) == expected


def test_forward_asks_move_earlier_take_new_routes_and_warn_on_short_slack():
    upstream = [Ask.model_validate(a) for a in seed003_national()["asks"]]
    routes = [Route(unit_kind=UnitKind.kexie, to_unit_id="qh-kx", department="办公室")]
    asks, warnings = domain.forward_asks(
        upstream,
        {"plan": datetime.fromisoformat(deadline(2021, 5, 8))},
        routes,
        NOW,
        unit_kinds={"plan": [UnitKind.department]},
        tz=TZ,
        min_slack=3,
        working_days=True,
    )
    assert [a.ask_id for a in asks] == ["plan", "summary"]
    assert asks[0].deadline == datetime.fromisoformat(deadline(2021, 5, 8))
    assert asks[0].unit_kinds == [UnitKind.department] and asks[1].unit_kinds == upstream[1].unit_kinds
    assert all(a.routes == routes for a in asks)
    # plan: 1 working day left; summary unchanged: 0 left. Both warned, each naming its ask.
    assert [(w["field"], w["slack_days"]) for w in warnings] == [("deadlines.plan", 1), ("deadlines.summary", 0)]
    assert "特色亮点活动筹备方案" in warnings[0]["message"]


def test_forward_asks_refuse_a_later_deadline_naming_the_ask():
    upstream = [Ask.model_validate(a) for a in seed000_national()["asks"]]
    later = datetime.fromisoformat(deadline(2020, 6, 21))
    with pytest.raises(Invalid) as exc:
        domain.forward_asks(
            upstream, {"summary": later}, [], NOW.replace(year=2020), tz=TZ, min_slack=3, working_days=True
        )
    assert exc.value.field == "deadlines.summary" and exc.value.code == "deadline_after_upstream"
    assert "活动总结" in exc.value.message and "2020-06-21" in exc.value.message and "2020-06-20" in exc.value.message


def test_check_asks_keeps_an_unchanged_past_deadline_in_a_correction():
    past = ask("a", "2021-04-01T00:00:00+08:00")
    with pytest.raises(Invalid) as exc:
        domain.check_asks([past], NOW, {})
    assert exc.value.field == "asks.0.deadline"
    domain.check_asks([past], NOW, {}, unchanged=[past])


def test_markup_in_titles_is_refused():
    domain.check_title("关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知")
    domain.check_title("a < b 的比较")
    for bad in ("<script>alert(1)</script>", "标题<img src=x onerror=alert(1)>", "</title>"):
        with pytest.raises(Invalid):
            domain.check_title(bad)


def test_events_split_recipients_into_parts_and_copy_per_node():
    recipients = [unit(f"a{i}", "n1") for i in range(5)] + [unit("b1", "n2"), unit("b2", "n2"), unit("c1", "n3")]
    notice = snapshot(recipients)

    def make(n, part, parts):
        return NoticeIssued(occurred_at=NOW, origin_node="n1", notice=n, part=part, parts=parts)

    events = domain.notice_events(make, notice, "n1", per_event=3)
    local = [e for e, dest in events if dest is None]
    assert [(e.part, e.parts, len(e.notice.recipients)) for e in local] == [(1, 3, 3), (2, 3, 3), (3, 3, 2)]
    assert [r.unit_id for e in local for r in e.notice.recipients] == [r.unit_id for r in recipients]
    to_n2 = [e for e, dest in events if dest == "n2"]
    assert [[r.unit_id for r in e.notice.recipients] for e in to_n2] == [["b1", "b2"]]
    to_n3 = [e for e, dest in events if dest == "n3"]
    assert [[r.unit_id for r in e.notice.recipients] for e in to_n3] == [["c1"]]
    assert len({e.event_id for e, _ in events}) == len(events)


def test_correction_changes_only_what_differs_and_bumps_the_revision():
    notice = snapshot([unit("a")], body="正文")
    new, changed = domain.corrected(notice, CorrectNotice(notice_id="N1", reason="r", title="新标题", body="正文"))
    assert changed == ["title"] and new.revision == 2 and new.title == "新标题"
    with pytest.raises(Invalid) as exc:
        domain.corrected(notice, CorrectNotice(notice_id="N1", reason="r", body="正文"))
    assert exc.value.code == "no_change"


def test_original_text_carries_the_notice():
    notice = snapshot(
        [unit("a")],
        body="活动主题：科技为民、奋斗有我。",
        asks=[ask("plan", "2021-05-10T23:59:59+08:00", min_items=1, max_items=3, note="约3项")],
    )
    text = domain.original_text(notice, TZ)
    assert text.startswith("甲〔2021〕1号\n\n通知\n")
    assert "科技为民、奋斗有我" in text and "要求plan（1-3项，截止 2021-05-10 23:59）" in text and "约3项" in text


def test_the_original_names_every_addressee_not_the_units_this_node_holds():
    """A node holds only its own units of a notice it received; the 原文 a 转发 carries names them all."""
    written = snapshot([unit("a")], addressees="各地级以上市科协、科技局（委），各省级学会、协会、研究会")
    assert "主送：各地级以上市科协、科技局（委），各省级学会、协会、研究会\n" in domain.original_text(written, TZ)
    derived = snapshot([unit("a"), unit("b")])  # stored before the 主送机关 existed: from what is there
    assert "主送：" in domain.original_text(derived, TZ) and "收文单位" not in domain.original_text(derived, TZ)


@pytest.mark.parametrize(
    "ctype, head, ok",
    [
        ("application/pdf", b"%PDF-1.7 ...", True),
        ("application/pdf", b"MZ\x90\x00", False),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04...", True),
        ("application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...", True),
        ("image/png", b"\x89PNG\r\n\x1a\n...", True),
        ("image/jpeg", b"GIF89a", False),
        ("text/plain", "联系人：李想".encode(), True),
        ("text/plain", "联系人：李想".encode("gb18030"), True),
        ("text/plain", "联系人".encode()[:-1], True),  # a character cut by the sample's end
        ("text/plain", b"\x00\x01binary", False),
    ],
)
def test_content_must_match_its_declared_type(ctype, head, ok):
    assert domain.content_matches_type(ctype, head) is ok


def test_unit_rules():
    with pytest.raises(Invalid) as exc:
        domain.check_unit(UpsertUnit(unit_id="a", name="甲", kind="科协", runs_own_node=True))
    assert exc.value.field == "node_id"
    with pytest.raises(Invalid):
        domain.check_unit(UpsertUnit(unit_id="a", name="甲", kind="科协", parent_id="a"))
    assert domain.parent_cycle("a", {"a": "b", "b": "c", "c": "a"})
    assert not domain.parent_cycle("a", {"a": "b", "b": None})


# ---------------------------------------------------------------- 转发 recipients, upstream changes


def test_forward_refusals_name_the_forwarders_the_upstream_issuers_and_the_ancestors():
    upstream = snapshot(
        [unit("gd-kx")],
        chain=[
            {
                "notice_id": "N0",
                "doc_number": "甲〔2021〕0号",
                "issuer_name": "单位top",
                "issuer_unit_id": "top",
                "node_id": "n0",
                "issued_at": NOW,
            }
        ],
    )
    upstream = upstream.model_copy(update={"issuers": [unit("cast"), unit("most", kind=UnitKind.keji)]})
    refused = domain.forward_refusals([unit("sz-kx")], upstream, {"gd-kx": "广东省科学技术协会", "cast": "中国科协"})
    assert refused["sz-kx"] == ("forward_to_self", "转发不能发给本单位：单位sz-kx")
    assert refused["most"][0] == refused["top"][0] == "forward_to_upstream_issuer"
    assert refused["cast"][0] == "forward_to_upstream_issuer"  # an upstream issuer first, though an ancestor too
    assert refused["gd-kx"] == ("forward_to_ancestor", "广东省科学技术协会是本单位的上级单位，转发只能发给下级单位")
    known = {u: unit(u) for u in ("sz-ft", "gd-kx")}
    with pytest.raises(Invalid) as exc:
        domain.check_recipients(["sz-ft", "gd-kx"], known, refused=refused)
    assert (exc.value.field, exc.value.code) == ("recipient_unit_ids.1", "forward_to_ancestor")
    assert [u.unit_id for u in domain.check_recipients(["sz-ft"], known, refused=refused)] == ["sz-ft"]


def test_upstream_change_ids_are_the_same_everywhere_and_the_latest_change_wins():
    assert domain.change_id("N1", "corrected", 2) != domain.change_id("N1", "corrected", 3)
    assert domain.change_id("N1", "withdrawn", 2) == domain.change_id("N1", "withdrawn")
    a, b = domain.derived_event_id("N1-r2", "F1"), domain.derived_event_id("N1-r2", "F2")
    assert a == domain.derived_event_id("N1-r2", "F1") and a != b and 10 <= len(a) <= 40
    corrected = {"kind": "corrected", "at": NOW, "revision": 2}
    withdrawn = {"kind": "withdrawn", "at": NOW, "revision": None}
    later = {"kind": "corrected", "at": NOW.replace(hour=2), "revision": 3}
    assert domain.latest_change({}) is None
    assert domain.latest_change({"x": withdrawn, "y": corrected}) is withdrawn  # same instant: 撤回 is final
    assert domain.latest_change({"x": withdrawn, "y": later}) is later
