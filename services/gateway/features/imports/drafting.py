"""导入公文 → 拟稿: what the notices service read out of a received 公文 (``DocumentRead``) as the draft this unit
makes of it. Pure: no I/O; the notice in Cascade a 转发 forwards is fetched by the caller (``forward_target``).

Which draft (the document's levels: the document, then each upstream notice it forwards or carries):

- **From a 收文 page** (``explicit``): a 转发 of that notice. Its own fields come from the level just above
  the one that is that notice (the document that forwards it); if the document *is* that notice, the 转发
  starts as the 转发 form starts it.
- **The document is this unit's** (its issuers include the unit): a 转发 when it forwards or carries a
  notice this unit received in Cascade (that notice is forwarded), else a notice with the document's fields.
- **The document is another unit's**: a 转发 of it when this unit received it in Cascade; else a notice of
  this unit forwarding it (关于转发《…》的通知): its asks and deadlines (to be moved earlier), the answers
  routed to this unit, this unit's contacts, the file attached.

Asks of the document are paired with the asks of the notice in Cascade by kind and the closest title (the
document says "文字信息", Cascade's ask may be "活动总结（文字信息）"). Recipients are proposed from the kinds of
unit the 主送机关 names, among the issuers' subordinates. Every value is the reader's and is to be checked
(待核对); nothing here issues anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

from shared.contracts.common import Actor
from shared.contracts.intake import DocumentLevel, DocumentRead

Note = dict[str, str | None]

FORWARD_KEYS = (
    "title",
    "doc_number",
    "cover_note",
    "deadlines",
    "unit_kinds",
    "routes",
    "extra_asks",
    "contacts",
)


@dataclass
class Plan:
    """The draft to save: ``content`` is the body of ``notice`` or ``forward`` in ``CreateDraft``."""

    kind: Literal["notice", "forward"]
    content: dict[str, Any]
    own_level: int | None = None  # the level of the document whose fields are the draft's own
    forwarding: dict[str, Any] | None = None  # the notice of Cascade forwarded: notice_id, doc_number, title
    ask_ids: dict[str, str] = field(default_factory=dict)  # the forwarded level's ask id → Cascade's
    own_ids: dict[str, str] = field(default_factory=dict)  # an ask of the document → its id in the draft
    proposed: list[str] = field(default_factory=list)  # what was filled in besides the document's own fields
    carried: bool = False  # the draft forwards another unit's document that is not in Cascade
    notes: list[Note] = field(default_factory=list)


def note(field_: str | None, message: str) -> Note:
    return {"field": field_, "message": message}


# ---------------------------------------------------------------- which notice of Cascade


def forward_target(read: DocumentRead, actor: Actor, notice_id: str | None = None) -> str | None:
    """The notice of Cascade the draft forwards: the one named (a 收文 page's 导入公文), the upstream notice this
    unit's own document forwards, or the document itself when it is another unit's notice this unit received."""
    if notice_id:
        return notice_id
    levels = read.levels
    if ours(levels[0], actor):
        up = levels[1] if len(levels) > 1 else None
        return up.known.notice_id if up is not None and up.known and up.known.relation == "received" else None
    known = levels[0].known
    return known.notice_id if known is not None and known.relation == "received" else None


def ours(level: DocumentLevel, actor: Actor) -> bool:
    """The level is this unit's own text: it names the unit among its issuers, or names no issuer at all (a draft
    pasted without its 版头)."""
    return actor.unit_id in level.issuer_unit_ids or not level.issuer_names


# ---------------------------------------------------------------- the plan


def plan(
    read: DocumentRead,
    actor: Actor,
    units: list[dict[str, Any]],
    *,
    forwarding: dict[str, Any] | None = None,
    explicit: bool = False,
    source: dict[str, Any] | None = None,
) -> Plan:
    """The draft ``actor``'s unit makes of ``read``. ``units``: the directory; ``forwarding``: the notice of
    Cascade to forward (as ``NoticeView``), ``explicit`` when the person chose it; ``source``: the uploaded file
    (an ``Attachment``), attached where the draft carries a document that is not in Cascade."""
    out = _plan(read, actor, units, forwarding, explicit, source)
    top = read.levels[0].known
    if top is not None and top.relation == "issued":
        out.notes.insert(
            0, note("doc_number", f"本单位已发出文号相同的通知（{top.doc_number}《{top.title}》）：请核对是否重复导入")
        )
    return out


def _plan(
    read: DocumentRead,
    actor: Actor,
    units: list[dict[str, Any]],
    forwarding: dict[str, Any] | None,
    explicit: bool,
    source: dict[str, Any] | None,
) -> Plan:
    levels = read.levels
    me = next((u for u in units if u["id"] == actor.unit_id), {"id": actor.unit_id, "name": actor.unit_id})
    if forwarding is not None:
        return _forward(levels, actor, me, units, forwarding, explicit)
    top = levels[0]
    if ours(top, actor):
        out = _own_notice(top, actor, units)
        if len(levels) > 1:
            up = levels[1]
            named = f"《{up.title}》" if up.title else "上级来文"
            number = f"（{up.doc_number}）" if up.doc_number else ""
            out.notes.append(
                note(
                    None,
                    f"所转发的{named}{number}不在本单位的收文中：已作为本单位的通知拟稿，"
                    "上级来文的要求以本文为准，请将上级来文作为附件随文下发",
                )
            )
            _attach(out, source)
        return out
    return _forwarding_notice(top, actor, me, units, source)


def _issuer_ids(level: DocumentLevel, actor: Actor, notes: list[Note], what: str) -> list[str]:
    """This unit first (it drafts and leads), then the document's other issuers found in the directory."""
    ids = [u for u in level.issuer_unit_ids if u]
    if ids and ids[0] != actor.unit_id and actor.unit_id in ids:
        notes.append(note("issuers", f"原文的主办单位是{level.issuer_names[0]}：本单位拟稿，已将本单位列为主办单位"))
    missing = [n for n, u in zip(level.issuer_names, level.issuer_unit_ids, strict=True) if not u]
    if missing:
        notes.append(note("issuers", f"{what}“{'、'.join(missing)}”未能对应到通讯录中的单位，未列入，请核对"))
    return [actor.unit_id, *[u for u in dict.fromkeys(ids) if u != actor.unit_id]]


