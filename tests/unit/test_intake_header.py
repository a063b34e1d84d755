"""导入公文: the fixed parts of a 公文 — 版头 and issuers, 文号, title, 主送机关 and the kinds it names, 成文日期,
附件说明, 抄送 and 印发 — in the layouts notices use (joint issues, 函, letter-spaced names, wrapped titles)."""

from datetime import date

import pytest

from services.notices.intake import DirectoryUnit, parse_text
from services.notices.intake.header import doc_number
from services.notices.intake.units import canonical, kinds_in, match_unit, split_destination
from shared.schemas import UnitKind as K

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text,number",
    [
        ("粤科协联〔2020〕9号", "粤科协联〔2020〕9号"),
        ("苏科协办发[2022]7号", "苏科协办发〔2022〕7号"),
        ("京科协发（2021）12号", "京科协发〔2021〕12号"),
        ("浙科协函(2021)3号", "浙科协函〔2021〕3号"),
        ("湘科协字【2019】45号", "湘科协字〔2019〕45号"),
        ("鲁科协发［2020］８号", "鲁科协发〔2020〕8号"),
        ("科协发组字 〔2020〕 7 号", "科协发组字〔2020〕7号"),
        ("川大科协﹝2023﹞4号", "川大科协〔2023〕4号"),
        ("国科发人〔2020〕第15号", "国科发人〔2020〕15号"),
        ("科协办函组字〔2021〕056号", "科协办函组字〔2021〕56号"),
        ("没有文号的一行字", None),
    ],
)
def test_doc_numbers_are_normalised_to_hexagonal_brackets(text, number):
    assert doc_number(text) == number


def header(*lines: str, tail: str = "请各单位于2021年6月1日前报送总结。") -> str:
    return "\n".join(lines) + "\n" + tail + "\n"


def test_joint_issue_with_stacked_names_and_wenjian():
    d = parse_text(
        header(
            "河南省科学技术协会",
            "河南省科学技术厅  文件",
            "河南省教育厅",
            "豫科协发〔2021〕21号",
            "河南省科学技术协会 河南省科学技术厅 河南省教育厅",
            "关于开展2021年全国科技工作者日活动的通知",
            "各省辖市科协、科技局、教育局，各高等学校：",
        )
    )
    f = d.fields
    assert [i.name for i in f.issuers] == ["河南省科学技术协会", "河南省科学技术厅", "河南省教育厅"]
    assert all(i.how == "版头" and i.confidence >= 0.9 for i in f.issuers)
    assert f.title.value == "河南省科学技术协会 河南省科学技术厅 河南省教育厅关于开展2021年全国科技工作者日活动的通知"
    assert f.doc_number.value == "豫科协发〔2021〕21号"
    assert [k.kind for k in f.recipient_kinds] == [K.kexie, K.keji, K.university]


def test_letter_spaced_masthead_of_a_han():
    d = parse_text(
        header(
            "中 国 科 协 办 公 厅",
            "科协办函学字〔2022〕18号",
            "中国科协办公厅关于征集学会",
            "服务地方典型案例的函",
            "各全国学会、协会、研究会：",
        )
    )
    assert [i.name for i in d.fields.issuers] == ["中国科协办公厅"]
    assert d.fields.issuers[0].confidence >= 0.95  # 版头 and title agree
    assert d.fields.title.value == "中国科协办公厅关于征集学会服务地方典型案例的函"
    assert d.fields.recipients.value == "各全国学会、协会、研究会"


def test_signer_line_and_secret_marks_are_not_issuers():
    d = parse_text(
        header(
            "000123",
            "特急",
            "湖北省科学技术协会文件",
            "鄂科协发〔2020〕30号          签发人：张三",
            "关于报送2020年学会工作总结的通知",
            "各省级学会，各市、州科协：",
        )
    )
    assert [i.name for i in d.fields.issuers] == ["湖北省科学技术协会"]
    assert d.fields.doc_number.value == "鄂科协发〔2020〕30号"


