"""API tokens for other systems: scoped to one unit and one or more roles, revocable.

A token reads ``cas_<token id>_<secret>``. The document (``_id`` = token id)
keeps the secret's SHA-256, so the token is shown once, when it is created,
and a copy of the database cannot be used to call the API. A request with a
token is one lookup by ``_id`` and a constant-time comparison.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import Clock
from shared.contracts.common import Actor
from shared.errors import Invalid, NotFound
from shared.ids import new_id
from shared.paging import PageQuery, Segment, read_page
from shared.schemas import Role
from shared.storage import Index

from .audit import AuditLog
from .node_unit import NodeUnit
from .security import digest, new_secret, same
from .users import Policy, check_roles, check_unit

# The admin's list of tokens, newest first (``_id`` is a ULID), optionally of one unit.
INDEXES = [
    Index("tokens", [("unit_id", ASCENDING), ("_id", DESCENDING)]),
]

PREFIX = "cas_"
ID_LENGTH = 26  # a ULID
NAME_MAX = 60
# Writing "last used" on every call would make each API request a write.
TOUCH_EVERY = timedelta(minutes=1)


def token_actor(doc: dict) -> Actor:
    """Who a token acts as: the token itself, within its unit and roles."""
    return Actor(
        user_id=f"token:{doc['_id']}",
        display_name=doc["name"],
        unit_id=doc["unit_id"],
        roles=[Role(r) for r in doc["roles"]],
    )


def split(raw: str) -> tuple[str, str] | None:
    if not raw.startswith(PREFIX) or len(raw) < len(PREFIX) + ID_LENGTH + 2:
        return None
    token_id, sep, secret = raw[len(PREFIX) :].partition("_")
    if len(token_id) != ID_LENGTH or not sep or not secret:
        return None
    return token_id, secret


def public_token(doc: dict) -> dict:
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "unit_id": doc["unit_id"],
        "roles": list(doc["roles"]),
        "created_at": doc["created_at"],
        "created_by": doc["created_by"],
        "expires_at": doc.get("expires_at"),
        "last_used_at": doc.get("last_used_at"),
        "revoked_at": doc.get("revoked_at"),
        "revoked_by": doc.get("revoked_by"),
    }


@dataclass
class TokenStore:
    db: AsyncDatabase

    @property
    def tokens(self):
        return self.db["tokens"]

    async def create(
        self,
        *,
        name: str,
        unit_id: str,
        roles: list[str],
        created_by: str,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> tuple[dict, str]:
        """A new token; returns its document and the token itself (the only time it is seen)."""
        name = " ".join(name.split())
        check_unit(unit_id)
        if not name or len(name) > NAME_MAX:
            raise Invalid(f"令牌名称须为 1–{NAME_MAX} 个字符", field="name")
        if expires_at is not None and expires_at <= now:
            raise Invalid("到期时间须在将来", field="expires_at")
        token_id, secret = new_id(), new_secret()
        doc = {
            "_id": token_id,
            "name": name,
            "unit_id": unit_id,
            "roles": [r.value for r in check_roles(roles)],
            "secret_sha256": digest(secret),
            "created_at": now,
            "created_by": created_by,
            "expires_at": expires_at,
            "last_used_at": None,
            "revoked_at": None,
            "revoked_by": None,
        }
        await self.tokens.insert_one(doc)
        return doc, f"{PREFIX}{token_id}_{secret}"

    async def verify(self, raw: str, now: datetime) -> dict | None:
        """The token's document if the token is genuine, unrevoked and unexpired."""
        parts = split(raw)
        if parts is None:
            return None
        doc = await self.tokens.find_one({"_id": parts[0]})
        if doc is None or not same(doc["secret_sha256"], digest(parts[1])):
            return None
        if doc.get("revoked_at") or (doc.get("expires_at") and doc["expires_at"] <= now):
            return None
        if doc.get("last_used_at") is None or now - doc["last_used_at"] >= TOUCH_EVERY:
            await self.tokens.update_one({"_id": doc["_id"]}, {"$set": {"last_used_at": now}})
        return doc

    async def revoke(self, token_id: str, *, by: str, now: datetime) -> dict:
        doc = await self.tokens.find_one({"_id": token_id})
        if doc is None:
            raise NotFound("令牌不存在", field="token_id")
        if doc.get("revoked_at"):
            return doc
        await self.tokens.update_one(
            {"_id": token_id, "revoked_at": None}, {"$set": {"revoked_at": now, "revoked_by": by}}
        )
        return {**doc, "revoked_at": now, "revoked_by": by}

    async def get(self, token_id: str) -> dict | None:
        return await self.tokens.find_one({"_id": token_id})

    async def all(self) -> list[dict]:
        return [d async for d in self.tokens.find({}).sort([("_id", DESCENDING)])]

    async def page(
        self, pq: PageQuery, *, search: str | None = None, unit_id: str | None = None
    ) -> tuple[list[dict], bool, int | None]:
        """A page of the tokens, newest first; ``search`` is part of a token's name. Revoked ones stay listed
        (who had access, until when), so the list grows: it is read a page at a time."""
        query: dict = {"unit_id": unit_id} if unit_id else {}
        if search and search.strip():
            query["name"] = {"$regex": re.escape(search.strip()), "$options": "i"}
        return await read_page(self.tokens, [Segment(query, [("_id", DESCENDING)], count=True)], pq)


class ApiTokens:
    """What admins do with tokens (create, revoke, list); each change goes to the audit log."""

    def __init__(
        self, store: TokenStore, *, audit: AuditLog, clock: Clock, policy: Policy, node_unit: NodeUnit | None = None
    ) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.policy = policy
        self.node_unit = node_unit or NodeUnit(store.db, policy.admin_unit)

    async def create(
        self, by: Actor, *, name: str, unit_id: str, roles: list[str], expires_at: datetime | None = None
    ) -> tuple[dict, str]:
        self.policy.check_admin_unit(check_unit(unit_id), check_roles(roles), await self.node_unit.get())
        doc, raw = await self.store.create(
            name=name, unit_id=unit_id, roles=roles, created_by=by.user_id, now=self.clock.now(), expires_at=expires_at
        )
        await self.audit.append(
            "token.created",
            by=by,
            target=doc["_id"],
            details={"name": doc["name"], "unit_id": unit_id, "roles": doc["roles"]},
        )
        return doc, raw

    async def revoke(self, by: Actor, token_id: str) -> dict:
        before = await self.store.get(token_id)
        doc = await self.store.revoke(token_id, by=by.user_id, now=self.clock.now())
        if before is not None and not before.get("revoked_at"):
            await self.audit.append("token.revoked", by=by, target=token_id, details={"name": doc["name"]})
        return doc

    async def page(
        self, pq: PageQuery, *, search: str | None = None, unit_id: str | None = None
    ) -> tuple[list[dict], bool, int | None]:
        return await self.store.page(pq, search=search, unit_id=unit_id)

    async def list(self) -> list[dict]:
        """Every one at once: for checks over all of them (tests, the command line); pages use ``page``."""
        return await self.store.all()
