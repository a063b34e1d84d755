"""The default store answers by index and updates atomically (deploy/ferretdb/patches, issue 10).

Each patch to FerretDB v1.24.2 has its tests here, against the store the suite runs (the session's FerretDB,
or the MongoDB that MONGO_URL names: the semantics and atomicity tests must pass on both; the query plans
are FerretDB's and are skipped there):

- 0001 index expressions, rebuilt on open: a data dir laid out by the unpatched FerretDB still works;
- 0002 filter pushdown: ``_id`` and indexed equalities use their index (EXPLAIN), and results are MongoDB's
  for arrays, mixed types, missing fields, ``$in``, dotted paths, ObjectId against its hex string;
- 0003 sort pushdown: a sort + limit on an index reads only the first documents, in MongoDB's order, and a sort
  the index can't order (embedded documents) is still right;
- 0004 atomic read-modify-write: concurrent ``$set``, ``$inc``, upserts and deletes lose nothing; a unique index
  violated by an update is a ``DuplicateKeyError``;
- 0005 counting: ``count_documents`` on an indexed equality is answered by index and is exact;
- 0006, 0007 and 0009 reading and writing documents (plain strings taken and written as they are, one pass over a
  document, schemas kept):
  documents of every BSON type, with escapes in keys and values, come back exactly, one at a time and in pages
  where many share a schema and others differ;
- 0010 reads before writes: a stream of single-document updates lets the write-ahead log start again;
- 0008 (statement logs only at debug level) and modernc-libc 0001 (memcmp a block at a time) change CPU time only:
  their tests are Go's (deploy/ferretdb/README.md), and every test here runs on them;
- modernc-sqlite 0001 statements kept per connection: the same queries and updates, repeated across index
  changes and a dropped and re-made collection, answer as they would prepared afresh.
"""

import asyncio
import json
import secrets
import shutil
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import Int64, ObjectId
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, UpdateOne
from pymongo.errors import DuplicateKeyError

from cascade.processes import free_port, start_ferretdb


@pytest.fixture
async def client(servers):
    c = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    yield c
    await c.close()


@pytest.fixture
async def db(client):
    name = "store_" + secrets.token_hex(4)
    yield client[name]
    await client.drop_database(name)


async def is_ferretdb(client) -> bool:
    return "ferretdbVersion" in await client.admin.command("buildInfo")


async def explain(db, coll: str, filter: dict, sort: dict | None = None, limit: int = 0) -> dict:
    cmd: dict[str, Any] = {"find": coll, "filter": filter}
    if sort:
        cmd["sort"] = sort
    if limit:
        cmd["limit"] = limit
    return await db.command("explain", cmd)


def plan(res: dict) -> str:
    return " | ".join(res["queryPlanner"]["Plan"])


@pytest.fixture
async def ferretdb_only(client):
    if not await is_ferretdb(client):
        pytest.skip("query plans are FerretDB's (SQLite)")


# --- 0002: equality pushdown answers by index ---------------------------------------------------------------


async def test_id_and_indexed_equalities_use_their_index(db, ferretdb_only):
    coll = db["c"]
    await coll.create_index([("k", ASCENDING)], unique=True)
    await coll.create_index([("a", ASCENDING), ("b", DESCENDING)])
    await coll.create_index([("meta.kind", ASCENDING)])
    await coll.insert_many(
        [{"_id": f"d{i}", "k": f"k{i}", "a": i % 50, "b": i, "meta": {"kind": f"m{i % 7}"}} for i in range(3000)]
    )
    oid = ObjectId()
    await coll.insert_one({"_id": oid, "k": "oid"})

    for filter, index in [
        ({"_id": "d2999"}, "__id_"),
        ({"_id": oid}, "__id_"),
        ({"_id": "d2999", "a": 49}, "__id_"),  # _id with other keys: still by _id
        ({"k": "k2998"}, "_k_1"),
        ({"k": {"$eq": "k2998"}}, "_k_1"),
        ({"k": {"$in": ["k1", "k2"]}}, "_k_1"),
        ({"a": 7}, "_a_1_b_-1"),
        ({"meta.kind": "m3"}, "_meta.kind_1"),
        ({"$and": [{"k": "k5"}, {"b": {"$gt": 1}}]}, "_k_1"),
    ]:
        res = await explain(db, "c", filter)
        assert res["filterPushdown"] is True, filter
        assert "SEARCH" in plan(res) and index in plan(res), (filter, plan(res))

    # Not pushed down (and answered right): ranges, regular expressions, null.
    for filter in ({"b": {"$gt": 2990}}, {"k": {"$regex": "^k299"}}, {"k": None}):
        res = await explain(db, "c", filter)
        assert res["filterPushdown"] is False, filter

    assert (await coll.find_one({"_id": "d2999"}))["k"] == "k2999"
    assert (await coll.find_one({"_id": oid}))["k"] == "oid"
    assert (await coll.find_one({"k": "k2998"}))["_id"] == "d2998"
    assert len(await coll.find({"meta.kind": "m3"}).to_list()) == len([i for i in range(3000) if i % 7 == 3])
    assert sorted(d["_id"] for d in await coll.find({"b": {"$gt": 2997}}).to_list()) == ["d2998", "d2999"]


