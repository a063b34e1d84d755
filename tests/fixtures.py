"""Realistic test data, taken from the seed notices in ../shared/seeds/. The one place for seed fixtures.

- ``DIRECTORY``: the org units the four seeds name (national, provincial,
  city, county levels; societies, university and enterprise associations;
  the Qinghai association's own departments), with contacts, departments and
  文号 templates.
- One function per seed notice, returning the JSON body of the API call that
  issues or forwards it, and ``SEEDn_NOW``: when it happened (tests run the
  services on a ``FixedClock`` set to it, so the real deadlines are in the
  future).

Seed 000 is the 转发 by 广东省科协 + 广东省科技厅 of the national notice by
中国科协 + 科技部 (文字信息 and 影像资料, no length limit); seed 001 a joint issue
by 渭南市科协 + 渭南市科技局; seed 002 the national 实施方案 with the plan form
(five modules, 1-2 items) and a 3000-character summary; seed 003 the 转发 by
青海省科协 of the 2021 national notice, adding a 联络员回执表, a brief plan and
the prefectures' own 3000-character summary, and moving deadlines earlier.

Only what a seed says is written here: a limit, a deadline or a route the
seed text does not state is not invented (tests/integration/test_notices_seeds.py
checks these fixtures against facts quoted from the seeds).
"""

from datetime import UTC, date, datetime, timedelta

from shared.clock import end_of_day
from shared.contracts.notices import UpsertUnit
from shared.schemas import Contact, UnitKind

TZ = "Asia/Shanghai"
FIVE_MODULES = ["团结引领", "建家办事", "为民服务", "开放合作", "表彰发布"]


def at(y: int, m: int, d: int, hour: int = 9) -> datetime:
    """A moment on a day in Beijing time (seed dates), as aware UTC."""
    return datetime(y, m, d, hour - 8, 0, tzinfo=UTC)


def deadline(y: int, m: int, d: int) -> str:
    """ "于6月20日前报送": the end of that day in the node's zone."""
    return end_of_day(date(y, m, d), TZ).isoformat()


def unit_json(unit: UpsertUnit) -> dict:
    return unit.model_dump(mode="json", exclude={"actor"})


def _unit(unit_id: str, name: str, kind: UnitKind, parent: str | None = None, **kw) -> UpsertUnit:
    return UpsertUnit(unit_id=unit_id, name=name, kind=kind, parent_id=parent, **kw)


# ---------------------------------------------------------------- directory

NATIONAL_UNITS = [
    _unit(
        "cast",
        "中国科学技术协会",
        UnitKind.kexie,
        doc_number_template="科协发组字〔{year}〕{seq}号",
        mark_name="中国科协",  # seed 000: “中国科协 科技部 文件”
        departments=["组织人事部", "培训和人才服务中心", "“全国科技工作者日”活动办公室"],
        contacts=[
            Contact(
                name="马文斌",
                department="组织人事部",
                office_phone="(010)68578091",
                email="rencaichu@cast.org.cn",
                address="北京市海淀区复兴路3号（100863）",
            ),
            Contact(name="宋维嘉", department="组织人事部", office_phone="(010)68578091"),
        ],
    ),
    _unit(
        "cast-bgt",
        "中国科学技术协会办公厅",
        UnitKind.department,
        "cast",
        doc_number_template="科协办函组字〔{year}〕{seq}号",
        departments=["“全国科技工作者日”活动办公室"],
        contacts=[
            Contact(
                name="郑叶霞",
                department="“全国科技工作者日”活动办公室",
                office_phone="(010)62168293",
                email="rczx@cast.org.cn",
                address="北京市海淀区学院南路86号中国科协综合业务楼西楼609室",
            )
        ],
    ),
    _unit(
        "most",
        "中华人民共和国科学技术部",
        UnitKind.keji,
        mark_name="科技部",
        departments=["引进国外智力管理司"],
        contacts=[
            Contact(
                name="杨启明",
                department="引进国外智力管理司",
                office_phone="(010)58884209",
                fax="(010)58884208",
                email="yangqm@most.cn",
                address="北京市海淀区复兴路乙15号(100862)",
            )
        ],
    ),
    _unit(
        "cmes", "中国机械工程学会", UnitKind.society, "cast", contacts=[Contact(name="周明", email="cmes@example.cn")]
    ),
    _unit("thu-kx", "清华大学科协", UnitKind.university, "cast", contacts=[Contact(name="吴婷", mobile="13900000001")]),
    _unit(
        "sinopec-kx",
        "中国石油化工集团有限公司科协",
        UnitKind.enterprise,
        "cast",
        contacts=[Contact(name="孙磊", email="kx@sinopec.example.cn")],
    ),
]

