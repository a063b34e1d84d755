"""An in-memory database with PyMongo's async API, for the fast tier of handler tests (tests/handlers).

It wraps mongomock (MongoDB's query and update language in Python, unique
indexes included) in the ``await``/``async for`` shape the repositories use.
The integration tier runs the same code on the real store; this tier only
makes a handler's test take milliseconds instead of servers.
"""

from types import SimpleNamespace
from typing import Any

import mongomock
from pymongo import InsertOne, UpdateMany, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError


class MemoryCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def sort(self, key: Any, direction: int | None = None) -> "MemoryCursor":
        self._cursor = self._cursor.sort(key, direction) if direction is not None else self._cursor.sort(key)
        return self

    def skip(self, n: int) -> "MemoryCursor":
        self._cursor = self._cursor.skip(n)
        return self

    def limit(self, n: int) -> "MemoryCursor":
        self._cursor = self._cursor.limit(n)
        return self

    def __aiter__(self) -> "MemoryCursor":
        return self

    async def __anext__(self) -> dict:
        try:
            return next(self._cursor)
        except StopIteration:
            raise StopAsyncIteration from None

    async def to_list(self, length: int | None = None) -> list[dict]:
        return list(self._cursor)[:length] if length else list(self._cursor)


class MemoryCollection:
    """The async methods the repositories call, each doing the mongomock call at once."""

    _ASYNC = (
        "find_one",
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "count_documents",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
        "create_index",
        "drop_index",
        "index_information",
        "drop",
        "distinct",
        "estimated_document_count",
    )

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.name = collection.name

    def find(self, *args: Any, **kwargs: Any) -> MemoryCursor:
        return MemoryCursor(self._collection.find(*args, **kwargs))

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> SimpleNamespace:
        """One request at a time (mongomock's bulk API does not take this PyMongo's UpdateOne), failing as
        PyMongo's does: a duplicate key is a ``BulkWriteError`` naming each refused request's index."""
        errors, matched = [], 0
        for i, r in enumerate(requests):
            try:
                if isinstance(r, UpdateOne):
                    matched += self._collection.update_one(r._filter, r._doc, upsert=bool(r._upsert)).matched_count
                elif isinstance(r, UpdateMany):
                    matched += self._collection.update_many(r._filter, r._doc, upsert=bool(r._upsert)).matched_count
                elif isinstance(r, InsertOne):
                    self._collection.insert_one(r._doc)
                else:
                    raise TypeError(f"bulk_write: {type(r).__name__} is not supported here")
            except DuplicateKeyError as exc:
                errors.append({"index": i, "code": 11000, "errmsg": str(exc)})
                if ordered:
                    break
        if errors:
            raise BulkWriteError({"writeErrors": errors, "nInserted": 0, "nUpserted": 0})
        return SimpleNamespace(matched_count=matched)

    async def aggregate(self, pipeline: list[dict], **kwargs: Any) -> MemoryCursor:
        # PyMongo's async aggregate is a coroutine that returns the cursor.
        return MemoryCursor(iter(self._collection.aggregate(pipeline, **kwargs)))

    def __getattr__(self, name: str) -> Any:
        if name not in self._ASYNC:
            raise AttributeError(name)
        method = getattr(self._collection, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call


class MemoryDatabase:
    def __init__(self, name: str = "memory") -> None:
        self._db: Database[dict[str, Any]] = mongomock.MongoClient(tz_aware=True)[name]
        self.name = name

    def __getitem__(self, name: str) -> MemoryCollection:
        return MemoryCollection(self._db[name])

    def __getattr__(self, name: str) -> MemoryCollection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    async def list_collection_names(self) -> list[str]:
        return self._db.list_collection_names()

    async def drop_collection(self, name: str) -> None:
        self._db.drop_collection(name)
