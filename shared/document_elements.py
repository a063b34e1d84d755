"""公文 elements every level writes the same way: the default 主送机关 and 附件说明.

Pure functions of what a notice carries. The notices service fills the 主送机关 with them when the issuer
writes none; the gateway uses them for a preview and for notices stored before the fields existed.

The 主送机关 names the recipients as the genre does, by kind and level, not one by one (seed 000):
“各地级以上市科协、科技局（委），各省级学会、协会、研究会，各高校科协、企业科协”. The level of a 科协 or 科技
unit is read from its name (广东省… is a province, 深圳市… a city, 南山区… a county); a unit whose name
shows none is simply “各科协”. One recipient alone is named as it is.
"""

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from .schemas import Attachment, UnitKind, UnitRef

# Levels, from the top. What a notice calls the 科协 and the 科技 departments of each.
_LEVELS: list[tuple[str, str, str, str]] = [
    # level, the prefix of its group, its 科技 department, a society of that level
    ("national", "各全国", "科技部门", "各全国学会、协会、研究会"),
    ("province", "各省、自治区、直辖市", "科技厅（委、局）", "各省级学会、协会、研究会"),
    ("city", "各地级以上市", "科技局（委）", "各市级学会、协会、研究会"),
    ("county", "各县（市、区）", "科技局", "各县级学会、协会、研究会"),
    ("", "各", "科技局", "各学会、协会、研究会"),
]
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


def level_of(name: str) -> str:
    """The administrative level a unit's name shows: national, province, city, county, or '' when none does."""
    name = name.strip()
    if name.startswith(("中国", "中华", "全国", "国家")):
        return "national"
    if name.startswith(_MUNICIPALITIES) or "新疆生产建设兵团" in name:
        return "province"
    head = re.match(r"^[^省市区县州盟旗]{1,12}?(省|自治区|自治州|市|州|盟|地区|区|县|旗)", name)
    if head is None:
        return ""
    return {
        "省": "province",
        "自治区": "province",
        "市": "city",
        "自治州": "city",
        "州": "city",
        "盟": "city",
        "地区": "city",
        "区": "county",
        "县": "county",
        "旗": "county",
    }[head.group(1)]


def default_addressees(recipients: Sequence[UnitRef]) -> str:
    """主送机关 from the recipients: one unit by its name, several by kind and level, in the genre's order."""
    if not recipients:
        return ""
    if len(recipients) == 1:
        return recipients[0].name
    groups: list[str] = []
    order = [level for level, *_ in _LEVELS]
    kexie = {level_of(r.name) for r in recipients if r.kind == UnitKind.kexie}
    keji = {level_of(r.name) for r in recipients if r.kind == UnitKind.keji}
    for level, prefix, keji_name, _ in _LEVELS:
        names = (["科协"] if level in kexie else []) + ([keji_name] if level in keji else [])
        if names:
            groups.append(prefix + "、".join(names))
    societies = {level_of(r.name) for r in recipients if r.kind == UnitKind.society}
    for level in sorted(societies, key=order.index):
        groups.append(next(s for lv, _, _, s in _LEVELS if lv == level))
    schools = [
        label
        for kind, label in ((UnitKind.university, "高校科协"), (UnitKind.enterprise, "企业科协"))
        if any(r.kind == kind for r in recipients)
    ]
    if schools:
        groups.append("各" + "、".join(schools))
    if any(r.kind == UnitKind.department for r in recipients):
        groups.append("机关各部门")
    others = [r.name for r in recipients if r.kind == UnitKind.other]
    if others:
        groups.append("、".join(dict.fromkeys(others)))
    return "，".join(groups)


_ATTACHMENT_MARK = re.compile(r"^\s*附件\s*\d*\s*[：:.．、\s]\s*")


def attachment_label(filename: str) -> str:
    """附件说明 of one file: its name without the extension and without a leading “附件1 ” the clerk typed."""
    stem = PurePosixPath(filename.replace("\\", "/")).name
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    return _ATTACHMENT_MARK.sub("", stem).strip() or stem.strip()


def attachment_labels(attachments: Iterable[Attachment], written: list[str] | None = None) -> list[str]:
    """The 附件说明: as written, or the attachments' names; a 转发's original follows the notice itself and is
    not listed (it is the notice's subject, not an enclosure)."""
    if written is not None:
        return [w.strip() for w in written if w.strip()]
    return [attachment_label(a.filename) for a in attachments if not a.original_of]