# Seed 000: 广东省科协 and 广东省科技厅 forward the national notice; city 科协,
# provincial societies, university and enterprise associations report to the
# 科协's 组织联络部, city 科技局 to the 科技厅's 引进智力管理处.
GD_UNITS = [
    UpsertUnit(
        unit_id="gd-kx",
        name="广东省科学技术协会",
        kind=UnitKind.kexie,
        doc_number_template="粤科协联〔{year}〕{seq}号",
        departments=["组织联络部"],
        contacts=[
            Contact(name="雷晶", department="组织联络部", office_phone="020-83551764", email="gdsxzz11b@126.com")
        ],
    ),
    UpsertUnit(
        unit_id="gd-kjt",
        name="广东省科学技术厅",
        kind=UnitKind.keji,
        departments=["引进智力管理处"],
        contacts=[Contact(name="夏兴林", department="引进智力管理处", mobile="18026320018", email="9059529@qq.com")],
    ),
    UpsertUnit(
        unit_id="sz-kx",
        name="深圳市科学技术协会",
        kind=UnitKind.kexie,
        parent_id="gd-kx",
        contacts=[Contact(name="王敏", office_phone="0755-83000000", mobile="13800000001", email="szkx@example.cn")],
    ),
    UpsertUnit(
        unit_id="sz-kjj",
        name="深圳市科技创新局",
        kind=UnitKind.keji,
        parent_id="gd-kjt",
        contacts=[Contact(name="李军", mobile="13800000002")],
    ),
    UpsertUnit(
        unit_id="gd-jxxh",
        name="广东省机械工程学会",
        kind=UnitKind.society,
        parent_id="gd-kx",
        contacts=[Contact(name="陈思", email="jxxh@example.cn")],
    ),
    UpsertUnit(unit_id="scut-kx", name="华南理工大学科协", kind=UnitKind.university, parent_id="gd-kx", contacts=[]),
    # Seed 000 addresses 企业科协 too ("各高校科协、企业科协").
    UpsertUnit(
        unit_id="gd-gs-kx",
        name="广东省广晟控股集团有限公司科协",
        kind=UnitKind.enterprise,
        parent_id="gd-kx",
        contacts=[Contact(name="黄平", email="kx@gsg.example.cn")],
    ),
]

# Seed 001: 渭南市科协 and 渭南市科技局 issue jointly to counties, city societies,
# universities and enterprises; everything goes to the 科协's 学会部.
WN_UNITS = [
    _unit("sn-kx", "陕西省科学技术协会", UnitKind.kexie, "cast"),
    _unit(
        "wn-kx",
        "渭南市科学技术协会",
        UnitKind.kexie,
        "sn-kx",
        doc_number_template="渭科协发〔{year}〕{seq}号",
        departments=["学会部"],
        contacts=[
            Contact(
                name="白茹",
                department="学会部",
                office_phone="0913-2126498",
                email="wnskxxhb@126.com",
                address="渭南市朝阳大街东段市委",
            )
        ],
    ),
    _unit("wn-kjj", "渭南市科学技术局", UnitKind.keji),
    _unit(
        "wn-lw-kx",
        "渭南市临渭区科学技术协会",
        UnitKind.kexie,
        "wn-kx",
        departments=["办公室"],
        contacts=[Contact(name="张华", mobile="13700000001")],
    ),
    _unit("wn-lw-kjj", "渭南市临渭区科学技术局", UnitKind.keji, "wn-kjj"),
    _unit("wn-nxh", "渭南市农学会", UnitKind.society, "wn-kx"),
    _unit("wnnu-kx", "渭南师范学院科协", UnitKind.university, "wn-kx"),
    _unit("wn-shgs-kx", "陕西陕化煤化工集团有限公司科协", UnitKind.enterprise, "wn-kx"),
    # Below the county: where 临渭区科协 forwards seed 001 to.
    _unit("wn-lw-nxh", "临渭区农学会", UnitKind.society, "wn-lw-kx"),
    _unit("wn-lw-qy-kx", "临渭区葡萄研究所科协", UnitKind.enterprise, "wn-lw-kx"),
]

