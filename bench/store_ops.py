"""What one store operation costs as a collection grows, on the default store (FerretDB v1 / SQLite).

Services keep "hot paths by ``_id``" (ARCHITECTURE.md), but on FerretDB v1 only
some operations by ``_id`` stay cheap as a collection grows. This measures each
kind a handler uses, on documents shaped like a stored notice (~3 KB), at a
few collection sizes; the baseline is ``insert_one``, which costs the same at
any size.

    python -m bench store_ops [--sizes 100,1000,3000] [--repeat 10]
"""

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pymongo import ASCENDING, AsyncMongoClient

from shared.processes import free_port, start_ferretdb
from shared.settings import RuntimeSettings

from ._node import machine

# Roughly the size and shape of a notice document as the notices service stores it.
DOC = {
    "doc_number": "粤科协联〔2020〕9号",
    "title": "关于开展2020年“全国科技工作者日”活动的通知",
    "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送文字信息、影像资料等。" * 18,
    "recipients": [{"unit_id": f"unit-{i}", "name": "深圳市科学技术协会", "kind": "科协", "node_id": "gd",
                    "contacts": [{"name": "王敏", "mobile": "13800000001", "email": "szkx@example.cn"}]}
                   for i in range(5)],
    "number_key": "",
    "issued_at": datetime(2020, 5, 20, tzinfo=UTC),
    "_outbox": [],
}


async def timed(repeat: int, op) -> float:
    """Mean milliseconds of ``op(i)`` over ``repeat`` calls, one at a time."""
    t = time.perf_counter()
    for i in range(repeat):
        await op(i)
    return (time.perf_counter() - t) / repeat * 1000


async def measure(url: str, sizes: list[int], repeat: int) -> list[tuple[int, dict[str, float]]]:
    client = AsyncMongoClient(url)
    coll = client["store_ops_bench"]["notices"]
    await coll.drop()
    await coll.create_index([("number_key", ASCENDING)], unique=True, name="number_key")
    rows, count, run = [], 0, 0
    try:
        for size in sizes:
            if size > count:
                await coll.insert_many([dict(DOC, _id=f"d{i}", number_key=f"k{i}") for i in range(count, size)])
                count = size
            run += 1
            existing = [f"d{i % max(count, 1)}" for i in range(repeat)] if count else []
            figures = {
                "insert_one (baseline)": await timed(repeat, lambda i: coll.insert_one(
                    dict(DOC, _id=f"n{run}-{i}", number_key=f"n{run}-{i}"))),
            }
            if existing:
                figures["find_one {_id}"] = await timed(repeat, lambda i: coll.find_one({"_id": existing[i]}))
                figures["update_one {_id} $set"] = await timed(repeat, lambda i: coll.update_one(
                    {"_id": existing[i]}, {"$set": {"_outbox": [run, i]}}))
            figures["update_one {_id} upsert, new"] = await timed(repeat, lambda i: coll.update_one(
                {"_id": f"u{run}-{i}"}, {"$set": {"x": i}}, upsert=True))
            figures["delete_one {_id}"] = await timed(repeat, lambda i: coll.delete_one({"_id": f"n{run}-{i}"}))
            # The last documents: a scan that finds the first ones early would flatter it.
            figures["find_one {number_key}"] = await timed(repeat, lambda i: coll.find_one(
                {"number_key": f"k{max(count - 1 - i, 0)}"}))
            rows.append((count, figures))
            count += repeat  # the upserts stay
    finally:
        await coll.drop()
        await client.close()
    return rows


def report(rows: list[tuple[int, dict[str, float]]]) -> None:
    ops = list(dict.fromkeys(op for _, figures in rows for op in figures))
    print("\n  mean ms per operation, one at a time, documents of ~3 KB")
    print("  " + f"{'operation':32s}" + "".join(f"{f'{size} docs':>12s}" for size, _ in rows))
    for op in ops:
        cells = "".join(f"{figures[op]:12.2f}" if op in figures else f"{'–':>12s}" for _, figures in rows)
        print(f"  {op:32s}{cells}")
    last = rows[-1][1]
    if "update_one {_id} $set" in last:
        print(f"\n  at {rows[-1][0]} documents an update by _id costs "
              f"{last['update_one {_id} $set'] / last['insert_one (baseline)']:.0f}× an insert")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench store_ops", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,3000", help="collection sizes to measure at, comma-separated")
    parser.add_argument("--repeat", type=int, default=10, help="operations of each kind per size")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    print(f"machine: {machine()}", flush=True)
    mongo_url = RuntimeSettings().mongo_url
    if mongo_url:
        print("store: MongoDB (MONGO_URL)")
        rows = asyncio.run(measure(mongo_url, sizes, args.repeat))
    else:
        print("store: FerretDB v1.24.2 / SQLite")
        workdir = Path(tempfile.mkdtemp(prefix="cascade-bench-store-"))
        port = free_port()
        proc = start_ferretdb("127.0.0.1", port, workdir / "ferretdb", workdir / "ferretdb.log")
        try:
            rows = asyncio.run(measure(f"mongodb://127.0.0.1:{port}/", sizes, args.repeat))
        finally:
            proc.stop()
            shutil.rmtree(workdir, ignore_errors=True)
    report(rows)
    return 0
