"""What one store operation costs as a collection grows to 50,000 documents, next to plain SQLite doing the same.

The default store is FerretDB v1.24.2 / SQLite with Cascade's patches (deploy/ferretdb/README.md). On a
collection of ~3 KB notice-shaped documents (unique index on ``number_key``, index on ``(unit, issued_at)``,
20 units), at each size it times, one operation at a time, p50 and p95 of:

- ``find_one {_id}``, ``update_one {_id} $set``, ``delete_one {_id}``: ids sampled uniformly over the whole
  collection (a scan finds the first documents at once, so looking up only those would flatter it);
  deleted documents are put back afterwards, untimed;
- ``find_one {number_key}``: the unique index, keys sampled the same way;
- ``find {unit} sort issued_at -1 limit 50``: a page of a non-unique index, as a list page reads it;
- ``count_documents {unit}``;
- ``insert_one (baseline)``: the one operation whose cost never depended on the collection's size
  (the inserted documents are removed afterwards, untimed);
- ``update_one {_id} $inc, 8 at once``: 8 clients updating at the same time (p95 of each update's latency),
  and how many of them failed (FerretDB as released lost updates and, at 50,000 documents, failed some with
  SQLITE_BUSY).

Raw baseline: the same work done by Python's ``sqlite3`` on a SQLite file of the same shape, one JSON text
column per document with expression indexes on ``->>`` of the same fields, WAL and the same synchronous
setting: the floor of a store that keeps JSON documents in SQLite, without the wire protocol, BSON and
FerretDB's own encoding. (The same operations against FerretDB as released, the "before", are run with
``--store unpatched``, which builds it with ``deploy/ferretdb/build.sh --unpatched`` once.)

    python -m bench store_ops [--sizes 1000,5000,20000,50000] [--repeat 200] [--store patched|unpatched]
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient

from cascade.processes import REPO_ROOT, free_port, start_ferretdb
from shared.settings import RuntimeSettings

from ._node import machine, percentile

UNITS = 20
ISSUED = datetime(2020, 5, 20, tzinfo=UTC)

# Roughly the size and shape of a notice document as the notices service stores it.
DOC = {
    "doc_number": "粤科协联〔2020〕9号",
    "title": "关于开展2020年“全国科技工作者日”活动的通知",
    "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送文字信息、影像资料等。" * 18,
    "recipients": [
        {
            "unit_id": f"unit-{i}",
            "name": "深圳市科学技术协会",
            "kind": "科协",
            "node_id": "gd",
            "contacts": [{"name": "王敏", "mobile": "13800000001", "email": "szkx@example.cn"}],
        }
        for i in range(5)
    ],
    "_outbox": [],
}

OPS = [
    "find_one {_id}",
    "update_one {_id} $set",
    "delete_one {_id}",
    "find_one {number_key}",
    "find {unit} sort issued_at -1 limit 50",
    "count_documents {unit}",
    "insert_one (baseline)",
    "update_one {_id} $inc, 8 at once",
]


def doc(i: int, prefix: str = "d") -> dict:
    # issued_at spread so that a unit's newest documents are anywhere in the collection
    return dict(
        DOC,
        _id=f"{prefix}{i}",
        number_key=f"{prefix}k{i}",
        unit=f"unit-{i % UNITS}",
        issued_at=ISSUED + timedelta(minutes=(i * 7919) % 1_000_003),
        n=0,
    )


def sample(count: int, repeat: int, rng: random.Random) -> list[int]:
    """``repeat`` positions drawn uniformly from the whole collection (without repeats when it is big enough)."""
    return rng.sample(range(count), repeat) if repeat <= count else [rng.randrange(count) for _ in range(repeat)]


async def timed(calls) -> list[float]:
    """Milliseconds of each awaitable factory in ``calls``, one at a time."""
    out = []
    for call in calls:
        t = time.perf_counter()
        await call()
        out.append((time.perf_counter() - t) * 1000)
    return out


class Store:
    """The store under test, through PyMongo."""

    def __init__(self, url: str) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
        self.coll = self.client["store_ops_bench"]["notices"]

    async def setup(self) -> None:
        await self.coll.drop()
        await self.coll.create_index([("number_key", ASCENDING)], unique=True, name="number_key")
        await self.coll.create_index([("unit", ASCENDING), ("issued_at", DESCENDING)], name="unit_issued_at")

    async def grow(self, start: int, stop: int) -> None:
        for lo in range(start, stop, 1000):
            await self.coll.insert_many([doc(i) for i in range(lo, min(lo + 1000, stop))], ordered=False)

    async def measure(self, count: int, run: int, repeat: int, rng: random.Random) -> tuple[dict, int]:
        c = self.coll
        ids = sample(count, repeat, rng)
        units = [rng.randrange(UNITS) for _ in range(repeat)]
        res = {
            "find_one {_id}": await timed(lambda i=i: c.find_one({"_id": f"d{i}"}) for i in ids),
            "update_one {_id} $set": await timed(
                lambda i=i: c.update_one({"_id": f"d{i}"}, {"$set": {"_outbox": [run, i]}}) for i in ids
            ),
            "find_one {number_key}": await timed(
                lambda i=i: c.find_one({"number_key": f"dk{i}"}) for i in sample(count, repeat, rng)
            ),
            "find {unit} sort issued_at -1 limit 50": await timed(
                lambda u=u: c.find({"unit": f"unit-{u}"}).sort("issued_at", DESCENDING).limit(50).to_list()
                for u in units
            ),
            "count_documents {unit}": await timed(lambda u=u: c.count_documents({"unit": f"unit-{u}"}) for u in units),
            "insert_one (baseline)": await timed(lambda i=i: c.insert_one(doc(i, f"x{run}-")) for i in range(repeat)),
        }
        await c.delete_many({"_id": {"$in": [f"x{run}-{i}" for i in range(repeat)]}})
        gone = sample(count, repeat, rng) if repeat <= count else list(range(count))
        res["delete_one {_id}"] = await timed(lambda i=i: c.delete_one({"_id": f"d{i}"}) for i in gone)
        await c.insert_many([doc(i) for i in gone], ordered=False)

        failed = 0
        lat: list[float] = []

        async def client(k: int) -> None:
            nonlocal failed
            for i in sample(count, max(repeat // 8, 1), random.Random(k + run * 100)):
                t = time.perf_counter()
                try:
                    await c.update_one({"_id": f"d{i}"}, {"$inc": {"n": 1}})
                except Exception:
                    failed += 1
                lat.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(client(k) for k in range(8)))
        res["update_one {_id} $inc, 8 at once"] = lat
        return res, failed

    async def close(self) -> None:
        await self.coll.drop()
        await self.client.close()


class RawSQLite:
    """The same work with Python's sqlite3 on a table of JSON documents with expression indexes."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=wal")
        # What the default store runs with (deploy/ferretdb/main.go); FerretDB as released left it at FULL.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE notices (doc TEXT NOT NULL) STRICT")
        self.db.execute("CREATE UNIQUE INDEX notices_id ON notices (doc->>'$._id')")
        self.db.execute("CREATE UNIQUE INDEX notices_number_key ON notices (doc->>'$.number_key')")
        self.db.execute("CREATE INDEX notices_unit_issued ON notices (doc->>'$.unit', doc->>'$.issued_at' DESC)")

    @staticmethod
    def encode(d: dict) -> str:
        return json.dumps(dict(d, issued_at=int(d["issued_at"].timestamp() * 1000)), ensure_ascii=False)

    def grow(self, start: int, stop: int) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO notices VALUES (?)", ((self.encode(doc(i)),) for i in range(start, stop)))
        self.db.execute("COMMIT")

    def timed(self, calls) -> list[float]:
        out = []
        for call in calls:
            t = time.perf_counter()
            call()
            out.append((time.perf_counter() - t) * 1000)
        return out

    def find(self, where: str, *args) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT doc FROM notices WHERE " + where, args)]

    def measure(self, count: int, run: int, repeat: int, rng: random.Random) -> dict:
        db = self.db
        ids = sample(count, repeat, rng)
        units = [rng.randrange(UNITS) for _ in range(repeat)]
        res = {
            "find_one {_id}": self.timed(lambda i=i: self.find("doc->>'$._id' = ?", f"d{i}") for i in ids),
            "update_one {_id} $set": self.timed(
                lambda i=i: db.execute(
                    "UPDATE notices SET doc = json_set(doc, '$._outbox', json(?)) WHERE doc->>'$._id' = ?",
                    (json.dumps([run, i]), f"d{i}"),
                )
                for i in ids
            ),
            "find_one {number_key}": self.timed(
                lambda i=i: self.find("doc->>'$.number_key' = ?", f"dk{i}") for i in sample(count, repeat, rng)
            ),
            "find {unit} sort issued_at -1 limit 50": self.timed(
                lambda u=u: self.find("doc->>'$.unit' = ? ORDER BY doc->>'$.issued_at' DESC LIMIT 50", f"unit-{u}")
                for u in units
            ),
            "count_documents {unit}": self.timed(
                lambda u=u: db.execute(
                    "SELECT COUNT(*) FROM notices WHERE doc->>'$.unit' = ?", (f"unit-{u}",)
                ).fetchone()
                for u in units
            ),
            "insert_one (baseline)": self.timed(
                lambda i=i: db.execute("INSERT INTO notices VALUES (?)", (self.encode(doc(i, f"x{run}-")),))
                for i in range(repeat)
            ),
        }
        db.execute("DELETE FROM notices WHERE doc->>'$._id' LIKE ?", (f"x{run}-%",))
        gone = sample(count, repeat, rng) if repeat <= count else list(range(count))
        res["delete_one {_id}"] = self.timed(
            lambda i=i: db.execute("DELETE FROM notices WHERE doc->>'$._id' = ?", (f"d{i}",)) for i in gone
        )
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO notices VALUES (?)", ((self.encode(doc(i)),) for i in gone))
        db.execute("COMMIT")
        return res

    def close(self) -> None:
        self.db.close()