# Seed 003: 青海省科协 forwards to its societies, prefecture 科协, universities,
# enterprises and its own departments (机关各部室).
QH_UNITS = [
    _unit(
        "qh-kx",
        "青海省科学技术协会",
        UnitKind.kexie,
        "cast",
        doc_number_template="青科协发〔{year}〕{seq}号",
        departments=["办公室", "组人部", "调宣部", "学会部", "科普部"],
        contacts=[
            Contact(
                name="李想",
                department="办公室",
                office_phone="6335628",
                mobile="15897098299",
                fax="6302839",
                email="qhskxbgs@163.com",
                address="海湖新区文景街32号国投广场7楼757室",
            )
        ],
    ),
    _unit("qh-bgs", "青海省科协办公室", UnitKind.department, "qh-kx"),
    _unit("qh-zrb", "青海省科协组织人事部", UnitKind.department, "qh-kx"),
    _unit("qh-dxb", "青海省科协调研宣传部", UnitKind.department, "qh-kx"),
    _unit("qh-kjg", "青海省科学技术馆", UnitKind.department, "qh-kx"),
    _unit(
        "xn-kx", "西宁市科学技术协会", UnitKind.kexie, "qh-kx", contacts=[Contact(name="马琳", mobile="13600000001")]
    ),
    _unit("hd-kx", "海东市科学技术协会", UnitKind.kexie, "qh-kx"),
    _unit("qh-yxh", "青海省医学会", UnitKind.society, "qh-kx"),
    _unit("qhu-kx", "青海大学科协", UnitKind.university, "qh-kx"),
    _unit("qh-yh-kx", "青海盐湖工业股份有限公司科协", UnitKind.enterprise, "qh-kx"),
]

DIRECTORY = [*NATIONAL_UNITS, *GD_UNITS, *WN_UNITS, *QH_UNITS]


def directory_order(units: list[UpsertUnit]) -> list[UpsertUnit]:
    """Parents before children, so one-by-one upserts never name a missing parent.

    Parents outside ``units`` are taken to be in the directory already.
    """
    ids = {u.unit_id for u in units}
    done: set[str] = set()
    out: list[UpsertUnit] = []
    pending = list(units)
    while pending:
        for u in list(pending):
            if not u.parent_id or u.parent_id in done or u.parent_id not in ids:
                out.append(u)
                done.add(u.unit_id)
                pending.remove(u)
    return out


async def load_directory(http, units: list[UpsertUnit] | None = None, admin_unit: str = "cast") -> None:
    """The directory, entered over the API by a node admin (``http``: any client of the in-process gateway)."""
    from .harness import as_role

    admin = await as_role(http, admin_unit, "admin")
    for unit in directory_order(DIRECTORY if units is None else units):
        r = await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))
        assert r.status_code == 200, r.text


async def as_unit(http, unit_id: str):
    """A client acting for ``unit_id`` with an API token (issuer and submitter: it may issue, 签收 and 转发)."""
    from .harness import as_role

    return await as_role(http, unit_id, "issuer", "submitter")


# ---------------------------------------------------------------- the forms of the seeds


AUDIENCES = ["科协系统干部", "科技工作者", "海外同行"]
STAMPED = {"key": "stamped", "label": "盖章PDF版和word版", "type": "file", "accept": ["pdf", "doc", "docx"]}


def plan_form(per_item_chars: int = 500) -> list[dict]:
    """特色亮点活动筹备方案（样表） of 2020, seed 002: 一、基本信息 and 二、工作方案 (每项活动500字以内)."""
    return [
        {"key": "host_unit", "label": "主办单位名称", "type": "text", "max_chars": 100},
        {"key": "activity", "label": "主题活动名称", "type": "text", "max_chars": 100},
        {
            "key": "modules",
            "label": "主题活动模块",
            "type": "multi_choice",
            "options": FIVE_MODULES,
            "help": "请在相应模块划√，可多选",
        },
        {"key": "organizer", "label": "承办单位名称", "type": "text", "max_chars": 100, "required": False},
        {"key": "contact", "label": "联系人", "type": "contact"},
        {"key": "plan", "label": "工作方案", "type": "text", "max_chars": per_item_chars},
        STAMPED,
    ]


