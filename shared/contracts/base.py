"""What a service answers, declared once: each action's name, request model, reply model, kind and description.

A contract is a class of ``Action``s::

    class Notices(Contract):
        service = "notices"
        issue = command(IssueNotice, Issued, "Issue a notice: allocate its 文号, store it, publish notice.issued")
        inbox = query(UnitNoticesQuery, Page[InboxEntry], "收文: a page of a unit's inbox")

The same declaration is both ends of the wire:

- the service wires its handlers from it (``Service.serve(Notices, handlers, deps)``): one
  subscriber per action, named by the action, checked against the handler's signature;
- an instance is the typed client every caller uses: ``await Notices(caller).issue(cmd)`` sends
  the request to ``rpc.<node>.notices.issue`` and returns an ``Issued`` (or raises the
  service's ``DomainError``). No caller names a service or an action by a string.
"""

from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ClassVar, Protocol, overload

from pydantic import BaseModel

from .common import Reply


class Caller(Protocol):
    """How a client reaches a service: request/reply on the node's bus (shared/bus.py, the gateway's backend).
    Returns the reply's body as it came (JSON of a ``Reply``)."""

    async def call(
        self, service: str, action: "Action[Any, Any]", request: BaseModel, timeout: float | None = None
    ) -> bytes: ...


class Action[Req: BaseModel, Rep]:
    """One request a service answers. Read from an instance of its contract, it is a coroutine function."""

    def __init__(self, request: type[Req], reply: type[Rep], description: str, *, query: bool) -> None:
        self.request = request
        self.reply = reply
        self.description = description
        self.query = query
        self.name = ""
        self._replies: type[Reply[Rep]] = Reply[reply]  # type: ignore[valid-type]

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def parse_reply(self, body: bytes) -> Rep:
        """The reply's data read from its JSON in one pass (no dicts in between), or the service's error raised."""
        return self._replies.model_validate_json(body).result()

    @overload
    def __get__(self, obj: None, owner: type) -> "Action[Req, Rep]": ...

    @overload
    def __get__(self, obj: "Contract", owner: type) -> Callable[[Req], Awaitable[Rep]]: ...

    def __get__(self, obj: "Contract | None", owner: type) -> "Action[Req, Rep] | Callable[[Req], Awaitable[Rep]]":
        if obj is None:
            return self
        return obj.bind(self)


def command[Req: BaseModel, Rep](request: type[Req], reply: type[Rep], description: str) -> Action[Req, Rep]:
    """An action that changes state: replicas of the service run a few at a time per process."""
    return Action(request, reply, description, query=False)


def query[Req: BaseModel, Rep](request: type[Req], reply: type[Rep], description: str) -> Action[Req, Rep]:
    """An action that only reads: more run at once, so a page never waits behind a long command."""
    return Action(request, reply, description, query=True)


class Health(BaseModel):
    service: str
    node: str
    pid: int
    started_at: str


class Nothing(BaseModel):
    """A request that carries nothing at all (``health``)."""


class Contract:
    """A service's actions (class attributes); an instance, given a ``Caller``, is the service's typed client.

    Every service answers ``health`` (shared/service.py serves it for all of them).
    """

    service: ClassVar[str]
    health = query(Nothing, Health, "Liveness: answers when the service is connected and consuming")

    def __init__(self, caller: Caller, *, timeout: float | None = None) -> None:
        self._caller = caller
        self._timeout = timeout

    def bind[Req: BaseModel, Rep](self, action: Action[Req, Rep]) -> Callable[[Req], Awaitable[Rep]]:
        async def call(request: Req) -> Rep:
            if not isinstance(request, action.request):
                raise TypeError(
                    f"{self.service}.{action.name} takes {action.request.__name__}, not {type(request).__name__}"
                )
            return action.parse_reply(await self._caller.call(self.service, action, request, self._timeout))

        call.__name__ = action.name
        call.__doc__ = action.description
        call.service = self.service  # type: ignore[attr-defined]  # what the audit log names a command by
        call.action = action  # type: ignore[attr-defined]
        return call

    @classmethod
    def actions(cls) -> Iterator[Action[Any, Any]]:
        """The service's own actions (``health`` is everyone's)."""
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                if isinstance(value, Action) and value.name != "health":
                    yield value
