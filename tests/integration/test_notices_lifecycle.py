"""The notice lifecycle through the HTTP API, with the four seed notices: issue, 签收, 转发, 更正, 撤回."""

import asyncio
from datetime import timedelta

import pytest

from shared.clock import FixedClock

from ..fixtures import (
    QH_RECIPIENTS,
    SEED000_NOW,
    SEED001_NOW,
    SEED002_NOW,
    SEED003_NATIONAL_AT,
    SEED003_NOW,
    as_unit,
    deadline,
    load_directory,
    seed000_forward,
    seed000_national,
    seed001_notice,
    seed002_notice,
    seed003_forward,
    seed003_national,
)
from ..harness import as_role, eventually, forward, gateway, issue, running


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def inbox_has(http, unit_id: str, notice_id: str):
    """The unit's inbox entry for the notice, read as that unit."""
    me = await as_unit(http, unit_id)
    rows = (await me.get("/api/inbox")).json()["items"]
    return next((r for r in rows if r["notice_id"] == notice_id), None)


async def tracking_when(http, notice_id: str, predicate):
    async def check():
        t = (await http.get(f"/api/notices/{notice_id}/tracking")).json()
        return t if predicate(t) else None

    return await eventually(check)


# ---------------------------------------------------------------- seed 000: national → province (转发) → city


