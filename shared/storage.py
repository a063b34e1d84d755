"""MongoDB access: one AsyncMongoClient per process, one database per service.

Indexes are declared in code next to the repository that needs them and
created at start-up. The default store (FerretDB v1 / SQLite, patched in
deploy/ferretdb) answers equality filters on them, and a sort on an indexed
key after such a filter, by index; so does MongoDB. A query that filters on
a field no index starts with, or on ``$exists``/``None``/ranges, reads every
document of the collection on the default store: keep those off the paths a
page or an event takes.
"""

from collections.abc import Iterable
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


async def all_present(collection, ids: list[str]) -> bool:
    """Whether a document with each of these ``_id``s is there: one count by the ``_id`` index (a consumer checking
    what a command wrote already, instead of writing it all again)."""
    return await collection.count_documents({"_id": {"$in": ids}}) == len(ids)


async def insert_if_absent(collection, doc: dict) -> bool:
    try:
        await collection.insert_one(doc)
        return True
    except DuplicateKeyError:
        return False


async def upsert(collection, doc_id: str, update: dict) -> None:
    """An update that creates the document if it is missing.

    Two upserts of one new ``_id`` at once may both try the insert; the
    loser gets a duplicate key (MongoDB, and the default store across its
    connections) and is then a plain update of the document the other made.
    """
    try:
        await collection.update_one({"_id": doc_id}, update, upsert=True)
    except DuplicateKeyError:
        await collection.update_one({"_id": doc_id}, update, upsert=True)


async def migrate_once(db: AsyncDatabase, name: str, migration) -> bool:
    """Run ``migration()`` unless the database records it as done; record it afterwards.

    For data written in an older shape by a node upgraded in place. A
    migration must be idempotent: a crash before it is recorded runs it again.
    """
    if await db["migrations"].find_one({"_id": name}) is not None:
        return False
    await migration()
    await insert_if_absent(db["migrations"], {"_id": name})
    return True


def public(doc: dict) -> dict:
    """A document as the API shows it: ``id`` instead of ``_id``, no ``_``-prefixed internals."""
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"] = doc["_id"]
    return out
