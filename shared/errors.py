"""Domain errors and the problem shape they travel in.

A service raises ``DomainError`` for input it refuses; the RPC layer turns it
into a ``Problem`` reply and the gateway into an HTTP 4xx naming the field.
"""

from .schemas import Wire


class Problem(Wire):
    status: int
    code: str
    message: str
    field: str | None = None


class DomainError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def problem(self) -> Problem:
        return Problem(status=self.status, code=self.code, message=self.message, field=self.field)


class Invalid(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class Unsupported(DomainError):
    status = 415
    code = "unsupported_type"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


_BY_STATUS = {cls.status: cls for cls in (Invalid, NotFound, Conflict, Forbidden, TooLarge, Unsupported, Unavailable)}


def from_problem(problem: Problem) -> DomainError:
    cls = _BY_STATUS.get(problem.status, DomainError)
    err = cls(problem.message, field=problem.field, code=problem.code)
    err.status = problem.status
    return err
