"""MongoDB access: one AsyncMongoClient per process, one database per service.

Indexes are declared in code next to the repository that needs them and
created at start-up. On the default store (FerretDB v1 / SQLite) every query
is a scan whatever the indexes, so hot paths look documents up by ``_id``;
the indexes still matter on a real MongoDB.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from .settings import ServiceSettings

DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class Index:
    collection: str
    keys: list[tuple[str, int]]
    unique: bool = False
    name: str = field(default="")

    def index_name(self) -> str:
        return self.name or "_".join(f"{k}_{d}" for k, d in self.keys)


def connect(settings: ServiceSettings) -> AsyncMongoClient:
    # tz_aware: every datetime read back is aware UTC, like the ones we write.
    return AsyncMongoClient(settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)


def database(client: AsyncMongoClient, settings: ServiceSettings) -> AsyncDatabase:
    return client[settings.database]


async def ensure_indexes(db: AsyncDatabase, indexes: Iterable[Index]) -> None:
    for ix in indexes:
        await db[ix.collection].create_index(ix.keys, unique=ix.unique, name=ix.index_name())


async def insert_many_idempotent(collection, docs: list[dict]) -> int:
    """Insert documents with deterministic ``_id``s, skipping those already there.

    Redelivered events produce the same ``_id``s, so a replay inserts nothing.
    Returns how many were new.
    """
    if not docs:
        return 0
    try:
        result = await collection.insert_many(docs, ordered=False)
        return len(result.inserted_ids)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return exc.details.get("nInserted", len(docs) - len(errors))


async def insert_if_absent(collection, doc: dict) -> bool:
    try:
        await collection.insert_one(doc)
        return True
    except DuplicateKeyError:
        return False


def public(doc: dict) -> dict:
    """A document as the API shows it: ``id`` instead of ``_id``, no ``_``-prefixed internals."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"] = doc["_id"]
    return out


class DocumentLocks:
    """Serialise updates to one document within this process.

    FerretDB v1 applies an update as read-modify-write without isolation:
    concurrent ``$set``s of different fields of one document lose all but
    some of them (measured: of 30 at once, 4–10 kept). A pull consumer
    handles a fetched batch concurrently, and two consumers of one service
    may touch the same read model, so updates that merge into a shared
    document (receipts into a notice's tracking, parts into a copy) take the
    document's lock. Replicas in several processes need MongoDB, whose
    updates are atomic per document.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]