def plan_form_2021(per_item_chars: int = 500) -> list[dict]:
    """特色亮点活动筹备方案（样表） of 2021, seed 003: the 2020 form plus time, place, audience, scale and a
    postal address (优秀组织单位的牌匾 is mailed there)."""
    return [
        {"key": "host_unit", "label": "主办单位名称", "type": "text", "max_chars": 100},
        {"key": "activity", "label": "主题活动名称", "type": "text", "max_chars": 100},
        {
            "key": "modules",
            "label": "主题活动模块",
            "type": "multi_choice",
            "options": FIVE_MODULES,
            "help": "请在相应模块划√，可多选",
        },
        {"key": "organizer", "label": "承办单位名称", "type": "text", "max_chars": 100, "required": False},
        {"key": "planned_date", "label": "拟举办时间", "type": "date"},
        {"key": "place", "label": "拟举办地点", "type": "text", "max_chars": 100},
        {"key": "audience", "label": "面向群体", "type": "multi_choice", "options": AUDIENCES},
        {"key": "scale", "label": "预计活动规模", "type": "text", "max_chars": 100},
        {"key": "contact", "label": "主办单位联系人", "type": "contact"},
        {
            "key": "address",
            "label": "主办单位邮寄地址",
            "type": "text",
            "max_chars": 300,
            "help": "将根据主办单位联系人和邮寄地址等信息，邮寄优秀组织单位或积极贡献单位牌匾，请务必详实准确",
        },
        {"key": "plan", "label": "工作方案", "type": "text", "max_chars": per_item_chars},
        {**STAMPED, "label": "word版和盖章PDF版"},
    ]


def liaison_form() -> list[dict]:
    """联络员回执表, seed 003: 姓名 / 工作单位及职务 / 联系电话."""
    return [
        {"key": "name", "label": "姓名", "type": "text", "max_chars": 50},
        {"key": "position", "label": "工作单位及职务", "type": "text", "max_chars": 100},
        {"key": "phone", "label": "联系电话", "type": "text", "max_chars": 60},
    ]


def summary_form(max_chars: int | None = None, *, stamped: bool = True) -> list[dict]:
    """A summary report: a limit only where the seed gives one, the stamped files where it asks for them."""
    text: dict[str, str | int] = {"key": "summary", "label": "总结报告", "type": "text"}
    if max_chars:
        text["max_chars"] = max_chars
    return [text, {**STAMPED, "required": False}] if stamped else [text]


def media_form() -> list[dict]:
    """影像资料: photos and video of the activities."""
    return [
        {"key": "media", "label": "影像资料", "type": "file", "accept": ["jpg", "jpeg", "png", "mp4", "mov"]},
        {"key": "caption", "label": "说明", "type": "text", "required": False},
    ]


ORG_KINDS = ["科协", "学会/协会/研究会", "高校科协", "企业科协"]


# ---------------------------------------------------------------- seed 000


SEED000_NOW = at(2020, 5, 6)

# "各省级科协、全国学会、高校科协、企业科协报送中国科协组织人事部，各省级科技厅（委、局）报送科技部
# 引进国外智力资源管理司" (the seed's contact block names the department 引进国外智力管理司).
SEED000_NATIONAL_ROUTES = [
    {"unit_kind": "科协", "to_unit_id": "cast", "department": "组织人事部"},
    {"unit_kind": "学会/协会/研究会", "to_unit_id": "cast", "department": "组织人事部"},
    {"unit_kind": "高校科协", "to_unit_id": "cast", "department": "组织人事部"},
    {"unit_kind": "企业科协", "to_unit_id": "cast", "department": "组织人事部"},
    {"unit_kind": "科技厅/局", "to_unit_id": "most", "department": "引进国外智力管理司"},
]


