"""Items checked against the seeds' forms: limits in characters, the five modules, contacts, files."""

from datetime import UTC, datetime

import pytest

from services.submissions.forms import attachments_in, check_items
from shared.errors import Invalid
from shared.schemas import Ask

FIVE_MODULES = ["团结引领", "建家办事", "为民服务", "开放合作", "表彰发布"]
FILE = {
    "attachment_id": "a1",
    "filename": "方案.pdf",
    "content_type": "application/pdf",
    "size": 10,
    "sha256": "0" * 64,
}


def plan_ask(**extra) -> Ask:
    """Seed 002's 特色亮点活动筹备方案: 1–2 items, 500字 per plan, modules to tick, a stamped file."""
    return Ask.model_validate(
        {
            "ask_id": "plan",
            "kind": "plan",
            "title": "特色亮点活动筹备方案",
            "min_items": 1,
            "max_items": 2,
            "deadline": datetime(2021, 4, 30, 15, 59, 59, tzinfo=UTC),
            "fields": [
                {"key": "activity", "label": "主题活动名称", "type": "text", "max_chars": 20},
                {"key": "modules", "label": "主题活动模块", "type": "multi_choice", "options": FIVE_MODULES},
                {"key": "size", "label": "预计活动规模", "type": "number", "min_value": 1, "required": False},
                {"key": "when", "label": "拟举办时间", "type": "date", "required": False},
                {"key": "level", "label": "级别", "type": "choice", "options": ["省级", "市级"], "required": False},
                {"key": "contact", "label": "联系人", "type": "contact"},
                {
                    "key": "stamped",
                    "label": "盖章PDF版和word版",
                    "type": "file",
                    "accept": ["pdf", "docx"],
                    "required": False,
                },
            ],
            **extra,
        }
    )


def item(**over) -> dict:
    return {
        "activity": "  科技为民  ",
        "modules": ["为民服务", "团结引领"],
        "contact": {"name": "王敏", "mobile": "13800000001"},
        **over,
    }


def test_a_good_item_is_normalised():
    [out] = check_items(plan_ask(), [item(size="120", when="2021-05-30", stamped=[FILE], level="省级")])
    assert out["activity"] == "科技为民"
    assert out["modules"] == ["团结引领", "为民服务"]  # the form's order
    assert out["size"] == 120 and out["when"] == "2021-05-30"
    assert out["contact"] == {"name": "王敏", "mobile": "13800000001"}
    assert attachments_in([out]) == [("items.0.stamped.0", FILE)]


@pytest.mark.parametrize(
    "items, field, code",
    [
        ([], "items", "item_count"),
        ([item(), item(), item()], "items", "item_count"),
        ([item(activity="字" * 21)], "items.0.activity", "too_long"),
        ([item(modules=["唱歌"])], "items.0.modules", "not_an_option"),
        ([item(activity="")], "items.0.activity", "required"),
        ([item(extra="x")], "items.0.extra", "unknown_field"),
        ([item(size="很多")], "items.0.size", "not_a_number"),
        ([item(size=0)], "items.0.size", "out_of_range"),
        ([item(when="2021-02-30")], "items.0.when", "not_a_date"),
        ([item(level="国家级")], "items.0.level", "not_an_option"),
        ([item(contact={"name": "王敏"})], "items.0.contact", "bad_contact"),
        ([item(contact={"name": "王敏", "email": "not-mail"})], "items.0.contact.email", "bad_contact"),
        ([item(stamped=[{**FILE, "filename": "方案.exe"}])], "items.0.stamped.0", "file_type"),
        ([item(stamped=["方案.pdf"])], "items.0.stamped.0", "not_a_file"),
        ([item(), "x"], "items.1", "invalid"),
    ],
)
def test_bad_items_name_the_field_and_the_reason(items, field, code):
    with pytest.raises(Invalid) as exc:
        check_items(plan_ask(), items)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert exc.value.message  # said in the users' words


def test_a_compilers_own_items_need_not_reach_the_count():
    assert check_items(plan_ask(min_items=2), [], own_only=True) == []
    with pytest.raises(Invalid):
        check_items(plan_ask(), [item(), item(), item()], own_only=True)


def test_an_ask_without_a_form_takes_free_text():
    ask = plan_ask(fields=[])
    assert check_items(ask, [{"text": "情况说明"}]) == [{"text": "情况说明"}]
    with pytest.raises(Invalid):
        check_items(ask, [{"title": "x"}])