async def run(url: str, raw: RawSQLite | None, sizes: list[int], repeat: int) -> list[tuple[int, dict, dict, int]]:
    store = Store(url)
    await store.setup()
    rows, count = [], 0
    try:
        for n, size in enumerate(sizes, 1):
            if size > count:
                t = time.perf_counter()
                await store.grow(count, size)
                if raw:
                    raw.grow(count, size)
                print(f"  {size:,} documents ({time.perf_counter() - t:.0f} s to load)", flush=True)
                count = size
            figures, failed = await store.measure(count, n, repeat, random.Random(n))
            baseline = raw.measure(count, n, repeat, random.Random(n)) if raw else {}
            rows.append((count, figures, baseline, failed))
    finally:
        await store.close()
    return rows


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.2f}" if values else "–"


def report(rows, store: str) -> None:
    print(f"\n  ms per operation ({store} | raw SQLite), p50 and p95, one at a time, documents of ~3 KB")
    for count, figures, baseline, failed in rows:
        print(f"\n  {count:,} documents")
        print(f"  {'operation':42s}{'p50':>9s}{'p95':>9s}  |{'raw p50':>9s}{'raw p95':>9s}{'p95/raw':>10s}")
        for op in OPS:
            f, b = figures.get(op, []), baseline.get(op, [])
            ratio = "–"
            if f and b:
                r = percentile(f, 95) / percentile(b, 95)
                ratio = f"{r:,.0f}×" if r >= 100 else f"{r:.1f}×"
            print(f"  {op:42s}{ms(f, 50):>9s}{ms(f, 95):>9s}  |{ms(b, 50):>9s}{ms(b, 95):>9s}{ratio:>10s}")
        print(f"  concurrent updates that failed: {failed}")
    count, figures, _, failed = rows[-1]
    floors = {"find_one {_id}": 10, "update_one {_id} $set": 10, "delete_one {_id}": 10, "find_one {number_key}": 20}
    missed = [
        f"{op} p95 {percentile(figures[op], 95):.1f} ms > {limit} ms"
        for op, limit in floors.items()
        if percentile(figures[op], 95) > limit
    ]
    print(
        f"\n  at {count:,} documents, targets (p95: by _id ≤ 10 ms, by a declared index ≤ 20 ms, no failed "
        f"concurrent update): {'met' if not missed and not failed else 'missed: ' + '; '.join(missed)}"
    )