def seed000_national(recipients: list[str] | None = None) -> dict:
    """科协发组字〔2020〕7号: 中国科协 + 科技部 to provinces, national societies, universities, enterprises."""
    return {
        "title": "中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知",
        "doc_number": "科协发组字〔2020〕7号",
        "issuer_unit_ids": ["cast", "most"],
        "recipient_unit_ids": recipients or ["gd-kx", "gd-kjt", "qh-kx", "sn-kx", "cmes", "thu-kx", "sinopec-kx"],
        "body": "中国科协、科技部决定于5月30日第四个“全国科技工作者日”前后，在全国范围内组织开展系列活动。\n"
        "一、活动主题\n科技为民、奋斗有我。\n二、活动时间\n2020年5月中旬-6月上旬。\n"
        "四、工作要求\n（六）做好总结评估。请各有关单位认真总结活动开展情况和工作成效，"
        "于6月20日前报送文字信息、影像资料等。",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结（文字信息）",
                "note": "认真总结活动开展情况和工作成效，梳理总结典型经验，提出意见建议",
                "deadline": deadline(2020, 6, 20),
                "fields": summary_form(stamped=False),
                "routes": SEED000_NATIONAL_ROUTES,
            },
            {
                "ask_id": "media",
                "kind": "media",
                "title": "影像资料",
                "max_items": 20,  # the seed sets no number: room for the photos and videos of a campaign
                "deadline": deadline(2020, 6, 20),
                "fields": media_form(),
                "routes": SEED000_NATIONAL_ROUTES,
            },
        ],
        "contacts": [c.model_dump(mode="json") for c in NATIONAL_UNITS[0].contacts + NATIONAL_UNITS[2].contacts],
    }