async def test_seed000_issue_acknowledge_and_forward_with_routing(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, clock=clock), gateway(node) as http:
        await load_directory(http)
        cast, gd, sz = await as_unit(http, "cast"), await as_unit(http, "gd-kx"), await as_unit(http, "sz-kx")
        national = await ok(await issue(cast, seed000_national()), 201)
        assert national["doc_number"] == "科协发组字〔2020〕7号"
        nid = national["notice_id"]

        # Every recipient finds it in its inbox; the issuer's tracking lists all 7 as pending.
        entry = await eventually(lambda: inbox_has(http, "gd-kx", nid))
        assert entry["title"].startswith("中国科协 科技部") and entry["acknowledged_at"] is None
        tracking = await tracking_when(cast, nid, lambda t: t["total"] == 7)
        assert tracking["acknowledged"] == 0 and tracking["pending"] == 7

        # 签收 by the province: the issuer sees who and when.
        clock.advance(timedelta(hours=3))
        ack = await ok(await gd.post(f"/api/inbox/{nid}/acknowledge"))
        assert ack["acknowledged_at"].startswith("2020-05-06T04:00")
        tracking = await tracking_when(cast, nid, lambda t: t["acknowledged"] == 1)
        row = next(r for r in tracking["page"]["items"] if r["unit_id"] == "gd-kx")
        assert row["acknowledged_at"].startswith("2020-05-06T04:00")
        assert {r["unit_id"] for r in tracking["page"]["items"] if not r["acknowledged_at"]} == {
            "gd-kjt",
            "qh-kx",
            "sn-kx",
            "cmes",
            "thu-kx",
            "sinopec-kx",
        }

        # 转发 jointly with the 科技厅, own 文号, deadline 10 days earlier, own routing.
        fwd = await ok(await forward(gd, nid, seed000_forward()), 201)
        assert fwd["doc_number"] == "粤科协联〔2020〕9号"
        assert fwd["warnings"] == []  # 6月10日 → 6月20日 leaves 7 working days
        fid = fwd["notice_id"]

        forwarded = await ok(await gd.get(f"/api/notices/{fid}"))
        assert [i["unit_id"] for i in forwarded["issuers"]] == ["gd-kx", "gd-kjt"]
        assert forwarded["kind"] == "forwarded" and forwarded["parent_notice_id"] == nid
        assert forwarded["root_notice_id"] == nid
        assert [(c["notice_id"], c["doc_number"]) for c in forwarded["chain"]] == [(nid, "科协发组字〔2020〕7号")]
        assert forwarded["cover_note"].startswith("现将《中国科协")
        assert forwarded["body"] == seed000_national()["body"]
        assert [a["ask_id"] for a in forwarded["asks"]] == ["summary", "media"]
        for ask in forwarded["asks"]:
            assert ask["deadline"].startswith("2020-06-10T15:59:59")  # end of 6月10日 in Beijing
            assert {r["unit_kind"]: (r["to_unit_id"], r["department"]) for r in ask["routes"]}["科技厅/局"] == (
                "gd-kjt",
                "引进智力管理处",
            )

        # The original travels as an attachment: its text, downloadable by the recipients below.
        [original] = [a for a in forwarded["attachments"] if a["original_of"] == nid]
        await eventually(lambda: inbox_has(http, "sz-kx", fid))
        r = await sz.get(f"/api/notices/{fid}/attachments/{original['attachment_id']}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        text = r.content.decode("utf-8")
        assert "科协发组字〔2020〕7号" in text and "科技为民、奋斗有我" in text and "引进国外智力管理司" in text

        # The city units get it; routing sends the city 科技局 to the 科技厅's 引进智力管理处.
        await eventually(lambda: inbox_has(http, "sz-kjj", fid))
        expected = await eventually(lambda: _expected(gd, fid, 4))
        route = {e["unit_id"]: (e["to_unit_id"], e["department"]) for e in expected}
        assert route["sz-kjj"] == ("gd-kjt", "引进智力管理处")
        assert route["sz-kx"] == ("gd-kx", "组织联络部")
        assert route["gd-jxxh"] == ("gd-kx", "组织联络部")
        assert route["gd-gs-kx"] == ("gd-kx", "组织联络部")

        # The upstream notice knows it was forwarded, and by whom; so do the inbox and the issuer's tracking.
        upstream = await ok(await gd.get(f"/api/notices/{nid}"))
        assert upstream["forwards"][fid]["doc_number"] == "粤科协联〔2020〕9号"
        assert upstream["viewer"]["is_issuer"] is False and upstream["viewer"]["inbox"]["forwarded"][fid]
        tracking = await ok(await cast.get(f"/api/notices/{nid}/tracking"))
        row = next(r for r in tracking["page"]["items"] if r["unit_id"] == "gd-kx")
        assert [f["notice_id"] for f in row["forwarded"]] == [fid]

        # The province's 发文 lists the forward (for both joint issuers); the nation's the original, 1 of 7 signed.
        assert [n["id"] for n in (await ok(await gd.get("/api/notices")))["items"]] == [fid]
        assert [n["id"] for n in (await ok(await (await as_unit(http, "gd-kjt")).get("/api/notices")))["items"]] == [
            fid
        ]
        [national_row] = (await ok(await cast.get("/api/notices")))["items"]
        assert (national_row["recipients"], national_row["acknowledged"]) == (7, 1)

        # A city forwards again, one more level down: the chain has both levels.
        r = await sz.post(
            f"/api/notices/{fid}/forward",
            json={
                "unit_id": "sz-kx",
                "recipient_unit_ids": ["gd-jxxh"],
                "cover_note": "请按要求报送。",
                "deadlines": {"summary": deadline(2020, 6, 5)},
            },
        )
        third = await ok(r, 201)
        assert third["doc_number"] == "深圳市科学技术协会〔2020〕1号"
        chain = (await ok(await sz.get(f"/api/notices/{third['notice_id']}")))["chain"]
        assert [c["doc_number"] for c in chain] == ["科协发组字〔2020〕7号", "粤科协联〔2020〕9号"]


async def test_units_see_only_their_own_notices_and_act_only_for_themselves(node):
    async with running(node, ["notices", "reports"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        cast, gd, sz = await as_unit(http, "cast"), await as_unit(http, "gd-kx"), await as_unit(http, "sz-kx")
        reader = await as_role(http, "gd-kx", "reviewer")
        nid = (await ok(await issue(cast, seed000_national()), 201))["notice_id"]
        await eventually(lambda: inbox_has(http, "gd-kx", nid))

        # Not addressed to sz-kx, not issued by it: it does not exist for sz-kx, nor do its read models.
        for url in (f"/api/notices/{nid}", f"/api/notices/{nid}/tracking", f"/api/notices/{nid}/status"):
            r = await sz.get(url)
            assert r.status_code == 404, (url, r.text)
        assert (await ok(await sz.get("/api/inbox")))["items"] == []
        # A recipient sees the notice but not the issuer's tracking, and cannot correct or withdraw it.
        assert (await gd.get(f"/api/notices/{nid}/tracking")).status_code == 403
        r = await gd.post(f"/api/notices/{nid}/withdraw", json={"reason": "试试"})
        assert r.status_code == 403 and r.json()["detail"][0]["type"] == "not_issuer"
        # Acting for another unit is refused, whatever the route.
        r = await sz.post(f"/api/units/gd-kx/inbox/{nid}/acknowledge")
        assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["body", "unit_id"]
        assert (await sz.get("/api/units/gd-kx/inbox")).status_code == 403
        r = await sz.post(f"/api/notices/{nid}/forward", json=seed000_forward())
        assert r.status_code == 403
        r = await issue(gd, seed000_national())  # gd-kx does not lead cast + most
        assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["body", "issuer_unit_ids", "0"]
        # Roles: a reviewer may read its inbox but not forward; a non-admin cannot touch the directory.
        assert (await reader.get("/api/inbox")).status_code == 200
        assert (await reader.post(f"/api/notices/{nid}/forward", json=seed000_forward())).status_code == 403
        assert (await gd.delete("/api/units/sz-kx")).status_code == 403
        assert (await gd.post("/api/units/import", content=b"unit_id,name,kind\n")).status_code == 403
        # Anonymous callers get nothing.
        assert (await http.get(f"/api/notices/{nid}")).status_code == 401
        # Nothing changed: still unsigned, still issued.
        t = await ok(await cast.get(f"/api/notices/{nid}/tracking"))
        assert t["acknowledged"] == 0 and t["status"] == "issued"


async def _expected(http, notice_id, n):
    rows = (await http.get(f"/api/notices/{notice_id}/expected")).json()
    return rows if len(rows) >= n else None


async def test_forward_deadline_later_than_upstream_is_refused_naming_the_ask(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        cast, gd = await as_unit(http, "cast"), await as_unit(http, "gd-kx")
        nid = (await ok(await issue(cast, seed000_national()), 201))["notice_id"]
        await eventually(lambda: inbox_has(http, "gd-kx", nid))
        before = (await ok(await gd.get("/api/notices")))["items"]

        late = seed000_forward(summary_deadline=deadline(2020, 6, 21))
        r = await gd.post(f"/api/notices/{nid}/forward", json=late)
        assert r.status_code == 422, r.text
        [detail] = r.json()["detail"]
        assert detail["loc"] == ["body", "deadlines", "summary"]
        assert detail["type"] == "deadline_after_upstream"
        assert "活动总结" in detail["msg"] and "晚于上级" in detail["msg"]

        # Nothing stored: no forward, no 文号 used (the next forward still gets 1).
        assert (await ok(await gd.get("/api/notices")))["items"] == before
        fwd = {**seed000_forward(), "doc_number": None}
        assert (await ok(await forward(gd, nid, fwd), 201))["doc_number"] == "粤科协联〔2020〕1号"


async def test_forward_by_a_unit_that_did_not_receive_it_is_refused(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        nid = (await ok(await issue(await as_unit(http, "cast"), seed000_national()), 201))["notice_id"]
        await eventually(lambda: inbox_has(http, "gd-kx", nid))
        sz = await as_unit(http, "sz-kx")
        r = await sz.post(f"/api/notices/{nid}/forward", json={**seed000_forward(), "unit_id": "sz-kx"})
        assert r.status_code == 404
        assert r.json()["detail"][0]["loc"] == ["body", "notice_id"]


# ---------------------------------------------------------------- seed 001: joint issue at city level


async def test_seed001_joint_issue_routes_everyone_to_the_kexie_department(node):
    async with running(node, clock=FixedClock(SEED001_NOW)), gateway(node) as http:
        await load_directory(http)
        wn = await as_unit(http, "wn-kx")
        created = await ok(await issue(wn, seed001_notice()), 201)
        assert created["doc_number"] == "渭科协发〔2020〕12号"  # the seed's own, given by hand
        nid = created["notice_id"]
        notice = await ok(await wn.get(f"/api/notices/{nid}"))
        assert [i["name"] for i in notice["issuers"]] == ["渭南市科学技术协会", "渭南市科学技术局"]
        expected = await eventually(lambda: _expected(wn, nid, 5))
        assert {(e["to_unit_id"], e["department"]) for e in expected} == {("wn-kx", "学会部")}
        # Both joint issuers see it in their 发文 and may follow its 签收.
        kjj = await as_unit(http, "wn-kjj")
        assert [n["id"] for n in (await ok(await kjj.get("/api/notices")))["items"]] == [nid]
        assert (await ok(await kjj.get(f"/api/notices/{nid}/tracking")))["total"] == 5


# ---------------------------------------------------------------- seed 002: forms and limits


async def test_seed002_plan_form_with_five_modules_and_limits(node):
    async with running(node, ["notices"], clock=FixedClock(SEED002_NOW)), gateway(node) as http:
        await load_directory(http)
        office = await as_unit(http, "cast-bgt")
        created = await ok(await issue(office, seed002_notice()), 201)
        assert created["doc_number"] == "科协办函组字〔2020〕29号"
        notice = await ok(await office.get(f"/api/notices/{created['notice_id']}"))
        plan, summary = notice["asks"]
        assert (plan["min_items"], plan["max_items"]) == (1, 2)
        modules = next(f for f in plan["fields"] if f["key"] == "modules")
        assert modules["type"] == "multi_choice"
        assert modules["options"] == ["团结引领", "建家办事", "为民服务", "开放合作", "表彰发布"]
        assert next(f for f in plan["fields"] if f["key"] == "plan")["max_chars"] == 500
        assert next(f for f in plan["fields"] if f["key"] == "contact")["type"] == "contact"
        assert next(f for f in summary["fields"] if f["key"] == "summary")["max_chars"] == 3000
        assert plan["deadline"].startswith("2020-04-22T15:59:59")
        # A number given by hand does not move the sequence: allocation starts at 1 (and skips taken numbers).
        again = {**seed002_notice(), "doc_number": None}
        assert (await ok(await issue(office, again), 201))["doc_number"] == "科协办函组字〔2020〕1号"


# ---------------------------------------------------------------- seed 003: forward with extra asks and short slack


async def test_seed003_forward_adds_liaison_form_and_warns_on_short_slack(node):
    clock = FixedClock(SEED003_NATIONAL_AT)
    async with running(node, clock=clock), gateway(node) as http:
        await load_directory(http)
        office, qh = await as_unit(http, "cast-bgt"), await as_unit(http, "qh-kx")
        nid = (await ok(await issue(office, seed003_national()), 201))["notice_id"]
        await eventually(lambda: inbox_has(http, "qh-kx", nid))
        clock.set(SEED003_NOW)  # 青海省科协 收文 on 4月25日
        await ok(await qh.post(f"/api/inbox/{nid}/acknowledge"))

        fwd = await ok(await qh.post(f"/api/notices/{nid}/forward", json=seed003_forward()), 201)
        assert fwd["doc_number"] == "青科协发〔2021〕15号"
        # Departments' plans by 5月8日 (an adjusted working Saturday) for 5月10日 upstream: 1 working day left.
        [warning] = fwd["warnings"]
        assert warning["field"] == "deadlines.plan" and warning["code"] == "short_slack"
        assert warning["slack_days"] == 1
        assert "1个工作日" in warning["message"] and "少于3个工作日" in warning["message"]

        forwarded = await ok(await qh.get(f"/api/notices/{fwd['notice_id']}"))
        assert forwarded["warnings"] == [warning]
        asks = {a["ask_id"]: a for a in forwarded["asks"]}
        assert list(asks) == ["plan", "summary", "liaison", "brief-plan", "summary-kx"]
        assert asks["plan"]["unit_kinds"] == asks["summary"]["unit_kinds"] == ["机关部门"]
        assert [f["label"] for f in asks["liaison"]["fields"]] == ["姓名", "工作单位及职务", "联系电话"]
        assert asks["summary"]["deadline"].startswith("2021-06-18")

        # Who owes what: departments the plan and its summary; prefectures, universities and enterprises the
        # liaison form, a brief plan and their own summary; the provincial society nothing.
        expected = await eventually(lambda: _expected(qh, fwd["notice_id"], 4 * 2 + 4 * 3))
        owed = {}
        for e in expected:
            owed.setdefault(e["unit_id"], set()).add(e["ask_id"])
        assert owed["qh-bgs"] == {"plan", "summary"}
        assert owed["xn-kx"] == {"liaison", "brief-plan", "summary-kx"}
        assert "qh-yxh" not in owed
        assert set(owed) == set(QH_RECIPIENTS) - {"qh-yxh"}


# ---------------------------------------------------------------- 更正 / 撤回


async def test_correction_and_withdrawal_reach_recipients_and_flag_forwards(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, clock=clock), gateway(node) as http:
        await load_directory(http)
        cast, gd, cmes = await as_unit(http, "cast"), await as_unit(http, "gd-kx"), await as_unit(http, "cmes")
        nid = (await ok(await issue(cast, seed000_national()), 201))["notice_id"]
        await eventually(lambda: inbox_has(http, "gd-kx", nid))
        fid = (await ok(await forward(gd, nid, seed000_forward()), 201))["notice_id"]

        # 更正: the deadline moves earlier; recipients see the reason and the new title.
        national = seed000_national()
        asks = national["asks"]
        asks[0]["deadline"] = deadline(2020, 6, 18)
        r = await cast.post(
            f"/api/notices/{nid}/correct",
            json={"reason": "截止时间调整为6月18日", "title": national["title"] + "（更正）", "asks": asks},
        )
        corrected = await ok(r)
        assert corrected["revision"] == 2 and set(corrected["changed"]) == {"title", "asks"}

        async def corrected_in_inbox():
            e = await inbox_has(http, "cmes", nid)
            return e if e and e["status"] == "corrected" else None

        entry = await eventually(corrected_in_inbox)
        assert entry["change"]["reason"] == "截止时间调整为6月18日"
        assert entry["title"].endswith("（更正）")
        notice = await ok(await cast.get(f"/api/notices/{nid}"))
        assert notice["revision"] == 2 and notice["history"][0]["kind"] == "corrected"

        # The forward made from it is flagged for its issuer.
        f = await eventually(lambda: _flag_kind(gd, fid, "corrected"))
        assert f["upstream_change"]["notice_id"] == nid

        # A correction of the forward that moves its deadline later than upstream (now 6月18日) is refused.
        fasks = f["asks"]
        fasks[0]["deadline"] = deadline(2020, 6, 19)
        r = await gd.post(f"/api/notices/{fid}/correct", json={"reason": "延期", "asks": fasks})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "asks", "0", "deadline"]

        # 撤回: recipients see it withdrawn and can no longer acknowledge or forward it.
        await ok(await cast.post(f"/api/notices/{nid}/withdraw", json={"reason": "活动调整，另行通知"}))

        async def withdrawn_in_inbox():
            e = await inbox_has(http, "cmes", nid)
            return e if e and e["status"] == "withdrawn" else None

        entry = await eventually(withdrawn_in_inbox)
        assert entry["change"]["reason"] == "活动调整，另行通知"
        r = await cmes.post(f"/api/inbox/{nid}/acknowledge")
        assert r.status_code == 409 and r.json()["detail"][0]["type"] == "withdrawn"
        r = await gd.post(f"/api/notices/{nid}/forward", json={**seed000_forward(), "doc_number": None})
        assert r.status_code == 409
        f = await eventually(lambda: _flag_kind(gd, fid, "withdrawn"))
        assert f["upstream_change"]["reason"] == "活动调整，另行通知"
        r = await cast.post(f"/api/notices/{nid}/withdraw", json={"reason": "again"})
        assert r.status_code == 409
        r = await cast.post(f"/api/notices/{nid}/correct", json={"reason": "x", "title": "新标题"})
        assert r.status_code == 409

        status = await eventually(lambda: _status_is(cast, nid, "withdrawn"))
        assert status["change_reason"] == "活动调整，另行通知"


async def _flag_kind(http, notice_id, kind):
    f = (await http.get(f"/api/notices/{notice_id}")).json()
    return f if (f.get("upstream_change") or {}).get("kind") == kind else None


async def _status_is(http, notice_id, value):
    r = await http.get(f"/api/notices/{notice_id}/status")
    return r.json() if r.status_code == 200 and r.json()["status"] == value else None


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"reason": "", "title": "x"}, ["body", "reason"], "string_too_short"),
        ({"reason": "无变化"}, ["body", "reason"], "no_change"),
    ],
)
async def test_bad_corrections_are_refused(node, body, field, code):
    async with running(node, ["notices"], clock=FixedClock(SEED001_NOW)), gateway(node) as http:
        await load_directory(http)
        wn = await as_unit(http, "wn-kx")
        nid = (await ok(await issue(wn, seed001_notice()), 201))["notice_id"]
        r = await wn.post(f"/api/notices/{nid}/correct", json=body)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == field and r.json()["detail"][0]["type"] == code
        assert (await ok(await wn.get(f"/api/notices/{nid}")))["revision"] == 1


