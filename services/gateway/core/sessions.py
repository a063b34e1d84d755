"""Server-side sessions: one document per login, fetched by ``_id`` on every request.

The browser holds a random token in an HttpOnly cookie; the document's ``_id``
is the token's SHA-256, so the database holds nothing that logs anyone in.
A session ends on logout, after ``session_idle_minutes`` unused, after
``session_max_hours`` in any case, and when its user's password changes.
FerretDB has no TTL indexes, so expiry is checked on read and stale documents
are swept at login.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.storage import Index

from .security import digest, new_secret

INDEXES = [
    Index("sessions", [("user_id", ASCENDING)]),
    Index("sessions", [("expires_at", ASCENDING)]),
]

# Recording "last seen" on every request would turn each page view into a write.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass
class Session:
    token: str  # the raw cookie value; never stored
    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime


@dataclass
class SessionStore:
    db: AsyncDatabase
    idle: timedelta
    max_age: timedelta

    @property
    def sessions(self):
        return self.db["sessions"]

    async def create(self, user_id: str, now: datetime) -> Session:
        token = new_secret()
        sid, expires_at = digest(token), now + self.max_age
        doc = {
            "_id": sid,
            "user_id": user_id,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": expires_at,
        }
        await self.sessions.insert_one(doc)
        return Session(token=token, id=sid, user_id=user_id, created_at=now, expires_at=expires_at)

    async def get(self, token: str, now: datetime) -> Session | None:
        sid = digest(token)
        doc = await self.sessions.find_one({"_id": sid})
        if doc is None:
            return None
        if doc["expires_at"] <= now or doc["last_seen_at"] + self.idle <= now:
            await self.sessions.delete_one({"_id": sid})
            return None
        if now - doc["last_seen_at"] >= TOUCH_EVERY:
            await self.sessions.update_one({"_id": sid}, {"$set": {"last_seen_at": now}})
        return Session(
            token=token, id=sid, user_id=doc["user_id"], created_at=doc["created_at"], expires_at=doc["expires_at"]
        )

    async def delete(self, token: str) -> None:
        await self.sessions.delete_one({"_id": digest(token)})

    async def delete_for_user(self, user_id: str, *, keep: str | None = None) -> int:
        """End every session of a user (password changed or reset), except ``keep`` (the one asking)."""
        query: dict = {"user_id": user_id}
        if keep:
            query["_id"] = {"$ne": digest(keep)}
        return (await self.sessions.delete_many(query)).deleted_count

    async def sweep(self, now: datetime) -> int:
        result = await self.sessions.delete_many(
            {"$or": [{"expires_at": {"$lte": now}}, {"last_seen_at": {"$lte": now - self.idle}}]}
        )
        return result.deleted_count
