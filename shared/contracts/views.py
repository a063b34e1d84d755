"""The base of every reply model: a view of stored data, showing what it declares.

Requests are ``Wire`` models (unknown fields are an error: a caller's typo
must not pass silently). Replies are built from stored documents that carry
internals (outbox entries, sort keys, counters), so a reply model keeps the
fields it declares and drops the rest.
"""

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Done(View):
    """A command that has nothing to show but that it was done."""

    ok: bool = True
