"""Domain errors travel as Problems and come back as the same error on the other side."""

import pytest

from shared.contracts.common import Reply
from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Problem,
    TooLarge,
    Unavailable,
    from_problem,
)


@pytest.mark.parametrize(
    "cls, status",
    [
        (Invalid, 422),
        (NotFound, 404),
        (Conflict, 409),
        (Forbidden, 403),
        (TooLarge, 413),
        (Unavailable, 503),
    ],
)
def test_each_error_round_trips_through_a_reply(cls, status):
    err = cls("文号已被使用", field="doc_number")
    wire = Reply(ok=False, error=err.problem()).model_dump_json()
    problem = Reply.model_validate_json(wire).error
    back = from_problem(problem)
    assert type(back) is cls
    assert (back.status, back.message, back.field, back.code) == (status, "文号已被使用", "doc_number", cls.code)


def test_a_specific_code_survives_the_trip():
    err = Invalid("收文单位不存在：x", field="recipient_unit_ids.3", code="unknown_recipient")
    back = from_problem(err.problem())
    assert back.code == "unknown_recipient" and back.field == "recipient_unit_ids.3"
    assert Invalid("x").code == "invalid"  # the class default is untouched


def test_an_unknown_status_keeps_its_status():
    back = from_problem(Problem(status=500, code="internal", message="KeyError"))
    assert type(back) is DomainError and back.status == 500 and back.code == "internal"


def test_problem_refuses_unknown_fields():
    with pytest.raises(ValueError):
        Problem(status=422, code="invalid", message="x", extra="y")