def test_university_and_enterprise_issuers_without_doc_number():
    d = parse_text(
        header(
            "浙江大学科学技术协会",
            "关于推荐第十七届中国青年科技奖候选人的通知",
            "各学院（系）科协分会：",
        )
    )
    assert [i.name for i in d.fields.issuers] == ["浙江大学科学技术协会"]
    assert d.fields.doc_number is None
    assert any(w.field == "doc_number" and w.message == "未找到文号" for w in d.warnings)


def test_title_wrapped_over_lines_without_a_masthead():
    d = parse_text(
        "关于开展2021年度全省科协系统\n先进集体和先进个人评选表彰工作\n的通知\n各市州科协：\n请于5月1日前报送推荐表。\n"
    )
    assert d.fields.title.value == "关于开展2021年度全省科协系统先进集体和先进个人评选表彰工作的通知"
    assert d.fields.issuers == []


@pytest.mark.parametrize(
    "recipients,kinds",
    [
        (
            "各地级以上市科协、科技局(委), 各省级学会、协会、研究会, 各高校科协、企业科协",
            [K.kexie, K.keji, K.society, K.university, K.enterprise],
        ),
        (
            "各省、自治区、直辖市科协、科技厅（委、局），新疆生产建设兵团科协、科技局，中国科协所属各全国学会、协会、研究会",
            [K.kexie, K.keji, K.society],
        ),
        ("各县（市、区）科协、科技工作主管部门，市级各学（协）会", [K.kexie, K.keji, K.society]),
        ("省科协机关各部室、各直属事业单位", [K.department]),
        ("各设区市科学技术局", [K.keji]),
        ("各市科技创新委员会", [K.keji]),
        ("各有关单位", []),
        ("清华大学", [K.university]),
        ("各分会、专业委员会", []),
    ],
)
def test_recipient_kinds(recipients, kinds):
    assert [k.kind for k in kinds_in(recipients)] == kinds


def test_recipient_kind_spans_point_at_the_words():
    text = header("广东省科学技术协会文件", "粤科协发〔2021〕1号", "关于…的通知", "各地级以上市科协，各省级学会：")
    d = parse_text(text)
    assert [text[k.span[0] : k.span[1]] for k in d.fields.recipient_kinds] == ["科协", "省级学会"]


def test_signature_date_attachments_cc_and_printing():
    d = parse_text(
        "\n".join(
            [
                "云南省科学技术协会文件",
                "云科协发〔2021〕8号",
                "关于印发《2021年科普工作要点》的通知",
                "各州（市）科协：",
                "现将《2021年科普工作要点》印发给你们，请于12月10日前报送年度总结。",
                "",
                "附件：1.2021年科普工作要点",
                "      2.年度总结报送表",
                "",
                "云南省科学技术协会",
                "二〇二一年三月十五日",
                "（此件公开发布）",
                "抄送：中国科协科普部。",
                "云南省科学技术协会办公室                2021年3月16日印发",
            ]
        )
    )
    f = d.fields
    assert f.date.value == date(2021, 3, 15) and f.date.how == "落款"
    assert [(a.no, a.name) for a in f.attachments] == [(1, "2021年科普工作要点"), (2, "年度总结报送表")]
    assert f.cc.value == "中国科协科普部"
    assert f.printed.value == date(2021, 3, 16)
    assert f.body.value == "现将《2021年科普工作要点》印发给你们，请于12月10日前报送年度总结。"
    assert d.asks[0].deadline_date == date(2021, 12, 10)


def test_signature_and_date_on_one_line():
    d = parse_text(
        header(
            "中国科协办公厅",
            "科协办函〔2021〕5号",
            "关于…的函",
            "各全国学会：",
            tail="请于3月1日前报送。\n中国科协办公厅   2021年2月1日\n",
        )
    )
    assert d.fields.date.value == date(2021, 2, 1)


