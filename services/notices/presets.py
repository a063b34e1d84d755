"""Form templates that notices keep using, offered in the compose form's ask editor.

They follow the forms attached to the seed notices: the 特色亮点活动筹备方案
(样表) with the five activity modules, the 联络员回执表, the summary report
with its character limit, media.
"""

from shared.schemas import AskKind, FieldType, FormField

FIVE_MODULES = ["团结引领", "建家办事", "为民服务", "开放合作", "表彰发布"]
AUDIENCES = ["科协系统干部", "科技工作者", "海外同行"]


def plan_fields(per_item_chars: int = 500) -> list[FormField]:
    """特色亮点活动筹备方案（样表）: one form per activity ("一项一表")."""
    return [
        FormField(key="host_unit", label="主办单位名称", type=FieldType.text, max_chars=100),
        FormField(key="activity", label="主题活动名称", type=FieldType.text, max_chars=100),
        FormField(
            key="modules",
            label="主题活动模块",
            type=FieldType.multi_choice,
            options=FIVE_MODULES,
            help="请在相应模块划√，可多选",
        ),
        FormField(key="organizer", label="承办单位名称", type=FieldType.text, max_chars=100, required=False),
        FormField(key="planned_date", label="拟举办时间", type=FieldType.date, required=False),
        FormField(key="place", label="拟举办地点", type=FieldType.text, max_chars=100, required=False),
        FormField(key="audience", label="面向群体", type=FieldType.multi_choice, options=AUDIENCES, required=False),
        FormField(key="scale", label="预计活动规模（人）", type=FieldType.number, min_value=0, required=False),
        FormField(key="contact", label="主办单位联系人", type=FieldType.contact),
        FormField(
            key="plan",
            label="工作方案",
            type=FieldType.text,
            max_chars=per_item_chars,
            help="工作思路、实施举措，时间、地点、人员、主题、主要安排、预期成效等要素",
        ),
        FormField(key="stamped", label="盖章PDF版和word版", type=FieldType.file, accept=["pdf", "doc", "docx"]),
    ]


def liaison_fields() -> list[FormField]:
    """联络员回执表 (seed 003): 姓名 / 工作单位及职务 / 联系电话."""
    return [
        FormField(key="name", label="姓名", type=FieldType.text, max_chars=50),
        FormField(key="position", label="工作单位及职务", type=FieldType.text, max_chars=100),
        FormField(key="phone", label="联系电话", type=FieldType.text, max_chars=60),
    ]


def summary_fields(max_chars: int = 3000) -> list[FormField]:
    return [
        FormField(key="summary", label="总结报告", type=FieldType.text, max_chars=max_chars),
        FormField(
            key="stamped", label="盖章PDF版和word版", type=FieldType.file, accept=["pdf", "doc", "docx"], required=False
        ),
    ]


def media_fields() -> list[FormField]:
    return [
        FormField(key="caption", label="说明", type=FieldType.text, max_chars=500),
        FormField(key="media", label="影像资料", type=FieldType.file, accept=["jpg", "jpeg", "png", "zip"]),
    ]


def templates() -> list[dict]:
    """What the ask editor offers, as plain data."""
    entries = [
        ("plan", AskKind.plan, "特色亮点活动筹备方案", 1, 2, plan_fields()),
        ("liaison_form", AskKind.liaison_form, "活动联络员回执表", 1, 1, liaison_fields()),
        ("summary_report", AskKind.summary_report, "活动总结报告", 1, 1, summary_fields()),
        ("media", AskKind.media, "影像资料", 1, 10, media_fields()),
    ]
    return [
        {
            "template_id": tid,
            "kind": kind.value,
            "title": title,
            "min_items": lo,
            "max_items": hi,
            "fields": [f.model_dump(mode="json") for f in fields],
        }
        for tid, kind, title, lo, hi, fields in entries
    ]