def _own_notice(level: DocumentLevel, actor: Actor, units: list[dict]) -> Plan:
    values = level.issue.values
    notes: list[Note] = []
    issuers = _issuer_ids(level, actor, notes, "联合发文单位")
    content: dict[str, Any] = {
        "title": values.get("title") or _untitled(notes),
        "issuer_unit_ids": issuers,
        "body": values.get("body") or "",
        "asks": list(values.get("asks") or []),
        "contacts": list(values.get("contacts") or []),
    }
    if values.get("doc_number"):
        content["doc_number"] = values["doc_number"]
    out = Plan("notice", content, own_level=level.level, notes=notes)
    _elements(out, level, attachments=True)
    _recipients(out, level, issuers, units)
    return out


def _elements(out: Plan, level: DocumentLevel, *, attachments: bool) -> None:
    """The 公文要素 the document states: its 主送机关, 抄送 and (a notice's) 附件说明."""
    found = {f.key: f.value for f in level.fields}
    if level.recipients:
        out.content["addressees"] = level.recipients[:2000]
    cc = found.get("cc")
    if isinstance(cc, str) and cc.strip():
        out.content["copy_to"] = [c.strip()[:200] for c in re.split(r"[，,、；;]", cc) if c.strip()][:50]
    names = [str(v)[:200] for k, v in found.items() if k.startswith("attachments.") and v]
    if attachments and names:
        out.content["attachment_names"] = names[:50]


def _untitled(notes: list[Note]) -> str:
    notes.append(note("title", "未找到标题：已暂填“（未找到标题，请填写）”，请填写标题"))
    return "（未找到标题，请填写）"


