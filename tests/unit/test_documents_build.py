"""What the documents feature maps (services/gateway/features/documents/build.py): a notice → its 公文 (a 转发 with
the levels above as 附件), an ask's 汇总表 → rows, gaps and source units, an ask → its 样表. No I/O."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from services.gateway.features.documents.build import (
    blank_form,
    document_filename,
    link_of,
    official_document,
    placeholder_number,
    signed_on,
    summary_table,
)
from shared.contracts.notices import NoticeView
from shared.contracts.submissions import SubmissionTable
from shared.schemas import Ask, Attachment, ChainLink, UnitKind, UnitRef

pytestmark = pytest.mark.unit

TZ = "Asia/Shanghai"
ISSUED = datetime(2020, 5, 19, 20, 0, tzinfo=UTC)  # 2020-05-20 04:00 in Beijing


def ref(unit_id: str, name: str, kind: str, mark: str = "") -> UnitRef:
    return UnitRef(unit_id=unit_id, name=name, kind=UnitKind(kind), node_id="n", mark_name=mark)


CAST = ref("cast", "中国科学技术协会", "科协", "中国科协")
MOST = ref("most", "中华人民共和国科学技术部", "科技厅/局", "科技部")
GD = ref("gd-kx", "广东省科学技术协会", "科协")
KJT = ref("gd-kjt", "广东省科学技术厅", "科技厅/局")
SZ = ref("sz-kx", "深圳市科学技术协会", "科协")
SZ_KJJ = ref("sz-kjj", "深圳市科技创新局", "科技厅/局")


def original_link(**extra) -> ChainLink:
    return ChainLink(
        notice_id="n0",
        doc_number="科协发组字〔2020〕7号",
        issuer_name="中国科学技术协会、中华人民共和国科学技术部",
        node_id="nat",
        issued_at=datetime(2020, 5, 11, 2, tzinfo=UTC),
        title="中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知",
        issuers=[CAST, MOST],
        addressees="各省、自治区、直辖市科协、科技厅（委、局）",
        signed_on=date(2020, 5, 11),
        printed_by="中国科协办公厅",
        **extra,
    )


def forward(**extra) -> NoticeView:
    values = {
        "id": "n1",
        "doc_number": "粤科协联〔2020〕9号",
        "title": "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知",
        "issuers": [GD, KJT],
        "body": "中国科协、科技部决定于5月30日前后组织开展系列活动。\n一、活动主题\n科技为民、奋斗有我。",
        "cover_note": "现将……转发给你们，并就有关事项通知如下：\n一、广泛凝聚合力，做好工作预案",
        "recipients": [SZ, SZ_KJJ],
        "root_notice_id": "n0",
        "parent_notice_id": "n0",
        "chain": [original_link()],
        "issued_at": ISSUED,
        "kind": "forwarded",
        "origin": "local",
        "attachments": [
            Attachment(
                attachment_id="a1",
                filename="原文-科协发组字〔2020〕7号.txt",
                content_type="text/plain",
                size=1,
                sha256="0" * 64,
                original_of="n0",
            ),
            Attachment(
                attachment_id="a2", filename="附件2 回执表.docx", content_type="text/plain", size=1, sha256="1" * 64
            ),
        ],
    }
    return NoticeView.model_validate(values | extra)


def test_a_forward_is_its_own_document_with_the_original_following_as_its_attachment():
    doc = official_document(forward(), TZ)
    assert [(i.name, i.mark) for i in doc.issuers] == [
        ("广东省科学技术协会", "广东省科学技术协会"),
        ("广东省科学技术厅", "广东省科学技术厅"),
    ]
    assert doc.addressees == "各地级以上市科协、科技局（委）"  # from the recipients, none written
    assert doc.body[0].text.startswith("现将……转发给你们") and doc.body[1].heading.startswith("一、")
    assert doc.attachment_names == ["回执表"]  # the original is not listed: it follows
    assert doc.signed_on == date(2020, 5, 20)  # the day of issue in the node's zone
    [original] = doc.attachments_following
    assert [i.mark for i in original.issuers] == ["中国科协", "科技部"]
    assert original.doc_number == "科协发组字〔2020〕7号" and original.signed_on == date(2020, 5, 11)
    assert original.body[0].text.startswith("中国科协、科技部决定")  # the notice's body is the original's
    assert original.printed_by == "中国科协办公厅" and original.printed_on == date(2020, 5, 11)
    assert original.attachments_following == []


def test_written_elements_are_kept_and_a_forward_without_a_note_says_what_it_forwards():
    doc = official_document(
        forward(
            cover_note="",
            addressees="深圳市科协、科技创新局",
            attachment_names=["活动方案", "回执表"],
            urgency="特急",
            copy_to=["省委宣传部"],
            printed_by="广东省科学技术协会办公室",
            notes="此件主动公开",
        ),
        TZ,
    )
    assert doc.addressees == "深圳市科协、科技创新局"
    assert doc.attachment_names == ["活动方案", "回执表"] and doc.urgency == "特急"
    assert (
        doc.body[0].text
        == "现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们，请结合实际认真贯彻落实。"
    )
    assert doc.copy_to == ["省委宣传部"] and doc.printed_on == date(2020, 5, 20) and doc.notes == ["此件主动公开"]


def test_a_forward_of_a_forward_nests_each_level_and_old_links_still_render():
    middle = ChainLink(
        notice_id="n1",
        doc_number="粤科协联〔2020〕9号",
        issuer_name="广东省科学技术协会、广东省科学技术厅",  # a link stored before links carried their issuers
        node_id="prov",
        issued_at=datetime(2020, 5, 20, 2, tzinfo=UTC),
        title="关于转发《…》的通知",
        cover_note="现将……转发给你们。",
    )
    doc = official_document(
        forward(id="n2", doc_number="深科协〔2020〕3号", issuers=[SZ], chain=[original_link(), middle]), TZ
    )
    [level] = doc.attachments_following
    assert [i.name for i in level.issuers] == ["广东省科学技术协会", "广东省科学技术厅"]
    assert level.body[0].text == "现将……转发给你们。"
    [original] = level.attachments_following
    assert original.doc_number == "科协发组字〔2020〕7号"


def test_text_an_xml_file_cannot_hold_is_dropped():
    doc = official_document(forward(title="关于\x01转发的\x0b通知", cover_note="现将\x00转发"), TZ)
    assert doc.title == "关于转发的通知" and doc.body[0].text == "现将转发"


def test_the_signing_date_is_the_notices_own_when_it_records_one():
    assert signed_on(SimpleNamespace(signed_on=date(2020, 5, 18), issued_at=ISSUED), TZ) == date(2020, 5, 18)
    assert signed_on(SimpleNamespace(signed_on="2020-05-18", issued_at=ISSUED), TZ) == date(2020, 5, 18)
    assert signed_on(SimpleNamespace(signed_on=None, issued_at=ISSUED), TZ) == date(2020, 5, 20)
    assert signed_on(SimpleNamespace(issued_at=ISSUED), TZ) == date(2020, 5, 20)


def test_a_notice_as_the_link_a_forward_of_it_would_carry():
    link = link_of(forward())
    assert link.doc_number == "粤科协联〔2020〕9号" and link.issuers == [GD, KJT]
    assert link.addressees == "各地级以上市科协、科技局（委）" and link.attachment_names == ["回执表"]


def test_a_preview_shows_the_number_to_come_and_a_file_name_fits_a_file_system():
    assert placeholder_number("粤科协联〔{year}〕{seq}号", "广东省科学技术协会", 2020) == "粤科协联〔2020〕号"
    assert placeholder_number(None, "广东省科学技术协会", 2020) == "广东省科学技术协会〔2020〕号"
    assert placeholder_number("{bad}", "某单位", 2020) == "某单位〔2020〕号"
    assert (
        document_filename("粤科协联〔2020〕9号", "关于/转发:的\n通知", "docx")
        == "粤科协联〔2020〕9号-关于 转发 的 通知.docx"
    )
    assert (
        document_filename("", "标题" * 100, "pdf").endswith("标题.pdf")
        and len(document_filename("", "标" * 300, "pdf")) == 124
    )


# ---------------------------------------------------------------- 汇总


PLAN = Ask.model_validate(
    {
        "ask_id": "plan",
        "kind": "plan",
        "title": "特色亮点活动筹备方案",
        "deadline": "2020-06-10T15:59:59+00:00",
        "max_items": 2,
        "fields": [{"key": "activity", "label": "主题活动名称", "type": "text"}],
    }
)


def row(unit_id: str, name: str, status: str, text: str, items=(), **extra) -> dict:
    return {
        "id": f"n1:plan:{unit_id}",
        "notice_id": "n1",
        "ask_id": "plan",
        "unit_id": unit_id,
        "unit_name": name,
        "unit_node": "n",
        "issuer_node": "n",
        "to_unit_id": "gd-kx",
        "deadline": "2020-06-10T15:59:59+00:00",
        "status": status,
        "status_text": text,
        "revision": 1 if items else 0,
        "items": list(items),
        **extra,
    }


def test_the_summary_has_a_row_per_item_gaps_for_who_owes_and_the_source_of_compiled_items():
    table = SubmissionTable.model_validate(
        {
            "notice_id": "n1",
            "title": "关于开展活动的通知",
            "doc_number": "粤科协联〔2020〕9号",
            "ask": PLAN,
            "rows": [
                row("scut-kx", "华南理工大学科协", "pending", "未报送", last_reminder={"at": ISSUED, "kind": "chase"}),
                row(
                    "sz-kx",
                    "深圳市科学技术协会",
                    "accepted",
                    "已采用",
                    [{"activity": "本级活动"}, {"activity": "昆山活动"}, {"activity": "太仓活动"}],
                    contributions=[
                        {"submission_id": "s1", "unit_id": "ks", "unit_name": "昆山市科协", "revision": 1, "items": 1},
                        {"submission_id": "s2", "unit_id": "tc", "unit_name": "太仓市科协", "revision": 2, "items": 1},
                    ],
                    commendation={"category": "优秀组织单位", "note": "组织有力", "at": ISSUED},
                    submitted_at=ISSUED,
                ),
            ],
        }
    )
    summary = summary_table(table, generated_at=datetime(2020, 7, 1, tzinfo=UTC), timezone=TZ, compiled_by="广东省科协")
    assert [(r.unit_name, r.source_path, r.item_no, r.values["activity"]) for r in summary.rows] == [
        ("深圳市科学技术协会", [], 1, "本级活动"),
        ("昆山市科协", ["深圳市科学技术协会", "昆山市科协"], 2, "昆山活动"),
        ("太仓市科协", ["深圳市科学技术协会", "太仓市科协"], 3, "太仓活动"),
    ]
    assert {r.commendation for r in summary.rows} == {"优秀组织单位（组织有力）"} and all(
        r.accepted for r in summary.rows
    )
    [gap] = summary.gaps
    assert (gap.unit_name, gap.status, gap.overdue, gap.note) == ("华南理工大学科协", "未报送", True, "已催办")
    assert summary.compiled_by == "广东省科协" and summary.fields[0].label == "主题活动名称"


def test_an_ask_without_a_form_is_summarised_and_blank_as_one_text():
    ask = PLAN.model_copy(update={"fields": []})
    table = SubmissionTable.model_validate(
        {
            "notice_id": "n1",
            "title": "t",
            "doc_number": "",
            "ask": ask,
            "rows": [row("sz-kx", "深圳市科协", "submitted", "已报送", [{"text": "总结"}])],
        }
    )
    summary = summary_table(table, generated_at=ISSUED, timezone=TZ)
    assert [f.key for f in summary.fields] == ["text"] and summary.rows[0].item_no is None
    form = blank_form(forward(asks=[ask]), ask, TZ)
    assert [f.label for f in form.fields] == ["内容"]


def test_the_blank_form_is_numbered_as_the_notice_lists_its_asks():
    second = PLAN.model_copy(update={"ask_id": "liaison", "title": "联络员回执表"})
    notice = forward(asks=[PLAN, second])
    first = blank_form(notice, PLAN, TZ)
    assert (first.title, first.attachment_label, first.max_items) == ("特色亮点活动筹备方案（样表）", "附件1", 2)
    assert blank_form(notice, second, TZ).title == "联络员回执表"
    assert blank_form(forward(asks=[PLAN]), PLAN, TZ).attachment_label == "附件"


def test_every_level_of_a_summary_names_each_items_source_unit():
    """A national 汇总 of 广东's, which holds 苏州's (holding 昆山's), and an item 深圳 sent up by itself."""
    kunshan = {"submission_id": "s3", "unit_id": "ks", "unit_name": "昆山市科协", "revision": 1, "items": 2}
    suzhou = {
        "submission_id": "s2",
        "unit_id": "su",
        "unit_name": "苏州市科协",
        "revision": 1,
        "items": 3,
        "contributions": [kunshan],
    }
    table = SubmissionTable.model_validate(
        {
            "notice_id": "n0",
            "title": "关于开展活动的通知",
            "doc_number": "科协发组字〔2020〕7号",
            "ask": PLAN,
            "rows": [
                row(
                    "gd-kx",
                    "广东省科学技术协会",
                    "accepted",
                    "已采用",
                    [{"activity": a} for a in ("省本级", "苏州本级", "昆山一", "昆山二")],
                    contributions=[suzhou],
                ),
                row(
                    "gd-kx:sz",
                    "广东省科学技术协会",
                    "submitted",
                    "已报送",
                    [{"activity": "深圳直报"}],
                    source_unit_id="sz-kx",
                    source_unit_name="深圳市科学技术协会",
                ),
            ],
        }
    )
    summary = summary_table(table, generated_at=ISSUED, timezone=TZ)
    assert [(r.unit_name, r.source_path, r.values["activity"]) for r in summary.rows] == [
        ("广东省科学技术协会", [], "省本级"),
        ("苏州市科协", ["广东省科学技术协会", "苏州市科协"], "苏州本级"),
        ("昆山市科协", ["广东省科学技术协会", "苏州市科协", "昆山市科协"], "昆山一"),
        ("昆山市科协", ["广东省科学技术协会", "苏州市科协", "昆山市科协"], "昆山二"),
        ("深圳市科学技术协会", ["广东省科学技术协会", "深圳市科学技术协会"], "深圳直报"),
    ]
