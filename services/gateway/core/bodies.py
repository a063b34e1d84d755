"""Request bodies of the JSON API: a service's command without the fields the gateway fills in itself.

The body is the command of the service's contract (shared/contracts) minus the ``actor`` the gateway
authenticated and the ids taken from the path, so the OpenAPI document shows exactly what a client may send.

A body is a model made at run time, which a type checker cannot follow; a route module declares its bodies as
their commands to it::

    if TYPE_CHECKING:  # to the type checker a body is its command
        IssueBody = IssueNotice
    else:
        IssueBody = body_of(IssueNotice)
"""

from typing import Any

from pydantic import BaseModel, Field, create_model

from shared.contracts.common import Actor


def body_of(command: type[BaseModel], *exclude: str) -> type[BaseModel]:
    """The command as a request body: same fields and rules, minus those the gateway fills in.

    ``actor`` stays accepted (and ignored) so that a body naming another actor
    is refused for what it asks, not for its shape.
    """
    fields: dict[str, Any] = {
        name: (info.annotation, info) for name, info in command.model_fields.items() if name not in exclude
    }
    fields["actor"] = (dict | None, Field(default=None, description="ignored: the gateway acts as the caller"))
    return create_model(f"{command.__name__}Body", __config__=command.model_config, **fields)


def as_command[C: BaseModel](command: type[C], body: BaseModel, actor: Actor, **extra: Any) -> C:
    """The command a body asks for, as ``actor`` (with ``extra``: the ids from the path)."""
    return command(**body.model_dump(exclude={"actor"}), **extra, actor=actor)
