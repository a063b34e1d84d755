"""The notice editor's posted form → command values (services/gateway/features/notices/forms.py)."""

from starlette.datastructures import FormData

from services.gateway.features.notices.forms import asks_of, inherited_of, notice_form

TZ = "Asia/Shanghai"


def posted(*pairs: tuple[str, str]) -> dict:
    return notice_form(FormData(list(pairs)))


def test_every_inherited_ask_keeps_its_own_unit_kinds():
    data = posted(
        ("inherit-0-ask_id", "summary"),
        ("inherit-0-kinds_set", "1"),
        ("inherit-1-ask_id", "media"),
        ("inherit-1-kinds_set", "1"),
        ("inherit-1-unit_kinds", "学会/协会/研究会"),
        ("inherit-1-unit_kinds", "高校科协"),
        ("inherit-1-deadline", "2020-06-10"),
    )
    deadlines, kinds = inherited_of(data["inherit"], TZ)
    assert kinds == {"summary": [], "media": ["学会/协会/研究会", "高校科协"]}
    assert deadlines == {"media": "2020-06-10T15:59:59+00:00"}  # the end of that day in Beijing


def test_inherited_rows_without_an_ask_id_are_left_out():
    data = posted(("inherit-0-ask_id", "summary"), ("inherit-0-kinds_set", "1"), ("inherit-5-unit_kinds", "科协"))
    assert inherited_of(data["inherit"], TZ) == ({}, {"summary": []})


def test_a_file_fields_types_are_kept_lower_case_without_dots():
    data = posted(
        ("asks-0-title", "活动方案"),
        ("asks-0-deadline", "2020-06-20"),
        ("asks-0-fields-0-label", "盖章版"),
        ("asks-0-fields-0-type", "file"),
        ("asks-0-fields-0-accept", ".PDF, docx"),
    )
    [ask] = asks_of(data["asks"], TZ)
    assert ask["fields"][0]["accept"] == ["pdf", "docx"]


def test_an_ask_without_a_name_is_kept_to_be_refused_and_a_blank_one_is_left_out():
    data = posted(
        ("asks-0-title", ""),
        ("asks-0-deadline", "2020-06-20"),
        ("asks-0-min_items", "1"),
        ("asks-1-title", ""),
        ("asks-1-kind", "other"),
        ("asks-1-min_items", "1"),
        ("asks-1-fields-0-label", ""),
        ("asks-1-routes-0-unit_kind", "科协"),
        ("asks-1-routes-0-to_unit_id", ""),
    )
    [ask] = asks_of(data["asks"], TZ)
    assert ask["title"] == "" and ask["deadline"].startswith("2020-06-20")


def test_a_field_without_a_label_but_with_options_is_kept_to_be_refused():
    data = posted(
        ("asks-0-title", "方案"),
        ("asks-0-fields-0-label", ""),
        ("asks-0-fields-0-options", "甲、乙"),
        ("asks-0-fields-1-label", ""),
    )
    [ask] = asks_of(data["asks"], TZ)
    assert [f["label"] for f in ask["fields"]] == [""]
