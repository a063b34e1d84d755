"""Message templates: one per cause and channel, zh-CN defaults, rendered in a Jinja2 sandbox. Pure, no I/O.

A template is a subject and a body written by the node admin. They are
rendered with ``jinja2.sandbox.SandboxedEnvironment`` and ``StrictUndefined``
from the documented variables of their cause (``VARIABLES``), and may use only

- ``{{ variable }}`` and ``{{ variable | filter(...) }}`` with the filters of
  ``FILTERS`` (``default``, ``truncate``, ``trim``, ``upper``, ``lower``, ``length``),
- ``{% if … %}…{% elif … %}…{% else %}…{% endif %}`` with ``and`` / ``or`` /
  ``not``, comparisons, ``is defined`` and ``~`` (joining text),
- ``{# comments #}``.

Loops, assignments, macros, includes, calls and arithmetic are refused, so a
template cannot make the service spin or allocate: rendering is linear in its
length. A template that does not parse, uses another construct or an unknown
variable is refused with ``Invalid`` naming the field (``subject`` or
``body``); so is one that fails when rendered with the sample values.
Messages are plain text (no HTML); a subject is one line.
"""

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.meta import find_undeclared_variables
from jinja2.sandbox import SandboxedEnvironment

from shared.errors import Invalid

CHANNELS = ("email", "sms", "chat")
CHANNEL_LABELS = {"email": "电子邮件", "sms": "短信", "chat": "群聊机器人（Webhook）"}
CAUSES = (
    "notice.issued",
    "notice.forwarded",
    "notice.corrected",
    "notice.withdrawn",
    "deadline.approaching",
    "deadline.missed",
    "submission.returned",
    "submission.arrived",
)
CAUSE_LABELS = {
    "notice.issued": "收到新通知",
    "notice.forwarded": "收到转发的通知",
    "notice.corrected": "通知已更正",
    "notice.withdrawn": "通知已撤回",
    "deadline.approaching": "报送截止提醒 / 催办",
    "deadline.missed": "逾期未报送",
    "submission.returned": "报送被退回",
    "submission.arrived": "收到报送待审核（告知所送交部门的联系人）",
}

SUBJECT_MAX = 200  # the source, and the rendered line
BODY_MAX = 4000  # the source
RENDERED_MAX = {"email": 20_000, "sms": 500, "chat": 4000}

# ---------------------------------------------------------------- variables

COMMON = {
    "unit_name": "收件单位名称（群聊消息为所涉各单位，如“甲、乙…等12个单位”）",
    "contact_name": "联系人姓名（群聊消息为空）",
    "notice_title": "通知标题",
    "doc_number": "文号",
    "issuer_name": "发文单位（联合发文时为牵头单位）",
    "notice_url": "通知的链接（须在通知渠道中填写本节点网址，否则为空）",
}
VARIABLES: dict[str, dict[str, str]] = {
    "notice.issued": {**COMMON, "ask_count": "报送要求的项数", "earliest_deadline": "最早的报送截止时间（无则为空）"},
    "notice.forwarded": {
        **COMMON,
        "ask_count": "报送要求的项数",
        "earliest_deadline": "最早的报送截止时间（无则为空）",
        "original_title": "上级来文（原文）标题",
    },
    "notice.corrected": {**COMMON, "reason": "更正原因", "changed": "更正的内容（如 标题、报送要求）"},
    "notice.withdrawn": {**COMMON, "reason": "撤回原因"},
    "deadline.approaching": {
        **COMMON,
        "ask_title": "报送要求名称",
        "deadline": "截止时间",
        "manual": "是否为人工催办（真/假，用于 {% if manual %}）",
        "note": "催办说明（人工催办时填写，可能为空）",
    },
    "deadline.missed": {**COMMON, "ask_title": "报送要求名称", "deadline": "截止时间"},
    "submission.returned": {
        **COMMON,
        "ask_title": "报送要求名称",
        "reason": "退回原因",
        "revision": "被退回的版本号",
        "returned_by": "退回人",
    },
    "submission.arrived": {
        **COMMON,
        "unit_name": "审核单位名称（收件单位）",
        "ask_title": "报送要求名称",
        "submitter_name": "报送单位（直接上报、择优上报的为来源单位）",
        "revision": "报送的版本号",
        "department": "所送交的部门（无则为空）",
        "unassigned": "该部门是否未指定联系人而由本单位处理（真/假，用于 {% if unassigned %}）",
    },
}