def seed000_forward(recipients: list[str] | None = None, summary_deadline: str | None = None) -> dict:
    """粤科协联〔2020〕9号: the province forwards jointly, with its own routing and an earlier deadline."""
    return {
        "unit_id": "gd-kx",
        "co_issuer_unit_ids": ["gd-kjt"],
        "recipient_unit_ids": recipients or ["sz-kx", "sz-kjj", "gd-jxxh", "scut-kx", "gd-gs-kx"],
        "doc_number": "粤科协联〔2020〕9号",
        "cover_note": "现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们，"
        "并就有关事项通知如下：\n一、广泛凝聚合力，做好工作预案\n二、突出时代主题，广泛开展宣传\n"
        "三、梳理典型做法，做好总结评估\n请各有关单位于2020年6月10日前报送文字信息、影像资料等。",
        "deadlines": {"summary": summary_deadline or deadline(2020, 6, 10), "media": deadline(2020, 6, 10)},
        # "各地级以上市科协、省级学会、高校科协、企业科协报送省科协组织联络部。各地级以上市科技局（委）报送省科技厅
        # 引进智力管理处。"
        "routes": [
            {"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
            {"unit_kind": "学会/协会/研究会", "to_unit_id": "gd-kx", "department": "组织联络部"},
            {"unit_kind": "高校科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
            {"unit_kind": "企业科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
            {"unit_kind": "科技厅/局", "to_unit_id": "gd-kjt", "department": "引进智力管理处"},
        ],
        "contacts": [
            {
                "name": "雷晶",
                "department": "省科协组织联络部",
                "office_phone": "020-83551764",
                "email": "gdsxzz11b@126.com",
            },
            {"name": "周长江", "department": "省科协组织联络部", "office_phone": "83270571"},
            {
                "name": "夏兴林",
                "department": "省科技厅引进智力管理处",
                "mobile": "18026320018",
                "email": "9059529@qq.com",
            },
        ],
    }


def future(days: int = 30) -> str:
    return (datetime.now().astimezone() + timedelta(days=days)).isoformat()


def seed000_notice(recipients: list[str] | None = None) -> dict:
    """Seed 000's provincial notice issued directly (not as a 转发), with deadlines relative to today."""
    return {
        "title": "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知",
        "issuer_unit_ids": ["gd-kx", "gd-kjt"],
        "recipient_unit_ids": recipients or ["sz-kx", "sz-kjj", "gd-jxxh", "scut-kx"],
        "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送文字信息、影像资料等。",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结（文字信息、影像资料）",
                "deadline": future(30),
                "routes": [
                    {"unit_kind": "科技厅/局", "to_unit_id": "gd-kjt", "department": "引进智力管理处"},
                    {"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "学会/协会/研究会", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "高校科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "企业科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                ],
            }
        ],
    }


# ---------------------------------------------------------------- seed 001


SEED001_NOW = at(2020, 5, 6)
# "于6月10日前向市科协学会部报送": every kind of recipient.
SEED001_ROUTES = [
    {"unit_kind": kind, "to_unit_id": "wn-kx", "department": "学会部"}
    for kind in ["科协", "科技厅/局", "学会/协会/研究会", "高校科协", "企业科协"]
]


def seed001_notice() -> dict:
    """渭科协发〔2020〕12号: joint issue by the city 科协 and 科技局; everything to the 科协's 学会部."""
    return {
        "title": "渭南市科学技术协会 渭南市科学技术局关于开展2020年“全国科技工作者日”活动的通知",
        "doc_number": "渭科协发〔2020〕12号",
        "issuer_unit_ids": ["wn-kx", "wn-kjj"],
        "recipient_unit_ids": ["wn-lw-kx", "wn-lw-kjj", "wn-nxh", "wnnu-kx", "wn-shgs-kx"],
        "body": "渭南市科协、市科技局决定于5月30日第四个“全国科技工作者日”前后，在全市范围内组织开展系列活动。\n"
        "1.开展“寻找渭南最美科技工作者活动”。\n2.深入基层一线，广泛看望慰问有突出贡献的科技工作者代表。",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结（纸质版一份，总结、信息电子版）",
                "note": "向市科协学会部报送活动总结纸质版一份，活动总结、信息、影像资料电子版发市科协邮箱",
                "deadline": deadline(2020, 6, 10),
                "fields": summary_form(stamped=False),
                "routes": SEED001_ROUTES,
            },
            {
                "ask_id": "media",
                "kind": "media",
                "title": "影像资料（电子版）",
                "max_items": 20,  # the seed sets no number
                "deadline": deadline(2020, 6, 10),
                "fields": media_form(),
                "routes": SEED001_ROUTES,
            },
        ],
        "contacts": [c.model_dump(mode="json") for c in WN_UNITS[1].contacts],
    }


def seed001_forward() -> dict:
    """One level down: 临渭区科协 forwards the city's notice to its societies and enterprises, 5 days earlier."""
    return {
        "unit_id": "wn-lw-kx",
        "recipient_unit_ids": ["wn-lw-nxh", "wn-lw-qy-kx"],
        "cover_note": "现将《渭南市科学技术协会 渭南市科学技术局关于开展2020年“全国科技工作者日”活动的通知》转发给你们，"
        "请于6月5日前将活动总结报区科协。",
        "deadlines": {"summary": deadline(2020, 6, 5), "media": deadline(2020, 6, 5)},
        "routes": [
            {"unit_kind": kind, "to_unit_id": "wn-lw-kx", "department": "办公室"}
            for kind in ["学会/协会/研究会", "企业科协"]
        ],
    }


# ---------------------------------------------------------------- seed 002


SEED002_NOW = at(2020, 4, 9)
# "…筹备方案报送中国科协": to 中国科协 (not its 办公厅, the issuer), whose 活动办公室 is the contact.
SEED002_ROUTES = [
    {"unit_kind": kind, "to_unit_id": "cast", "department": "“全国科技工作者日”活动办公室"} for kind in ORG_KINDS
]


def seed002_notice() -> dict:
    """科协办函组字〔2020〕29号: the 实施方案 with the plan form (five modules, 1-2 items) and a summary ≤3000 字."""
    return {
        "title": "中国科协办公厅关于印发《2020年“全国科技工作者日”活动实施方案》的通知",
        "doc_number": "科协办函组字〔2020〕29号",
        "issuer_unit_ids": ["cast-bgt"],
        "recipient_unit_ids": ["cmes", "gd-kx", "qh-kx", "sn-kx", "thu-kx", "sinopec-kx"],
        "body": "根据中国科协党组批准的“全国科技工作者日”活动整体安排，特研究制定了《2020年“全国科技工作者日”"
        "活动实施方案》，现印发你们。\n以团结引领、建家办事、为民服务、开放合作、表彰发布“五大模块”为举措……",
        "asks": [
            {
                "ask_id": "plan",
                "kind": "plan",
                "title": "特色亮点活动筹备方案",
                "min_items": 1,
                "max_items": 2,
                "note": "择优精选1-2项，盖章PDF版和word版；原则上每项活动500字以内，一项一表",
                "deadline": deadline(2020, 4, 22),
                "unit_kinds": ORG_KINDS,
                "fields": plan_form(500),
                "routes": SEED002_ROUTES,
            },
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "特色亮点活动总结报告",
                "note": "3000字以内，盖章PDF版和word版",
                "deadline": deadline(2020, 6, 20),
                "unit_kinds": ORG_KINDS,
                "fields": summary_form(3000),
                "routes": SEED002_ROUTES,
            },
        ],
        "contacts": [c.model_dump(mode="json") for c in NATIONAL_UNITS[1].contacts],
    }


