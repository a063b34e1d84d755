"""报送, 审核 (采用/退回), 汇总 and 催办 through the HTTP API on one node, with seed 000.

中国科协 + 科技部 issue; 广东省科协 forwards (with 科技厅) to a city 科协, a city
科技局, a society and a university; the city 科协 reports to 省科协组织联络部,
the city 科技局 to 省科技厅引进智力管理处; the province compiles (汇总) what it
accepted into its own answer to the national notice.
"""

import asyncio
import json
from datetime import datetime, timedelta

from shared.clock import FixedClock

from ..fixtures import SEED000_NOW, as_unit, load_directory, seed000_forward, seed000_national
from ..harness import as_role, eventually, forward, gateway, issue, running

SUMMARY = "深圳市科协于5月30日组织开展“科技为民、奋斗有我”主题活动，走访慰问一线科技工作者120人。"


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def issue_and_forward(http):
    """The national notice and the province's 转发 of it; returns (national id, forwarded id)."""
    await load_directory(http)
    cast, gd = await as_unit(http, "cast"), await as_unit(http, "gd-kx")
    national = (await ok(await issue(cast, seed000_national()), 201))["notice_id"]
    await eventually(lambda: inbox_has(gd, national))
    forwarded = (await ok(await forward(gd, national, seed000_forward()), 201))["notice_id"]
    return national, forwarded


async def inbox_has(client, notice_id):
    return any(r["notice_id"] == notice_id for r in (await client.get("/api/inbox")).json()["items"])


FORWARDED_TO = set(seed000_forward()["recipient_unit_ids"])  # the city 科协, the city 科技局, societies…


def ask_view(completeness: dict, ask_id: str = "summary") -> dict:
    return next(a for a in completeness["asks"] if a["ask_id"] == ask_id)


async def owed(client, notice_id, ask_id="summary"):
    """The caller's unit's submission for an ask, once the submissions service has scheduled it."""
    rows = (await client.get("/api/submissions")).json()["items"]
    return next((r for r in rows if r["notice_id"] == notice_id and r["ask_id"] == ask_id), None)