# The contact's own link (tokens.py): where a template does not place it, it is added at the end of the message.
LINK = {"link_url": "本人的一键签收链接（仅邮件、短信；须在通知渠道中填写本节点网址，否则为空）"}
for _cause in ("notice.issued", "notice.forwarded", "notice.corrected", "deadline.approaching", "deadline.missed"):
    VARIABLES[_cause] = {**VARIABLES[_cause], **LINK}
VARIABLES["submission.returned"] = {**VARIABLES["submission.returned"], **LINK}

_SAMPLE_COMMON = {
    "unit_name": "深圳市科学技术协会",
    "contact_name": "王敏",
    "notice_title": "关于开展2020年“全国科技工作者日”活动的通知",
    "doc_number": "粤科协联〔2020〕9号",
    "issuer_name": "广东省科学技术协会",
    "notice_url": "https://cascade.example.cn/notices/01HZX0EXAMPLE",
}
SAMPLES: dict[str, dict[str, Any]] = {
    "notice.issued": {**_SAMPLE_COMMON, "ask_count": 1, "earliest_deadline": "2020-06-10 23:59"},
    "notice.forwarded": {
        **_SAMPLE_COMMON,
        "ask_count": 2,
        "earliest_deadline": "2020-06-10 23:59",
        "original_title": "中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知",
    },
    "notice.corrected": {**_SAMPLE_COMMON, "reason": "截止时间提前", "changed": "报送要求"},
    "notice.withdrawn": {**_SAMPLE_COMMON, "reason": "另行通知"},
    "deadline.approaching": {
        **_SAMPLE_COMMON,
        "ask_title": "活动总结报告",
        "deadline": "2020-06-10 23:59",
        "manual": True,
        "note": "请抓紧报送",
    },
    "deadline.missed": {**_SAMPLE_COMMON, "ask_title": "活动总结报告", "deadline": "2020-06-10 23:59"},
    "submission.returned": {
        **_SAMPLE_COMMON,
        "ask_title": "活动总结报告",
        "reason": "请补充活动照片",
        "revision": 1,
        "returned_by": "雷晶",
    },
    "submission.arrived": {
        **_SAMPLE_COMMON,
        "unit_name": "广东省科学技术协会",
        "contact_name": "雷晶",
        "ask_title": "活动总结报告",
        "submitter_name": "深圳市科学技术协会",
        "revision": 1,
        "department": "组织联络部",
        "unassigned": False,
    },
}

for _cause, _names in VARIABLES.items():
    if "link_url" in _names:
        SAMPLES[_cause] = {**SAMPLES[_cause], "link_url": "https://cascade.example.cn/r/Xk3vQ9pL2mZt7RwE4nYb1A"}

# ---------------------------------------------------------------- defaults (zh-CN)

_LINK = "{% if notice_url %}\n\n查看：{{ notice_url }}{% endif %}"
_SIGN_OFF = "\n\n（本邮件由 Cascade 级联通知系统发送，请勿直接回复。）"
SIGN_OFF = _SIGN_OFF  # a link added to an e-mail goes before it

