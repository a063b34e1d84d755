"""导入公文 → 拟稿 (services/gateway/features/imports): which draft a unit makes of a document it imports — a notice
of its own, a 转发 of the notice it received in Cascade, or a notice forwarding another unit's document — and
which of its fields a person has checked. The documents are the seeds, read as the notices service reads them."""

from datetime import UTC, datetime

import pytest

from services.gateway.features.imports import drafting
from services.gateway.features.imports.drafting import plan, without
from services.gateway.features.imports.reviews import facet, fields_of, reviewed
from services.notices.handlers.intake import directory_of, level_of, same_number, with_departments
from services.notices.intake import parse_text
from shared.contracts.common import Actor
from shared.contracts.intake import DocumentRead, KnownNotice
from shared.schemas import Role

from ..fixtures import DIRECTORY
from ..seeds_expected import EXPECTED, seed_text

pytestmark = pytest.mark.unit

STORED = [
    {"_id": u.unit_id, "name": u.name, "kind": u.kind.value, "mark_name": u.mark_name, "departments": u.departments}
    for u in DIRECTORY
]
# The directory as the gateway reads it (Notices.all_units).
UNITS = [
    {
        "id": u.unit_id,
        "name": u.name,
        "kind": u.kind.value,
        "parent_id": u.parent_id,
        "departments": u.departments,
        "contacts": [c.model_dump(mode="json") for c in u.contacts],
    }
    for u in DIRECTORY
]
SOURCE = {
    "attachment_id": "a1",
    "filename": "来文.pdf",
    "content_type": "application/pdf",
    "size": 10,
    "sha256": "0" * 64,
}


def actor(unit: str) -> Actor:
    return Actor(user_id="u", display_name="拟稿人", unit_id=unit, roles=[Role.issuer])


def read_of(n: int, known: dict[int, KnownNotice] | None = None) -> DocumentRead:
    text = seed_text(n)
    d = with_departments(parse_text(text, directory=directory_of(STORED)), STORED)
    levels = [level_of(i, lv, text) for i, lv in enumerate(d.chain())]
    for i, k in (known or {}).items():
        levels[i] = levels[i].model_copy(update={"known": k})
    return DocumentRead(file_type="text", text=text, recognised=True, levels=levels)


def received(notice_id: str, doc_number: str, title: str = "") -> KnownNotice:
    return KnownNotice(notice_id=notice_id, doc_number=doc_number, title=title, relation="received")


NATIONAL_000 = {
    "id": "n0",
    "doc_number": "科协发组字〔2020〕7号",
    "title": "中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知",
    "issuers": [{"unit_id": "cast"}, {"unit_id": "most"}],
    "asks": [
        {"ask_id": "summary", "kind": "summary_report", "title": "活动总结（文字信息）"},
        {"ask_id": "media", "kind": "media", "title": "影像资料"},
    ],
}


# ---------------------------------------------------------------- which draft


def test_the_units_own_notice_is_a_notice_draft_of_its_fields():
    p = plan(read_of(2), actor("cast-bgt"), UNITS)
    c = p.content
    assert (p.kind, p.own_level, p.carried) == ("notice", 0, False)
    assert (c["doc_number"], c["title"], c["issuer_unit_ids"]) == (
        "科协办函组字〔2020〕29号",
        EXPECTED[2][0].title,
        ["cast-bgt"],
    )
    assert [a["ask_id"] for a in c["asks"]] == ["plan", "summary-report"]
    assert c["addressees"].startswith("各全国学会、协会、研究会") and c["attachment_names"] == list(
        EXPECTED[2][0].attachments
    )
    assert "recipient_unit_ids" not in c  # the 办公厅 has no subordinates: the person chooses
    assert any(n["field"] == "recipient_unit_ids" for n in p.notes)


def test_a_co_issuer_that_imports_a_joint_notice_leads_its_draft():
    p = plan(read_of(1), actor("wn-kjj"), UNITS)
    assert p.content["issuer_unit_ids"] == ["wn-kjj", "wn-kx"]
    assert any("主办单位" in (n["message"] or "") for n in p.notes)


def test_the_units_own_forward_of_a_notice_it_received_is_a_forward_draft():
    doc = read_of(0, {1: received("n0", "科协发组字〔2020〕7号")})
    me = actor("gd-kx")
    assert drafting.forward_target(doc, me) == "n0"
    p = plan(doc, me, UNITS, forwarding=NATIONAL_000)
    c = p.content
    assert (p.kind, p.own_level, p.forwarding and p.forwarding["notice_id"]) == ("forward", 0, "n0")
    assert (c["notice_id"], c["unit_id"], c["co_issuer_unit_ids"]) == ("n0", "gd-kx", ["gd-kjt"])
    assert p.ask_ids == {
        "summary-report": "summary",
        "media": "media",
    }  # "文字信息" is Cascade's "活动总结（文字信息）"
    assert set(c["deadlines"]) == {"summary", "media"}
    assert {(r["unit_kind"], r["to_unit_id"]) for r in c["routes"]} >= {("科技厅/局", "gd-kjt"), ("科协", "gd-kx")}
    assert "attachment_names" not in c  # a 转发 carries the original itself