async def test_updates_and_deletes_by_id_leave_the_other_documents(db):
    coll = db["c"]
    oid = ObjectId()
    docs = [
        {"_id": "x", "v": 1},
        {"_id": oid, "v": 2},
        {"_id": str(oid), "v": 3},
        {"_id": 1, "v": 4},
        {"_id": 1.5, "v": 5},
        {"_id": True, "v": 6},
        {"_id": {"a": 1}, "v": 7},
        {"_id": Int64(2**60), "v": 8},
    ]
    await coll.insert_many(docs)

    # the number 1 and True, an ObjectId and its hex string are different _ids
    for _id in (oid, str(oid), 1, True, 1.5, {"a": 1}, Int64(2**60), "x"):
        res = await coll.update_one({"_id": _id}, {"$inc": {"v": 100}})
        assert (res.matched_count, res.modified_count) == (1, 1), _id
    assert sorted(d["v"] for d in await coll.find().to_list()) == [101, 102, 103, 104, 105, 106, 107, 108]
    assert (await coll.find_one({"_id": 1.0}))["v"] == 104  # 1.0 == 1, as in MongoDB

    assert (await coll.delete_one({"_id": str(oid)})).deleted_count == 1
    assert (await coll.delete_one({"_id": True})).deleted_count == 1
    assert (await coll.delete_many({"_id": {"$in": [1, {"a": 1}, "nope"]}})).deleted_count == 2
    assert sorted(str(d["_id"]) for d in await coll.find().to_list()) == sorted([str(oid), "1.5", str(2**60), "x"])
    assert await coll.find_one({"_id": oid}) is not None


# --- 0002: equality means what it means in MongoDB ----------------------------------------------------------


async def test_equality_on_an_indexed_field_matches_like_mongodb(db):
    coll = db["c"]
    await coll.create_index([("v", ASCENDING)])
    oid = ObjectId()
    when = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    values = {
        "int": 1,
        "long": Int64(1),
        "double": 1.0,
        "str1": "1",
        "true": True,
        "false": False,
        "zero": 0,
        "null": None,
        "oid": oid,
        "oidhex": str(oid),
        "date": when,
        "ms": int(when.timestamp() * 1000),
        "frac": 0.1,
        "big": Int64(2**60),
        "bigd": float(2**60),
        "doc": {"x": 1},
        "str": "abc",
    }
    await coll.insert_many([{"_id": name, "v": v} for name, v in values.items()] + [{"_id": "missing"}])

    async def ids(filter):
        return sorted(d["_id"] for d in await coll.find(filter).to_list())

    assert await ids({"v": 1}) == ["double", "int", "long"]
    assert await ids({"v": 1.0}) == ["double", "int", "long"]
    assert await ids({"v": {"$eq": Int64(1)}}) == ["double", "int", "long"]
    assert await ids({"v": "1"}) == ["str1"]
    assert await ids({"v": True}) == ["true"]
    assert await ids({"v": False}) == ["false"]
    assert await ids({"v": 0}) == ["zero"]
    assert await ids({"v": oid}) == ["oid"]
    assert await ids({"v": str(oid)}) == ["oidhex"]
    assert await ids({"v": when}) == ["date"]
    assert await ids({"v": int(when.timestamp() * 1000)}) == ["ms"]
    assert await ids({"v": 0.1}) == ["frac"]
    assert await ids({"v": Int64(2**60)}) == ["big", "bigd"]
    assert await ids({"v": None}) == ["missing", "null"]
    assert await ids({"v": {"x": 1}}) == ["doc"]
    assert await ids({"v": {"$in": [1, "1"]}}) == ["double", "int", "long", "str1"]
    assert await ids({"v": {"$in": ["abc", "zzz"]}}) == ["str"]
    assert await ids({"v": {"$in": [True, oid]}}) == ["oid", "true"]
    assert await coll.count_documents({"v": 1}) == 3
    assert await coll.count_documents({"v": "abc"}) == 1