def _forwarding_notice(level: DocumentLevel, actor: Actor, me: dict, units: list[dict], source: dict | None) -> Plan:
    """Another unit's notice, not in Cascade: this unit's notice forwarding it (关于转发《…》的通知)."""
    values = level.issue.values
    notes: list[Note] = []
    title = level.title or values.get("title")
    name = f"{'、'.join(level.issuer_names)}《{title}》" if title else "上级来文"
    number = f"（{level.doc_number}）" if level.doc_number else ""
    wrapped = f"关于转发《{title}》的通知" if title else _untitled(notes)
    if len(wrapped) > 200:
        wrapped = wrapped[:199] + "…"
    routed = _routes_to_me(values.get("asks") or [], me)
    content: dict[str, Any] = {
        "title": wrapped,
        "issuer_unit_ids": [actor.unit_id],
        "body": f"现将{name}{number}转发给你们，请认真贯彻落实。",
        "asks": routed,
        "contacts": [c for c in me.get("contacts") or []],
    }
    who = "、".join(level.issuer_names) or "原文发文机关"
    notes.append(
        note(
            None,
            f"导入的公文由{who}发出，不在本单位的收文中：已拟为本单位转发该文的通知。"
            "截止日期沿用原文，可按需提前；报送对象改为本单位，联系人为本单位的联系人，请核对",
        )
    )
    out = Plan("notice", content, own_level=level.level, notes=notes, proposed=["body", "routes", "contacts"])
    out.carried = True
    _attach(out, source)
    _recipients(out, level, [actor.unit_id], units)
    return out


def _routes_to_me(asks: list[dict], me: dict) -> list[dict]:
    """Asks whose answers now come to this unit: each kind the original routed, to this unit's first department."""
    departments = me.get("departments") or []
    out = []
    for a in asks:
        kinds = list(dict.fromkeys(r["unit_kind"] for r in a.get("routes") or []))
        routes = [{"unit_kind": k, "to_unit_id": me["id"], "department": departments[0]} for k in kinds if departments]
        out.append({**a, "routes": routes})
    return out


def _attach(out: Plan, source: dict | None) -> None:
    if source is not None:
        out.content["attachments"] = [source]
        out.proposed.append("attachments")
        out.notes.append(note("attachments", f"已将导入的文件“{source['filename']}”作为附件，请核对"))


def _recipients(out: Plan, level: DocumentLevel, issuers: list[str], units: list[dict]) -> None:
    """Proposed recipients: the issuers' subordinates of the kinds the 主送机关 names."""
    kinds = set(_recipient_kinds(level))
    chosen = [
        u["id"]
        for u in units
        if u.get("parent_id") in issuers and u["id"] not in issuers and (not kinds or u["kind"] in kinds)
    ]
    if chosen:
        out.content["recipient_unit_ids"] = chosen
        out.proposed.append("recipient_unit_ids")
        out.notes.append(note("recipient_unit_ids", f"已按主送机关选择{len(chosen)}个下级单位为收文单位，请核对"))
    else:
        out.notes.append(note("recipient_unit_ids", "请选择收文单位（送签发前须选择）"))


def _recipient_kinds(level: DocumentLevel) -> list[str]:
    for f in level.fields:
        if f.key == "recipient_kinds" and isinstance(f.value, list):
            return [str(k) for k in f.value]
    return []


# ---------------------------------------------------------------- 转发 of a notice in Cascade


def match_level(levels: list[DocumentLevel], notice: dict) -> int | None:
    """The level of the document that is ``notice``: by 文号, else by title."""
    number, title = same_number(notice.get("doc_number") or ""), same_title(notice.get("title") or "")
    for lv in levels:
        if number and lv.doc_number and same_number(lv.doc_number) == number:
            return lv.level
    for lv in levels:
        if title and lv.title and same_title(lv.title) == title:
            return lv.level
    return None


_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕", "(": "〔", ")": "〕"})
_BRACKETS |= str.maketrans({"（": "〔", "）": "〕"})
_NOISE = re.compile(r"[\s“”\"'‘’《》〈〉<>「」『』]")


def same_number(number: str) -> str:
    return re.sub(r"\s", "", number).translate(_BRACKETS)


def same_title(title: str) -> str:
    return _NOISE.sub("", title)