def test_the_units_own_forward_of_a_notice_not_in_cascade_is_a_notice_saying_so():
    p = plan(read_of(0), actor("gd-kx"), UNITS, source=SOURCE)
    assert p.kind == "notice" and p.content["doc_number"] == "粤科协联〔2020〕9号"
    assert any("不在本单位的收文中" in (n["message"] or "") for n in p.notes)
    assert p.content["attachments"] == [SOURCE]


def test_another_units_notice_not_in_cascade_becomes_this_units_forwarding_notice():
    me = actor("wn-lw-kx")  # 临渭区科协 got the city's notice on paper
    doc = read_of(1)
    assert drafting.forward_target(doc, me) is None
    p = plan(doc, me, UNITS, source=SOURCE)
    c = p.content
    assert (p.kind, p.carried) == ("notice", True)
    assert c["title"] == f"关于转发《{EXPECTED[1][0].title}》的通知" and "doc_number" not in c
    assert c["issuer_unit_ids"] == ["wn-lw-kx"] and c["attachments"] == [SOURCE]
    assert "渭科协发〔2020〕12号" in c["body"]
    assert [a["ask_id"] for a in c["asks"]] == ["summary-report", "media"]  # its deadlines, to be moved earlier
    assert set(c["recipient_unit_ids"]) == {"wn-lw-nxh", "wn-lw-qy-kx"}
    # the city's 文号, issuers and contacts are shown, not taken as this unit's
    fields = fields_of(doc, p, c, [])
    use = {f["key"]: f["use"] for f in fields}
    assert use["doc_number"] == use["issuers.0"] == use["contacts.0"] == "info"
    assert use["asks.media.deadline"] == "draft"


def test_another_units_notice_received_in_cascade_becomes_its_forward():
    me = actor("wn-lw-kx")
    doc = read_of(1, {0: received("n1", "渭科协发〔2020〕12号")})
    assert drafting.forward_target(doc, me) == "n1"
    city = {"id": "n1", "doc_number": "渭科协发〔2020〕12号", "title": EXPECTED[1][0].title, "asks": []}
    p = plan(doc, me, UNITS, forwarding=city)
    assert (p.kind, p.own_level) == ("forward", None)
    assert p.content["notice_id"] == "n1" and p.content["unit_id"] == "wn-lw-kx"
    assert any("本身" in (n["message"] or "") for n in p.notes)


def test_forwarding_a_notice_the_document_does_not_mention_is_said():
    p = plan(read_of(2), actor("gd-kx"), UNITS, forwarding=NATIONAL_000, explicit=True)
    assert p.kind == "forward" and any(n["field"] == "notice_id" for n in p.notes)


def test_an_ask_of_the_forward_with_the_id_of_an_inherited_one_is_renamed():
    notice = {**NATIONAL_000, "asks": [{"ask_id": "plan", "kind": "plan", "title": "特色亮点活动筹备方案"}]}
    out = drafting.Plan("forward", {})
    extra = drafting._own_ids(out, [{"ask_id": "plan"}, {"ask_id": "plan-2"}], notice)
    assert [a["ask_id"] for a in extra] == ["plan-3", "plan-2"] and out.own_ids == {"plan": "plan-3"}


def test_asks_pair_by_kind_and_closest_title():
    cascade = [
        {"ask_id": "a", "kind": "plan", "title": "简要活动方案"},
        {"ask_id": "b", "kind": "plan", "title": "特色亮点活动筹备方案"},
    ]
    assert drafting.pair_asks({"x": ("plan", "特色亮点活动筹备方案")}, cascade) == {"x": "b"}
    assert drafting.pair_asks({"x": ("media", "影像资料")}, cascade) == {}


def test_numbers_compare_without_spaces_and_bracket_kinds():
    assert same_number("科协发组字 [2020] 7 号") == same_number("科协发组字〔2020〕7号")
    assert drafting.same_number("粤科协联（2020）9号") == drafting.same_number("粤科协联〔2020〕9号")


# ---------------------------------------------------------------- a refused part left out


def test_a_refused_part_is_left_out_and_named():
    content = {
        "title": "t",
        "doc_number": "x〔2020〕1号",
        "issuer_unit_ids": ["a", "b"],
        "asks": [
            {"ask_id": "p", "title": "方案", "routes": [{"unit_kind": "科协"}, {"unit_kind": "高校科协"}]},
            {"ask_id": "s", "title": "总结", "routes": []},
        ],
        "deadlines": {"plan": "2020-01-01T00:00:00Z"},
    }
    less, what = without(content, "asks.1.deadline")
    assert [a["ask_id"] for a in less["asks"]] == ["p"] and what == "报送要求“总结”"
    less, what = without(content, "asks.0.routes.1.department")
    assert [r["unit_kind"] for r in less["asks"][0]["routes"]] == ["科协"] and "高校科协" in what
    assert without(content, "deadlines.plan")[0]["deadlines"] == {}
    assert without(content, "issuer_unit_ids.1")[0]["issuer_unit_ids"] == ["a"]
    assert "doc_number" not in without(content, "doc_number")[0]
    assert without(content, "issuer_unit_ids.0") is None  # the drafting unit itself
    assert without(content, "notice_id") is None and without(content, "asks.9.title") is None
    assert content["asks"][1]["ask_id"] == "s"  # the content given is left as it was