def seed002_forward() -> dict:
    """One level down: 广东省科协 forwards the 实施方案 to its cities, societies and universities, earlier."""
    return {
        "unit_id": "gd-kx",
        "recipient_unit_ids": ["sz-kx", "gd-jxxh", "scut-kx"],
        "cover_note": "现将《中国科协办公厅关于印发〈2020年“全国科技工作者日”活动实施方案〉的通知》转发给你们，"
        "请于4月17日前报送特色亮点活动筹备方案。",
        "deadlines": {"plan": deadline(2020, 4, 17), "summary": deadline(2020, 6, 12)},
        "routes": [{"unit_kind": kind, "to_unit_id": "gd-kx", "department": "组织联络部"} for kind in ORG_KINDS],
    }


# ---------------------------------------------------------------- seed 003


SEED003_NATIONAL_AT = at(2021, 4, 20)
SEED003_NOW = at(2021, 4, 25)
# "…筹备方案报送中国科协": the 培训和人才服务中心 is the first contact of the 2021 notice.
SEED003_ROUTES = [{"unit_kind": kind, "to_unit_id": "cast", "department": "培训和人才服务中心"} for kind in ORG_KINDS]
QH_ORGS = ["科协", "高校科协", "企业科协"]  # "各市州科协、高校科协、企业科协"
QH_OFFICE = [{"unit_kind": kind, "to_unit_id": "qh-kx", "department": "办公室"} for kind in QH_ORGS]


def seed003_national() -> dict:
    """科协办函组字〔2021〕56号: about 3 plans by 5月10日, a summary (≤2000 字) by the end of June."""
    return {
        "title": "中国科协办公厅关于印发《2021年“全国科技工作者日”活动实施方案》的通知",
        "doc_number": "科协办函组字〔2021〕56号",
        "issuer_unit_ids": ["cast-bgt"],
        "recipient_unit_ids": ["cmes", "gd-kx", "qh-kx", "sn-kx", "thu-kx", "sinopec-kx"],
        "body": "2021年5月30日是第5个“全国科技工作者日”。中国科协制定了《2021年“全国科技工作者日”活动实施方案》，"
        "现印发你们。\n二、节日主题\n众心向党，自立自强",
        "asks": [
            {
                "ask_id": "plan",
                "kind": "plan",
                "title": "特色亮点活动筹备方案",
                "min_items": 1,
                "max_items": 3,
                "note": "择优精选约3项（原则上每个阶段1项），word版和盖章PDF版",
                "deadline": deadline(2021, 5, 10),
                "unit_kinds": ORG_KINDS,
                "fields": plan_form_2021(500),
                "routes": SEED003_ROUTES,
            },
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "特色亮点活动总结报告",
                "note": "合计2000字以内，word版和盖章PDF版",
                "deadline": deadline(2021, 6, 30),
                "unit_kinds": ORG_KINDS,
                "fields": summary_form(2000),
                "routes": SEED003_ROUTES,
            },
        ],
        "contacts": [
            {
                "name": name,
                "department": "中国科协培训和人才服务中心",
                "office_phone": "(010)68586651",
                "email": "rczx@cast.org.cn",
            }
            for name in ("田鹏", "郑叶霞")
        ]
        + [
            {"name": name, "department": "中国科协组织人事部", "office_phone": "(010)68578091"}
            for name in ("付震宇", "宋维嘉")
        ],
    }