def _forward(
    levels: list[DocumentLevel], actor: Actor, me: dict, units: list[dict], notice: dict, explicit: bool
) -> Plan:
    notes: list[Note] = []
    i = match_level(levels, notice)
    ref = {k: notice.get(k) for k in ("id", "doc_number", "title")}
    ref["notice_id"] = ref.pop("id")
    cited = f"{notice.get('doc_number') or ''}《{notice.get('title') or ''}》"
    if i is None:
        own: int | None = 0
        if explicit:
            notes.append(note("notice_id", f"导入的公文中没有找到所转发的收文{cited}：请核对是否选对了公文"))
    elif i == 0:
        own = None
        notes.append(
            note(None, f"导入的就是收文{cited}本身：已生成它的转发草稿，请填写转发说明、本级截止日期和报送对象")
        )
    else:
        own = i - 1
    content: dict[str, Any] = {"notice_id": notice["id"], "unit_id": actor.unit_id}
    out = Plan("forward", content, own_level=own, forwarding=ref, notes=notes)
    if own is None:
        content["contacts"] = [c for c in me.get("contacts") or []]
        _forward_recipients(out, [actor.unit_id], units, notice)
        return out
    level = levels[own]
    issuers = _issuer_ids(level, actor, notes, "联合转发单位") if ours(level, actor) else [actor.unit_id]
    if not ours(level, actor):
        who = "、".join(level.issuer_names) or "原文发文机关"
        notes.append(note("unit_id", f"导入的公文由{who}发出：已按本单位转发拟稿，请核对"))
    content["co_issuer_unit_ids"] = issuers[1:] if ours(level, actor) else []
    if ours(level, actor):
        _elements(out, level, attachments=False)
    direct = level.forward is not None and i == own + 1
    values = level.forward.values if direct and level.forward is not None else level.issue.values
    if direct:
        for k in FORWARD_KEYS:
            if k in values:
                content[k] = values[k]
        upstream_asks = _asks_of(levels[own + 1])
        out.ask_ids = pair_asks(upstream_asks, notice.get("asks") or [])
        content["deadlines"], content["unit_kinds"] = _rekeyed(out, values)
    else:
        _from_notice(out, values, notice)
    content["extra_asks"] = _own_ids(out, content.get("extra_asks") or [], notice)
    _forward_recipients(out, issuers, units, notice, level)
    return out


def _own_ids(out: Plan, extra: list[dict], notice: dict) -> list[dict]:
    """The 转发's own asks, each with an id the inherited asks do not have ("plan" beside the notice's "plan")."""
    inherited = {a["ask_id"] for a in notice.get("asks") or []}
    used = inherited | {a["ask_id"] for a in extra}
    fresh = []
    for a in extra:
        ask_id = a["ask_id"]
        if ask_id in inherited:
            n = 2
            while f"{ask_id}-{n}" in used:
                n += 1
            out.own_ids[ask_id] = f"{ask_id}-{n}"
            used.add(f"{ask_id}-{n}")
            a = {**a, "ask_id": f"{ask_id}-{n}"}
        fresh.append(a)
    return fresh


def _asks_of(level: DocumentLevel) -> dict[str, tuple[str, str]]:
    """The level's asks as the reader found them: ask id → (kind, title)."""
    out = {}
    for f in level.fields:
        m = re.fullmatch(r"asks\.(.+)\.title", f.key)
        if m and isinstance(f.value, dict):
            out[m[1]] = (str(f.value.get("kind")), str(f.value.get("title")))
    return out


def ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def pair_asks(found: dict[str, tuple[str, str]], cascade: list[dict]) -> dict[str, str]:
    """Each ask the reader found (id → kind, title) paired with an ask of the notice in Cascade: the same kind,
    the closest title; where several of a kind are alike, none."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for ask_id, (kind, title) in found.items():
        same = [a for a in cascade if a.get("kind") == kind and a["ask_id"] not in taken]
        if not same:
            continue
        best = max(same, key=lambda a: ratio(a.get("title") or "", title))
        if len(same) > 1 and ratio(best.get("title") or "", title) < 0.3:
            continue
        out[ask_id] = best["ask_id"]
        taken.add(best["ask_id"])
    return out


def _rekeyed(out: Plan, values: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """The 转发's deadlines and unit kinds, keyed by the asks of the notice in Cascade."""
    deadlines: dict[str, Any] = {}
    kinds: dict[str, Any] = {}
    for name, given, into in (
        ("deadlines", values.get("deadlines") or {}, deadlines),
        ("unit_kinds", values.get("unit_kinds") or {}, kinds),
    ):
        for ask_id, v in given.items():
            if ask_id in out.ask_ids:
                into[out.ask_ids[ask_id]] = v
            else:
                out.notes.append(note(name, f"原文的报送要求“{ask_id}”未能对应到所转发通知的报送要求，未填入，请核对"))
    return deadlines, kinds


