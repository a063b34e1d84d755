"""Domain errors and the problem shape they travel in.

A service raises ``DomainError`` for input it refuses; the RPC layer turns it
into a ``Problem`` reply and the gateway into an HTTP 4xx naming the field.

A request with several mistakes is refused once with all of them: the checks
of a command run in ``gather()``, which raises ``Problems`` (every problem,
each with its field and message) when more than one was found. The gateway
answers one ``detail`` entry per problem, and a page lists them all above
its form.
"""

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from pydantic import Field

from .schemas import Wire


class Problem(Wire):
    status: int
    code: str
    message: str
    field: str | None = None
    others: list["Problem"] = Field(
        default=[], description="the request's further problems (a form with several mistakes), after this one"
    )


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

    def all(self) -> list["DomainError"]:
        """Every problem this error stands for: itself, or each of ``Problems``."""
        return [self]


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


class Problems(DomainError):
    """Several problems of one request at once, in the order found; it answers as the first (its status, field
    and message), and ``all()`` gives each."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        flat = [e for err in errors for e in err.all()]
        if not flat:
            raise ValueError("Problems needs at least one problem")
        first = flat[0]
        super().__init__(first.message, field=first.field, code=first.code)
        self.status = first.status
        self.errors = flat

    def all(self) -> list[DomainError]:
        return list(self.errors)

    def problem(self) -> Problem:
        first, *others = (e.problem() for e in self.errors)
        return first.model_copy(update={"others": others})


def one_or_all(errors: Sequence[DomainError]) -> DomainError:
    """The error to raise for these problems: the one itself, or ``Problems`` of them all."""
    flat = [e for err in errors for e in err.all()]
    return flat[0] if len(flat) == 1 else Problems(flat)


class gather:
    """Collect every problem of a command's checks, then refuse once with all of them.

        with gather() as problems:
            problems.check(domain.check_title, cmd.title)
            recipients = problems.check(domain.check_recipients, ...)  # None when refused
            await something_that_may_raise()  # a DomainError here ends the block: refused with all so far

    On leaving the block, one problem is raised as itself, several as ``Problems``. A check that others depend
    on is called outside ``check`` (or its ``None`` tested), so nothing runs on a value that was refused.
    """

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def add(self, err: DomainError) -> None:
        self.errors.extend(err.all())

    def check[T](self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            self.add(exc)
            return None

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        if self.errors:
            raise one_or_all(self.errors)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:  # an exception raised in the block goes on
        if isinstance(exc, DomainError) and self.errors:
            raise one_or_all([*self.errors, exc]) from exc
        if exc is None:
            self.raise_any()


_BY_STATUS = {cls.status: cls for cls in (Invalid, NotFound, Conflict, Forbidden, TooLarge, Unsupported, Unavailable)}


def from_problem(problem: Problem) -> DomainError:
    cls = _BY_STATUS.get(problem.status, DomainError)
    err = cls(problem.message, field=problem.field, code=problem.code)
    err.status = problem.status
    if problem.others:
        return Problems([err, *(from_problem(p) for p in problem.others)])
    return err
