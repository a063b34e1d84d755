"""A busy city node after a year, loaded through the product, and what its pages and commands cost then.

A whole node as ``cascade up`` runs it (nats-server, the store, every service
and the gateway as processes). Everything goes through the gateway's HTTP API,
with API tokens, as users and other systems would: a city 科协 with four
departments imports a directory of U recipient units (county 科协, 市级学会,
高校科协, 企业科协), then issues N notices to all of them, one after the other,
each with 1–2 asks built from the product's form templates (活动筹备方案,
总结报告, 联络员回执表, a statistics form) and a body of a few KB. For each notice,
C clients at once: ~95 % of the units 签收, ~88 % 报送 every ask (items filled
in per form field), then the issuer's reviewer decides: ~85 % 采用, ~5 % 退回
then re-submitted and 采用, ~3 % 退回 and re-submitted but not yet reviewed, the
rest left in the 审核 queue. Which units lag, deadlines, asks and answers come
from a seeded RNG, spread over the whole directory.

At the mark (after the first M notices are fully answered, default 5) and at
the end, one request at a time, R samples each (units, notices and asks
sampled across the whole data), p50/p95 of every page and API in ``READS`` and
every command in ``COMMANDS`` (签收, 报送, 采用 by units that lagged; issuing
one more notice to every unit: to its 201 and until every inbox entry is
written). Each figure is printed next to the store's raw floor: the same reads
(and, for commands, the same writes on a copy of the collections) with plain
PyMongo on the same database. Also: the load phase's rates and the time one
notice's 签收 + 报送 + 采用 take, HTTP 5xx seen, the data dir's size, CPU seconds
per process, and a summary flagging every figure over issue 10's targets
(p95 ≤ 150 ms; ≤ 1.5× its value at the mark). Speed is measured, never asserted.

    python -m bench year [--notices N] [--units U] [--clients C] [--mark M] [--repeat R] [--issue-reps K] [--seed S]
                         [--store patched|unpatched]
"""

import argparse
import asyncio
import os
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument

from cascade.runtime import NodeRuntime
from services.gateway.setup import create_api_token
from services.notices.presets import liaison_fields, plan_fields, summary_fields
from services.submissions import domain as submissions_domain
from shared import subjects
from shared.ids import submission_id

from ._load import bearer, bounded, deadline_in, settled, unit_tokens
from ._node import CpuMeter, cpu_parts, disk_usage, machine, percentile, processes, running_node, store
from .store_ops import unpatched_binary

# Targets of issue 10 ("Done when"): flagged, never asserted.
TARGET_P95_S = 0.150
TARGET_GROWTH = 1.5
TARGET_NOTICE_S = 30.0
TARGET_DATA_DIR = 1 << 30
PAGE = 50  # a page's default size (issue 10): the floor reads one page of a list, as a paginated page would

# ---------------------------------------------------------------- the city: directory


ISSUER = "wn-kx"
DEPARTMENTS = ("办公室", "组织宣传部", "学会学术部", "科学普及部")
ROUTE_BY_KIND = {
    "科协": "组织宣传部",
    "学会/协会/研究会": "学会学术部",
    "高校科协": "组织宣传部",
    "企业科协": "科学普及部",
}
COUNTIES = (
    "临渭区",
    "华州区",
    "潼关县",
    "大荔县",
    "合阳县",
    "澄城县",
    "蒲城县",
    "白水县",
    "富平县",
    "韩城市",
    "华阴市",
    "高新区",
    "经开区",
)
UNIVERSITIES = (
    "渭南师范学院",
    "陕西铁路工程职业技术学院",
    "渭南职业技术学院",
    "陕西工程科技职业学院",
    "渭南技师学院",
    "陕西交通职业技术学院渭南分院",
    "渭南市卫生学校",
    "西北农林科技大学白水苹果试验站",
)
DISCIPLINES = (
    "数学会",
    "物理学会",
    "化学化工学会",
    "农学会",
    "林学会",
    "畜牧兽医学会",
    "水利学会",
    "医学会",
    "中医药学会",
    "护理学会",
    "药学会",
    "预防医学会",
    "机械工程学会",
    "电机工程学会",
    "土木建筑学会",
    "计算机学会",
    "气象学会",
    "地质学会",
    "环境科学学会",
    "科普作家协会",
    "青少年科技教育协会",
    "植物保护学会",
    "园艺学会",
    "果业协会",
    "蚕桑学会",
    "食品科学技术学会",
    "营养学会",
    "抗癌协会",
    "康复医学会",
    "心理学会",
    "统计学会",
    "测绘学会",
    "汽车工程学会",
    "自动化学会",
    "电子学会",
    "通信学会",
    "金属学会",
    "煤炭学会",
    "石油学会",
    "能源研究会",
    "生态学会",
    "土壤肥料学会",
    "农业机械学会",
    "科技咨询协会",
    "老科技工作者协会",
    "女科技工作者协会",
    "科技创新研究会",
    "知识产权研究会",
    "档案学会",
    "图书馆学会",
)
COMPANY_STEMS = (
    "秦东",
    "华山",
    "渭河",
    "陕化",
    "蒲城",
    "富平",
    "澄合",
    "韩城",
    "大荔",
    "潼关",
    "白水",
    "合阳",
    "华州",
    "临渭",
    "华阴",
)
INDUSTRIES = ("化工", "煤业", "电力", "建材", "机械", "食品", "果业", "生物科技", "新材料")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "建国",
    "晓东",
    "海燕",
)


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name: str
    kind: str