# What a message asks the contact to do, one way or the other, never both: with their personal link (the node has a
# public address), 签收 is one tap on the link, no login; only 报送 needs a login. Without one, they log in for both.
_SIGN_EMAIL = (
    "{% if link_url %}\n\n点击下面的链接即可查看并签收（手机上也能打开，无需登录）：\n{{ link_url }}"
    "{% if ask_count %}\n\n报送材料请登录系统办理{% if notice_url %}：{{ notice_url }}{% else %}。{% endif %}{% endif %}"
    "{% else %}请及时登录系统签收并办理。" + _LINK + "{% endif %}"
)
_SIGN_SMS = (
    "{% if link_url %}，点击链接查看并签收（无需登录）：{{ link_url }}{% else %}，请及时登录系统签收。{% endif %}"
)
# A reminder or a 退回: the link shows the notice (and signs it, if not yet); 报送 itself needs a login.
_SUBMIT_EMAIL = (
    "{% if link_url %}\n\n查看通知（无需登录）：{{ link_url }}"
    "\n报送请登录系统办理{% if notice_url %}：{{ notice_url }}{% else %}。{% endif %}{% else %}" + _LINK + "{% endif %}"
)
_SUBMIT_SMS = "{% if link_url %}查看通知：{{ link_url }}{% endif %}"

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    ("notice.issued", "email"): (
        "【新通知】{{ notice_title }}",
        "{{ contact_name }}：\n\n{{ issuer_name }}向{{ unit_name }}发来通知《{{ notice_title }}》（{{ doc_number }}）"
        "{% if ask_count %}，有 {{ ask_count }} 项报送要求，最早截止时间为 {{ earliest_deadline }}{% endif %}。"
        + _SIGN_EMAIL
        + _SIGN_OFF,
    ),
    ("notice.issued", "sms"): (
        "",
        "{{ unit_name }}收到{{ issuer_name }}通知《{{ notice_title | truncate(40) }}》（{{ doc_number }}）" + _SIGN_SMS,
    ),
    ("notice.issued", "chat"): (
        "新通知：{{ notice_title }}",
        "{{ unit_name }}收到{{ issuer_name }}的通知《{{ notice_title }}》（{{ doc_number }}）"
        "{% if earliest_deadline %}，最早截止 {{ earliest_deadline }}{% endif %}，请及时签收。" + _LINK,
    ),
    ("notice.forwarded", "email"): (
        "【转发通知】{{ notice_title }}",
        "{{ contact_name }}：\n\n{{ issuer_name }}向{{ unit_name }}转发了《{{ original_title }}》，"
        "转发文号 {{ doc_number }}"
        "{% if ask_count %}，有 {{ ask_count }} 项报送要求，最早截止时间为 {{ earliest_deadline }}{% endif %}。"
        + _SIGN_EMAIL
        + _SIGN_OFF,
    ),
    ("notice.forwarded", "sms"): (
        "",
        "{{ issuer_name }}向{{ unit_name }}转发通知《{{ notice_title | truncate(40) }}》（{{ doc_number }}）"
        + _SIGN_SMS,
    ),
    ("notice.forwarded", "chat"): (
        "转发通知：{{ notice_title }}",
        "{{ issuer_name }}向{{ unit_name }}转发了《{{ original_title }}》（{{ doc_number }}），请及时签收。" + _LINK,
    ),
    ("notice.corrected", "email"): (
        "【通知更正】{{ notice_title }}",
        "{{ contact_name }}：\n\n{{ issuer_name }}更正了通知《{{ notice_title }}》（{{ doc_number }}）"
        "{% if changed %}，更正内容：{{ changed }}{% endif %}。\n更正原因：{{ reason }}\n\n请以更正后的通知为准。"
        "{% if link_url %}\n\n点击链接查看更正后的通知（无需登录，未签收的可直接签收）：\n{{ link_url }}{% else %}"
        + _LINK
        + "{% endif %}"
        + _SIGN_OFF,
    ),
    ("notice.corrected", "sms"): (
        "",
        "通知《{{ notice_title | truncate(40) }}》（{{ doc_number }}）已更正：{{ reason | truncate(60) }}。"
        "{% if link_url %}查看：{{ link_url }}{% else %}请登录系统查看。{% endif %}",
    ),
    ("notice.corrected", "chat"): (
        "通知更正：{{ notice_title }}",
        "{{ issuer_name }}更正了通知《{{ notice_title }}》（{{ doc_number }}），原因：{{ reason }}。" + _LINK,
    ),
    ("notice.withdrawn", "email"): (
        "【通知撤回】{{ notice_title }}",
        "{{ contact_name }}：\n\n{{ issuer_name }}已撤回通知《{{ notice_title }}》（{{ doc_number }}）。\n"
        "撤回原因：{{ reason }}\n\n该通知无需再办理。" + _SIGN_OFF,
    ),
    ("notice.withdrawn", "sms"): (
        "",
        "通知《{{ notice_title | truncate(40) }}》（{{ doc_number }}）已撤回：{{ reason | truncate(60) }}。",
    ),
    ("notice.withdrawn", "chat"): (
        "通知撤回：{{ notice_title }}",
        "{{ issuer_name }}已撤回通知《{{ notice_title }}》（{{ doc_number }}），原因：{{ reason }}。",
    ),
    ("deadline.approaching", "email"): (
        "{% if manual %}【催办】{% else %}【报送提醒】{% endif %}{{ notice_title }}：{{ ask_title }}",
        "{{ contact_name }}：\n\n《{{ notice_title }}》（{{ doc_number }}）要求的“{{ ask_title }}”将于 {{ deadline }} 截止，"
        "{{ unit_name }}尚未报送，请抓紧报送。{% if note %}\n{{ issuer_name }}说明：{{ note }}{% endif %}"
        + _SUBMIT_EMAIL
        + _SIGN_OFF,
    ),
    ("deadline.approaching", "sms"): (
        "",
        "{% if manual %}催办：{% endif %}《{{ notice_title | truncate(30) }}》的“{{ ask_title | truncate(20) }}”"
        "将于{{ deadline }}截止，{{ unit_name }}尚未报送，请抓紧报送。" + _SUBMIT_SMS,
    ),
    ("deadline.approaching", "chat"): (
        "{% if manual %}催办{% else %}报送提醒{% endif %}：{{ ask_title }}",
        "《{{ notice_title }}》的“{{ ask_title }}”将于 {{ deadline }} 截止，{{ unit_name }}尚未报送。"
        "{% if note %}说明：{{ note }}{% endif %}" + _LINK,
    ),
    ("deadline.missed", "email"): (
        "【逾期未报】{{ notice_title }}：{{ ask_title }}",
        "{{ contact_name }}：\n\n《{{ notice_title }}》（{{ doc_number }}）要求的“{{ ask_title }}”已于 {{ deadline }} 截止，"
        "{{ unit_name }}尚未报送，请尽快报送并说明原因。" + _SUBMIT_EMAIL + _SIGN_OFF,
    ),
    ("deadline.missed", "sms"): (
        "",
        "《{{ notice_title | truncate(30) }}》的“{{ ask_title | truncate(20) }}”已于{{ deadline }}截止，"
        "{{ unit_name }}尚未报送，请尽快报送。" + _SUBMIT_SMS,
    ),
    ("deadline.missed", "chat"): (
        "逾期未报：{{ ask_title }}",
        "《{{ notice_title }}》的“{{ ask_title }}”已于 {{ deadline }} 截止，{{ unit_name }}尚未报送。" + _LINK,
    ),
    ("submission.returned", "email"): (
        "【退回修改】{{ ask_title }}",
        "{{ contact_name }}：\n\n{{ unit_name }}针对《{{ notice_title }}》报送的“{{ ask_title }}”（第 {{ revision }} 版）"
        "被退回{% if returned_by %}（{{ returned_by }}）{% endif %}。\n退回原因：{{ reason }}\n\n请修改后重新报送。"
        + _SUBMIT_EMAIL
        + _SIGN_OFF,
    ),
    ("submission.returned", "sms"): (
        "",
        "{{ unit_name }}报送的“{{ ask_title | truncate(20) }}”被退回：{{ reason | truncate(60) }}。请修改后重新报送。"
        + _SUBMIT_SMS,
    ),
    ("submission.returned", "chat"): (
        "退回修改：{{ ask_title }}",
        "{{ unit_name }}报送的“{{ ask_title }}”（第 {{ revision }} 版）被退回，原因：{{ reason }}。" + _LINK,
    ),
    ("submission.arrived", "email"): (
        "【待审核】{{ submitter_name }}：{{ ask_title }}",
        "{{ contact_name }}：\n\n{{ submitter_name }}针对《{{ notice_title }}》报送了“{{ ask_title }}”"
        "（第 {{ revision }} 版），送交{{ unit_name }}{{ department }}审核。"
        "{% if unassigned %}\n{{ department }}未指定审核人员，由本单位审核人员处理。{% endif %}" + _LINK + _SIGN_OFF,
    ),
    ("submission.arrived", "sms"): (
        "",
        "{{ submitter_name }}报送的“{{ ask_title | truncate(20) }}”待{{ department }}审核"
        "{% if unassigned %}（未指定审核人员，由本单位审核人员处理）{% endif %}。",
    ),
    ("submission.arrived", "chat"): (
        "待审核：{{ ask_title }}",
        "{{ submitter_name }}报送的“{{ ask_title }}”（第 {{ revision }} 版）待{{ unit_name }}{{ department }}审核"
        "{% if unassigned %}（{{ department }}未指定审核人员，由本单位审核人员处理）{% endif %}。" + _LINK,
    ),
}