async def test_submit_return_resubmit_accept_compile_and_chase(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, clock=clock), gateway(node, clock=clock) as http:
        national, forwarded = await issue_and_forward(http)
        sz = await as_role(http, "sz-kx", "submitter")
        sz_kjj = await as_role(http, "sz-kjj", "submitter")
        gd_review = await as_role(http, "gd-kx", "reviewer")
        kjt_review = await as_role(http, "gd-kjt", "reviewer")

        # What the city 科协 owes, routed as the province's 转发 says.
        entry = await eventually(lambda: owed(sz, forwarded))
        assert (entry["status"], entry["to_unit_id"], entry["department"]) == ("pending", "gd-kx", "组织联络部")
        assert entry["deadline"].startswith("2020-06-10T15:59:59")  # end of 6月10日 in Asia/Shanghai

        clock.advance(timedelta(days=5))
        first = await ok(
            await sz.post(f"/api/notices/{forwarded}/asks/summary/submission", json={"items": [{"summary": "初稿"}]}),
            201,
        )
        sid = first["id"]
        assert (first["status"], first["revision"], first["late"]) == ("submitted", 1, False)
        assert first["revisions"][0]["items"] == [{"summary": "初稿"}]
        await ok(
            await sz_kjj.post(
                f"/api/notices/{forwarded}/asks/summary/submission",
                json={"items": [{"summary": "深圳市科技创新局活动总结"}]},
            ),
            201,
        )

        # Each reviewer sees only what is routed to its unit (seed 000: 科技局 → 科技厅).
        queue = (await ok(await gd_review.get("/api/review", params={"notice_id": forwarded})))["items"]
        assert [r["unit_id"] for r in queue] == ["sz-kx"]
        assert [r["unit_id"] for r in (await ok(await kjt_review.get("/api/review")))["items"]] == ["sz-kjj"]

        # 退回 with a reason; the unit sees it and submits a second revision.
        returned = await ok(
            await gd_review.post(
                f"/api/submissions/{sid}/return", json={"revision": 1, "reason": "请补充活动规模和成效"}
            )
        )
        assert returned["status"] == "returned"
        mine = await ok(await sz.get(f"/api/submissions/{sid}"))
        assert (mine["status"], mine["return_reason"]) == ("returned", "请补充活动规模和成效")
        second = await ok(
            await sz.post(f"/api/notices/{forwarded}/asks/summary/submission", json={"items": [{"summary": SUMMARY}]}),
            201,
        )
        assert second["revision"] == 2

        # A decision on the old revision is a conflict; on the new one it is taken.
        stale = await gd_review.post(f"/api/submissions/{sid}/accept", json={"revision": 1})
        assert stale.status_code == 409 and stale.json()["detail"][0]["loc"][-1] == "revision"
        accepted = await ok(await gd_review.post(f"/api/submissions/{sid}/accept", json={"revision": 2}))
        assert accepted["status"] == "accepted"
        again = await sz.post(f"/api/notices/{forwarded}/asks/summary/submission", json={"items": [{"summary": "x"}]})
        assert again.status_code == 409

        detail = await ok(await sz.get(f"/api/submissions/{sid}"))
        assert [r["revision"] for r in detail["revisions"]] == [1, 2]
        assert detail["revisions"][1]["items"] == [{"summary": SUMMARY}]

        # The province's completeness: who owes, who submitted, who was accepted.
        gd_issuer = await as_role(http, "gd-kx", "issuer", "reviewer")

        async def province_view():
            c = (await gd_issuer.get(f"/api/notices/{forwarded}/completeness")).json()
            ask = ask_view(c)
            return ask if ask["accepted"] == 1 and ask["submitted"] == 1 else None

        ask = await eventually(province_view)
        silent = FORWARDED_TO - {"sz-kx", "sz-kjj"}
        assert (ask["owed"], ask["pending"]) == (len(FORWARDED_TO), len(silent))
        assert {u["unit_id"]: u["status"] for u in ask["units"]} == {
            "sz-kx": "accepted",
            "sz-kjj": "submitted",
            **{u: "pending" for u in silent},
        }

        # 催办 of this ask reaches those that have not submitted it; they see it on their entry.
        chased = await ok(
            await gd_issuer.post(
                f"/api/notices/{forwarded}/chase", json={"ask_id": "summary", "note": "请于6月10日前报送"}
            )
        )
        assert (chased["units"], chased["asks"]) == (len(silent), {"summary": len(silent)})
        jxxh = await as_role(http, "gd-jxxh", "submitter")

        async def reminded():
            e = await owed(jxxh, forwarded)
            return e if e.get("last_reminder") else None

        assert (await eventually(reminded))["last_reminder"]["note"] == "请于6月10日前报送"
        assert (await owed(sz, forwarded)).get("last_reminder") is None

        # 汇总 is a reviewer's job at the unit the submissions were routed to; nobody else compiles them.
        body = {"submission_ids": [sid]}
        compile_url = f"/api/notices/{forwarded}/asks/summary/compile"
        assert (
            await (await as_role(http, "gd-kx", "submitter", "issuer")).post(compile_url, json=body)
        ).status_code == 403
        assert (await (await as_role(http, "sz-kx", "reviewer")).post(compile_url, json=body)).status_code == 404
        wrong_route = await kjt_review.post(compile_url, json=body)  # a co-issuer, but sz-kx reports to gd-kx
        assert wrong_route.status_code == 422 and wrong_route.json()["detail"][0]["loc"] == [
            "body",
            "submission_ids",
            "0",
        ]
        not_accepted = await kjt_review.post(compile_url, json={"submission_ids": [f"{forwarded}:summary:sz-kjj"]})
        assert not_accepted.json()["detail"][0]["type"] == "not_accepted"

        # 汇总: the province's own summary plus the accepted city one, as its answer to the national notice.
        compiled = await ok(
            await gd_review.post(
                f"/api/notices/{forwarded}/asks/summary/compile",
                json={
                    "submission_ids": [sid],
                    "items": [{"summary": "广东省活动总结：全省共开展活动36场。"}],
                    "note": "广东省科协汇总",
                },
            ),
            201,
        )
        assert compiled["notice_id"] == national and compiled["compiled"] is True
        cast_review = await as_role(http, "cast", "reviewer")

        async def national_queue():
            rows = (await cast_review.get("/api/review", params={"notice_id": national})).json()["items"]
            return rows if rows else None

        [row] = await eventually(national_queue)
        assert (row["unit_id"], row["status"], row["compiled"]) == ("gd-kx", "submitted", True)
        report = await ok(await cast_review.get(f"/api/submissions/{row['id']}"))
        rev = report["revisions"][-1]
        assert [i["summary"] for i in rev["items"]] == ["广东省活动总结：全省共开展活动36场。", SUMMARY]
        assert [(c["unit_id"], c["revision"], c["items"]) for c in rev["contributions"]] == [("sz-kx", 2, 1)]
        assert rev["source_notice_id"] == forwarded and rev["note"] == "广东省科协汇总"
        # The city's submission records that it went into the province's report.
        assert (await ok(await sz.get(f"/api/submissions/{sid}")))["compiled_in"]["submission_id"] == row["id"]

        # Every step is in the audit log.
        actions = {e["action"] for e in await http.app.state.audit.query(limit=500)}
        assert {
            "submissions.submit",
            "submissions.return_",
            "submissions.accept",
            "submissions.compile_report",
            "submissions.chase",
        } <= actions