async def test_a_field_that_becomes_an_array_is_still_matched(db):
    coll = db["c"]
    await coll.create_index([("tags", ASCENDING)])
    await coll.create_index([("r.unit", ASCENDING)])
    await coll.insert_many([{"_id": i, "tags": f"t{i % 3}", "r": {"unit": f"u{i % 3}"}} for i in range(30)])
    assert len(await coll.find({"tags": "t1"}).to_list()) == 10

    # later: an array at the indexed path, then at a prefix of a dotted one
    await coll.update_one({"_id": 0}, {"$set": {"tags": ["t1", "t2"]}})
    await coll.insert_one({"_id": 100, "tags": ["t2", "t1"], "r": [{"unit": "u9"}, {"unit": "u1"}]})
    await coll.update_one({"_id": 3}, {"$set": {"r": [{"unit": "u1"}]}})

    assert sorted(d["_id"] for d in await coll.find({"tags": "t1"}).to_list()) == [0, *range(1, 30, 3), 100]
    assert sorted(d["_id"] for d in await coll.find({"tags": {"$in": ["t2"]}}).to_list()) == [0, *range(2, 30, 3), 100]
    assert sorted(d["_id"] for d in await coll.find({"r.unit": "u1"}).to_list()) == sorted([*range(1, 30, 3), 3, 100])
    assert sorted(d["_id"] for d in await coll.find({"r.unit": "u9"}).to_list()) == [100]
    assert await coll.count_documents({"tags": "t1"}) == 12
    # and sorting on it is right (MongoDB sorts an array by its smallest element ascending)
    first = await coll.find({}).sort([("tags", ASCENDING), ("_id", ASCENDING)]).limit(3).to_list()
    assert [d["_id"] for d in first] == [3, 6, 9]  # "t0"; documents 0 and 100 now start at "t1"


async def test_fields_not_indexed_and_paths_not_pushed_down_match_too(db):
    coll = db["c"]
    await coll.insert_many(
        [
            {"_id": 1, "a": {"b": 1}, "arr": [5, 6]},
            {"_id": 2, "a": [{"b": 1}, {"b": 2}], "arr": 5},
            {"_id": 3, "a": {"b": "1"}, "arr": [7]},
            {"_id": 4, "a": [7, 8]},
        ]
    )
    assert sorted(d["_id"] for d in await coll.find({"a.b": 1}).to_list()) == [1, 2]
    assert sorted(d["_id"] for d in await coll.find({"arr": 5}).to_list()) == [1, 2]
    assert sorted(d["_id"] for d in await coll.find({"a.0": 7}).to_list()) == [4]
    assert sorted(d["_id"] for d in await coll.find({"a.1.b": 2}).to_list()) == [2]
    assert await coll.count_documents({"a.b": 1}) == 2


# --- 0003: sort + limit by index ----------------------------------------------------------------------------


async def test_sort_and_limit_read_the_index_in_order(db, ferretdb_only):
    coll = db["c"]
    await coll.create_index([("a", ASCENDING), ("at", DESCENDING)])
    await coll.create_index([("at", DESCENDING)])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    await coll.insert_many(
        [
            {"_id": f"d{i:05}", "a": f"u{i % 20}", "at": start + timedelta(minutes=(i * 7919) % 4000)}
            for i in range(4000)
        ]
    )

    res = await explain(db, "c", {"a": "u3"}, sort={"at": -1}, limit=50)
    assert res["sortPushdown"] is True
    assert "_a_1_at_-1" in plan(res) and "TEMP B-TREE" not in plan(res), plan(res)
    res = await explain(db, "c", {}, sort={"at": -1}, limit=50)
    assert res["sortPushdown"] is True and "TEMP B-TREE" not in plan(res), plan(res)

    docs = await coll.find({"a": "u3"}).sort("at", DESCENDING).limit(50).to_list()
    everything = await coll.find({"a": "u3"}).to_list()  # no sort: every document, checked in Python
    expected = sorted(everything, key=lambda d: d["at"], reverse=True)[:50]
    assert [d["at"] for d in docs] == [d["at"] for d in expected]
    # ties broken by _id, skip and limit
    docs = await coll.find({"a": "u3"}).sort([("at", DESCENDING), ("_id", ASCENDING)]).skip(10).limit(20).to_list()
    expected = sorted(everything, key=lambda d: d["_id"])
    expected = sorted(expected, key=lambda d: d["at"], reverse=True)[10:30]
    assert [d["_id"] for d in docs] == [d["_id"] for d in expected]
    # find_one_and_update takes the first document in the sort order
    first = await coll.find_one_and_update({"a": "u3"}, {"$set": {"seen": True}}, sort=[("at", ASCENDING)])
    assert first["at"] == min(d["at"] for d in everything)