def test_single_attachment_wrapped_in_a_pdf_layout():
    body = "这是一行被换行的正文内容这是一行被换行的正文内容这是一行被换"
    d = parse_text(
        "\n".join(
            [
                "中国科协办公厅",
                "科协办函组字〔2020〕29号",
                "中国科协办公厅关于印发方案的通知",
                "各全国学会：",
                *[body] * 12,
                "附件：2020年“全国科技工作者日”特色亮点活动筹备方",
                "案",
                "（样表）",
                "附件",
            ]
        )
    )
    assert [a.name for a in d.fields.attachments] == ["2020年“全国科技工作者日”特色亮点活动筹备方案（样表）"]


def test_directory_matching_by_name_short_name_and_abbreviation():
    units = [
        DirectoryUnit(unit_id="cast", name="中国科学技术协会", short_names=["中国科协"], kind=K.kexie),
        DirectoryUnit(unit_id="most", name="中华人民共和国科学技术部", kind=K.keji),
        DirectoryUnit(unit_id="gd-kx", name="广东省科学技术协会", kind=K.kexie),
    ]
    assert match_unit("中国科协", units)[0].unit_id == "cast"
    assert match_unit("科技部", units)[0].unit_id == "most"
    assert match_unit("广东省科协", units) == (units[2], 0.9)
    assert match_unit("湖南省科协", units) == (None, 0.0)
    assert canonical("广东省 科学技术协会") == canonical("广东省科协")


def test_issuers_matched_to_a_directory_given_as_tuples():
    d = parse_text(
        header("中国科协 科技部 文件", "科协发组字〔2020〕7号", "中国科协 科技部关于开展活动的通知", "各省级科协："),
        directory=[
            ("cast", "中国科学技术协会", ["中国科协"], "科协"),
            ("most", "中华人民共和国科学技术部", [], K.keji),
        ],
    )
    assert [(i.name, i.unit_id, i.kind) for i in d.fields.issuers] == [
        ("中国科协", "cast", K.kexie),
        ("科技部", "most", K.keji),
    ]


@pytest.mark.parametrize(
    "dest,parts",
    [
        ("省科协组织联络部", ("省科协", "组织联络部")),
        ("省科技厅引进智力管理处", ("省科技厅", "引进智力管理处")),
        ("科技部引进国外智力资源管理司", ("科技部", "引进国外智力资源管理司")),
        ("中国科协培训和人才服务中心", ("中国科协", "培训和人才服务中心")),
        ("集团公司科协秘书处", ("集团公司科协", "秘书处")),
        ("市科协学会部", ("市科协", "学会部")),
        ("教育部高等教育司", ("教育部", "高等教育司")),
        ("中国科协", ("中国科协", None)),
        ("办公室", (None, "办公室")),
    ],
)
def test_destinations_split_into_unit_and_department(dest, parts):
    assert split_destination(dest) == parts


def test_text_that_is_not_a_notice_says_so():
    d = parse_text("今天天气很好，我们去公园散步。晚上看了一场电影。")
    assert d.asks == [] and d.fields.title is None
    assert d.warnings[0].message.startswith("这段文字不像一份公文")


def test_empty_text_is_invalid():
    from services.notices.intake import EmptyDocument

    for text in ("", "  \n\t "):
        with pytest.raises(EmptyDocument) as err:
            parse_text(text)
        assert err.value.field == "text" and "为空" in err.value.message


def test_title_with_a_note_after_the_kind_of_document():
    d = parse_text(
        header(
            "中华医学会文件",
            "中华医学会〔2021〕1号",
            "关于举办2021年学术年会的通知（第二轮）",
            "各专科分会，各省级医学会：",
        )
    )
    assert d.fields.title.value == "关于举办2021年学术年会的通知（第二轮）"
    assert [k.kind for k in d.fields.recipient_kinds] == [K.society]