async def events_of(node, event_type: str) -> list[dict]:
    """Bodies of the events of one type in the node's EVENTS stream, in order."""
    import nats

    from shared import subjects

    nc = await nats.connect(node.servers.nats_url)
    try:
        js = nc.jetstream()
        stream = subjects.events_stream(node.node_id)
        last = (await js.stream_info(stream)).state.last_seq
        out = []
        for seq in range(1, last + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except Exception:  # a deleted sequence
                continue
            assert msg.data is not None
            body = json.loads(msg.data)
            if body.get("type") == event_type:
                out.append(body)
        return out
    finally:
        await nc.close()


async def test_reminders_before_the_deadline_and_when_it_passed_go_out_once(node):
    clock = FixedClock(SEED000_NOW)
    fast = {"submissions": {"schedule_tick_seconds": 0.05, "reminder_days_before": [3, 1]}}
    async with running(node, clock=clock, overrides=fast), gateway(node, clock=clock) as http:
        national, forwarded = await issue_and_forward(http)
        sz = await as_role(http, "sz-kx", "submitter")
        await eventually(lambda: owed(sz, forwarded))
        await ok(
            await sz.post(f"/api/notices/{forwarded}/asks/summary/submission", json={"items": [{"summary": SUMMARY}]}),
            201,
        )
        due = datetime.fromisoformat((await owed(sz, forwarded))["deadline"])

        async def reminders(kind):
            found = [e for e in await events_of(node, kind) if e["notice_id"] == forwarded]
            return found or None

        clock.set(due - timedelta(days=2))  # inside the 3-day window

        def summary(events):
            found = [e for e in events or [] if e["ask_id"] == "summary"]
            return found or None

        [before] = await eventually(lambda: _then(reminders("deadline.approaching"), summary))
        assert before["manual"] is False and before["ask_title"] == seed000_national()["asks"][0]["title"]
        assert set(before["pending_unit_ids"]) == FORWARDED_TO - {"sz-kx"}  # sz-kx has submitted

        clock.set(due + timedelta(hours=1))
        [missed] = await eventually(lambda: _then(reminders("deadline.missed"), summary))
        assert set(missed["pending_unit_ids"]) == FORWARDED_TO - {"sz-kx"}
        jxxh = await as_role(http, "gd-jxxh", "submitter")

        async def marked():
            e = await owed(jxxh, forwarded)
            return e if (e.get("last_reminder") or {}).get("kind") == "missed" else None

        await eventually(marked)
        # The national notice's deadline (6月20日) is not due yet: nothing sent for it.
        assert not [e for e in await events_of(node, "deadline.approaching") if e["notice_id"] == national]

    # Restarted, the schedule remembers what it sent: nothing goes out twice.
    async with running(node, clock=clock, overrides=fast):
        await asyncio.sleep(0.5)  # several ticks
    for kind in ("deadline.approaching", "deadline.missed"):
        sent = [(e["ask_id"]) for e in await events_of(node, kind) if e["notice_id"] == forwarded]
        assert sorted(sent) == sorted(set(sent)) and "summary" in sent  # one per ask, none twice


async def _then(awaitable, fn):
    return fn(await awaitable)
