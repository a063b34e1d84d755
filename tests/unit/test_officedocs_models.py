"""The input models of services/gateway/officedocs, and the seed notices entered by hand as those models.

The other test_officedocs_* modules import the seed builders from here: seed 000 (a joint 转发 by the 广东省科协 and
科技厅 carrying the 中国科协/科技部 original), seed 002's 样表 and seed 003's 联络员回执表.
"""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.gateway.officedocs import (
    BlankForm,
    Issuer,
    OfficialDocument,
    Paragraph,
    SummaryGap,
    SummaryItem,
    SummaryTable,
    normalise_doc_number,
    paragraphs_from_text,
)
from shared.schemas import Contact, FormField

pytestmark = pytest.mark.unit

FIVE_MODULES = ["团结引领", "建家办事", "为民服务", "开放合作", "表彰发布"]


def seed_000_original() -> OfficialDocument:
    """中国科协 科技部 文件 科协发组字〔2020〕7号: the notice the province forwards (abridged body)."""
    return OfficialDocument(
        issuers=[
            Issuer(name="中国科学技术协会", mark_name="中国科协"),
            Issuer(name="中华人民共和国科学技术部", mark_name="科技部"),
        ],
        doc_number="科协发组字〔2020〕7号",
        title="中国科协 科技部关于开展2020年\n“全国科技工作者日”活动的通知",
        addressees="各省、自治区、直辖市科协、科技厅（委、局），新疆生产建设兵团科协、科技局，中国科协所属各全国学会、协会、"
        "研究会，有关高校科协、企业科协",
        body=paragraphs_from_text(
            "2020年是全面建成小康社会和“十三五”规划的收官之年，是实现第一个百年奋斗目标的决胜之年。中国科协、科技部决定于5月30日"
            "第四个“全国科技工作者日”前后，在全国范围内组织开展系列活动。现将有关事项通知如下：\n"
            "一、活动主题\n科技为民、奋斗有我。\n"
            "二、活动时间\n2020年5月中旬-6月上旬。\n"
            "三、目标成效\n"
            "（一）加强对科技工作者的团结引领。引领广大科技工作者深入学习贯彻习近平新时代中国特色社会主义思想，建功立业新时代。\n"
            "（二）弘扬新时代科学家精神。大力弘扬践行“爱国、创新、求是、奉献、协同、育人”的新时代科学家精神。\n"
            "四、工作要求\n"
            "（六）做好总结评估。请各有关单位认真总结活动开展情况和工作成效，于6月20日前报送文字信息、影像资料等。\n"
            "五、联系方式\n中国科协组织人事部\n联系人：马文斌 宋维嘉\n联系电话：（010）68578091（兼传真）"
        ),
        signature_names=["中国科协", "科技部"],
        signed_on=date(2020, 5, 11),
        copy_to=["中国科协办公厅", "科技部办公厅"],
        printed_by="中国科协办公厅",
        printed_on=date(2020, 5, 12),
    )


def seed_000() -> OfficialDocument:
    """广东省科学技术协会 文件 广东省科学技术厅 / 粤科协联〔2020〕9号: the joint 转发, the original as its 附件."""
    return OfficialDocument(
        issuers=[Issuer(name="广东省科学技术协会"), Issuer(name="广东省科学技术厅")],
        doc_number="粤科协联[2020]9号",
        title="关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知",
        addressees="各地级以上市科协、科技局（委），各省级学会、协会、研究会，各高校科协、企业科协",
        body=[
            Paragraph(
                text="现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们，并就有关事项通知如下："
            ),
            Paragraph(level=1, heading="一、广泛凝聚合力，做好工作预案"),
            Paragraph(
                text="积极争取地方党委、政府支持，充分调动各方面积极性，结合各自实际制定工作方案。要密切跟踪疫情防控进展，"
                "准确把握疫情防控阶段性变化，因时因势创新工作方式，提前做好活动预案。严格执行中央八项规定精神，力求活动务实节俭。"
            ),
            Paragraph(level=1, heading="二、突出时代主题，广泛开展宣传"),
            Paragraph(
                text="重点关心关注投身两线（应对新冠肺炎疫情防控第一线和科研、物资生产两条战线），投身两决（决胜全面建成小康社会、"
                "决战脱贫攻坚）的科技工作者。充分利用主流媒体、新媒体和科技系统、科协系统宣传平台，发挥各自优势开展主题宣传，"
                "将相关活动图文与直播视频及时线上宣传与直播，营造浓厚节日氛围。"
            ),
            Paragraph(level=1, heading="三、梳理典型做法，做好总结评估"),
            Paragraph(
                text="请各有关单位认真总结活动开展情况和工作成效，梳理总结典型经验，提出意见建议，于2020年6月10日前报送文字信息、"
                "影像资料等。各地级以上市科协、省级学会、高校科协、企业科协报送省科协组织联络部。各地级以上市科技局（委）"
                "报送省科技厅引进智力管理处。"
            ),
        ],
        attachment_names=["中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知"],
        signed_on=date(2020, 5, 20),
        contacts=[
            Contact(
                name="雷晶、周长江",
                department="省科协组织联络部",
                office_phone="020-83551764、83270571",
                email="gdsxzz11b@126.com",
            ),
            Contact(name="夏兴林", department="省科技厅引进智力管理处", mobile="18026320018", email="9059529@qq.com"),
        ],
        copy_to=["中国科协组织人事部", "科技部引进国外智力管理司"],
        printed_by="广东省科学技术协会办公室",
        printed_on=date(2020, 5, 21),
        attachments_following=[seed_000_original()],
    )