QH_RECIPIENTS = ["qh-yxh", "xn-kx", "hd-kx", "qhu-kx", "qh-yh-kx", "qh-bgs", "qh-zrb", "qh-dxb", "qh-kjg"]


def seed003_forward(attachments: list[dict] | None = None) -> dict:
    """青科协发〔2021〕15号, as the seed's 有关要求 4 and 5 and its cover note say:

    - 办公室、组人部、调宣部、科技馆 (机关部门): the plan by 5月8日 and its summary (2000 字以内) by 6月18日;
    - 市州科协、高校科协、企业科协: the 联络员回执表 and a brief plan by 5月10日, and their own
      活动总结报告 (3000 字以内) by 6月18日;
    - 省级学会 are addressed but owe nothing; 办公室 compiles everything (汇总上报中国科协).

    ``attachments``: 附件1, the province's own 活动方案 (``seed003_attachment`` uploads it).
    """
    return {
        "unit_id": "qh-kx",
        "recipient_unit_ids": QH_RECIPIENTS,
        "doc_number": "青科协发〔2021〕15号",
        "title": "关于印发《2021年“全国科技工作者日”青海省活动方案》的通知",
        "cover_note": "省科协制定了《2021年“全国科技工作者日”青海省活动方案》，现印发给你们，"
        "请全省各级科协组织结合工作实际，精心谋划，认真制定工作方案，组织开展好节日相关活动。\n"
        "请各市州科协、高校科协、企业科协5月10日前上报活动联络员回执表和简要活动方案。",
        "deadlines": {"plan": deadline(2021, 5, 8), "summary": deadline(2021, 6, 18)},
        "unit_kinds": {"plan": ["机关部门"], "summary": ["机关部门"]},
        "routes": [{"unit_kind": "机关部门", "to_unit_id": "qh-kx", "department": "办公室"}],
        "extra_asks": [
            {
                "ask_id": "liaison",
                "kind": "liaison_form",
                "title": "活动联络员回执表",
                "deadline": deadline(2021, 5, 10),
                "unit_kinds": QH_ORGS,
                "fields": liaison_form(),
                "routes": QH_OFFICE,
            },
            {
                "ask_id": "brief-plan",
                "kind": "plan",
                "title": "简要活动方案",
                "deadline": deadline(2021, 5, 10),
                "unit_kinds": QH_ORGS,
                "fields": [{"key": "plan", "label": "简要活动方案", "type": "text"}],
                "routes": QH_OFFICE,
            },
            {
                "ask_id": "summary-kx",
                "kind": "summary_report",
                "title": "活动总结报告",
                "note": "3000字以内，办公室汇总上报中国科协",
                "deadline": deadline(2021, 6, 18),
                "unit_kinds": QH_ORGS,
                "fields": summary_form(3000, stamped=False),
                "routes": QH_OFFICE,
            },
        ],
        "contacts": [c.model_dump(mode="json") for c in QH_UNITS[0].contacts],
        "attachments": attachments or [],
    }


QH_PLAN_FILENAME = "附件1 2021年“全国科技工作者日”青海省活动实施方案.txt"
QH_PLAN_TEXT = (
    "2021年“全国科技工作者日”青海省活动实施方案\n\n"
    "一、指导思想\n二、节日主题\n众心向党，自立自强\n三、重点活动\n四、有关要求\n"
    "4. 请办公室、组人部、调宣部、科技馆在5月8日前填报各自牵头负责的特色亮点活动筹备方案、"
    "6月18日前提交该特色亮点活动的总结报告（2000字以内），办公室汇总上报中国科协。\n"
    "5. 各市州科协、高校科协、企业科协6月18日前提交活动总结报告（3000字以内），办公室汇总上报中国科协。\n"
)


async def seed003_attachment(client) -> dict:
    """Upload 附件1 of 青科协发〔2021〕15号 as the province (``client`` acts for qh-kx); the attachment to send."""
    r = await client.post(
        "/api/attachments", files={"file": (QH_PLAN_FILENAME, QH_PLAN_TEXT.encode("utf-8"), "text/plain")}
    )
    assert r.status_code == 201, r.text
    return r.json()