# ---------------------------------------------------------------- the sandbox

FILTERS = frozenset({"default", "d", "truncate", "trim", "upper", "lower", "length"})
TESTS = frozenset({"defined", "undefined", "none", "true", "false", "string", "number"})
ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
)
CONSTRUCT_NAMES = {
    "For": "循环（for）",
    "Assign": "赋值（set）",
    "AssignBlock": "赋值（set）",
    "Macro": "宏（macro）",
    "CallBlock": "call",
    "Call": "函数调用",
    "Include": "include",
    "Import": "import",
    "FromImport": "import",
    "Extends": "extends",
    "Block": "block",
    "With": "with",
    "FilterBlock": "filter 块",
    "Getattr": "属性访问（.）",
    "Getitem": "下标访问（[]）",
    "Slice": "切片",
    "Mul": "乘法",
    "Pow": "乘方",
    "Add": "加法",
    "Sub": "减法",
    "Div": "除法",
    "FloorDiv": "除法",
    "Mod": "取余",
    "Neg": "负号",
    "Pos": "正号",
    "List": "列表",
    "Tuple": "元组",
    "Dict": "字典",
    "ExprStmt": "do",
    "Scope": "scope",
    "ScopedEvalContextModifier": "autoescape",
    "EvalContextModifier": "autoescape",
}


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters = {name: f for name, f in env.filters.items() if name in FILTERS}
    env.tests = {name: t for name, t in env.tests.items() if name in TESTS}
    env.globals = {}
    return env