def seed_003() -> OfficialDocument:
    """青科协发〔2021〕15号: one issuer, three attachments named, a 附注 of contacts, 抄送 and 印发."""
    return OfficialDocument(
        issuers=[Issuer(name="青海省科学技术协会")],
        doc_number="青科协发〔2021〕15号",
        title="关于印发《2021年“全国科技工作者日”青海省活动方案》的通知",
        addressees="各省级学会、协会、研究会，各市州科协，各高校科协、企业科协，省科协机关各部室、各直属事业单位",
        body=[
            Paragraph(
                text="2021年5月30日是第5个“全国科技工作者日”。省科协制定了《2021年“全国科技工作者日”青海省活动方案》，"
                "现印发给你们，请全省各级科协组织结合工作实际，精心谋划，认真制定工作方案，组织开展好节日相关活动。"
            ),
            Paragraph(text="请各市州科协、高校科协、企业科协5月10日前上报活动联络员回执表和简要活动方案。"),
        ],
        attachment_names=[
            "《2021年“全国科技工作者日”青海省活动方案》",
            "2021年“全国科技工作者日”活动联络员回执表",
            "中国科协《2021年“全国科技工作者日”活动实施方案》",
        ],
        signed_on=date(2021, 4, 27),
        contacts=[
            Contact(
                name="李想",
                office_phone="6335628",
                mobile="15897098299",
                fax="6302839",
                email="qhskxbgs@163.com",
                address="海湖新区文景街32号国投广场7楼757室",
            )
        ],
        copy_to=["尤伟利书记", "王彤主席", "黄俊玉副主席", "兼职副主席", "存档"],
        printed_by="青海省科学技术协会办公室",
        printed_on=date(2021, 4, 27),
    )


def seed_002_fields() -> list[FormField]:
    """Seed 002's 特色亮点活动筹备方案（样表）: the basic information, the five modules to tick, the contact, the plan."""
    return [
        FormField.model_validate(f)
        for f in [
            {"key": "host", "label": "主办单位名称", "type": "text", "max_chars": 50},
            {"key": "activity", "label": "主题活动名称", "type": "text", "max_chars": 50},
            {
                "key": "modules",
                "label": "主题活动模块",
                "type": "multi_choice",
                "options": FIVE_MODULES,
                "help": "请在相应模块划√，可多选",
            },
            {"key": "organiser", "label": "承办单位名称", "type": "text", "max_chars": 50, "required": False},
            {"key": "when", "label": "拟举办时间", "type": "date", "required": False},
            {"key": "size", "label": "预计活动规模", "type": "number", "min_value": 1, "required": False},
            {"key": "contact", "label": "联系人", "type": "contact"},
            {
                "key": "plan",
                "label": "工作方案",
                "type": "text",
                "max_chars": 500,
                "help": "工作思路、实施举措，时间、地点、人员、主题、主要安排、预期成效等要素，500字以内",
            },
        ]
    ]


def seed_002_form() -> BlankForm:
    return BlankForm(
        title="2020年“全国科技工作者日”\n特色亮点活动筹备方案（样表）",
        fields=seed_002_fields(),
        attachment_label="附件",
        ask_id="plan",
        notice_title="中国科协办公厅关于印发《2020年“全国科技工作者日”活动实施方案》的通知",
        doc_number="科协办函组字〔2020〕29号",
        min_items=1,
        max_items=2,
        note="择优精选1-2项特色亮点活动，一项一表；盖章PDF版和word版",
        deadline=datetime(2020, 4, 22, 9, 59, 59, tzinfo=UTC),
    )


def seed_003_form() -> BlankForm:
    """Seed 003's 联络员回执表: 填报单位, then a row per liaison (姓名 | 工作单位及职务 | 联系电话)."""
    return BlankForm(
        title="2021年“全国科技工作者日”活动\n联络员回执表",
        attachment_label="附件2",
        ask_id="liaison",
        fields=[
            FormField.model_validate(f)
            for f in [
                {"key": "name", "label": "姓名", "type": "text", "max_chars": 20},
                {"key": "post", "label": "工作单位及职务", "type": "text", "max_chars": 60},
                {"key": "phone", "label": "联系电话", "type": "text", "max_chars": 30},
            ]
        ],
        unit_label="填报单位",
        max_items=3,
        note="请各市州科协、高校科协、企业科协5月10日前上报",
    )