async def test_many_units_acknowledging_at_once_are_all_recorded(node):
    """Receipts merge into one tracking document; on FerretDB concurrent merges must not lose any."""
    from shared.contracts.notices import UpsertUnit
    from shared.schemas import UnitKind

    units = [
        UpsertUnit(unit_id=f"county-{i:02d}", name=f"第{i}县科协", kind=UnitKind.kexie, parent_id="wn-kx")
        for i in range(40)
    ]
    async with running(node, clock=FixedClock(SEED001_NOW)), gateway(node) as http:
        await load_directory(http)
        await load_directory(http, units)
        wn = await as_unit(http, "wn-kx")
        body = {**seed001_notice(), "recipient_unit_ids": [u.unit_id for u in units]}
        nid = (await ok(await issue(wn, body), 201))["notice_id"]
        await eventually(lambda: inbox_has(http, "county-39", nid))
        counties = [await as_unit(http, u.unit_id) for u in units]
        results = await asyncio.gather(*[c.post(f"/api/inbox/{nid}/acknowledge") for c in counties])
        assert [r.status_code for r in results] == [200] * 40
        tracking = await tracking_when(wn, nid, lambda t: t["acknowledged"] == 40)
        assert tracking["pending"] == 0

        async def status_complete():
            s = (await wn.get(f"/api/notices/{nid}/status")).json()
            return s if s.get("acknowledged") == 40 else None

        await eventually(status_complete)