ENV = _environment()


def check(cause: str, source: str, field: str) -> None:
    """Refuse (``Invalid`` naming ``field``) a template that does not parse, uses a construct or a variable
    it may not, or fails with the sample values."""
    if cause not in VARIABLES:
        raise Invalid(f"未知的消息事由：{cause}", field="cause")
    try:
        ast = ENV.parse(source)
    except TemplateError as exc:
        raise Invalid(
            f"模板语法错误（第 {getattr(exc, 'lineno', 1) or 1} 行）：{exc.message or exc}",
            field=field,
            code="template_syntax",
        ) from exc
    for node in ast.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            name = type(node).__name__
            raise Invalid(
                f"模板中不能使用{CONSTRUCT_NAMES.get(name, name)}；只能使用变量、过滤器和 if 条件",
                field=field,
                code="template_construct",
            )
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise Invalid(
                f"未知的过滤器：{node.name}（可用：{'、'.join(sorted(FILTERS))}）", field=field, code="template_filter"
            )
        if isinstance(node, nodes.Test) and node.name not in TESTS:
            raise Invalid(f"未知的判断：{node.name}", field=field, code="template_test")
    unknown = sorted(find_undeclared_variables(ast) - set(VARIABLES[cause]))
    if unknown:
        raise Invalid(
            f"模板中有未知变量：{'、'.join(unknown)}（可用：{'、'.join(VARIABLES[cause])}）",
            field=field,
            code="template_variable",
        )
    try:
        _compiled(source).render(SAMPLES[cause])
    except Exception as exc:  # the sandbox's SecurityError, a filter's TypeError…: the admin's template, not us
        raise Invalid(f"模板无法生成消息：{exc}", field=field, code="template_render") from exc


@lru_cache(maxsize=512)
def _compiled(source: str):
    return ENV.from_string(source)


def render(source: str, context: Mapping[str, Any], *, one_line: bool = False, limit: int = BODY_MAX) -> str:
    """A checked template rendered; a subject is folded onto one line. Never longer than ``limit``."""
    text = _compiled(source).render(dict(context))
    if one_line:
        text = " ".join(text.split())
    else:
        text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def default(cause: str, channel: str) -> tuple[str, str]:
    return DEFAULTS[(cause, channel)]


def check_pair(cause: str, channel: str, subject: str, body: str) -> None:
    """Both parts of a template, each refused naming its own field."""
    if channel not in CHANNELS:
        raise Invalid(f"未知的渠道：{channel}", field="channel")
    if channel == "email" and not subject.strip():
        raise Invalid("邮件须有主题", field="subject")
    if not body.strip():
        raise Invalid("消息正文不能为空", field="body")
    check(cause, subject, "subject")
    check(cause, body, "body")


def render_pair(cause: str, channel: str, subject: str, body: str, context: Mapping[str, Any]) -> tuple[str, str]:
    return (
        render(subject, context, one_line=True, limit=SUBJECT_MAX),
        render(body, context, limit=RENDERED_MAX[channel]),
    )