def two_level_table() -> SummaryTable:
    """苏州市科协's 汇总 of the plan ask: its own item, 昆山市科协's through it, one returned, one gap, one injection."""
    fields = seed_002_fields()
    at = datetime(2020, 4, 20, 2, 30, tzinfo=UTC)  # 10:30 in 北京时间
    contact = {"name": "王敏", "office_phone": "0512-1234567", "mobile": "13800000001"}
    return SummaryTable(
        notice_title="关于转发《中国科协办公厅关于印发〈2020年“全国科技工作者日”活动实施方案〉的通知》的通知",
        doc_number="苏科协发〔2020〕12号",
        ask_title="特色亮点活动筹备方案",
        deadline=datetime(2020, 4, 21, 9, 59, 59, tzinfo=UTC),
        generated_at=datetime(2020, 4, 22, 1, 0, tzinfo=UTC),
        compiled_by="苏州市科协",
        fields=fields,
        rows=[
            SummaryItem(
                unit_name="苏州市科协",
                status="已采用",
                accepted=True,
                submitted_at=at,
                item_no=1,
                values={
                    "host": "苏州市科协",
                    "activity": "科技为民 奋斗有我",
                    "modules": ["团结引领", "为民服务"],
                    "when": "2020-05-30",
                    "size": 300,
                    "contact": contact,
                    "plan": "在全市开展……",
                },
                commendation="优秀活动案例",
            ),
            SummaryItem(
                unit_name="昆山市科协",
                source_path=["苏州市科协", "昆山市科协"],
                status="已采用",
                accepted=True,
                submitted_at=datetime(2020, 4, 21, 12, 0, tzinfo=UTC),
                late=True,
                item_no=1,
                values={
                    "host": "=1+1",
                    "activity": "@SUM(A1)",
                    "modules": ["建家办事"],
                    "contact": contact,
                    "plan": "-2 项活动",
                },
            ),
            SummaryItem(
                unit_name="昆山市科协",
                source_path=["苏州市科协", "昆山市科协"],
                status="已采用",
                accepted=True,
                submitted_at=datetime(2020, 4, 21, 12, 0, tzinfo=UTC),
                late=True,
                item_no=2,
                values={
                    "host": "昆山市科协",
                    "activity": "+科普进社区",
                    "modules": ["开放合作", "表彰发布"],
                    "contact": contact,
                    "plan": "第二项",
                },
            ),
            SummaryItem(
                unit_name="常熟市科协",
                source_path=["苏州市科协", "常熟市科协"],
                status="已退回",
                submitted_at=at,
                item_no=1,
                values={"host": "常熟市科协", "activity": "退回的方案"},
            ),
        ],
        gaps=[
            SummaryGap(unit_name="太仓市科协", source_path=["苏州市科协", "太仓市科协"], overdue=True, note="已催办2次")
        ],
    )


# ---------------------------------------------------------------- the models themselves


def test_doc_numbers_take_six_corner_brackets():
    assert normalise_doc_number("粤科协联[2020]9号") == "粤科协联〔2020〕9号"
    assert normalise_doc_number("青科协发（2021） 15号") == "青科协发〔2021〕15号"
    assert normalise_doc_number("科协发组字【2020】7号") == "科协发组字〔2020〕7号"
    assert seed_000().doc_number == "粤科协联〔2020〕9号"


def test_paragraphs_from_text_finds_the_heading_levels():
    ps = paragraphs_from_text(
        "现将有关事项通知如下：\n一、活动主题\n（一）突出时代主题。充分发挥自身优势。\n"
        "1.开展活动。内容\n（1）细则\n\n2020年5月中旬-6月上旬。"
    )
    assert [(p.level, p.heading, p.text) for p in ps] == [
        (0, "", "现将有关事项通知如下："),
        (1, "一、活动主题", ""),
        (2, "（一）突出时代主题。", "充分发挥自身优势。"),
        (3, "1.开展活动。", "内容"),
        (4, "（1）细则", ""),
        (0, "", "2020年5月中旬-6月上旬。"),
    ]


def test_bad_values_are_refused():
    with pytest.raises(ValidationError):
        Paragraph()
    with pytest.raises(ValidationError):
        Paragraph(heading="一、标题")  # a heading needs its level
    with pytest.raises(ValidationError):
        OfficialDocument(issuers=[], doc_number="x〔2020〕1号", title="t", signed_on=date(2020, 1, 1))
    with pytest.raises(ValidationError):
        seed_000().model_copy(update={}).model_validate({**seed_003().model_dump(), "urgency": "急"})


def test_defaults_follow_the_issuers():
    doc = seed_000()
    assert doc.signatures == ["广东省科学技术协会", "广东省科学技术厅"]
    assert seed_000_original().issuers[0].mark == "中国科协"
    assert (
        doc.has_imprint and not doc.model_copy(update={"copy_to": [], "printed_by": "", "printed_on": None}).has_imprint
    )


def test_form_layout_is_chosen_by_its_fields():
    assert seed_002_form().effective_layout == "block"  # contacts and ticks need a table of their own per item
    assert seed_003_form().effective_layout == "rows"  # short fields: a row per liaison