def _from_notice(out: Plan, values: dict, notice: dict) -> None:
    """A document read as a notice, made a 转发: its body the cover note, each of its asks that restates an ask
    of the notice an earlier deadline for it, the others asks of this level's own; the routes of its asks the
    转发's routes."""
    content = out.content
    for k in ("title", "doc_number", "contacts"):
        if values.get(k):
            content[k] = values[k]
    content["cover_note"] = values.get("body") or ""
    asks = list(values.get("asks") or [])
    found = {a["ask_id"]: (a["kind"], a["title"]) for a in asks}
    out.ask_ids = pair_asks(found, notice.get("asks") or [])
    deadlines, kinds, extra, routes = {}, {}, [], []
    seen: set[str] = set()
    for a in asks:
        for r in a.get("routes") or []:
            if r["unit_kind"] not in seen:
                seen.add(r["unit_kind"])
                routes.append(r)
        target = out.ask_ids.get(a["ask_id"])
        if target is None:
            extra.append(a)
            continue
        deadlines[target] = a["deadline"]
        if a.get("unit_kinds"):
            kinds[target] = a["unit_kinds"]
    content.update(deadlines=deadlines, unit_kinds=kinds, extra_asks=extra, routes=routes)


def _forward_recipients(
    out: Plan, issuers: list[str], units: list[dict], notice: dict, level: DocumentLevel | None = None
) -> None:
    """The forwarders' subordinates (as the 转发 form proposes them), of the kinds the document names if it does."""
    kinds = set(_recipient_kinds(level)) if level is not None else set()
    upstream = {i.get("unit_id") for i in notice.get("issuers") or []}
    chosen = [
        u["id"]
        for u in units
        if u.get("parent_id") in issuers
        and u["id"] not in issuers
        and u["id"] not in upstream
        and (not kinds or u["kind"] in kinds)
    ]
    if chosen:
        out.content["recipient_unit_ids"] = chosen
        out.proposed.append("recipient_unit_ids")
        out.notes.append(note("recipient_unit_ids", f"已选择{len(chosen)}个下级单位为收文单位，请核对"))
    else:
        out.notes.append(note("recipient_unit_ids", "请选择收文单位（送签发前须选择）"))


# ---------------------------------------------------------------- a refused draft, less what was refused


_INDEXED = re.compile(
    r"^(asks|extra_asks|routes|contacts|attachments|issuer_unit_ids|co_issuer_unit_ids|recipient_unit_ids)\.(\d+)(?:\.(.*))?$"
)


def without(content: dict[str, Any], field_: str) -> tuple[dict[str, Any], str] | None:
    """``content`` less the part a refusal names (``asks.1.deadline``, ``deadlines.plan``, ``doc_number``…),
    and what was left out; None when the refusal is about something that cannot be left out (the lead issuer,
    the notice forwarded). An ask's refused route drops that route, any other problem of an ask the ask."""
    out = dict(content)
    m = _INDEXED.match(field_)
    if m:
        name, index, rest = m[1], int(m[2]), m[3] or ""
        items = list(out.get(name) or [])
        if index >= len(items) or (name == "issuer_unit_ids" and index == 0):
            return None
        if name in ("asks", "extra_asks") and rest.startswith("routes."):
            r = re.match(r"routes\.(\d+)", rest)
            routes = list(items[index].get("routes") or [])
            if r is None or int(r[1]) >= len(routes):
                return None
            gone = routes.pop(int(r[1]))
            items[index] = {**items[index], "routes": routes}
            out[name] = items
            return out, f"报送要求“{items[index].get('title')}”的报送对象（{gone.get('unit_kind')}）"
        gone = items.pop(index)
        out[name] = items
        what = {
            "asks": "报送要求",
            "extra_asks": "报送要求",
            "routes": "报送对象",
            "contacts": "联系人",
            "attachments": "附件",
        }.get(name, "单位")
        label = (
            gone.get("title") or gone.get("name") or gone.get("filename") or gone.get("unit_kind")
            if isinstance(gone, dict)
            else gone
        )
        return out, f"{what}“{label}”"
    head, _, key = field_.partition(".")
    if head in ("deadlines", "unit_kinds", "upward") and key:
        given = dict(out.get(head) or {})
        if key not in given:
            return None
        given.pop(key)
        out[head] = given
        return out, {"deadlines": "截止日期", "unit_kinds": "须报送的单位类别", "upward": "上报方式"}[
            head
        ] + f"（{key}）"
    if field_ in ("doc_number", "cover_note", "body") and out.get(field_):
        out.pop(field_)
        return out, {"doc_number": "文号", "cover_note": "转发说明", "body": "正文"}[field_]
    return None