# ---------------------------------------------------------------- 待核对, 已核对, 已修改


def test_a_field_is_pending_until_confirmed_or_edited_in_the_draft():
    doc = read_of(2)
    p = plan(doc, actor("cast-bgt"), UNITS)
    record = {"kind": p.kind, "ask_ids": p.ask_ids, "own_ids": p.own_ids, "confirmed": []}
    record["fields"] = fields_of(doc, p, p.content, [])
    content = p.content
    states = {f.id: f.state for f in reviewed(record, content)}
    assert set(states.values()) == {"pending"}
    # saved again unchanged (deadlines written in another zone) is no edit; a new title is
    same = {**content, "asks": [{**a, "deadline": _in_beijing(a["deadline"])} for a in content["asks"]]}
    assert {f.state for f in reviewed(record, same)} == {"pending"}
    edited = {**content, "title": "新标题"}
    states = {f.id: f.state for f in reviewed(record, edited)}
    assert states["0:title"] == "edited" and states["0:doc_number"] == "pending"
    record["confirmed"] = [{"id": "0:doc_number", "by": "拟稿人", "at": datetime.now(UTC)}]
    assert {f.id: f.state for f in reviewed(record, edited)}["0:doc_number"] == "confirmed"
    # the draft no longer editable here: only what was confirmed counts
    assert {f.id: f.state for f in reviewed(record, None)}["0:title"] == "pending"


def _in_beijing(iso: str) -> str:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai")).isoformat()


def test_a_left_out_ask_is_said_with_why():
    doc = read_of(2)
    p = plan(doc, actor("cast-bgt"), UNITS)
    left = [{"field": "asks.0.deadline", "message": "已过", "key": "asks.plan."}]
    rows = {f["key"]: f for f in fields_of(doc, p, p.content, left)}
    assert rows["asks.plan.deadline"]["use"] == "left_out" and rows["asks.plan.deadline"]["reason"] == "已过"
    assert rows["asks.summary-report.deadline"]["use"] == "draft"


def test_facets_hold_no_arrays_of_arrays_once_kept():
    doc = read_of(0)
    p = plan(doc, actor("gd-kx"), UNITS)
    for f in fields_of(doc, p, p.content, []):
        assert "facet" not in f or isinstance(f["facet"], str)
    assert facet("notice", p.content, "routes.0", {}, {}) is not None


def test_the_import_benchmark_reads_every_seed_exactly(capsys):
    import importlib

    assert importlib.import_module("bench.import").main(["--formats", "txt"]) == 0
    out = capsys.readouterr().out
    assert "seed 003 (txt)" in out and "txt: goals" in out and "met" in out


def test_any_part_of_a_seed_imported_by_any_unit_plans_a_draft():
    """Cut, shuffled or partial documents: a plan every time (a refusal is the service's or the save's, never an
    error of the mapping)."""
    import random

    rnd = random.Random(13)
    for _ in range(60):
        lines = seed_text(rnd.randrange(4)).splitlines()
        start = rnd.randrange(len(lines))
        part = lines[start : start + rnd.randrange(1, 120)]
        if rnd.random() < 0.3:
            rnd.shuffle(part)
        text = "\n".join(part)
        if not text.strip():
            continue
        d = with_departments(parse_text(text, directory=directory_of(STORED)), STORED)
        levels = [level_of(i, lv, text) for i, lv in enumerate(d.chain())]
        doc = DocumentRead(file_type="text", text=text, recognised=True, levels=levels)
        me = actor(rnd.choice(["gd-kx", "wn-kx", "cast-bgt", "qh-kx", "wn-lw-kx", "sz-kx"]))
        forwarding = NATIONAL_000 if rnd.random() < 0.3 else None
        p = plan(doc, me, UNITS, forwarding=forwarding, explicit=forwarding is not None, source=SOURCE)
        record = {"kind": p.kind, "ask_ids": p.ask_ids, "own_ids": p.own_ids, "confirmed": []}
        record["fields"] = fields_of(doc, p, p.content, [])
        assert len(reviewed(record, p.content)) == len(record["fields"])


def test_a_document_the_unit_already_issued_is_said_to_be_imported_again():
    issued = KnownNotice(notice_id="n2", doc_number="科协办函组字〔2020〕29号", title="t", relation="issued")
    p = plan(read_of(2, {0: issued}), actor("cast-bgt"), UNITS)
    assert p.kind == "notice" and "重复导入" in (p.notes[0]["message"] or "")
