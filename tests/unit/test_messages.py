"""Validation messages in zh-CN (shared/messages.py), and several problems refused at once (shared/errors.py)."""

import re
import typing

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core.core_schema import ErrorType

from shared.bus import problem_from_validation
from shared.contracts.common import Reply
from shared.contracts.notices import UpsertUnit
from shared.errors import Conflict, Invalid, Problems, from_problem, gather
from shared.messages import describe, field_label, request_errors
from shared.schemas import Ask, UnitKind

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,']+[A-Za-z]{2,}){2,}")


def chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not ENGLISH_SENTENCE.search(text)


@pytest.mark.parametrize("kind", typing.get_args(ErrorType))
def test_every_pydantic_error_type_is_said_in_chinese(kind):
    assert chinese(describe({"type": kind, "loc": ("x",), "msg": "Input should be a valid thing", "ctx": {}}))


def test_limits_and_choices_are_said_with_their_values():
    with pytest.raises(ValidationError) as caught:
        UpsertUnit.model_validate({"unit_id": "Bad Id!", "name": "x" * 201, "kind": "科学"})
    said = {e["loc"][0]: describe(e) for e in caught.value.errors()}
    assert said["unit_id"] == "格式不正确"
    assert said["name"] == "不能超过200个字"
    assert said["kind"] == "应为以下之一：" + "、".join(k.value for k in UnitKind)


def test_a_validators_own_message_is_kept_when_it_is_chinese_only():
    class Form(BaseModel):
        a: int = 0
        b: int = 0

        @field_validator("a")
        @classmethod
        def zh(cls, v: int) -> int:
            raise ValueError("须为偶数")

        @field_validator("b")
        @classmethod
        def en(cls, v: int) -> int:
            raise ValueError("must be even, not odd")

    with pytest.raises(ValidationError) as caught:
        Form(a=1, b=1)
    assert [describe(e) for e in caught.value.errors()] == ["须为偶数", "取值无效"]


def test_an_asks_title_is_its_name_and_lists_count_from_one():
    assert field_label("asks.1.title") == "报送要求 2 · 名称"
    assert field_label("title") == "标题"
    assert field_label("asks.0.fields.2.accept") == "报送要求 1 · 表单字段 3 · 文件类型"


def test_a_services_validation_problem_carries_every_error_in_chinese_naming_its_field():
    class Request(BaseModel):
        asks: list[Ask]
        note: str = Field(max_length=3)

    with pytest.raises(ValidationError) as caught:
        Request.model_validate(
            {"asks": [{"ask_id": "a", "kind": "plan", "title": " ", "deadline": "x"}], "note": "长长长长"}
        )
    problem = problem_from_validation(caught.value, skip_locs=0)
    every = [problem, *problem.others]
    assert [p.field for p in every] == ["asks.0.title", "asks.0.deadline", "note"]
    assert every[0].message == "报送要求 1 · 名称：不能为空"
    assert all(chinese(p.message) for p in every)


def test_request_errors_name_the_field_without_its_source_and_malformed_json_has_no_field():
    detail = request_errors(
        [
            {"type": "missing", "loc": ("body", "title"), "msg": "Field required"},
            {"type": "int_parsing", "loc": ("query", "page"), "msg": "Input should be a valid integer"},
            {"type": "json_invalid", "loc": ("body", 12), "msg": "JSON decode error", "ctx": {"error": "x"}},
            {"type": "missing", "loc": ("body",), "msg": "Field required"},
        ]
    )
    assert [d["msg"] for d in detail] == [
        "标题：必须填写",
        "页码：应为整数",
        "请求内容不是有效的 JSON",
        "请求内容必须填写",
    ]
    assert [d["loc"] for d in detail] == [["body", "title"], ["query", "page"], ["body"], ["body"]]


# ---------------------------------------------------------------- several problems at once


def test_gather_refuses_once_with_every_problem_in_order():
    def bad(message: str, field: str) -> None:
        raise Invalid(message, field=field)

    with pytest.raises(Problems) as caught, gather() as problems:
        problems.check(bad, "标题有误", "title")
        assert problems.check(lambda: 1) == 1
        problems.check(bad, "收文单位有误", "recipient_unit_ids.0")
        raise Conflict("文号已存在", field="doc_number")
    assert [(e.field, e.message) for e in caught.value.all()] == [
        ("title", "标题有误"),
        ("recipient_unit_ids.0", "收文单位有误"),
        ("doc_number", "文号已存在"),
    ]
    assert caught.value.status == 422 and caught.value.field == "title"


def test_gather_raises_a_single_problem_as_itself_and_nothing_when_all_is_well():
    with pytest.raises(Conflict), gather() as problems:
        problems.check(lambda: (_ for _ in ()).throw(Conflict("已存在", field="x")))
    with gather() as problems:
        problems.check(lambda: None)


def test_several_problems_travel_in_one_reply_and_come_back_whole():
    err = Problems([Invalid("一", field="a"), Conflict("二", field="b", code="taken"), Invalid("三")])
    wire = Reply(ok=False, error=err.problem()).model_dump_json()
    back = from_problem(Reply.model_validate_json(wire).error)
    assert isinstance(back, Problems)
    assert [(type(e), e.message, e.field, e.code) for e in back.all()] == [
        (Invalid, "一", "a", "invalid"),
        (Conflict, "二", "b", "taken"),
        (Invalid, "三", None, "invalid"),
    ]