async def test_sort_is_mongodb_order_across_types(db):
    coll = db["c"]
    await coll.create_index([("v", ASCENDING)])
    oid = ObjectId()
    when = datetime(2026, 5, 1, tzinfo=UTC)
    values = [
        ("null", None),
        ("n-2", -2),
        ("n1", 1),
        ("n1.5", 1.5),
        ("n10", Int64(10)),
        ("s-", "-"),
        ("sB", "B"),
        ("sa", "a"),
        ("s中", "中"),
        ("oid", oid),
        ("false", False),
        ("true", True),
        ("date", when),
    ]
    await coll.insert_many([{"_id": name, "v": v} for name, v in values] + [{"_id": "missing"}])
    order = ["missing", "null", "n-2", "n1", "n1.5", "n10", "s-", "sB", "sa", "s中", "oid", "false", "true", "date"]

    up = [d["_id"] for d in await coll.find().sort([("v", ASCENDING), ("_id", ASCENDING)]).limit(20).to_list()]
    assert up[2:] == order[2:] and set(up[:2]) == {"missing", "null"}  # null and missing sort as equal
    down = [d["_id"] for d in await coll.find().sort("v", DESCENDING).limit(20).to_list()]
    assert down[:-2] == order[::-1][:-2]
    some = [d["_id"] for d in await coll.find().sort("v", ASCENDING).skip(3).limit(4).to_list()]
    assert some == order[3:7]


async def test_a_sort_the_index_cannot_order_is_still_right(db):
    coll = db["c"]
    await coll.create_index([("v", ASCENDING)])
    # embedded documents compare field by field in MongoDB, not as JSON text
    await coll.insert_many(
        [
            {"_id": 1, "v": {"b": 1}},
            {"_id": 2, "v": {"a": 2}},
            {"_id": 3, "v": {"a": 10}},
            {"_id": 4, "v": "s"},
            {"_id": 5, "v": {"a": 2, "b": 0}},
        ]
    )
    docs = await coll.find().sort("v", ASCENDING).limit(5).to_list()
    assert [d["_id"] for d in docs] == [4, 2, 5, 3, 1]
    docs = await coll.find().sort("v", DESCENDING).limit(2).to_list()
    assert [d["_id"] for d in docs] == [1, 3]
    # a double that SQLite might not read back exactly is not sorted by it
    await coll.insert_many([{"_id": 10, "w": 0.30000000000000004}, {"_id": 11, "w": 0.3}, {"_id": 12, "w": 0.1}])
    await coll.create_index([("w", ASCENDING)])
    docs = await coll.find({"w": {"$exists": True}}).sort("w", ASCENDING).limit(3).to_list()
    assert [d["_id"] for d in docs] == [12, 11, 10]


# --- 0004: atomic single-document updates -------------------------------------------------------------------


async def test_concurrent_sets_of_different_fields_are_all_kept(db):
    coll = db["c"]
    await coll.insert_one({"_id": "doc"})
    await asyncio.gather(*(coll.update_one({"_id": "doc"}, {"$set": {f"f{i}": i}}) for i in range(30)))
    doc = await coll.find_one({"_id": "doc"})
    assert {k: v for k, v in doc.items() if k != "_id"} == {f"f{i}": i for i in range(30)}


async def test_concurrent_increments_all_count(client, db):
    coll = db["c"]
    await coll.insert_one({"_id": "ctr", "n": 0})

    async def worker():
        for _ in range(100):
            await coll.update_one({"_id": "ctr"}, {"$inc": {"n": 1}})

    await asyncio.gather(*(worker() for _ in range(8)))
    assert (await coll.find_one({"_id": "ctr"}))["n"] == 800


