"""办理情况统计: per unit a province addressed, how it signed for and answered the province's notices of a year."""

import csv
import io
from datetime import timedelta

from shared.clock import FixedClock

from ..fixtures import SEED000_NOW, deadline, load_directory, seed000_notice
from ..harness import as_role, eventually, gateway, issue, running

UNITS = ["sz-kx", "sz-kjj", "gd-jxxh", "scut-kx"]


def with_deadline() -> dict:
    notice = seed000_notice(UNITS)
    notice["asks"][0]["deadline"] = deadline(2020, 6, 10)
    return notice


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def owes(client, notice_id) -> bool:
    return any(r["notice_id"] == notice_id for r in (await client.get("/api/submissions")).json()["items"])


def stats_when(client, year: int, check):
    async def probe():
        stats = (await client.get("/api/statistics", params={"year": year})).json()
        rows = {r["unit_id"]: r for r in stats.get("units", [])}
        return (stats, rows) if check(stats, rows) else None

    return probe


async def test_signing_and_answering_are_counted_per_unit_for_the_year(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, clock=clock), gateway(node, clock=clock) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer", "reviewer")
        sz, jxxh = await as_role(http, "sz-kx", "submitter"), await as_role(http, "gd-jxxh", "submitter")
        a = (await ok(await issue(issuer, with_deadline()), 201))["notice_id"]
        b = (await ok(await issue(issuer, {**seed000_notice(["sz-kx", "gd-jxxh"]), "asks": []}), 201))["notice_id"]
        gone = (await ok(await issue(issuer, {**seed000_notice(["sz-kx"]), "asks": []}), 201))["notice_id"]
        await ok(await issuer.post(f"/api/notices/{gone}/withdraw", json={"reason": "重复发文"}))

        clock.advance(timedelta(hours=3))
        for client, nid in ((sz, a), (sz, b), (jxxh, a)):
            await ok(await client.post(f"/api/inbox/{nid}/acknowledge"))
        clock.advance(timedelta(days=1))
        await eventually(lambda: owes(sz, a))
        sid = (
            await ok(
                await sz.post(
                    f"/api/notices/{a}/asks/summary/submission", json={"items": [{"text": "深圳市活动总结"}]}
                ),
                201,
            )
        )["id"]
        await ok(await issuer.post(f"/api/submissions/{sid}/accept", json={"revision": 1}))
        clock.set(SEED000_NOW + timedelta(days=40))  # after 6月10日
        await eventually(lambda: owes(jxxh, a))
        await ok(
            await jxxh.post(
                f"/api/notices/{a}/asks/summary/submission", json={"items": [{"text": "学会活动总结（补报）"}]}
            ),
            201,
        )

        def settled(stats, rows):
            return (
                stats["notices"] == 2
                and rows.get("sz-kx", {}).get("accepted") == 1
                and rows.get("gd-jxxh", {}).get("late") == 1
                and rows["sz-kx"]["acknowledged"] == 2
            )

        _stats, rows = await eventually(stats_when(issuer, 2020, settled))
        sz_row, jx_row = rows["sz-kx"], rows["gd-jxxh"]
        assert (sz_row["notices"], sz_row["acknowledged"], sz_row["ack_rate"], sz_row["avg_ack_hours"]) == (
            2,
            2,
            1.0,
            3.0,
        )
        assert (sz_row["owed"], sz_row["submitted"], sz_row["on_time"], sz_row["late"], sz_row["on_time_rate"]) == (
            1,
            1,
            1,
            0,
            1.0,
        )
        assert (jx_row["notices"], jx_row["acknowledged"], jx_row["on_time"], jx_row["late"], jx_row["pending"]) == (
            2,
            1,
            0,
            1,
            0,
        )
        assert jx_row["on_time_rate"] == 0.0 and jx_row["accepted"] == 0
        for silent in ("scut-kx", "sz-kjj"):  # addressed once, never signed, owe the summary still
            assert (rows[silent]["notices"], rows[silent]["acknowledged"], rows[silent]["pending"]) == (1, 0, 1)
            assert rows[silent]["avg_ack_hours"] is None

        # Another year has none of them; the CSV says the same as the JSON, for Excel.
        assert (await ok(await issuer.get("/api/statistics", params={"year": 2021}))) == {
            "unit_id": "gd-kx",
            "year": 2020 + 1,
            "notices": 0,
            "units": [],
            "page": 1,
            "per_page": 50,
            "has_more": False,
            "total": 0,
        }
        r = await issuer.get("/api/statistics.csv", params={"year": 2020})
        assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
        header, *table = list(csv.reader(io.StringIO(r.content.decode()[1:])))
        assert header[:5] == ["单位", "类别", "收文", "已签收", "签收率"]
        by_name = {row[0]: dict(zip(header, row, strict=True)) for row in table}
        assert by_name["深圳市科学技术协会"]["签收率"] == "100%" and by_name["华南理工大学科协"]["签收率"] == "0%"
        assert by_name["广东省机械工程学会"]["逾期"] == "1"

        # The page, for the issuer's own unit only; the year is checked.
        page = await issuer.get("/statistics", params={"year": 2020}, headers={"Accept": "text/html"})
        assert page.status_code == 200 and 'id="statistics"' in page.text and "深圳市科技创新局" in page.text
        submitter = await as_role(http, "gd-kx", "submitter")
        assert (await submitter.get("/api/statistics")).status_code == 403
        r = await issuer.get("/api/statistics", params={"year": 1999})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "year"
        other = await as_role(http, "sz-kx", "issuer")  # its own unit issued nothing
        assert (await ok(await other.get("/api/statistics", params={"year": 2020})))["units"] == []