def unpatched_binary() -> str:
    path = REPO_ROOT / "bin" / "ferretdb-unpatched"
    if not path.exists():
        print("building FerretDB as released (deploy/ferretdb/build.sh --unpatched) …", flush=True)
        subprocess.run([str(REPO_ROOT / "deploy" / "ferretdb" / "build.sh"), "--unpatched", str(path)], check=True)
    return str(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench store_ops", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000,50000", help="collection sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=200, help="operations of each kind per size")
    parser.add_argument(
        "--store",
        choices=["patched", "unpatched"],
        default="patched",
        help="FerretDB with Cascade's patches (bin/ferretdb, the default store) or as released",
    )
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",")})

    print(f"machine: {machine()}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="cascade-bench-store-"))
    raw = RawSQLite(workdir / "raw.sqlite")
    try:
        mongo_url = RuntimeSettings().mongo_url
        if mongo_url:
            store = "MongoDB (MONGO_URL)"
            print(f"store: {store}")
            rows = asyncio.run(run(mongo_url, raw, sizes, args.repeat))
        else:
            if args.store == "unpatched":
                os.environ["CASCADE_FERRETDB_BIN"] = unpatched_binary()
                store = "FerretDB v1.24.2 as released"
            else:
                store = "FerretDB v1.24.2 + Cascade patches"
            print(f"store: {store} / SQLite", flush=True)
            port = free_port()
            proc = start_ferretdb("127.0.0.1", port, workdir / "ferretdb", workdir / "ferretdb.log")
            try:
                rows = asyncio.run(run(f"mongodb://127.0.0.1:{port}/", raw, sizes, args.repeat))
            finally:
                proc.stop()
    finally:
        raw.close()
        shutil.rmtree(workdir, ignore_errors=True)
    report(rows, store)
    return 0