async def test_concurrent_upserts_of_one_new_id_make_one_document_with_every_increment(db):
    coll = db["c"]
    await asyncio.gather(*(coll.update_one({"_id": "new"}, {"$inc": {"n": 1}}, upsert=True) for _ in range(20)))
    assert await coll.find({"_id": "new"}).to_list() == [{"_id": "new", "n": 20}]


async def test_concurrent_find_one_and_update_hand_out_each_value_once(db):
    coll = db["c"]
    await coll.insert_one({"_id": "seq", "n": 0})
    got = await asyncio.gather(
        *(coll.find_one_and_update({"_id": "seq"}, {"$inc": {"n": 1}}, return_document=True) for _ in range(25))
    )
    assert sorted(d["n"] for d in got) == list(range(1, 26))


async def test_concurrent_delete_one_deletes_different_documents(db):
    coll = db["c"]
    await coll.insert_many([{"_id": i, "kind": "job"} for i in range(10)])
    results = await asyncio.gather(*(coll.delete_one({"kind": "job"}) for _ in range(12)))
    assert sorted(r.deleted_count for r in results) == [0, 0] + [1] * 10
    assert await coll.count_documents({}) == 0


async def test_concurrent_updates_in_many_collections_of_one_database_all_succeed(db):
    await asyncio.gather(*(db[f"c{i}"].create_index([("k", ASCENDING)]) for i in range(4)))
    await asyncio.gather(*(db[f"c{i}"].insert_many([{"_id": j, "k": j, "n": 0} for j in range(50)]) for i in range(4)))

    async def worker(i, w):
        for j in range(25):
            await db[f"c{i}"].update_one({"_id": (w * 7 + j) % 50}, {"$inc": {"n": 1}})

    await asyncio.gather(*(worker(i, w) for i in range(4) for w in range(6)))
    for i in range(4):
        docs = await db[f"c{i}"].find().to_list()
        assert sum(d["n"] for d in docs) == 150


async def test_a_unique_index_violated_by_an_update_is_a_duplicate_key_error(db):
    coll = db["c"]
    await coll.create_index([("k", ASCENDING)], unique=True)
    await coll.insert_many([{"_id": 1, "k": "a"}, {"_id": 2, "k": "b"}])

    with pytest.raises(DuplicateKeyError) as exc:
        await coll.update_one({"_id": 2}, {"$set": {"k": "a"}})
    assert exc.value.code == 11000
    with pytest.raises(DuplicateKeyError):
        await coll.find_one_and_update({"_id": 2}, {"$set": {"k": "a"}})
    with pytest.raises(DuplicateKeyError):
        await coll.replace_one({"_id": 2}, {"k": "a"})
    with pytest.raises(DuplicateKeyError):
        await coll.find_one_and_replace({"_id": 2}, {"k": "a"})
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": 3}, {"$set": {"k": "a"}}, upsert=True)
    assert await coll.find().sort("_id").to_list() == [{"_id": 1, "k": "a"}, {"_id": 2, "k": "b"}]
    # different types are different keys, equal numbers one key, null and missing one key, as in MongoDB
    await coll.insert_many([{"_id": 4, "k": 1}, {"_id": 5, "k": "1"}, {"_id": 6, "k": True}, {"_id": 7}])
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": 8, "k": 1.0})
    with pytest.raises(DuplicateKeyError):
        await coll.insert_one({"_id": 8, "k": None})
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": 1}, {"$unset": {"k": ""}})


# --- 0005: counting -----------------------------------------------------------------------------------------


async def test_count_documents_is_exact(db):
    coll = db["c"]
    await coll.create_index([("a", ASCENDING)])
    await coll.insert_many([{"_id": i, "a": f"u{i % 4}", "n": i % 3} for i in range(200)])
    assert await coll.count_documents({"a": "u1"}) == 50
    assert await coll.count_documents({"a": "u1", "n": 0}) == len([i for i in range(200) if i % 4 == 1 and i % 3 == 0])
    assert await coll.count_documents({"a": {"$in": ["u1", "u2"]}}) == 100
    assert await coll.count_documents({"a": "none"}) == 0
    assert await coll.count_documents({}) == 200
    assert await coll.count_documents({"a": "u1"}, skip=45) == 5
    assert await coll.count_documents({"a": "u1"}, limit=7) == 7
    assert await coll.estimated_document_count() == 200