def city_units(count: int, rng: random.Random) -> list[Unit]:
    """A city's recipients in the proportions of a real one (300: 13 county 科协, 8 高校, 150 学会, 129 企业),
    shuffled so that every kind is spread over the unit ids."""
    counties = min(len(COUNTIES), max(1, count * 13 // 300))
    universities = min(len(UNIVERSITIES), max(1, count * 8 // 300))
    societies = (count - counties - universities) * 150 // 279
    enterprises = count - counties - universities - societies
    named = [(f"{c}科学技术协会", "科协") for c in COUNTIES[:counties]]
    named += [(f"{u}科协", "高校科协") for u in UNIVERSITIES[:universities]]
    places = ("渭南市", *COUNTIES)
    named += [
        (f"{places[i // len(DISCIPLINES)]}{DISCIPLINES[i % len(DISCIPLINES)]}", "学会/协会/研究会")
        for i in range(societies)
    ]
    named += [
        (
            f"渭南{COMPANY_STEMS[i % len(COMPANY_STEMS)]}{INDUSTRIES[i // len(COMPANY_STEMS) % len(INDUSTRIES)]}"
            f"{'有限公司' if i < len(COMPANY_STEMS) * len(INDUSTRIES) else f'第{i}分公司'}科协",
            "企业科协",
        )
        for i in range(enterprises)
    ]
    rng.shuffle(named)
    return [Unit(f"u{i:03d}", name, kind) for i, (name, kind) in enumerate(named)]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def directory_csv(units: list[Unit], rng: random.Random) -> str:
    rows = [
        "unit_id,name,kind,parent_id,departments,doc_number_template,contact1_name,contact1_department,"
        "contact1_office_phone,contact1_mobile,contact1_email",
        f"{ISSUER},渭南市科学技术协会,科协,,{';'.join(DEPARTMENTS)},渭科协发〔{{year}}〕{{seq}}号,{person(rng)},"
        "组织宣传部,0913-2933017,,wnkx_zxb@163.com",
    ]
    rows += [
        f"{u.unit_id},{u.name},{u.kind},{ISSUER},,,{person(rng)},,,139{rng.randrange(10**8):08d},{u.unit_id}@example.cn"
        for u in units
    ]
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------- the city: notices and answers

TITLES = (
    "关于开展2021年“全国科技工作者日”活动的通知",
    "关于组织开展2021年全国科普日活动的通知",
    "关于推荐第十届渭南市青年科技奖候选人的通知",
    "关于报送2021年度学会工作总结及2022年工作计划的通知",
    "关于开展“科技为民 奋斗有我”科技志愿服务活动的通知",
    "关于征集2021年度优秀科普作品的通知",
    "关于做好2021年度市级学会年检工作的通知",
    "关于举办渭南市第三十六届青少年科技创新大赛的通知",
    "关于组织申报2021年度市级科普示范基地的通知",
    "关于开展第五次全国科技工作者状况调查的通知",
    "关于推荐2021年度“渭南最美科技工作者”人选的通知",
    "关于报送基层科协组织“三长”建设情况的通知",
    "关于做好2021年“科技之春”宣传月活动的通知",
    "关于举办2021年渭南市学术年会的通知",
    "关于征集企业技术需求和科技成果的通知",
    "关于报送院士专家工作站建设运行情况的通知",
    "关于开展全民科学素质行动规划纲要实施情况调研的通知",
    "关于组织开展“科创中国”科技服务团活动的通知",
    "关于举办基层科协干部培训班的通知",
    "关于报送2021年上半年工作进展情况的通知",
)
PARAGRAPHS = (
    "为深入学习贯彻习近平新时代中国特色社会主义思想，团结引领广大科技工作者不忘初心、牢记使命，围绕中心、服务大局，"
    "为疫情防控和经济社会发展作出新的更大贡献，市科协决定在全市范围内组织开展系列活动。现将有关事项通知如下：",
    "一、加强对科技工作者的团结引领。引领广大科技工作者深入学习贯彻习近平总书记关于科技创新的重要论述，增强“四个意识”，"
    "坚定“四个自信”，做到“两个维护”，在建设科技强国的新征程中建功立业。",
    "二、弘扬新时代科学家精神。大力弘扬践行“爱国、创新、求是、奉献、协同、育人”的新时代科学家精神，引领广大科技工作者"
    "争做重大科研成果的创造者、建设科技强国的奉献者、崇高思想品格的践行者、良好社会风尚的引领者。",
    "三、弘扬科技志愿服务精神。在科技界大力弘扬“奉献、友爱、互助、进步”的志愿服务精神，积极开展科技志愿服务，"
    "深入基层一线开展科技咨询、技术培训和科普宣传，把论文写在祖国大地上。",
    "四、为科技工作者办实事好事。深入了解科技工作者所思所想所盼，围绕学术成长、价值实现等需求，为科技工作者解难题、"
    "办实事、谋好事、维权益，使科技工作者切实感受到“家”的温暖。",
    "五、广泛凝聚合力，做好工作预案。各单位要积极争取地方党委、政府支持，充分调动各方面积极性，结合实际制定工作方案，"
    "密切跟踪疫情防控进展，因时因势创新工作方式，提前作出活动预案，确保活动安全有序开展。",
    "六、突出时代主题，广泛开展宣传。充分利用主流媒体、新媒体和科协系统宣传平台，发挥各自优势开展主题宣传，"
    "讲好科技工作者故事，营造尊重知识、尊重人才、尊重创造的良好氛围。",
    "七、梳理典型做法，做好总结评估。请各有关单位认真总结活动开展情况和工作成效，梳理典型经验，提出意见建议，"
    "按要求报送文字信息、影像资料等。市科协将评选优秀组织单位和优秀活动案例，予以通报表扬。",
    "八、工作要求。各单位要高度重视，明确专人负责，按时按要求报送材料；逾期未报送的，视为放弃。"
    "报送材料须经单位负责人审核，确保内容真实准确，不得涉及国家秘密。",
)
ACTIVITIES = (
    "科技为民 奋斗有我",
    "最美科技工作者走基层",
    "院士专家进企业",
    "科普大篷车进乡村",
    "青少年科学营",
    "科技助力乡村振兴",
    "学术沙龙",
    "科技咨询服务日",
)
ANSWER = (
    "我单位高度重视，按照通知要求，及时成立了工作专班，制定了活动方案，明确了责任分工。活动期间，我们组织开展走访慰问、"
    "科普讲座、技术咨询和成果对接等活动，走访慰问一线科技工作者，举办科普讲座和青少年科技创新展示活动，"
    "线上线下参与群众逾千人次，收集企业技术需求，促成合作意向。同时通过微信公众号、短视频平台发布活动信息，"
    "累计阅读量持续增长。下一步，我们将认真总结经验，建立常态化联系服务科技工作者机制，进一步做好科技工作者"
    "权益保障和表彰激励工作。活动中也发现基层组织力量薄弱、经费保障不足等问题，建议上级加强指导，完善激励机制。"
)
STATS_FIELDS = [
    {"key": "activities", "label": "开展活动（场次）", "type": "number", "min_value": 0},
    {"key": "participants", "label": "参与人数（人次）", "type": "number", "min_value": 0},
    {"key": "volunteers", "label": "参与科技志愿者（人）", "type": "number", "min_value": 0, "required": False},
    {"key": "note", "label": "情况说明", "type": "text", "max_chars": 500},
]


def fields_of(template) -> list[dict]:
    """A product form template as an ask's fields, without file fields (the bench uploads no files)."""
    return [f.model_dump(mode="json") for f in template() if f.type != "file"]


# (ask_id, kind, title, min_items, max_items, fields): the product's own form templates, and a statistics form.
ASK_TEMPLATES = (
    ("plan", "plan", "特色亮点活动筹备方案", 1, 2, lambda: fields_of(plan_fields)),
    ("summary", "summary_report", "活动总结报告", 1, 1, lambda: fields_of(summary_fields)),
    ("liaison", "liaison_form", "活动联络员回执表", 1, 1, lambda: fields_of(liaison_fields)),
    ("stats", "other", "活动开展情况统计表", 1, 1, lambda: STATS_FIELDS),
)


def notice_payload(k: int, units: list[Unit], rng: random.Random) -> dict:
    """Notice k: a title of the year, a body of a few KB, 1–2 asks with deadlines 1–8 weeks ahead."""
    title = TITLES[k % len(TITLES)]
    if k >= len(TITLES):
        title = title.replace("的通知", f"的补充通知（{k // len(TITLES) + 1}）")
    body = "\n".join(
        [
            "各县（市、区）科协，市级各学会、协会、研究会，各有关高校科协、企业科协：",
            PARAGRAPHS[0],
            *rng.sample(PARAGRAPHS[1:], rng.randint(4, len(PARAGRAPHS) - 1)),
            f"联系人：{person(rng)}，电话：0913-29330{rng.randint(10, 99)}，邮箱：wnkx_zxb@163.com",
            "渭南市科学技术协会",
            f"2021年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
        ]
    )
    kinds = sorted({u.kind for u in units})
    asks = []
    for ask_id, kind, ask_title, low, high, fields in rng.sample(ASK_TEMPLATES, rng.choice((1, 1, 1, 2, 2))):
        asks.append(
            {
                "ask_id": ask_id,
                "kind": kind,
                "title": ask_title,
                "min_items": low,
                "max_items": high,
                "fields": fields(),
                "deadline": deadline_in(rng.randint(7, 56)),
                "routes": [
                    {"unit_kind": kind_, "to_unit_id": ISSUER, "department": ROUTE_BY_KIND[kind_]} for kind_ in kinds
                ],
            }
        )
    return {
        "title": title,
        "issuer_unit_ids": [ISSUER],
        "recipient_unit_ids": [u.unit_id for u in units],
        "body": body,
        "asks": asks,
        "contacts": [{"name": person(rng), "department": "组织宣传部", "office_phone": "0913-2933017"}],
    }


def answer_items(ask: dict, unit: Unit, rng: random.Random) -> list[dict]:
    """What a unit fills in: 1..max items, each field by its type."""
    return [
        {f["key"]: field_value(f, unit, rng) for f in ask["fields"] if f.get("required", True) or rng.random() < 0.7}
        for _ in range(rng.randint(max(1, ask["min_items"]), ask["max_items"]))
    ]


def field_value(f: dict, unit: Unit, rng: random.Random):
    limit = f.get("max_chars") or 200
    match f["type"], f["key"]:
        case "text", "host_unit" | "organizer":
            return unit.name[:limit]
        case "text", "activity":
            return rng.choice(ACTIVITIES)
        case "text", "name":
            return person(rng)
        case "text", "position":
            return f"{unit.name}秘书长"[:limit]
        case "text", "phone":
            return f"139{rng.randrange(10**8):08d}"
        case "text", _:  # free text: a realistic answer, cut to the field's limit (summaries ~1 KB)
            return (unit.name + "：" + ANSWER * 2)[: min(limit, rng.randint(300, 700))]
        case "multi_choice", _:
            return rng.sample(f["options"], rng.randint(1, len(f["options"])))
        case "choice", _:
            return rng.choice(f["options"])
        case "date", _:
            return f"2021-{rng.randint(5, 11):02d}-{rng.randint(1, 28):02d}"
        case "number", _:
            return rng.randint(1, 3000)
        case "contact", _:
            return {"name": person(rng), "mobile": f"139{rng.randrange(10**8):08d}"}
    raise ValueError(f"no value for a {f['type']} field")


# ---------------------------------------------------------------- HTTP, counting every answer


class Gateway:
    """The node's gateway over loopback: every answer is counted by status (5xx are a figure of their own)."""

    RETRIES = 4

    def __init__(self, client: httpx.AsyncClient, node: str) -> None:
        self.client = client
        self.node = node
        self.statuses: Counter[int | str] = Counter()

    def errors(self) -> int:
        """5xx answers, timeouts and failed connections."""
        return sum(n for s, n in self.statuses.items() if isinstance(s, str) or s >= 500)

    async def send(self, method: str, url: str, token: str, **kw) -> httpx.Response | None:
        """One request; None when it timed out or the connection failed (counted as such)."""
        for attempt in (1, 2):
            try:
                r = await self.client.request(method, url, headers=bearer(token), **kw)
            except httpx.TimeoutException:
                self.statuses["timeout"] += 1
                return None
            except httpx.TransportError as exc:
                # Once: the server may have closed a pooled keep-alive connection as it was reused (after a long
                # quiet phase). Twice: the gateway is not answering.
                if attempt == 2:
                    self.statuses[f"connection error ({type(exc).__name__})"] += 1
                    return None
                continue
            self.statuses[r.status_code] += 1
            return r
        return None  # not reached: the second attempt returns

    async def command(self, method: str, url: str, token: str, ok: int, **kw) -> httpx.Response:
        """A load-phase command. A 5xx (the gateway gave up waiting on a service) is retried, as a user would;
        a 409 on a retry means the first try went through after all."""
        for attempt in range(self.RETRIES + 1):
            r = await self.send(method, url, token, **kw)
            if r is not None and (r.status_code == ok or (r.status_code == 409 and attempt)):
                return r
            if r is not None and r.status_code < 500:
                raise RuntimeError(f"{method} {url} answered {r.status_code}: {r.text[:300]}")
            await asyncio.sleep(2**attempt)
        raise RuntimeError(f"{method} {url} still failing after {self.RETRIES} retries")


# ---------------------------------------------------------------- the load


async def quiet(js, node: str, timeout: float = 3600.0) -> float:
    """Wait until every consumer of the node's events stream has acknowledged everything; seconds waited.

    A phase of the load, and each measured command, starts on a quiet node: the read models are complete, and
    no figure pays for the work left over from the one before."""
    t0 = time.perf_counter()
    stream = subjects.events_stream(node)
    while True:
        busy = [c.name for c in await js.consumers_info(stream) if c.num_pending or c.num_ack_pending]
        if not busy:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError(f"consumers still busy after {timeout} s: {busy}")
        await asyncio.sleep(0.05)


@dataclass
class City:
    units: list[Unit]
    tokens: dict[str, str]  # unit id → its submitter's API token
    issuer: str  # API tokens of the issuing unit: a clerk who issues, a reviewer
    reviewer: str
    notices: list[dict] = field(default_factory=list)  # answered notices: {"id", "asks"}
    issued: int = 0  # every notice issued, answered or not
    # What units have not done yet, sampled by the command measurements (a lagging unit catching up).
    unsigned: list[tuple[str, str]] = field(default_factory=list)  # (notice id, unit id)
    owed: list[tuple[str, dict, str]] = field(default_factory=list)  # (notice id, ask, unit id)
    in_review: dict[str, int] = field(default_factory=dict)  # submission id → revision awaiting review
    tally: Counter[str] = field(default_factory=Counter)  # 签收, 报送 (revisions), 采用, 退回: what the store must hold

    def __post_init__(self) -> None:
        self.by_id = {u.unit_id: u for u in self.units}


@dataclass
class NoticeLoad:
    k: int
    issue_s: float  # POST /api/notices until 201
    inbox_s: float  # … until every inbox entry was written
    phases: dict[str, tuple[int, float]]  # 签收, 报送, 审核, 重报, 复审: (requests, seconds until the last answer)
    answered_s: float  # first 签收 until the last 采用 answered
    settled_s: float  # … and until every consumer was done
    errors: int  # 5xx and timeouts during this notice


async def issue(gw: Gateway, js, city: City, payload: dict, inbox) -> tuple[str, float, float]:
    """Issue a notice: (id, seconds to the 201, seconds until every recipient's inbox entry was written).

    The notices service writes the entries of the recipients it hosts with the notice, before the 201, and its
    inbox consumer makes any it did not: the entries are counted (by the notice's index) as soon as the 201 is in,
    and every 10 ms until all are there. Then the inbox consumer is waited for (outside the clock), so that the
    next request finds the notice's events handled there."""
    t0 = time.perf_counter()
    r = await gw.send("POST", "/api/notices", city.issuer, json=payload)
    created = time.perf_counter() - t0
    if r is None or r.status_code != 201:
        raise RuntimeError(f"POST /api/notices answered {r and r.status_code}: {r and r.text[:300]}")
    notice_id = r.json()["notice_id"]
    while await inbox.count_documents({"notice_id": notice_id}) < len(payload["recipient_unit_ids"]):
        if time.perf_counter() - t0 > 3600:
            raise TimeoutError(f"the inbox entries of {notice_id} were not all written in an hour")
        await asyncio.sleep(0.01)
    written = time.perf_counter() - t0
    await settled(js, gw.node, [("notices", "inbox_issued")], timeout=3600)
    city.issued += 1
    return notice_id, created, written


async def phase(label: str, clients: int, jobs: list[Callable[[], Awaitable[object]]]) -> tuple[int, float]:
    """Run the jobs ``clients`` at a time: (how many, seconds until the last answer), printed as it ends (at
    300 units on a slow store a notice takes minutes: the line shows how far it got)."""
    t0 = time.perf_counter()
    await bounded(len(jobs), clients, lambda i: jobs[i]())
    seconds = time.perf_counter() - t0
    print(f" {label} {len(jobs)} in {seconds:.1f} s,", end="", flush=True)
    return len(jobs), seconds


async def sign(gw: Gateway, city: City, notice_id: str, unit_id: str) -> None:
    await gw.command("POST", f"/api/inbox/{notice_id}/acknowledge", city.tokens[unit_id], 200)
    city.tally["签收"] += 1


async def submit(gw: Gateway, city: City, notice_id: str, ask: dict, unit_id: str, rng: random.Random) -> int:
    items = answer_items(ask, city.by_id[unit_id], rng)
    r = await gw.command(
        "POST",
        f"/api/notices/{notice_id}/asks/{ask['ask_id']}/submission",
        city.tokens[unit_id],
        201,
        json={"items": items},
    )
    city.tally["报送"] += 1
    revision = r.json().get("revision") if r.status_code == 201 else None
    sid = submission_id(notice_id, ask["ask_id"], unit_id)
    city.in_review[sid] = revision or city.in_review.get(sid, 0) + 1
    return city.in_review[sid]


async def decide(gw: Gateway, city: City, sid: str, accept: bool) -> None:
    revision = city.in_review.pop(sid)
    action, body = (
        ("accept", {"revision": revision})
        if accept
        else ("return", {"revision": revision, "reason": "请按通知要求补充活动开展的具体数据和影像资料后重新报送。"})
    )
    await gw.command("POST", f"/api/submissions/{sid}/{action}", city.reviewer, 200, json=body)
    city.tally["采用" if accept else "退回"] += 1


async def load_notice(gw: Gateway, js, city: City, k: int, rng: random.Random, clients: int, inbox) -> NoticeLoad:
    """Issue notice k to every unit, then its answers: 签收, 报送, 审核, and the 退回 ones again."""
    errors_before = gw.errors()
    payload = notice_payload(k, city.units, rng)
    notice_id, issue_s, inbox_s = await issue(gw, js, city, payload, inbox)
    print(f"notice {k + 1}: 201 after {ms(issue_s)}, every inbox after {ms(inbox_s)};", end="", flush=True)
    await quiet(js, gw.node)  # the submissions service knows what each unit owes before anyone answers
    asks = payload["asks"]
    ids = [u.unit_id for u in city.units]
    signers = rng.sample(ids, round(len(ids) * 0.95))
    submitters = set(rng.sample(signers, round(len(ids) * 0.88)))
    city.unsigned += [(notice_id, u) for u in ids if u not in signers]
    city.owed += [(notice_id, a, u) for u in ids if u not in submitters for a in asks]
    # Each answer with its fate and its own RNG (so that concurrency does not change the data).
    answers = [
        (u, a, rng.random(), random.Random(rng.randrange(2**32))) for u in signers if u in submitters for a in asks
    ]
    rng.shuffle(answers)

    t0 = time.perf_counter()
    phases = {"签收": await phase("签收", clients, [partial(sign, gw, city, notice_id, u) for u in signers])}
    phases["报送"] = await phase(
        "报送", clients, [partial(submit, gw, city, notice_id, a, u, r) for u, a, _, r in answers]
    )
    # Fates: < .85 采用; < .90 退回, re-submitted, 采用; < .93 退回, re-submitted, awaiting review; else awaiting review.
    sids = [submission_id(notice_id, a["ask_id"], u) for u, a, _, _ in answers]
    fates = [fate for _, _, fate, _ in answers]
    phases["审核"] = await phase(
        "审核",
        clients,
        [partial(decide, gw, city, s, f < 0.85) for s, f in zip(sids, fates, strict=True) if f < 0.93],
    )
    again = [(answer, sid) for answer, sid in zip(answers, sids, strict=True) if 0.85 <= answer[2] < 0.93]
    phases["重报"] = await phase(
        "重报", clients, [partial(submit, gw, city, notice_id, a, u, r) for (u, a, _, r), _ in again]
    )
    phases["复审"] = await phase(
        "复审", clients, [partial(decide, gw, city, sid, True) for answer, sid in again if answer[2] < 0.90]
    )
    answered = time.perf_counter() - t0
    await quiet(js, gw.node)
    city.notices.append({"id": notice_id, "asks": asks})
    return NoticeLoad(k, issue_s, inbox_s, phases, answered, time.perf_counter() - t0, gw.errors() - errors_before)


# ---------------------------------------------------------------- the store's raw floor


class Store:
    """The node's databases, for the raw floors: the same reads as a request, with plain PyMongo.

    Commands write on ``raw``: copies, made at each measurement, of the collections they update
    (same documents, same indexes, same store), so the product's data is never touched."""

    COPIED = (("notices", "notices"), ("notices", "inbox"), ("notices", "counters"), ("submissions", "expected"))
    COPY_BATCH = 500

    def __init__(self, rt: NodeRuntime) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(rt.store_url, tz_aware=True)
        self.node = node = rt.cfg.node_id
        self.notices, self.submissions = self.client[f"{node}_notices"], self.client[f"{node}_submissions"]
        self.reports, self.notifications = self.client[f"{node}_reports"], self.client[f"{node}_notifications"]
        self.raw = self.client[f"{node}_raw"]
        self.tz = ZoneInfo(rt.cfg.timezone)

    async def copy_for_commands(self) -> None:
        for db, name in self.COPIED:
            source, target = getattr(self, db)[name], self.raw[name]
            await target.drop()
            for index in (await source.index_information()).values():
                if index["key"] != [("_id", 1)]:
                    await target.create_index(index["key"], unique=index.get("unique", False))
            batch = []
            async for doc in source.find({}):
                batch.append(doc)
                if len(batch) == self.COPY_BATCH:
                    await target.insert_many(batch)
                    batch = []
            if batch:
                await target.insert_many(batch)
        await self.raw["revisions"].drop()

    async def close(self) -> None:
        await self.client.close()


async def listed(cursor) -> list[dict]:
    return [d async for d in cursor]


# The floors below are the reads of the services' repositories (services/*/repository.py) as they stand, written
# out with plain PyMongo; when a repository changes what a request reads, change its floor here.
NO_OUTBOX = {"_outbox": 0}
HEAD = {"_outbox": 0, "recipients": 0, "recipients_by_part": 0}  # a notice without its recipients (kept apart)
NEWEST = [("issued_at", DESCENDING)]
NEWEST_SUBMITTED = [("submitted_at", DESCENDING), ("_id", ASCENDING)]
BY_NAME = [("name", ASCENDING), ("unit_id", ASCENDING)]
NAMED_ON_THE_PAGE = 30  # recipients the notice page names (services/gateway/features/notices/pages.py)


async def page(
    collection, *segments: tuple[dict, list, bool], projection: dict | None = NO_OUTBOX, size: int = PAGE
) -> list[dict]:
    """The first page of a list as the product reads one (shared/paging.py): segment after segment (e.g. not
    yet signed, then signed), each by its own filter and sort, counted when asked, ``size`` + 1 documents in all
    (the one past the page says whether more follow)."""
    docs: list[dict] = []
    for query, sort, counted in segments:
        if counted:
            await collection.count_documents(query)
        if len(docs) <= size:
            docs += await listed(collection.find(query, projection).sort(sort).limit(size + 1 - len(docs)))
    return docs


async def floor_inbox(s: Store, p: dict) -> None:
    unit = {"unit_id": p["unit"]}
    await page(
        s.notices["inbox"],
        ({**unit, "signed": False}, NEWEST, True),
        ({**unit, "signed": True}, NEWEST, False),
        size=p.get("per_page", PAGE),
    )


async def floor_owed(s: Store, p: dict) -> None:
    """报送 (a unit's): what is still open first, soonest deadline first; then the rest."""
    unit = {"unit_id": p["unit"], "unit_node": s.node}
    await page(
        s.submissions["expected"],
        ({**unit, "open": True}, [("deadline", ASCENDING), ("_id", ASCENDING)], True),
        ({**unit, "open": False}, [("deadline", DESCENDING), ("_id", ASCENDING)], False),
        size=p.get("per_page", PAGE),
    )


async def floor_issued(s: Store, p: dict) -> None:
    """发文: a page of the issuer's entries (each carries its row's fields) and their 签收 counts."""
    entries = await page(
        s.notices["sent"], ({"unit_id": ISSUER}, NEWEST, False), projection=None, size=p.get("per_page", PAGE)
    )
    await listed(s.notices["tracking"].find({"_id": {"$in": [e["notice_id"] for e in entries]}}))


async def recipients(s: Store, notice_id: str, limit: int | None = None) -> None:
    """A notice's recipients, from their part documents (100 each): all of them, or the parts holding the first."""
    cursor = s.notices["recipients"].find({"notice_id": notice_id}).sort("part", ASCENDING)
    await listed(cursor if limit is None else cursor.limit(-(-limit // 100)))


async def floor_notice(s: Store, p: dict, viewer: str = ISSUER, named: int | None = None) -> None:
    """A notice as its API reads it: the notice, its recipients (all; a page: the first it names), its upstream
    changes, the viewer's inbox entry."""
    await s.notices["notices"].find_one({"_id": p["notice"]}, HEAD)
    if viewer != ISSUER:  # may the viewer see it: its inbox entry
        await s.notices["inbox"].find_one({"_id": f"{p['notice']}:{viewer}"})
    await recipients(s, p["notice"], named)
    await s.notices["upstream"].find_one({"_id": p["notice"]})
    await s.notices["inbox"].find_one({"_id": f"{p['notice']}:{viewer}"})


async def floor_tracking(s: Store, p: dict) -> None:
    """签收 table: the notice, two counts of its receipts, a page of them (not signed first, by name)."""
    await s.notices["notices"].find_one({"_id": p["notice"]}, HEAD)
    receipts, notice = s.notices["receipts"], {"notice_id": p["notice"]}
    await receipts.count_documents(notice)
    await receipts.count_documents({**notice, "signed": True})
    await page(receipts, ({**notice, "signed": False}, BY_NAME, False), ({**notice, "signed": True}, BY_NAME, False))


async def floor_completeness(s: Store, p: dict) -> None:
    """报送情况: the notice (is the caller its issuer?), then its header and, per ask, five counts of its answers
    (where the units stand, how many late) and the first page of them (pending first)."""
    await s.notices["notices"].find_one({"_id": p["notice"]}, HEAD)
    header = await s.reports["notice_status"].find_one({"_id": p["notice"]}) or {}
    answers = s.reports["notice_answers"]
    for ask_id in header.get("asks", {}):
        owed = {"notice_id": p["notice"], "ask_id": ask_id, "owed": True}
        statuses = ("pending", "returned", "submitted", "accepted")
        for status in statuses:
            await answers.count_documents({**owed, "status": status})
        await answers.count_documents({**owed, "late": True})
        await page(answers, *[({**owed, "status": st}, [("unit_id", ASCENDING)], False) for st in statuses])


async def floor_notice_page_issuer(s: Store, p: dict) -> None:
    """The issuer's notice page: the notice, 签收, how sending went, 报送情况, and the 评选 results."""
    await floor_notice(s, p, named=NAMED_ON_THE_PAGE)
    await floor_tracking(s, p)
    # How sending went: the counts kept per cause and channel, the log's size, the first problems.
    notice = {"notice_id": p["notice"]}
    await listed(s.notifications["counts"].find(notice))
    await s.notifications["deliveries"].count_documents(notice)
    for status in ("failed", "retrying"):
        await listed(s.notifications["deliveries"].find({**notice, "status": status}).sort("_id", ASCENDING).limit(20))
    await floor_completeness(s, p)
    await listed(s.submissions["expected"].find({"notice_id": p["notice"]}, NO_OUTBOX).sort("_id", ASCENDING))


async def floor_notice_page_unit(s: Store, p: dict) -> None:
    """A recipient's notice page: the notice, and its own submission of each ask with their revisions."""
    await floor_notice(s, p, viewer=p["unit"], named=NAMED_ON_THE_PAGE)
    for ask in p["asks"]:
        doc = await s.submissions["expected"].find_one({"_id": submission_id(p["notice"], ask, p["unit"])})
        await s.submissions["notices"].find_one({"_id": p["notice"]})
        sid = submission_id(p["notice"], ask, p["unit"])
        for n in range(1, (doc or {}).get("revision", 0) + 1):
            await s.submissions["revisions"].find_one({"_id": f"{sid}:{n}"})


async def floor_review(s: Store, p: dict) -> None:
    """审核: what waits for review first (counted), then the decided, newest first."""
    mine = {"to_unit_id": ISSUER, "issuer_node": s.node}
    await page(
        s.submissions["expected"],
        ({**mine, "status": "submitted"}, NEWEST_SUBMITTED, True),
        ({**mine, "decided": True}, NEWEST_SUBMITTED, False),
    )


async def floor_statistics(s: Store, p: dict) -> None:
    """办理情况统计: a page of the issuer's rows of this year by unit name, and how many notices it sent."""
    year = {"issuer_unit_id": ISSUER, "year": datetime.now(s.tz).year}
    await page(
        s.reports["unit_statistics"],
        ({**year, "listed": True}, [("name", ASCENDING), ("_id", ASCENDING)], True),
        projection=None,
    )
    await s.reports["notice_status"].count_documents(year)
    await s.reports["notice_status"].count_documents({**year, "withdrawn": True})


async def floor_table(s: Store, p: dict) -> None:
    """汇总表: the notice, every submission owed for the ask, the latest revision of the submitted ones (each batch
    of 100 submissions' revisions looked up while the next batch is read, as the repository does)."""
    await s.notices["notices"].find_one({"_id": p["notice"]}, HEAD)
    await s.submissions["notices"].find_one({"_id": p["notice"]})
    owed = {"notice_id": p["notice"], "ask_id": p["ask"]}
    revisions = s.submissions["revisions"]

    async def latest(batch: list[dict]) -> None:
        ids = [f"{d['_id']}:{d['revision']}" for d in batch if d.get("revision")]
        if ids:
            await listed(revisions.find({"_id": {"$in": ids}}, NO_OUTBOX))

    lookups, batch = [], []
    async for doc in s.submissions["expected"].find(owed, NO_OUTBOX).batch_size(100):
        batch.append(doc)
        if len(batch) == 100:
            lookups.append(asyncio.create_task(latest(batch)))
            batch = []
    await asyncio.gather(latest(batch), *lookups)


# ---------------------------------------------------------------- what is measured: reads


@dataclass(frozen=True)
class Read:
    label: str
    who: str  # whose token: "unit" (the sampled unit), "issuer" or "reviewer" (of the issuing unit)
    path: str  # formatted with the sample: {unit}, {notice}, {ask}
    floor: Callable[[Store, dict], Awaitable[None]]
    per_page: int | None = None  # a page of this many rows instead of the default

    def url(self, p: dict) -> str:
        return self.path.format(**p) + (f"?per_page={self.per_page}" if self.per_page else "")

    def sample(self, p: dict) -> dict:
        return {**p, "per_page": self.per_page} if self.per_page else p


# A unit's 收文 and 报送 and the issuer's 发文 hold fewer rows than a page at the first mark (5 notices: ~8 rows of
# 50), so their default page "grows" as it fills up to its bound. The same lists, 5 rows a page, are full at both
# marks: their growth is the growth with the node's history.
SAME_ROWS = 5
FILLS = {
    "收文 page": f"收文 API, {SAME_ROWS} a page",
    "收文 API": f"收文 API, {SAME_ROWS} a page",
    "报送 page (a unit's)": f"报送 API, {SAME_ROWS} a page",
    "报送 API (a unit's)": f"报送 API, {SAME_ROWS} a page",
    "发文 page": f"发文 API, {SAME_ROWS} a page",
    "发文 API": f"发文 API, {SAME_ROWS} a page",
}

# The requests, in one table: the first page with default parameters. Adapt here when the endpoints change.
READS = (
    Read("收文 page", "unit", "/inbox", floor_inbox),
    Read("收文 API", "unit", "/api/inbox", floor_inbox),
    Read("报送 page (a unit's)", "unit", "/submissions", floor_owed),
    Read("报送 API (a unit's)", "unit", "/api/submissions", floor_owed),
    Read("发文 page", "issuer", "/", floor_issued),
    Read("发文 API", "issuer", "/api/notices", floor_issued),
    Read(f"收文 API, {SAME_ROWS} a page", "unit", "/api/inbox", floor_inbox, SAME_ROWS),
    Read(f"报送 API, {SAME_ROWS} a page", "unit", "/api/submissions", floor_owed, SAME_ROWS),
    Read(f"发文 API, {SAME_ROWS} a page", "issuer", "/api/notices", floor_issued, SAME_ROWS),
    Read("notice page (issuer: 签收, 报送情况)", "issuer", "/notices/{notice}", floor_notice_page_issuer),
    Read("notice page (a recipient)", "unit", "/notices/{notice}", floor_notice_page_unit),
    Read("notice API", "issuer", "/api/notices/{notice}", floor_notice),
    Read("签收 tracking API", "issuer", "/api/notices/{notice}/tracking", floor_tracking),
    Read("报送情况 API", "issuer", "/api/notices/{notice}/completeness", floor_completeness),
    Read("审核 page", "reviewer", "/review", floor_review),
    Read("审核 API", "reviewer", "/api/review", floor_review),
    Read("办理情况统计 page", "issuer", "/statistics", floor_statistics),
    Read("办理情况统计 JSON", "issuer", "/api/statistics", floor_statistics),
    Read("汇总表 CSV export", "reviewer", "/api/notices/{notice}/asks/{ask}/table.csv", floor_table),
)


@dataclass
class Figure:
    request: str
    times: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    errors: Counter[int | str] = field(default_factory=Counter)

    def p(self, q: float, floor: bool = False) -> float:
        return percentile(self.floor if floor else self.times, q)

    def kb(self) -> int:
        """The median size of its answers, in KB."""
        return round(percentile([float(n) for n in self.sizes], 50) / 1024) if self.sizes else 0


def sample(city: City, rng: random.Random) -> dict:
    """A unit, an answered notice and one of its asks, anywhere in the data."""
    notice = rng.choice(city.notices)
    return {
        "unit": rng.choice(city.units).unit_id,
        "notice": notice["id"],
        "ask": rng.choice(notice["asks"])["ask_id"],
        "asks": [a["ask_id"] for a in notice["asks"]],
    }


async def timed[T](work: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    t = time.perf_counter()
    out = await work()
    return time.perf_counter() - t, out


async def measure_reads(gw: Gateway, s: Store, city: City, rng: random.Random, repeat: int) -> dict[str, Figure]:
    """Every read, round-robin, one request at a time; each next to its floor on the same sample (the floor goes
    first every other time, so neither always finds the store's cache warmed by the other)."""
    figures = {r.label: Figure("GET " + r.url({"unit": "{unit}", "notice": "{notice}", "ask": "{ask}"})) for r in READS}
    tokens = {"issuer": city.issuer, "reviewer": city.reviewer}
    for i in range(repeat):
        for read in READS:
            p = read.sample(sample(city, rng))
            fig = figures[read.label]
            token = city.tokens[p["unit"]] if read.who == "unit" else tokens[read.who]

            async def product(read=read, p=p, token=token, fig=fig) -> None:
                seconds, r = await timed(lambda: gw.send("GET", read.url(p), token))
                fig.times.append(seconds)
                if r is None or r.status_code != 200:
                    fig.errors[r.status_code if r is not None else "no answer"] += 1
                else:
                    fig.sizes.append(len(r.content))

            async def raw(read=read, p=p, fig=fig) -> None:
                fig.floor.append((await timed(lambda: read.floor(s, p)))[0])

            for step in (product, raw) if i % 2 == 0 else (raw, product):
                await step()
    return figures


# ---------------------------------------------------------------- what is measured: commands


def take(pool: list, rng: random.Random):
    """A random element, removed from the pool (swap with the last: O(1))."""
    i = rng.randrange(len(pool))
    pool[i], pool[-1] = pool[-1], pool[i]
    return pool.pop()


async def raw_advance(s: Store, sid: str, update: dict) -> None:
    """A submission moved as the submissions service moves it: read, then one conditional update (on the copy)."""
    await s.raw["expected"].find_one({"_id": sid})
    await s.raw["expected"].find_one_and_update({"_id": sid}, update, return_document=ReturnDocument.AFTER)


async def measure_sign(gw: Gateway, s: Store, city: City, rng: random.Random, fig: Figure) -> None:
    """签收 by a unit that had not signed that notice yet."""
    notice_id, unit_id = take(city.unsigned, rng)
    seconds, r = await timed(lambda: gw.send("POST", f"/api/inbox/{notice_id}/acknowledge", city.tokens[unit_id]))
    record(fig, seconds, r, 200)
    city.tally["签收"] += r is not None and r.status_code == 200
    entry_id = f"{notice_id}:{unit_id}"
    now = datetime.now(UTC)
    event = {"type": "notice.acknowledged", "notice_id": notice_id, "unit_id": unit_id, "at": now.isoformat()}
    fig.floor.append((await timed(lambda: raw_sign(s, entry_id, unit_id, now, [stand_in(event)])))[0])


def stand_in(event: dict) -> dict:
    """An outbox entry of about the size of the one the command writes (the product takes it off once published,
    so it cannot be read back and written again)."""
    return {"id": f"raw-{time.perf_counter_ns()}", "dest": None, "event": event}


async def raw_sign(s: Store, entry_id: str, unit_id: str, now: datetime, outbox: list[dict]) -> None:
    """签收 as the notices service does it: the inbox entry, the unit, the conditional update with its event, the
    entry again, the event taken off once published."""
    await s.raw["inbox"].find_one({"_id": entry_id})
    await s.notices["units"].find_one({"_id": unit_id})
    await s.raw["inbox"].update_one(
        {"_id": entry_id, "acknowledged_at": None},
        {
            "$set": {"acknowledged_at": now, "acknowledged_by": "bench", "signed": True},
            "$push": {"_outbox": {"$each": outbox}},
        },
    )
    await s.raw["inbox"].find_one({"_id": entry_id})
    await s.raw["inbox"].update_one({"_id": entry_id}, {"$pullAll": {"_outbox": outbox}})


async def measure_submit(gw: Gateway, s: Store, city: City, rng: random.Random, fig: Figure) -> None:
    """报送 by a unit that had not answered that ask yet."""
    notice_id, ask, unit_id = take(city.owed, rng)
    items = answer_items(ask, city.by_id[unit_id], rng)
    url = f"/api/notices/{notice_id}/asks/{ask['ask_id']}/submission"
    seconds, r = await timed(lambda: gw.send("POST", url, city.tokens[unit_id], json={"items": items}))
    record(fig, seconds, r, 201)
    sid = submission_id(notice_id, ask["ask_id"], unit_id)
    if r is not None and r.status_code == 201:
        city.tally["报送"] += 1
        city.in_review[sid] = r.json().get("revision", 1)
    revision = await s.submissions["revisions"].find_one({"_id": f"{sid}:1"})  # to write the same document
    fields = submissions_domain.submitted_fields(
        revision=1, at=datetime.now(UTC), by="bench", late=False, items=len(items), compiled=False
    )
    fig.floor.append((await timed(lambda: raw_submit(s, notice_id, sid, revision, fields)))[0])


async def raw_submit(s: Store, notice_id: str, sid: str, revision: dict | None, fields: dict) -> None:
    """报送: the notice, the revision inserted with its event (which carries the items again), the submission
    moved, the event taken off the revision once published."""
    await s.submissions["notices"].find_one({"_id": notice_id})
    doc = {k: v for k, v in (revision or {}).items() if k != "_id"}
    outbox = [stand_in({"type": "plan.submitted", **{k: str(v) for k, v in doc.items()}})]
    await s.raw["revisions"].insert_one({**doc, "_id": f"{sid}:raw", "_outbox": outbox})
    await raw_advance(s, sid, {"$set": fields})
    await s.raw["revisions"].update_one({"_id": f"{sid}:raw"}, {"$pullAll": {"_outbox": outbox}})


async def measure_accept(gw: Gateway, s: Store, city: City, rng: random.Random, fig: Figure) -> None:
    """采用 of a submission waiting in the 审核 queue."""
    sid = rng.choice(sorted(city.in_review))
    revision = city.in_review.pop(sid)
    seconds, r = await timed(
        lambda: gw.send("POST", f"/api/submissions/{sid}/accept", city.reviewer, json={"revision": revision})
    )
    record(fig, seconds, r, 200)
    city.tally["采用"] += r is not None and r.status_code == 200
    fields = submissions_domain.reviewed_fields(status="accepted", revision=revision, at=datetime.now(UTC), by="bench")
    outbox = [stand_in({"type": "submission.accepted", "submission_id": sid, **{k: str(v) for k, v in fields.items()}})]
    update = {"$set": fields, "$push": {"_outbox": {"$each": outbox}}}  # its event, taken off once published

    async def raw_accept() -> None:
        await raw_advance(s, sid, update)
        await s.raw["expected"].update_one({"_id": sid}, {"$pullAll": {"_outbox": outbox}})

    fig.floor.append((await timed(raw_accept))[0])


def record(fig: Figure, seconds: float, r: httpx.Response | None, ok: int) -> None:
    fig.times.append(seconds)
    if r is None or r.status_code != ok:
        fig.errors[r.status_code if r is not None else "no answer"] += 1


async def measure_issue(gw: Gateway, js, s: Store, city: City, rng: random.Random, figs: tuple[Figure, Figure]) -> None:
    """One more notice to every unit: to its 201, and until every inbox entry is written. It stays unanswered."""
    notice_id, created, written = await issue(
        gw, js, city, notice_payload(city.issued, city.units, rng), s.notices["inbox"]
    )
    figs[0].times.append(created)
    figs[1].times.append(written)
    doc = await s.notices["notices"].find_one({"_id": notice_id}) or {}
    parts = await listed(s.notices["recipients"].find({"notice_id": notice_id}))
    entries = await listed(s.notices["inbox"].find({"notice_id": notice_id}))
    await quiet(js, gw.node)
    t0 = time.perf_counter()  # the floor: what the issue writes before its 201, then the inbox entries
    await raw_issue(s, doc, parts, len(figs[0].floor))
    figs[0].floor.append(time.perf_counter() - t0)
    await s.raw["inbox"].insert_many([{**e, "_id": f"raw{len(figs[1].floor)}:{e['_id']}"} for e in entries])
    figs[1].floor.append(time.perf_counter() - t0)


async def raw_issue(s: Store, doc: dict, parts: list[dict], n: int) -> None:
    """What issuing reads and writes before its 201: the directory's version (its entries are kept by the service
    while that is unchanged), the 文号 counter, the recipients' part documents, the notice with its notice.issued
    event (which names every recipient by id: their snapshots are in the parts) and its 发文 entry."""
    await s.notices["directory"].find_one({"_id": "version"})
    counter = f"{ISSUER}:{datetime.now(s.tz).year}"
    await s.notices["counters"].find_one({"_id": counter})
    await s.raw["recipients"].insert_many([{**p, "_id": f"raw{n}:{p['part']}", "notice_id": f"raw{n}"} for p in parts])
    event = {"type": "notice.issued", "notice": {**doc, "recipients": []}}
    entry = {**stand_in(event), "recipient_ids": [u["unit_id"] for p in parts for u in p["units"]]}
    await s.raw["notices"].insert_one({**doc, "_id": f"raw{n}", "number_key": f"raw{n}", "_outbox": [entry]})
    await s.raw["counters"].update_one({"_id": counter}, {"$max": {"last": 10_000 + n}}, upsert=True)
    await s.raw["sent"].insert_one(
        {
            "_id": f"raw{n}:{ISSUER}",
            "notice_id": f"raw{n}",
            "unit_id": ISSUER,
            "issued_at": doc["issued_at"],
            "year": datetime.now(s.tz).year,
            **{k: doc.get(k) for k in ("doc_number", "title", "kind", "status", "revision", "recipient_count")},
        }
    )


COMMANDS = (
    ("签收", "POST /api/inbox/{notice}/acknowledge", measure_sign, "unsigned"),
    ("报送", "POST /api/notices/{notice}/asks/{ask}/submission", measure_submit, "owed"),
    ("采用", "POST /api/submissions/{id}/accept", measure_accept, "in_review"),
)
ISSUE = ("issue a notice → 201", "issue a notice → every inbox written")


async def measure_commands(
    gw: Gateway, js, s: Store, city: City, rng: random.Random, repeat: int, issue_reps: int
) -> dict[str, Figure]:
    """Each command one at a time, the node quiet before each (its events handled), next to its floor."""
    await s.copy_for_commands()
    figures = {}
    for label, request, run, pool in COMMANDS:
        fig = figures[label] = Figure(request)
        for _ in range(min(repeat, len(getattr(city, pool)))):
            await run(gw, s, city, rng, fig)
            await quiet(js, gw.node)
    pair = (Figure("POST /api/notices"), Figure("POST /api/notices, then the inbox consumer"))
    for _ in range(issue_reps):
        await measure_issue(gw, js, s, city, rng, pair)
    figures.update(zip(ISSUE, pair, strict=True))
    await s.client.drop_database(s.raw.name)
    return figures


@dataclass
class Mark:
    notices: int
    figures: dict[str, Figure]
    data_dir: tuple[int, list[tuple[int, str]]]
    cpu: dict[str, float]
    seconds: float


async def measure(gw: Gateway, js, s: Store, city: City, rng: random.Random, args, rt: NodeRuntime) -> Mark:
    meter = CpuMeter(pids(rt))
    meter.start()
    t0 = time.perf_counter()
    answered = len(city.notices)
    figures = await measure_reads(gw, s, city, rng, args.repeat)
    figures |= await measure_commands(gw, js, s, city, rng, args.repeat, args.issue_reps)
    mark = Mark(answered, figures, disk_usage(rt.cfg.data_dir), meter.stop(), time.perf_counter() - t0)
    print_mark(mark, city)
    return mark


# ---------------------------------------------------------------- the run


def pids(rt: NodeRuntime) -> dict[str, int]:
    return {name: p.pid for name, p in processes(rt).items()} | {"bench client": os.getpid()}


async def open_city(rt: NodeRuntime, gw: Gateway, units: list[Unit], rng: random.Random, clients: int) -> City:
    """The directory imported through the API, and a token for each unit and for the issuer's clerk and reviewer."""
    node, url = rt.cfg.node_id, rt.store_url
    admin = await create_api_token(url, node, ISSUER, "admin", name="bench admin")
    r = await gw.send("POST", "/api/units/import?format=csv", admin, content=directory_csv(units, rng).encode())
    if r is None or r.status_code != 200:
        raise RuntimeError(f"directory import answered {r and r.status_code}: {r and r.text[:300]}")
    city = City(
        units,
        dict(
            zip(
                [u.unit_id for u in units],
                await unit_tokens(rt, [u.unit_id for u in units], "submitter", name="bench unit"),
                strict=True,
            )
        ),
        issuer=await create_api_token(url, node, ISSUER, "issuer", name="bench clerk"),
        reviewer=await create_api_token(url, node, ISSUER, "reviewer", name="bench reviewer"),
    )
    # A token's first use records it (a write): done here, outside every clock.
    tokens = [*city.tokens.values(), city.issuer, city.reviewer]
    await bounded(len(tokens), clients, lambda i: gw.send("GET", "/api/me", tokens[i]))
    return city


async def run(rt: NodeRuntime, args) -> None:
    rng = random.Random(args.seed)
    units = city_units(args.units, rng)
    limits = httpx.Limits(max_connections=args.clients + 2, max_keepalive_connections=args.clients + 2)
    nc = await nats.connect(rt.cfg.nats_url)
    js = nc.jetstream()
    s = Store(rt)
    try:
        async with httpx.AsyncClient(base_url=rt.cfg.gateway_url, timeout=300.0, limits=limits) as http:
            gw = Gateway(http, rt.cfg.node_id)
            t0 = time.perf_counter()
            city = await open_city(rt, gw, units, rng, args.clients)
            kinds = Counter(u.kind for u in units)
            print(
                f"\ndirectory: {len(units)} units ({', '.join(f'{n} {k}' for k, n in kinds.most_common())}) and "
                f"the issuer with {len(DEPARTMENTS)} departments, imported with tokens in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            loads: list[NoticeLoad] = []
            marks: list[Mark] = []
            biggest, load_cpu = 0, Counter[str]()
            meter = CpuMeter(pids(rt))  # the load phase's CPU, measurements left out
            meter.start()
            for k in range(args.notices):
                loads.append(await load_notice(gw, js, city, k, rng, args.clients, s.notices["inbox"]))
                size = disk_usage(rt.cfg.data_dir)[0]
                biggest = max(biggest, size)
                print_notice(loads[-1], size)
                if k + 1 == args.mark or k + 1 == args.notices:
                    load_cpu.update(meter.stop())
                    print(f"\n=== at {k + 1} notice(s) answered", flush=True)
                    marks.append(await measure(gw, js, s, city, rng, args, rt))
                    meter.start()
            await verify(s, city)
        report(loads, marks, load_cpu, biggest, gw, args)
    finally:
        await s.close()
        await nc.close()


async def verify(s: Store, city: City) -> None:
    """What the store holds against what was done through the API (counted once, at the end)."""
    got = {
        "inbox entries": await s.notices["inbox"].count_documents({}),
        "签收": await s.notices["inbox"].count_documents({"acknowledged_at": {"$ne": None}}),
        "报送 (revisions)": await s.submissions["revisions"].count_documents({}),
        "采用": await s.submissions["expected"].count_documents({"status": "accepted"}),
    }
    want = {
        "inbox entries": city.issued * len(city.units),
        "签收": city.tally["签收"],
        "报送 (revisions)": city.tally["报送"],
        "采用": city.tally["采用"],
    }
    parts = [
        f"{k} {got[k]:,}" + ("" if got[k] == want[k] else f" (MISMATCH: {want[k]:,} done through the API)")
        for k in want
    ]
    print(f"\nstore holds: {', '.join(parts)}", flush=True)


# ---------------------------------------------------------------- printing


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    gap = " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))
    return gap + text if right else text + gap


def ms(seconds: float) -> str:
    return "—" if seconds != seconds else f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def size_text(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} KB" if n >= 1e3 else f"{n:.0f} B"


def print_notice(nl: NoticeLoad, size: int) -> None:
    """The end of a notice's line (load_notice and phase print its beginning as it goes)."""
    print(
        f" answered in {nl.answered_s:.1f} s (settled {nl.settled_s:.1f} s); 5xx {nl.errors}; "
        f"data dir {size_text(size)}",
        flush=True,
    )


def print_mark(mark: Mark, city: City) -> None:
    samples = max(len(f.times) for f in mark.figures.values())
    print(
        f"\n  one request at a time, up to {samples} samples each, sampled across the data ({mark.notices} notices "
        f"answered; with the ones issued here {city.issued} notices, {city.issued * len(city.units):,} inbox entries; "
        f"measuring took {mark.seconds:.0f} s)"
    )
    print(
        f"  {pad('what', 38)}{pad('request', 50)}{'p50':>9} {'p95':>9} {'floor p50':>10} {'floor p95':>10} "
        f"{'×floor':>7} {'size':>9}  errors"
    )
    for label, f in mark.figures.items():
        size = size_text(percentile(f.sizes, 50)) if f.sizes else ""
        floor = f.p(50, floor=True)
        ratio = f"{f.p(50) / floor:6.1f}×" if f.floor and floor > 0 else ""
        errors = ", ".join(f"{n}× {s}" for s, n in f.errors.items())
        print(
            f"  {pad(label, 38)}{pad(f.request, 50)}{ms(f.p(50)):>9} {ms(f.p(95)):>9} {ms(floor):>10} "
            f"{ms(f.p(95, True)):>10} {ratio:>7} {size:>9}  {errors}"
        )
    total, largest = mark.data_dir
    print(f"  data dir {size_text(total)} (largest: {', '.join(f'{p} {size_text(n)}' for n, p in largest)})")
    print(f"  CPU seconds while measuring: {cpu_parts(mark.cpu)}", flush=True)


def report(
    loads: list[NoticeLoad], marks: list[Mark], cpu: Mapping[str, float], biggest: int, gw: Gateway, args
) -> None:
    print(f"\n=== load phase: {len(loads)} notices to {args.units} units, {args.clients} clients")
    for label in ("签收", "报送", "审核", "重报", "复审"):
        n, s = (sum(nl.phases[label][i] for nl in loads) for i in (0, 1))
        if n:
            print(
                f"  {label}: {n:6,} requests in {s:7.1f} s = {n / s:6.1f}/s  "
                f"(first notice {rate(loads[0], label)}, last {rate(loads[-1], label)})"
            )
    answered = sorted(nl.answered_s for nl in loads)
    print(
        f"  签收 + 报送 + 采用 of one notice by every unit: first {loads[0].answered_s:.1f} s, median "
        f"{percentile(answered, 50):.1f} s, last {loads[-1].answered_s:.1f} s, slowest {answered[-1]:.1f} s "
        f"(until every consumer was done: last {loads[-1].settled_s:.1f} s)"
    )
    print(
        f"  HTTP answers: {', '.join(f'{n:,}× {s}' for s, n in sorted(gw.statuses.items(), key=str))}; "
        f"5xx, timeouts and failed connections: {gw.errors()}"
    )
    print(f"  data dir: largest {size_text(biggest)} during the load")
    print(f"  CPU seconds, load phase (measurements left out): {cpu_parts(cpu)}")
    summary(loads, marks, biggest)


def rate(nl: NoticeLoad, label: str) -> str:
    n, s = nl.phases[label]
    return f"{n / s:.1f}/s" if n and s else "—"


def summary(loads: list[NoticeLoad], marks: list[Mark], biggest: int) -> None:
    first, last = marks[0], marks[-1]
    a, b = first.notices, last.notices
    print(
        f"\n=== summary at {a} and {b} notices answered: p50 / p95, growth {b}/{a}, the store's floor at {b}; "
        f"flagged: p95 > {TARGET_P95_S * 1000:.0f} ms, growth > {TARGET_GROWTH}×, errors"
    )
    print(
        f"  {pad('what', 38)}{f'@{a} p50 / p95':>19} {f'@{b} p50 / p95':>19} {'growth':>13} {f'floor @{b}':>19}  flags"
    )
    flagged = 0

    def growth_of(label: str) -> list[float]:
        f, before = last.figures[label], first.figures[label]
        return [f.p(q) / before.p(q) if before.p(q) > 0 else float("nan") for q in (50, 95)]

    for label, f in last.figures.items():
        before = first.figures[label]
        growth = growth_of(label)
        flags = [f"OVER {TARGET_P95_S * 1000:.0f} ms"] if f.p(95) > TARGET_P95_S else []
        if max(growth) > TARGET_GROWTH:
            twin = FILLS.get(label)
            if twin and max(growth_of(twin)) <= TARGET_GROWTH:  # its page filled up; the same rows did not grow
                flags += [f"fills its page ({before.kb()} → {f.kb()} KB; see '{twin}')"]
            else:
                flags += [f"GROWS {max(growth):.1f}×"]
        flags += ["ERRORS"] if f.errors or before.errors else []
        flagged += any(not x.startswith("fills") for x in flags)
        print(
            f"  {pad(label, 38)}{both(before, False):>19} {both(f, False):>19} "
            f"{growth[0]:5.2f} / {growth[1]:4.2f} {both(f, True):>19}  {' '.join(flags)}"
        )
    slowest = max(nl.answered_s for nl in loads)
    errors = sum(nl.errors for nl in loads)
    checks = [
        (
            f"one notice's 签收 + 报送 + 采用 by every unit ≤ {TARGET_NOTICE_S:.0f} s",
            slowest <= TARGET_NOTICE_S,
            f"slowest {slowest:.1f} s",
        ),
        ("no 5xx under load", errors == 0, f"{errors} 5xx/timeouts"),
        ("data dir < 1 GB", biggest < TARGET_DATA_DIR, f"largest {size_text(biggest)}"),
    ]
    for text, ok, value in checks:
        print(f"  {pad(text, 58)}{value:>24}  {'' if ok else 'FLAGGED'}")
    flagged += sum(not ok for _, ok, _ in checks)
    print(f"  {flagged} figure(s) flagged against issue 10's targets (measured, not asserted)")


def both(f: Figure, floor: bool) -> str:
    return f"{ms(f.p(50, floor))} / {ms(f.p(95, floor))}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench year", description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=50, help="notices issued and answered")
    parser.add_argument("--units", type=int, default=300, help="recipient units of the city")
    parser.add_argument("--clients", type=int, default=8, help="clients at once in the load phase")
    parser.add_argument("--mark", type=int, default=5, help="measure once after this many notices, then at the end")
    parser.add_argument("--repeat", type=int, default=30, help="samples of each read and command per measurement")
    parser.add_argument(
        "--issue-reps",
        type=int,
        default=8,
        help="notices issued one at a time per measurement (each stays, unanswered; 8: a p95 that is not one sample)",
    )
    parser.add_argument("--seed", type=int, default=2021, help="the RNG seed: directory, lagging units, answers")
    parser.add_argument(
        "--store",
        choices=["patched", "unpatched"],
        default="patched",
        help="FerretDB with Cascade's patches (the default store), or as released (the before)",
    )
    args = parser.parse_args(argv)
    if args.units < 4 or args.notices < 1 or args.repeat < 1:
        parser.error("needs --units ≥ 4, --notices ≥ 1, --repeat ≥ 1")
    args.mark = min(args.mark, args.notices)

    if args.store == "unpatched":
        os.environ["CASCADE_FERRETDB_BIN"] = unpatched_binary()
    print(f"machine: {machine()}", flush=True)
    t0 = time.perf_counter()
    with running_node() as rt:
        print(f"store: {store(rt)}", flush=True)
        asyncio.run(run(rt, args))
    print(f"\nmachine after: {machine()}; wall {time.perf_counter() - t0:.0f} s")
    return 0
