"""Each seed notice, entered as it was written, issued, signed and forwarded one level down — in the API and pages.

This is the issue's "done when": seeds 000–003 with their forms, deadlines and
routing go through Cascade, and every step shows in the JSON API and on the
pages of the units concerned.

What the stored notices must say is written below from the seed texts
(../shared/seeds/), quoted where it helps — not derived from tests/fixtures.py,
so a fixture that invents a limit, a route or a deadline fails here.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from shared.clock import FixedClock

from .. import fixtures as f
from ..harness import create_user, eventually, forward, gateway, issue, login, running

HTML = {"Accept": "text/html"}
BEIJING = ZoneInfo("Asia/Shanghai")

KX, KJ, SOC, UNI, ENT, DEPT = "科协", "科技厅/局", "学会/协会/研究会", "高校科协", "企业科协", "机关部门"
ORGS = {SOC, KX, UNI, ENT}  # "各全国学会、省级科协、高校科协、企业科协"


@dataclass
class AskFact:
    """One 报送要求 as the seed states it."""

    kind: str
    due: date  # "于6月20日前": the end of that day in Beijing
    items: tuple[int, int] | None = (1, 1)  # None: the seed gives no number (影像资料等)
    unit_kinds: set[str] | None = None  # None: every recipient ("请各有关单位")
    routes: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # unit kind → (unit, department or None)
    limits: dict[str, int | None] = field(default_factory=dict)  # field label → max characters (None: no limit)
    labels: list[str] = field(default_factory=list)  # form fields the seed's form has, in order
    accept: set[str] = field(default_factory=set)  # a file field must accept at least these
    unlimited: bool = False  # the seed gives no length limit: no field of the ask may have one


@dataclass
class NoticeFact:
    doc_number: str
    recipient_kinds: set[str]  # the kinds of units the seed addresses
    asks: dict[str, AskFact]
    attachments: list[str] = field(default_factory=list)  # files of its own the seed attaches


def routes(kinds, unit: str, department: str | None = None) -> dict[str, tuple[str, str | None]]:
    return {k: (unit, department) for k in kinds}


PLAN_2020 = ["主办单位名称", "主题活动名称", "主题活动模块", "承办单位名称", "联系人", "工作方案"]
PLAN_2021 = [
    "主办单位名称",
    "主题活动名称",
    "主题活动模块",
    "承办单位名称",
    "拟举办时间",
    "拟举办地点",
    "面向群体",
    "预计活动规模",
    "主办单位联系人",
    "主办单位邮寄地址",
    "工作方案",
]
MEDIA = {"jpg", "png", "mp4"}

# 000 科协发组字〔2020〕7号: "于6月20日前报送文字信息、影像资料等。各省级科协、全国学会、高校科协、企业科协报送
# 中国科协组织人事部，各省级科技厅（委、局）报送科技部引进国外智力资源管理司" — no length limit anywhere.
NATIONAL_000 = routes([KX, SOC, UNI, ENT], "cast", "组织人事部") | routes([KJ], "most", "引进国外智力管理司")
FACTS_000 = NoticeFact(
    "科协发组字〔2020〕7号",
    {KX, KJ, SOC, UNI, ENT},
    {
        "summary": AskFact("summary_report", date(2020, 6, 20), routes=NATIONAL_000, unlimited=True),
        "media": AskFact("media", date(2020, 6, 20), items=None, routes=NATIONAL_000, accept=MEDIA, unlimited=True),
    },
)
# 粤科协联〔2020〕9号: "于2020年6月10日前报送文字信息、影像资料等。各地级以上市科协、省级学会、高校科协、企业科协报送
# 省科协组织联络部。各地级以上市科技局（委）报送省科技厅引进智力管理处。"
PROVINCE_000 = routes([KX, SOC, UNI, ENT], "gd-kx", "组织联络部") | routes([KJ], "gd-kjt", "引进智力管理处")
FORWARD_000 = NoticeFact(
    "粤科协联〔2020〕9号",
    {KX, KJ, SOC, UNI, ENT},
    {
        "summary": AskFact("summary_report", date(2020, 6, 10), routes=PROVINCE_000, unlimited=True),
        "media": AskFact("media", date(2020, 6, 10), items=None, routes=PROVINCE_000, accept=MEDIA, unlimited=True),
    },
)
# 001 渭科协发〔2020〕12号: "于6月10日前向市科协学会部报送活动总结纸质版一份，活动总结、信息、影像资料电子版发市科协
# 邮箱" — to 各县（市、区）科协、科技工作主管部门，市级各学（协）会、各有关高校科协、企业科协.
CITY_001 = routes([KX, KJ, SOC, UNI, ENT], "wn-kx", "学会部")
FACTS_001 = NoticeFact(
    "渭科协发〔2020〕12号",
    {KX, KJ, SOC, UNI, ENT},
    {
        "summary": AskFact("summary_report", date(2020, 6, 10), routes=CITY_001, unlimited=True),
        "media": AskFact("media", date(2020, 6, 10), items=None, routes=CITY_001, accept=MEDIA, unlimited=True),
    },
)
# 002 科协办函组字〔2020〕29号: "于4月22日前择优精选1-2项特色亮点活动筹备方案报送中国科协（盖章PDF版和word版），
# 并于6月20日前提交该特色亮点活动的总结报告（3000字以内…）"; the 样表: "原则上每项活动500字以内".
FACTS_002 = NoticeFact(
    "科协办函组字〔2020〕29号",
    ORGS,
    {
        "plan": AskFact(
            "plan",
            date(2020, 4, 22),
            items=(1, 2),
            unit_kinds=ORGS,
            routes=routes(ORGS, "cast"),
            limits={"工作方案": 500},
            labels=PLAN_2020,
            accept={"pdf", "docx"},
        ),
        "summary": AskFact(
            "summary_report",
            date(2020, 6, 20),
            unit_kinds=ORGS,
            routes=routes(ORGS, "cast"),
            limits={"总结报告": 3000},
            accept={"pdf", "docx"},
        ),
    },
)
# 003 科协办函组字〔2021〕56号: "于5月10日前择优精选约3项特色亮点活动（原则上每个阶段1项）筹备方案报送中国科协…并于
# 6月底前提交该特色亮点活动的总结报告（合计2000字以内…）"; the 2021 样表 adds 拟举办时间 … 主办单位邮寄地址.
FACTS_003 = NoticeFact(
    "科协办函组字〔2021〕56号",
    ORGS,
    {
        "plan": AskFact(
            "plan",
            date(2021, 5, 10),
            items=(1, 3),
            unit_kinds=ORGS,
            routes=routes(ORGS, "cast"),
            limits={"工作方案": 500},
            labels=PLAN_2021,
        ),
        "summary": AskFact(
            "summary_report", date(2021, 6, 30), unit_kinds=ORGS, routes=routes(ORGS, "cast"), limits={"总结报告": 2000}
        ),
    },
)
# 青科协发〔2021〕15号: to 各省级学会…，各市州科协，各高校科协、企业科协，省科协机关各部室. "请办公室、组人部、调宣部、
# 科技馆在5月8日前填报…筹备方案、6月18日前提交该特色亮点活动的总结报告（2000字以内），办公室汇总上报中国科协。各市州
# 科协、高校科协、企业科协6月18日前提交活动总结报告（3000字以内）"; "5月10日前上报活动联络员回执表和简要活动方案";
# 附件1 is the province's own 活动方案. The 省级学会 are told, but owe nothing.
QH_ORGS = {KX, UNI, ENT}
QH_OFFICE = "qh-kx", "办公室"
FORWARD_003 = NoticeFact(
    "青科协发〔2021〕15号",
    {SOC, KX, UNI, ENT, DEPT},
    {
        "plan": AskFact(
            "plan",
            date(2021, 5, 8),
            items=(1, 3),
            unit_kinds={DEPT},
            routes={DEPT: QH_OFFICE},
            limits={"工作方案": 500},
            labels=PLAN_2021,
        ),
        "summary": AskFact(
            "summary_report", date(2021, 6, 18), unit_kinds={DEPT}, routes={DEPT: QH_OFFICE}, limits={"总结报告": 2000}
        ),
        "liaison": AskFact(
            "liaison_form",
            date(2021, 5, 10),
            unit_kinds=QH_ORGS,
            routes=routes(QH_ORGS, *QH_OFFICE),
            labels=["姓名", "工作单位及职务", "联系电话"],
        ),
        "brief-plan": AskFact(
            "plan", date(2021, 5, 10), unit_kinds=QH_ORGS, routes=routes(QH_ORGS, *QH_OFFICE), unlimited=True
        ),
        "summary-kx": AskFact(
            "summary_report",
            date(2021, 6, 18),
            unit_kinds=QH_ORGS,
            routes=routes(QH_ORGS, *QH_OFFICE),
            limits={"总结报告": 3000},
        ),
    },
    attachments=[f.QH_PLAN_FILENAME],
)


def check_notice(notice: dict, fact: NoticeFact) -> None:
    """A stored notice (as the API shows it) against what its seed says."""
    assert notice["doc_number"] == fact.doc_number
    assert {r["kind"] for r in notice["recipients"]} == fact.recipient_kinds
    asks = {a["ask_id"]: a for a in notice["asks"]}
    assert set(asks) == set(fact.asks)
    for ask_id, want in fact.asks.items():
        ask = asks[ask_id]
        where = f"{fact.doc_number} {ask_id}"
        assert ask["kind"] == want.kind, where
        due = datetime.fromisoformat(ask["deadline"]).astimezone(BEIJING)
        assert (due.date(), due.hour, due.minute) == (want.due, 23, 59), where
        if want.items:
            assert (ask["min_items"], ask["max_items"]) == want.items, where
        assert (set(ask["unit_kinds"]) or None) == want.unit_kinds, where
        got_routes = {r["unit_kind"]: (r["to_unit_id"], r["department"]) for r in ask["routes"]}
        assert set(got_routes) == set(want.routes), where
        for kind, (unit, department) in want.routes.items():
            assert got_routes[kind][0] == unit and department in (None, got_routes[kind][1]), (where, kind)
        fields = {fld["label"]: fld for fld in ask["fields"]}
        for label, limit in want.limits.items():
            assert fields[label]["max_chars"] == limit, (where, label)
        if want.unlimited:
            assert [fld["label"] for fld in ask["fields"] if fld["max_chars"]] == [], where
        labels = [fld["label"] for fld in ask["fields"]]
        assert [label for label in labels if label in want.labels] == want.labels, where
        if want.accept:
            accepted = set().union(*[fld["accept"] for fld in ask["fields"] if fld["type"] == "file"])
            assert want.accept <= accepted, where
    own = [a["filename"] for a in notice["attachments"] if not a.get("original_of")]
    assert own == fact.attachments


@dataclass
class Seed:
    name: str
    now: datetime
    issue: dict  # the API body of the original notice
    signer: str  # a recipient that signs (签收)
    forward: dict  # the API body of its 转发 one level down (its unit_id is the forwarder)
    below: str  # a recipient of the 转发
    doc_number: str  # the original's 文号
    forwarded_number: str  # the 转发's 文号
    facts: NoticeFact  # what the seed says of the original
    forward_facts: NoticeFact | None = None  # …and of the 转发, when the seed is one (000, 003)
    attach: bool = False  # the 转发 carries an attachment of its own (seed003_attachment)


SEEDS = [
    Seed(
        "000",
        f.SEED000_NOW,
        f.seed000_national(),
        "gd-kjt",
        f.seed000_forward(),
        "sz-kjj",
        "科协发组字〔2020〕7号",
        "粤科协联〔2020〕9号",
        FACTS_000,
        FORWARD_000,
    ),
    Seed(
        "001",
        f.SEED001_NOW,
        f.seed001_notice(),
        "wn-lw-kx",
        f.seed001_forward(),
        "wn-lw-nxh",
        "渭科协发〔2020〕12号",
        "渭南市临渭区科学技术协会〔2020〕1号",
        FACTS_001,
    ),
    Seed(
        "002",
        f.SEED002_NOW,
        f.seed002_notice(),
        "gd-kx",
        f.seed002_forward(),
        "scut-kx",
        "科协办函组字〔2020〕29号",
        "粤科协联〔2020〕1号",
        FACTS_002,
    ),
    Seed(
        "003",
        f.SEED003_NOW,
        f.seed003_national(),
        "qh-kx",
        f.seed003_forward(),
        "xn-kx",
        "科协办函组字〔2021〕56号",
        "青科协发〔2021〕15号",
        FACTS_003,
        FORWARD_003,
        attach=True,
    ),
]


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
async def test_seed_is_issued_signed_and_forwarded_one_level_down(node, seed):
    issuer_unit, forwarder = seed.issue["issuer_unit_ids"][0], seed.forward["unit_id"]
    async with running(node, clock=FixedClock(seed.now)), gateway(node) as http:
        await f.load_directory(http)
        issuer, signer = await f.as_unit(http, issuer_unit), await f.as_unit(http, seed.signer)
        fwd, below = await f.as_unit(http, forwarder), await f.as_unit(http, seed.below)

        # Issue, with its forms, deadlines and routing, as the seed wrote them.
        r = await issue(issuer, seed.issue)
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        assert r.json()["doc_number"] == seed.doc_number
        notice = (await issuer.get(f"/api/notices/{nid}")).json()
        assert [a["ask_id"] for a in notice["asks"]] == [a["ask_id"] for a in seed.issue["asks"]]
        assert [[fld["label"] for fld in a["fields"]] for a in notice["asks"]] == [
            [fld["label"] for fld in a["fields"]] for a in seed.issue["asks"]
        ]
        check_notice(notice, seed.facts)

        # 签收 by a recipient, seen by the issuer.
        await eventually(lambda: _in_inbox(signer, nid))
        assert (await signer.post(f"/api/inbox/{nid}/acknowledge")).status_code == 200
        await eventually(lambda: _acknowledged(issuer, nid, seed.signer))

        # 转发 one level down, every deadline no later than upstream.
        await eventually(lambda: _in_inbox(fwd, nid))
        body = {**seed.forward, "attachments": [await f.seed003_attachment(fwd)]} if seed.attach else seed.forward
        r = await forward(fwd, nid, body)  # seed 000's is joint: through a draft and the 科技厅's 会签
        assert r.status_code == 201, r.text
        fid = r.json()["notice_id"]
        assert r.json()["doc_number"] == seed.forwarded_number
        await eventually(lambda: _in_inbox(below, fid))
        forwarded = (await below.get(f"/api/notices/{fid}")).json()
        upstream = {a["ask_id"]: a["deadline"] for a in notice["asks"]}
        for ask in forwarded["asks"]:
            if ask["ask_id"] in upstream:
                assert datetime.fromisoformat(ask["deadline"]) <= datetime.fromisoformat(upstream[ask["ask_id"]])
        assert forwarded["chain"][-1]["doc_number"] == seed.doc_number
        assert any(a["original_of"] == nid for a in forwarded["attachments"])
        if seed.forward_facts:
            check_notice(forwarded, seed.forward_facts)

        # Each step on the pages of the units concerned.
        await create_user(http, "issuer-person", issuer_unit, "issuer")
        await create_user(http, "below-person", seed.below, "submitter")
        top, bottom = await login(http, "issuer-person"), await login(http, "below-person")
        page = (await top.get(f"/notices/{nid}", headers=HTML)).text
        assert seed.doc_number in page and 'id="receipts"' in page and seed.forwarded_number in page
        inbox = (await bottom.get("/inbox", headers=HTML)).text
        assert seed.forwarded_number in inbox and "签收" in inbox
        page = (await bottom.get(f"/notices/{fid}", headers=HTML)).text
        assert seed.doc_number in page and seed.forwarded_number in page and "上级来文原文" in page


async def _in_inbox(client, notice_id):
    return any(e["notice_id"] == notice_id for e in (await client.get("/api/inbox")).json()["items"])


async def _acknowledged(client, notice_id, unit_id):
    t = (await client.get(f"/api/notices/{notice_id}/tracking")).json()
    return any(r["unit_id"] == unit_id and r["acknowledged_at"] for r in t["page"]["items"])