# --- 0001: indexes laid out by the unpatched FerretDB are rebuilt on open ----------------------------------


def sjson(doc: dict) -> str:
    """A flat document of strings and ints as FerretDB v1.24.2 stores it (internal/handler/sjson)."""
    types = {str: "string", int: "int"}
    schema = {"p": {k: {"t": types[type(v)]} for k, v in doc.items()}, "$k": list(doc)}
    return json.dumps({"$s": schema, **doc}, ensure_ascii=False, separators=(",", ":"))


def unpatched_data_dir(path, docs: list[dict]) -> None:
    """What the unpatched FerretDB v1.24.2 writes for database ``old``, collection ``c``, a unique index on ``k``
    (backends/sqlite/metadata/registry.go: the same statements)."""
    path.mkdir(parents=True)
    con = sqlite3.connect(path / "old.sqlite")
    con.execute("PRAGMA journal_mode=wal")
    con.execute(
        "CREATE TABLE \"_ferretdb_collections\" (name TEXT NOT NULL UNIQUE CHECK(name != ''), "
        "table_name TEXT NOT NULL UNIQUE CHECK(table_name != ''), "
        "settings TEXT NOT NULL CHECK(settings != '')) STRICT"
    )
    con.execute("CREATE TABLE \"c_e60c2c52\" (_ferretdb_sjson TEXT NOT NULL CHECK(_ferretdb_sjson != '')) STRICT")
    con.execute('CREATE UNIQUE INDEX "c_e60c2c52__id_" ON "c_e60c2c52" (_ferretdb_sjson->"_id")')
    con.execute('CREATE UNIQUE INDEX "c_e60c2c52_k_1" ON "c_e60c2c52" (_ferretdb_sjson->"k")')
    settings = {
        "uuid": str(uuid.uuid4()),
        "indexes": [
            {"name": "_id_", "key": [{"field": "_id", "descending": False}], "unique": True},
            {"name": "k_1", "key": [{"field": "k", "descending": False}], "unique": True},
        ],
        "cappedSize": 0,
        "cappedDocuments": 0,
    }
    con.execute("INSERT INTO \"_ferretdb_collections\" VALUES ('c', 'c_e60c2c52', ?)", (json.dumps(settings),))
    con.executemany('INSERT INTO "c_e60c2c52" VALUES (?)', [(sjson(d),) for d in docs])
    con.commit()
    con.close()


def every_type(i: int) -> dict:
    """A document of every type the services store, with what a decoder could trip on."""
    return {
        "_id": f"doc-{i:04d}",
        "n": i,
        "big": Int64(2**53 + i),
        "neg": -i,
        "ratio": i / 7,
        "zero": -0.0,
        "flag": i % 2 == 0,
        "none": None,
        "at": datetime(2026, 12, 7, 4, 8, 9, (i % 1000) * 1000, tzinfo=UTC),
        "oid": ObjectId(f"{i:024x}"),
        "bin": b"\x00\xff" * (i % 3),
        "text": f'关于开展2020年“全国科技工作者日”活动的通知 {i} "quoted" tab\t newline\n </script> 😀',
        "plain": "广东省科学技术协会",
        "items": [1, "two", 3.5, None, True, {"in": [i, {"k": [i]}]}, {"k": "v"}, datetime(2020, 5, 30, tzinfo=UTC)][
            : i % 9
        ],
        "nested": {"a<b>&c": i, 'quote"key': "x", "back\\slash": [], "名称": {"深": {"层": i}}, "empty": {}},
    }


async def test_documents_of_every_type_come_back_exactly(db):
    docs = [every_type(i) for i in range(200)]
    await db.docs.insert_many(docs)
    for i in (0, 1, 7, 99, 199):
        assert await db.docs.find_one({"_id": f"doc-{i:04d}"}) == docs[i]
    assert [d async for d in db.docs.find().sort("_id", ASCENDING)] == docs  # 200 read at once, schemas kept
    await db.docs.update_one({"_id": "doc-0003"}, {"$set": {"nested.名称.深.层": "changed", "items": []}})
    changed = await db.docs.find_one({"_id": "doc-0003"})
    assert changed["nested"]["名称"] == {"深": {"层": "changed"}} and changed["items"] == []
    assert {k: v for k, v in changed.items() if k not in ("nested", "items")} == {
        k: v for k, v in docs[3].items() if k not in ("nested", "items")
    }


