"""报送要求 (asks) and routes from the running text of a notice.

A sentence with a deadline and a verb of sending is an ask; each deadline
opens a clause ("…并于4月22日前择优精选1-2项特色亮点活动筹备方案报送中国科协
（盖章PDF版和word版），并于6月20日前提交该特色亮点活动的总结报告（3000字以内…）"
holds two). In a clause, what is sent is the object of the verb ("报送文字信息、
影像资料等"), or what stands between the deadline and the verb when the verb is
followed by a destination ("…筹备方案报送中国科协"). Each thing sent is classed
(方案 → plan, 回执 → liaison form, 总结/报告/信息 → summary, 影像/照片/视频 →
media); one ask per kind and clause. Who owes it is named before the deadline
("请各市州科协、高校科协、企业科协5月10日前上报…"); "各有关单位" or nothing
means every recipient.

A sentence without a deadline that sends kinds of unit to a department is a
route; routes apply to the asks of their section (the text under the same
heading), else to every ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.schemas import AskKind

from .dates import DeadlineMention, YearBasis, add_days, find_deadlines, instant, next_occurrence, resolve
from .models import (
    CharLimit,
    DirectoryUnit,
    FileFormats,
    Found,
    ImportedAsk,
    ImportedRoute,
    Issuer,
    ItemRange,
    KindMention,
)
from .quantities import find_char_limit, find_formats, find_item_limit
from .routing import Destination, collector, destination_after, destination_before, find_verb, route_clauses
from .routing import resolve as resolve_dest
from .textview import Flow, split_outside_brackets, strip_brackets
from .units import department_kinds, destination_parts, kinds_in

_KIND_WORDS = [
    (AskKind.liaison_form, re.compile(r"回执|联络员|联络人|联系人|报名表|登记表|信息表")),
    (AskKind.media, re.compile(r"影像|照片|图片|视频|音频|音像|图文|录像|短片")),
    (AskKind.plan, re.compile(r"方案|计划|预案|安排")),
    (AskKind.summary_report, re.compile(r"总结|报告|文字信息|信息|简报|情况")),
]
_ITEM_SEP = "、和及与"
_DROP = re.compile(
    r"^(?:请|将|把|并|再|另|同时|及时|认真|择优|精选|遴选|选送|各自牵头负责的|各自负责的|各自的|各自|该|本单位|本|此|所|有关|相关)+"
)
_QUANT = re.compile(
    r"约?\s*\d+\s*(?:[-—~～至到]\s*\d+)?\s*(?:项|个|件|篇|条|张|幅|组|部|段)|[一二三四五六七八九十两]+(?:项|个|件|篇)"
)
_FORMAT_WORDS = re.compile(
    r"(?:盖章)?(?:PDF|pdf|word|Word|WORD|wps|WPS|excel|Excel|电子|纸质|扫描|打印)?\s*(?:版|件|稿)?\s*"
    r"(?:一式)?(?:[一二三四五六七八九十两\d]+份)|(?:加盖公章的?|盖章的?)|(?:纸质版|电子版|电子稿|纸质稿|扫描件|原件|"
    r"PDF版|pdf版|word版|Word版|WORD版)"
)
_TRIM = "，,。；;：: \t\n"
_TRAILING = re.compile(r"(?:等材料|等相关材料|等资料|等内容|等)$")


# A heading that opens a section: "一、", "（一）", "第一部分" (not "1." items, which list the parts of one section).
_SECTION = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]|第[一二三四五六七八九十]{1,3}[章节条部])"
)


@dataclass
class Sentence:
    start: int  # offsets in the flow text
    end: int
    text: str
    section: int


def sentences(flow: Flow) -> list[Sentence]:
    """Sentences of the flow, each with the number of the section (heading) it is under."""
    out = []
    section = 0
    for para_start, para in _paragraphs(flow.text):
        if _SECTION.match(para):
            section += 1
        pos = 0
        for piece in re.split(r"(?<=[。！？!?])", para):
            if piece.strip():
                out.append(Sentence(para_start + pos, para_start + pos + len(piece), piece, section))
            pos += len(piece)
    return out


def _paragraphs(text: str):
    pos = 0
    for para in text.split("\n"):
        yield pos, para
        pos += len(para) + 1


@dataclass
class _Ask:
    kind: AskKind
    kind_conf: float
    items: list[str]
    dl: DeadlineMention
    sentence: Sentence
    clause: tuple[int, int]  # flow offsets
    kinds: list[KindMention]
    owed_by: str
    dests: list[Destination] = field(default_factory=list)
    dest_base: int = 0  # flow offset the destinations' offsets count from
    pieces: list[tuple[int, int]] = field(default_factory=list)  # sentence offsets of this ask's items
    rest: str = ""  # the clause after the deadline, other kinds' items blanked out
    rest_at: int = 0  # its sentence offset
    collectors: list[tuple[str, int, int]] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


def _kind_of(item: str) -> tuple[AskKind, float]:
    for kind, rx in _KIND_WORDS:
        if rx.search(item):
            return kind, 0.85
    return AskKind.other, 0.5


def _clean_item(raw: str) -> str:
    s = strip_brackets(raw)
    s = _FORMAT_WORDS.sub("", s)
    s = re.sub(r"(?:择优|精选|遴选|选送|推荐|报送|各)*\s*(?:" + _QUANT.pattern + ")", "", s)
    s = _DROP.sub("", s.strip("，,。；; "))
    s = _TRAILING.sub("", s)
    return s.strip("，,。；;：: ")


def _items(obj: str) -> list[tuple[str, int, int]]:
    """The things to send in an object: (cleaned item, start, end of its raw piece)."""
    out = []
    for a, b in split_outside_brackets(obj, _ITEM_SEP):
        piece = obj[a:b]
        item = _clean_item(piece)
        while a < b and obj[a] in _TRIM:
            a += 1
        while b > a and obj[b - 1] in _TRIM:
            b -= 1
        if len(item) >= 2:
            out.append((item, a, b))
    return out


def _subject_kinds(subject: str, base: int, flow: Flow) -> list[KindMention]:
    # titles in 《》 name no recipients
    masked = re.sub(r"《[^》]*》|[(（][^()（）]*〔\d{4}〕[^()（）]*[)）]", lambda m: " " * len(m.group(0)), subject)
    kinds = kinds_in(masked)
    if not kinds:
        first = re.split(r"[，,；;]", masked)[0]
        kinds = department_kinds(re.sub(r"(?:在|于)$", "", first))
    out = []
    for k in kinds:
        s, e = flow.span(base + k.span[0], base + k.span[1])
        out.append(KindMention(kind=k.kind, text=subject[k.span[0] : k.span[1]], confidence=k.confidence, span=(s, e)))
    return out


def find_asks(
    flow: Flow, basis: YearBasis, tz: str, issuers: list[Issuer], directory: list[DirectoryUnit], prefix: str = ""
) -> tuple[list[ImportedAsk], list[ImportedRoute], list[str]]:
    """Asks and routes in ``flow``; also warnings (Chinese) about what could not be settled."""
    raw: list[_Ask] = []
    route_sentences: list[tuple[Sentence, list]] = []
    warnings: list[str] = []
    all_sentences = sentences(flow)
    for sen in all_sentences:
        dls = [d for d in find_deadlines(sen.text) if _is_deadline(sen.text, d)]
        if not dls:
            clauses = route_clauses(sen.text)
            if clauses:
                route_sentences.append((sen, clauses))
            continue
        found = _asks_of_sentence(sen, dls, flow)
        if not found and _LABELLED_DEADLINE.match(sen.text):
            found = _asks_from_labels(sen, dls[0], all_sentences, flow)
            if not found:
                warnings.append(f"找到截止日期“{dls[0].text}”，但未找到要报送的材料，请核对")
        raw += found
    asks: list[ImportedAsk] = []
    routes: list[ImportedRoute] = []
    seen: dict[tuple, str] = {}
    counts: dict[str, int] = {}
    by_id: dict[str, _Ask] = {}
    for a in raw:
        day, conf, note = _due(a.dl, basis)
        key = (a.kind, day, tuple(a.items), tuple(k.kind for k in a.kinds))
        if key in seen:
            continue  # the same ask repeated (a 回执表 restating the cover note)
        counts[a.kind.value] = counts.get(a.kind.value, 0) + 1
        ask_id = (
            prefix + a.kind.value.replace("_", "-") + (f"-{counts[a.kind.value]}" if counts[a.kind.value] > 1 else "")
        )
        seen[key] = ask_id
        by_id[ask_id] = a
        asks.append(_build(a, ask_id, day, conf, note, flow, tz, warnings))
    # inline routes and collectors
    for ask in asks:
        a = by_id[ask.ask_id]
        for d in a.dests:
            r = resolve_dest(d.organisation, d.department, issuers, directory)
            s, e = flow.span(a.dest_base + d.start, a.dest_base + d.end)
            routes.append(
                ImportedRoute(
                    unit_kinds=list(a.kinds),
                    destination=d.text,
                    organisation=r.organisation,
                    department=r.department,
                    to_unit_id=r.unit_id,
                    to_unit_name=r.unit_name,
                    ask_ids=[ask.ask_id],
                    confidence=min(0.9, r.confidence),
                    span=(s, e),
                    how="报送要求",
                )
            )
        for name, cs, ce in a.collectors:
            r = (
                resolve_dest(None, name, issuers, directory)
                if _is_department(name)
                else resolve_dest(*_parts(name), issuers, directory)
            )
            s, e = flow.span(a.sentence.start + cs, a.sentence.start + ce)
            routes.append(
                ImportedRoute(
                    unit_kinds=list(a.kinds),
                    destination=name,
                    organisation=r.organisation,
                    department=r.department,
                    to_unit_id=r.unit_id,
                    to_unit_name=r.unit_name,
                    ask_ids=[ask.ask_id],
                    confidence=0.6,
                    span=(s, e),
                    how="汇总",
                )
            )
    # routing sentences
    for sen, clauses in route_sentences:
        same = [ask.ask_id for ask in asks if by_id[ask.ask_id].sentence.section == sen.section]
        for subject, cstart, _verb, d in clauses:
            kinds = _subject_kinds(subject, sen.start + cstart, flow)
            # kinds of unit, or everyone: "均报送…", "报送方式：…寄送中国科协人才中心"
            if not kinds and not re.search(r"(?:均|统一|一律)$|(?:报送|提交|寄送|申报)(?:方式|地址|单位)", subject):
                continue
            r = resolve_dest(d.organisation, d.department, issuers, directory)
            s, e = flow.span(sen.start + cstart, sen.start + d.end)
            targets = same or [ask.ask_id for ask in asks]
            routes.append(
                ImportedRoute(
                    unit_kinds=kinds,
                    destination=d.text,
                    organisation=r.organisation,
                    department=r.department,
                    to_unit_id=r.unit_id,
                    to_unit_name=r.unit_name,
                    ask_ids=targets,
                    confidence=min(0.9, r.confidence + (0.05 if same else -0.1)),
                    span=(s, e),
                    how="报送路由",
                )
            )
    routes = _prune(routes)
    return asks, routes, _merge_year_warnings(warnings, basis)


def _merge_year_warnings(warnings: list[str], basis: YearBasis) -> list[str]:
    """One warning for every deadline whose year came from elsewhere than the text or the 成文日期."""
    plain = [w for w in warnings if not w.startswith("\u0000")]
    guessed: dict[str, list[str]] = {}
    for w in warnings:
        if w.startswith("\u0000"):
            _, source, text = w.split("\u0000")
            if text not in guessed.setdefault(source, []):
                guessed[source].append(text)
    for source, texts in guessed.items():
        year = f"（{basis.year}年）" if basis.year else ""
        plain.append(f"截止日期{'、'.join(f'“{t}”' for t in texts)}未写年份，年份取自{source}{year}，请核对")
    return plain


# "2.截止时间：2021年10月15日。" — the deadline of a list of requirements whose materials are on another line
_LABELLED_DEADLINE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、])?\s*"
    r"(?:报送|提交|申报|报名|推荐|材料)?(?:截止|报送|提交|申报|报名|推荐)(?:时间|日期|期限)\s*(?:为|是)?\s*[:：]?"
)
_MATERIALS = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、])?\s*"
    r"(?:报送|提交|申报|推荐|需报送的?|需提交的?)(?:材料|内容|资料|要求)\s*[:：]\s*"
)


def _asks_from_labels(sen: Sentence, dl: DeadlineMention, all_sentences: list[Sentence], flow: Flow) -> list[_Ask]:
    """ "1.报送材料：推荐表、个人简历。2.截止时间：2021年10月15日。": the materials of the same section."""
    for other in all_sentences:
        if other.section != sen.section:
            continue
        m = _MATERIALS.match(other.text)
        if not m:
            continue
        obj = other.text[m.end() :].rstrip("。；;，, ")
        items = _items(obj)
        if not items:
            continue
        out = []
        groups: dict[AskKind, list[tuple[str, int, int]]] = {}
        for it, a, b in items:
            groups.setdefault(_kind_of(it)[0], []).append((it, m.end() + a, m.end() + b))
        for k, group in groups.items():
            # offsets of the items are in ``other``; the ask is built from ``sen`` (the deadline)
            ask = _Ask(
                kind=k,
                kind_conf=_kind_of(group[0][0])[1] * 0.9,
                items=[g[0] for g in group],
                dl=dl,
                sentence=sen,
                clause=(sen.start + dl.start, sen.end),
                kinds=[],
                owed_by="",
            )
            ask.pieces = [(other.start - sen.start + a, other.start - sen.start + b) for _, a, b in group]
            ask.rest, ask.rest_at = "", dl.end
            out.append(ask)
        return out
    return []


def _is_department(name: str) -> bool:
    return _parts(name)[0] is None


def _parts(name: str) -> tuple[str | None, str | None]:
    p = destination_parts(name)
    return p if p else (name, None)


def _prune(routes: list[ImportedRoute]) -> list[ImportedRoute]:
    """A route without a department is dropped when the same asks go to a department of the same unit."""
    out: list[ImportedRoute] = []
    for r in routes:
        if r.department is None and any(
            o is not r
            and o.department
            and o.organisation == r.organisation
            and set(r.ask_ids) <= set(o.ask_ids)
            and {k.kind for k in o.unit_kinds} == {k.kind for k in r.unit_kinds}
            for o in routes
        ):
            continue
        if any(o.destination == r.destination and o.ask_ids == r.ask_ids and o.unit_kinds == r.unit_kinds for o in out):
            continue
        out.append(r)
    return out


def _is_deadline(text: str, d: DeadlineMention) -> bool:
    """Ranges and recurring dates count only next to a verb of sending in the same clause."""
    if d.how in ("before", "by", "on", "relative"):
        return True
    for a, b in split_outside_brackets(text, "，,；;。"):
        if a <= d.start < b:
            return bool(find_verb(text[a:b])) or (d.how == "recurring" and bool(find_verb(text)))
    return False


def _asks_of_sentence(sen: Sentence, dls: list[DeadlineMention], flow: Flow) -> list[_Ask]:
    text = sen.text
    out: list[_Ask] = []
    subject = text[: dls[0].start]
    # who owes it is named from the clause that says 请 ("现将《…》转发给你们，请各市科协…于…")
    ask_from = 0
    for a, b in split_outside_brackets(subject, "，,；;"):
        if subject[a:b].lstrip().startswith(("请", "望", "要求")):
            ask_from = a
    kinds = _subject_kinds(subject[ask_from:], sen.start + ask_from, flow)
    owed_by = _owed_by(subject[ask_from:])
    for i, dl in enumerate(dls):
        end = dls[i + 1].start if i + 1 < len(dls) else len(text)
        tail_start = dl.end
        tail = text[tail_start:end]
        tail = re.sub(r"[，,、]?(?:并|且|同时)?(?:请)?(?:于|在)?$", "", tail)
        # what stands before the deadline, in its own clause ("全年汇总表于1月15日前报送")
        prev_end = dls[i - 1].end if i else 0
        before_dl = text[prev_end : dl.start]
        parts = split_outside_brackets(before_dl, "，,；;")
        lead, lead_at = "", 0
        if parts and (i == 0 or not find_verb(before_dl[parts[-1][0] : parts[-1][1]])):
            lead, lead_at = before_dl[parts[-1][0] : parts[-1][1]], prev_end + parts[-1][0]
        found: list[tuple[str, int, int]] = []  # items with flow offsets of their raw pieces
        dests: list[Destination] = []
        collectors: list[tuple[str, int, int]] = []
        emails: list[str] = []
        for a, b in split_outside_brackets(tail, "，,；;"):
            clause = tail[a:b]
            col = collector(clause)
            if col:
                collectors.append((col[0], tail_start + a + col[1], tail_start + a + col[2]))
                continue
            v = find_verb(clause)
            if not v:
                continue  # limits or asides; the verb is in another clause
            before, after = clause[: v.start()], clause[v.end() :]
            obj_text, obj_at = None, 0
            dest = destination_after(clause, v.end())
            pre = destination_before(clause)
            if pre is not None:
                dests.append(Destination(pre.text, a + pre.start, a + pre.end, pre.organisation, pre.department))
                before = before[: pre.start - 1] if pre.start >= 1 else ""
            if dest is not None:
                if dest.email and dest.organisation is None and dest.department is None:
                    emails.append(dest.text)
                else:
                    dests.append(
                        Destination(
                            dest.text, a + dest.start, a + dest.end, dest.organisation, dest.department, dest.email
                        )
                    )
                    if dest.email:
                        emails.append(dest.text + "邮箱")
                obj_text, obj_at = before, 0
                m = re.search(r"(?:将|把)", obj_text)
                if m:
                    obj_text, obj_at = obj_text[m.end() :], m.end()
            else:
                stop = re.search(r"[（(]|至[\u4e00-\u9fff]|$", after)
                assert stop is not None  # "$" always matches
                obj_text, obj_at = after[: stop.start()], v.end()
                if not _items(obj_text) and before.strip():
                    obj_text, obj_at = before, 0
            items = _items(obj_text)
            if not items and lead:
                # "请将推荐表于5月10日前报送", "活动总结及照片请于6月中旬前报…": the object stands before the deadline
                o, o_at = _object_before(lead, lead_at)
                items = [(it, s - (tail_start + a) + o_at, e - (tail_start + a) + o_at) for it, s, e in _items(o)]
            for it, s, e in items:
                found.append((it, tail_start + a + obj_at + s, tail_start + a + obj_at + e))
        if not found:
            continue
        clause_span = (sen.start + dl.start, sen.start + end)
        groups: dict[AskKind, list[tuple[str, int, int]]] = {}
        conf: dict[AskKind, float] = {}
        for it, s, e in found:
            k, c = _kind_of(it)
            groups.setdefault(k, [])
            if it not in [g[0] for g in groups[k]]:
                groups[k].append((it, s, e))
            conf[k] = max(conf.get(k, 0), c)
        for k, group in groups.items():
            ask = _Ask(
                kind=k,
                kind_conf=conf[k],
                items=[g[0] for g in group],
                dl=dl,
                sentence=sen,
                clause=clause_span,
                kinds=kinds,
                owed_by=owed_by,
                dests=list(dests),
                dest_base=sen.start + tail_start,
                collectors=collectors,
                emails=emails,
            )
            # limits: those written with this kind's items, else those of the clause outside any item
            others = [(s, e) for kk, g in groups.items() if kk != k for _, s, e in g]
            ask.pieces = [(s, e) for _, s, e in group]
            ask.rest = "".join(
                " " if any(s <= tail_start + j < e for s, e in others) else ch for j, ch in enumerate(tail)
            )
            ask.rest_at = tail_start
            out.append(ask)
    return out


_UNIT_END = re.compile(
    r"(?:单位|企业科协|高校科协|科协|学会|协会|研究会|部门|分会|企业|高校|局|委|厅|部|室|处|馆|中心|学院|大学)(?:[(（][^)）]*[)）])?"
)


def _object_before(lead: str, at: int) -> tuple[str, int]:
    """The object in the clause before a deadline, and its sentence offset."""
    m = re.search(r"(?:将|把)(?P<o>.+?)(?:请|务必|须|需|应)?(?:于|在)?$", lead)
    if m:
        return m["o"], at + m.start("o")
    owed = _owed_by(lead)
    cut = lead.find(owed) + len(owed) if owed else 0
    e = re.match(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）])?(?:请)?", lead[cut:])
    assert e is not None  # every part is optional: it always matches
    cut += e.end()
    o = re.sub(r"(?:请|务必|须|需|应)?(?:于|在)?$", "", lead[cut:])
    return o, at + cut


def _owed_by(subject: str) -> str:
    """ "请各市州科协、高校科协、企业科协5月10日前…" → "各市州科协、高校科协、企业科协"."""
    s = re.split(r"[，,；;]", subject)[0]
    s = re.sub(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+[.、])?(?:请|由)?", "", s)
    end = 0
    for m in _UNIT_END.finditer(s):
        if m.start() > end + 12 and end:
            break
        end = m.end()
        if end < len(s) and s[end] not in "、和及与":
            break
    return s[:end]


def _due(dl: DeadlineMention, basis: YearBasis):
    """(day, confidence, how the date was settled)."""
    if dl.how in ("before", "by", "on", "range") and dl.date is not None:
        day, conf, note = resolve(dl.date, basis)
        if dl.how == "range":
            conf *= 0.8
        if dl.date.part in ("上旬", "中旬", "下旬"):
            conf *= 0.7
        return day, conf, note
    if dl.how == "recurring" and basis.on is not None:
        day = next_occurrence(dl.extra, basis.on)
        return day, 0.4 if day else 0.0, "周期"
    if dl.how == "relative" and basis.on is not None and dl.days:
        return add_days(basis.on, dl.days, dl.working_days), 0.4, "相对"
    return None, 0.0, ""


def _build(a: _Ask, ask_id: str, day, conf: float, note: str, flow: Flow, tz: str, warnings: list[str]) -> ImportedAsk:
    sen = a.sentence
    dl = a.dl
    dl_span = flow.span(sen.start + dl.start, sen.start + dl.end)
    deadline = None
    if day is not None:
        hour = dl.date.hour if dl.date is not None else None
        minute = dl.date.minute if dl.date is not None else 0
        deadline = Found(
            value=instant(day, hour, minute, tz),
            confidence=round(conf, 2),
            span=dl_span,
            how={
                "before": "截止日期",
                "by": "截止日期",
                "on": "报送日期",
                "range": "期间止日",
                "recurring": "周期",
                "relative": "相对期限",
            }[dl.how],
        )
    title_text = "、".join(a.items)
    if day is None:
        warnings.append(f"“{title_text}”的截止日期“{dl.text}”无法确定具体日期，请核对")
    elif note not in ("文中年份", "成文日期") and dl.how in ("before", "by", "on", "range"):
        warnings.append(f"\u0000{note}\u0000{dl.text}")
    if dl.how == "recurring" and day is not None:
        warnings.append(f"“{title_text}”为周期性报送（{dl.recurrence}），仅取第一次截止日期，请核对")
    if dl.how == "relative" and day is not None:
        warnings.append(f"“{title_text}”的期限“{dl.text}”按成文日期推算，请核对")
    chars = items = None
    texts = [(flow.text[sen.start + ps : sen.start + pe], sen.start + ps) for ps, pe in a.pieces]
    texts.append((a.rest, sen.start + a.rest_at))
    for text, base in texts:
        c = find_char_limit(text)
        if c and c.high is not None and chars is None:  # a character limit always has its maximum
            chars = Found(
                value=CharLimit(max_chars=c.high, approx=c.approx),
                confidence=0.9 if not c.approx else 0.6,
                span=flow.span(base + c.start, base + c.end),
                how="字数",
            )
        it = find_item_limit(text)
        if it and items is None:
            items = Found(
                value=ItemRange(min_items=it.low, max_items=it.high, approx=it.approx),
                confidence=0.85 if not it.approx else 0.6,
                span=flow.span(base + it.start, base + it.end),
                how="数量",
            )
    formats = None
    joined = "\u0000".join(t for t, _ in texts)
    fm = find_formats(joined)
    if fm.types or fm.stamped or fm.paper_copies:
        fs = flow.span(sen.start + a.rest_at, sen.start + a.rest_at + len(a.rest))
        formats = Found(
            value=FileFormats(types=fm.types, stamped=fm.stamped, paper_copies=fm.paper_copies),
            confidence=0.85,
            span=fs,
            how="格式",
        )
    rest = a.rest
    own = "".join(t for t, _ in texts[:-1])
    ps, pe = a.pieces[0][0], a.pieces[-1][1]
    title_span = flow.span(sen.start + ps, sen.start + pe)
    notes = []
    if chars and chars.value.approx:
        notes.append(f"约{chars.value.max_chars}字")
    if "合计" in rest or "合计" in own:
        notes.append("合计字数")
    if fm.paper_copies:
        notes.append(f"纸质版{fm.paper_copies}份")
    if a.emails:
        notes.append("发送至" + "、".join(a.emails))
    clause_span = flow.span(*a.clause)
    confidence = min(a.kind_conf, deadline.confidence if deadline else 0.3)
    return ImportedAsk(
        ask_id=ask_id,
        kind=Found(value=a.kind, confidence=a.kind_conf, span=title_span, how="关键词"),
        title=Found(value=title_text, confidence=0.8, span=title_span, how="报送内容"),
        items=a.items,
        deadline=deadline,
        deadline_date=day,
        window_start=resolve(dl.window_start, YearBasis.of(day) if day else YearBasis())[0]
        if dl.window_start is not None
        else None,
        recurrence=dl.recurrence,
        unit_kinds=a.kinds,
        owed_by=a.owed_by,
        chars=chars,
        item_range=items,
        formats=formats,
        send_to=[d.text for d in a.dests] + [e for e in a.emails if "@" in e],
        note="；".join(notes),
        confidence=round(confidence, 2),
        span=clause_span,
    )