async def test_statements_repeated_across_schema_changes_answer_afresh(db):
    """The store keeps each prepared statement for the next use of its SQL (patches/modernc-sqlite): a kept
    statement must see indexes made and dropped, a collection dropped and made again, and new values each time."""
    coll = db["kept"]

    async def rounds(tag: str) -> None:
        for i in range(30):
            await coll.update_one({"_id": f"d{i}"}, {"$set": {"v": f"{tag}{i}", "n": i}}, upsert=True)
        for i in range(0, 30, 7):
            doc = await coll.find_one({"_id": f"d{i}"})
            assert doc is not None and doc["v"] == f"{tag}{i}"
            assert await coll.count_documents({"v": f"{tag}{i}"}) == 1
            assert [d["_id"] async for d in coll.find({"n": {"$gte": 27}}).sort("n", ASCENDING)] == [
                "d27",
                "d28",
                "d29",
            ]

    await rounds("a")
    await coll.create_index([("v", ASCENDING)])
    await rounds("b")
    await coll.drop_index("v_1")
    await rounds("c")
    await coll.drop()
    assert await coll.find_one({"_id": "d1"}) is None
    await coll.create_index([("n", ASCENDING)], unique=True)
    await rounds("d")
    with pytest.raises(DuplicateKeyError):
        await coll.update_one({"_id": "d1"}, {"$set": {"n": 2}})
    assert (await coll.find_one({"_id": "d1"}))["n"] == 1  # type: ignore[index]


async def test_a_data_dir_of_the_unpatched_store_is_migrated_on_open(tmp_path):
    data = tmp_path / "ferretdb"
    unpatched_data_dir(data, [{"_id": f"d{i}", "k": f"k{i}", "n": i} for i in range(500)])
    port = free_port()
    proc = start_ferretdb("127.0.0.1", port, data, tmp_path / "ferretdb.log")
    try:
        client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/")
        db = client["old"]
        try:
            assert (await db["c"].find_one({"_id": "d499"}))["n"] == 499
            assert (await db["c"].find_one({"k": "k250"}))["_id"] == "d250"
            assert "_k_1" in plan(await explain(db, "c", {"k": "k250"}))
            assert "__id_" in plan(await explain(db, "c", {"_id": "d1"}))
            with pytest.raises(DuplicateKeyError):
                await db["c"].insert_one({"_id": "new", "k": "k3"})
            with pytest.raises(DuplicateKeyError):
                await db["c"].update_one({"_id": "d4"}, {"$set": {"k": "k3"}})
            await db["c"].update_one({"_id": "d4"}, {"$inc": {"n": 1}})
            assert (await db["c"].find_one({"_id": "d4"}))["n"] == 5
            assert await db["c"].count_documents({}) == 500
        finally:
            await client.close()
    finally:
        proc.stop()
        shutil.rmtree(data, ignore_errors=True)


async def test_a_stream_of_single_document_updates_lets_the_write_ahead_log_start_again(client, db, servers):
    """0010: an update statement and findAndModify read their documents and close their query before writing. An
    open query held SQLite's write-ahead log: the checkpoint in the committing write could not finish, the log
    never started again and grew (~2.5 MB per 200 updates here, every commit checkpointing it anew)."""
    if not await is_ferretdb(client):
        pytest.skip("the write-ahead log is FerretDB's (SQLite's)")
    await db["c"].create_index("row")
    await db["c"].insert_many([{"_id": f"d{i:05d}", "row": f"r{i % 300}", "n": 0} for i in range(15_000)])
    ids = [f"d{i:05d}" for i in range(0, 15_000, 5)]
    for start in range(0, len(ids), 200):  # 3,000 statements, each its own transaction
        await db["c"].bulk_write([UpdateOne({"_id": i}, {"$inc": {"n": 1}}) for i in ids[start : start + 200]])
    for i in ids[:1500]:
        await db["c"].find_one_and_update({"_id": i}, {"$inc": {"n": 1}})
    log = servers.workdir / "ferretdb" / f"{db.name}.sqlite-wal"
    assert log.stat().st_size < 10 * 1024 * 1024, f"the log grew to {log.stat().st_size / 1e6:.1f} MB"
    assert await db["c"].count_documents({"n": 2}) == 1500 and await db["c"].count_documents({"n": 1}) == 1500
