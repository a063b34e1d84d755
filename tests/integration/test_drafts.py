"""拟稿 → 签发, and 会签 of joint notices, on real servers: the API, the pages, and the refusals (4xx naming the
field, in Chinese, changing nothing).

The world: seed 000's province (广东省科协 + 广东省科技厅 and their subordinates); 广东省科协 requires 签发.
"""

import contextlib
import re
from dataclasses import dataclass

import httpx

from shared.contracts.notices import UpsertUnit

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_user, eventually, gateway, login, running

HTML = {"Accept": "text/html"}


@dataclass
class Office:
    http: httpx.AsyncClient
    drafter: httpx.AsyncClient  # gd-kx, issuer (拟稿)
    signer: httpx.AsyncClient  # gd-kx, 签发人
    kjt_drafter: httpx.AsyncClient  # gd-kjt, issuer
    kjt_signer: httpx.AsyncClient  # gd-kjt, 签发人 (会签 of joint notices)
    sz_signer: httpx.AsyncClient  # sz-kx, 签发人 of another unit


@contextlib.asynccontextmanager
async def office(node):
    async with running(node, ["notices"]), gateway(node, org_unit_id="gd-kx") as http:
        admin = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            body = unit.model_dump(mode="json") | ({"requires_signing": True} if unit.unit_id == "gd-kx" else {})
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=body)).status_code == 200
        yield Office(
            http,
            drafter=await as_role(http, "gd-kx", "issuer"),
            signer=await as_role(http, "gd-kx", "signer"),
            kjt_drafter=await as_role(http, "gd-kjt", "issuer"),
            kjt_signer=await as_role(http, "gd-kjt", "signer"),
            sz_signer=await as_role(http, "sz-kx", "signer"),
        )


def alone(recipients: list[str] | None = None) -> dict:
    return {**seed000_notice(recipients), "issuer_unit_ids": ["gd-kx"]}


def refusal(r: httpx.Response, status: int, *loc: str) -> str:
    """The refusal's message, after checking its status and the field it names."""
    assert r.status_code == status, (r.status_code, r.text)
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", *loc], detail
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail["msg"]), detail  # said in Chinese
    return detail["msg"]


async def test_a_unit_that_requires_signing_drafts_and_its_signer_issues(node):
    async with office(node) as o:
        r = await o.drafter.post("/api/notices", json=alone())
        assert "签发" in refusal(r, 409, "issuer_unit_ids", "0")
        assert (await o.drafter.get("/api/notices")).json()["items"] == []

        r = await o.drafter.post("/api/drafts", json={"notice": alone(["sz-kx"])})
        assert r.status_code == 201, r.text
        draft = r.json()
        assert (draft["status"], draft["doc_number"], draft["viewer"]["can_edit"]) == ("draft", "", True)
        r = await o.drafter.put(f"/api/drafts/{draft['id']}", json={"notice": alone(), "version": 1})
        assert r.status_code == 200 and r.json()["version"] == 2
        assert r.json()["preview"]["recipient_count"] == 4
        stale = await o.drafter.put(f"/api/drafts/{draft['id']}", json={"notice": alone(), "version": 1})
        refusal(stale, 409, "version")

        r = await o.drafter.post(f"/api/drafts/{draft['id']}/submit")
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
        pending = (await o.signer.get("/api/drafts?box=pending")).json()
        assert [(d["id"], d["lead"]) for d in pending["items"]] == [(draft["id"], True)] and pending["total"] == 1

        # The signer's home page lists it under 待签发.
        await create_user(o.http, "zhuren", "gd-kx", "signer", display_name="张主任")
        browser = await login(o.http, "zhuren")
        home = await browser.get("/", headers=HTML)
        assert 'id="to-sign"' in home.text and f'data-draft="{draft["id"]}"' in home.text

        r = await browser.post(
            f"/drafts/{draft['id']}/approve", data={"comment": "同意", "csrf_token": browser.csrf}, headers=HTML
        )
        assert r.status_code == 303 and r.headers["location"].endswith("saved=signed"), r.text
        done = (await o.drafter.get(f"/api/drafts/{draft['id']}")).json()
        assert done["status"] == "issued" and done["doc_number"].startswith("粤科协联〔")
        assert done["signed_by"] == "张主任" and done["notice_id"] == draft["id"]
        notice = (await o.drafter.get(f"/api/notices/{done['notice_id']}")).json()
        assert notice["doc_number"] == done["doc_number"] and notice["signed_by"] == "张主任"
        assert notice["signed_on"] == done["signed_on"] and notice["signatures"][0]["comment"] == "同意"
        page = await browser.get(f"/notices/{done['notice_id']}", headers=HTML)
        assert 'id="signing"' in page.text and "签发人：张主任" in page.text
        assert (await o.signer.get("/api/drafts?box=pending")).json()["items"] == []


async def test_a_joint_notice_needs_the_co_issuers_cosign_and_one_refusal_returns_it(node):
    async with office(node) as o:
        joint = seed000_notice()
        r = await o.drafter.post("/api/notices", json=joint)
        assert "会签" in refusal(r, 409, "issuer_unit_ids", "1")

        draft = (await o.drafter.post("/api/drafts", json={"notice": joint})).json()
        assert (await o.drafter.post(f"/api/drafts/{draft['id']}/submit")).status_code == 200
        assert (await o.signer.post(f"/api/drafts/{draft['id']}/approve", json={"comment": "同意"})).status_code == 200
        co = (await o.kjt_signer.get("/api/drafts?box=pending")).json()["items"]
        assert [(d["id"], d["lead"], d["unit_name"]) for d in co] == [(draft["id"], False, "广东省科学技术协会")]

        back = await o.kjt_signer.post(f"/api/drafts/{draft['id']}/reject", json={"reason": "请补充科技局报送渠道"})
        assert back.status_code == 200 and back.json()["status"] == "returned", back.text
        mine = (await o.drafter.get(f"/api/drafts/{draft['id']}")).json()
        assert mine["returned"]["comment"] == "请补充科技局报送渠道" and mine["viewer"]["can_edit"]
        assert [s["status"] for s in mine["signatures"]] == ["signed", "refused"]
        page = await (await _person(o.http, "baiyu", "gd-kx", "issuer")).get(f"/drafts/{draft['id']}", headers=HTML)
        assert 'id="returned"' in page.text and "请补充科技局报送渠道" in page.text

        assert (await o.drafter.post(f"/api/drafts/{draft['id']}/submit")).status_code == 200
        for signer in (o.kjt_signer, o.signer):
            r = await signer.post(f"/api/drafts/{draft['id']}/approve", json={})
            assert r.status_code == 200, r.text
        assert r.json()["status"] == "issued"
        notice = (await o.drafter.get(f"/api/notices/{draft['id']}")).json()
        assert [(s["unit_id"], s["lead"]) for s in notice["signatures"]] == [("gd-kx", True), ("gd-kjt", False)]
        decided = (await o.kjt_signer.get("/api/drafts?box=decided")).json()["items"]
        assert [d["status"] for d in decided] == ["signed", "refused"]  # newest first: this round, then the first


async def test_bad_inputs_are_refused_naming_the_field_and_change_nothing(node):
    async with office(node) as o:
        r = await o.drafter.post(
            "/api/drafts", json={"notice": {**seed000_notice(), "issuer_unit_ids": ["gd-kx", "nobody"]}}
        )
        refusal(r, 422, "notice", "issuer_unit_ids", "1")
        refusal(await o.drafter.post("/api/drafts", json={}), 422, "notice")
        assert (await o.drafter.get("/api/drafts")).json()["items"] == []

        draft = (await o.drafter.post("/api/drafts", json={"notice": seed000_notice()})).json()
        url = f"/api/drafts/{draft['id']}"
        refusal(await o.signer.post(f"{url}/approve", json={}), 404, "draft_id")  # not sent for 签发 yet
        assert (await o.drafter.post(f"{url}/submit")).status_code == 200
        before = (await o.drafter.get(url)).json()

        refusal(await o.drafter.put(url, json={"notice": seed000_notice()}), 409, "draft_id")  # with its signer
        assert (await o.drafter.post(f"{url}/approve", json={})).status_code == 403  # a drafter is no 签发人
        refusal(await o.sz_signer.post(f"{url}/approve", json={}), 404, "draft_id")  # another unit's draft
        refusal(await o.sz_signer.get(url), 404, "draft_id")  # nor sees it (the co-issuer's people do)
        assert (await o.kjt_drafter.post(f"{url}/approve", json={})).status_code == 403
        refusal(await o.kjt_signer.post(f"{url}/reject", json={"reason": "  "}), 422, "reason")
        refusal(await o.kjt_signer.post(f"{url}/reject", json={}), 422, "reason")
        assert (await o.drafter.get(url)).json() == before

        assert (await o.signer.post(f"{url}/approve", json={})).status_code == 200
        refusal(await o.signer.post(f"{url}/approve", json={}), 409, "draft_id")  # once per unit
        assert (await o.kjt_signer.post(f"{url}/approve", json={})).status_code == 200
        issued = (await o.drafter.get(url)).json()
        assert issued["status"] == "issued"
        refusal(await o.drafter.put(url, json={"notice": seed000_notice()}), 409, "draft_id")
        refusal(await o.drafter.post(f"{url}/submit"), 409, "draft_id")
        refusal(await o.kjt_signer.post(f"{url}/approve", json={}), 409, "draft_id")
        assert (await o.drafter.get(url)).json() == issued
        assert len((await o.drafter.get("/api/notices")).json()["items"]) == 1


async def _person(http, username: str, unit_id: str, *roles: str):
    await create_user(http, username, unit_id, *roles, display_name=username)
    return await login(http, username)


async def test_the_compose_page_keeps_a_notice_to_be_signed_as_a_draft_and_sends_it(node):
    async with office(node) as o:
        drafter = await _person(o.http, "leijing", "gd-kx", "issuer")
        form = {
            "csrf_token": drafter.csrf,
            "title": "关于报送活动方案的通知",
            "co_issuers": "gd-kjt",
            "recipients": ["gd-jxxh", "scut-kx"],
            "body": "请报送。",
        }
        r = await drafter.post("/notices/new", data=form, headers=HTML)
        assert r.status_code == 303 and "/drafts/" in r.headers["location"], r.text
        assert r.headers["location"].endswith("saved=signing")  # kept as a draft and sent for 签发
        draft_id = r.headers["location"].split("/drafts/")[1].split("?")[0]
        page = await drafter.get(r.headers["location"], headers=HTML)
        assert "已保存为草稿并送签发" in page.text and "关于报送活动方案的通知" in page.text

        # 保存草稿 from the editor, then edit it there again.
        r = await drafter.post("/notices/new", data={**without(form, "co_issuers"), "action": "draft"}, headers=HTML)
        assert r.status_code == 303 and r.headers["location"].endswith("saved=saved")
        second = r.headers["location"].split("/drafts/")[1].split("?")[0]
        editor = await drafter.get(f"/notices/new?draft={second}", headers=HTML)
        assert editor.status_code == 200 and f'name="draft_id" value="{second}"' in editor.text
        r = await drafter.post(
            "/notices/new",
            data={
                **without(form, "co_issuers"),
                "title": "关于报送活动方案的通知（修改）",
                "draft_id": second,
                "version": "1",
                "action": "submit",
            },
            headers=HTML,
        )
        assert r.status_code == 303, re.findall(r"<li data-field[^>]*>(.*?)</li>", r.text)
        assert r.headers["location"] == f"/drafts/{second}?saved=submitted", r.text
        assert (await o.drafter.get(f"/api/drafts/{second}")).json()["title"] == "关于报送活动方案的通知（修改）"

        signer = await _person(o.http, "zhuren", "gd-kx", "signer")
        r = await signer.post(f"/drafts/{draft_id}/reject", data={"csrf_token": signer.csrf}, headers=HTML)
        assert r.status_code == 303 and "error=" in r.headers["location"]  # no reason: back with the message
        page = await signer.get(f"/drafts/{draft_id}", headers=HTML)
        assert 'id="approve-form"' in page.text
        r = await signer.post(f"/drafts/{draft_id}/approve", data={"csrf_token": signer.csrf}, headers=HTML)
        assert r.headers["location"].endswith("saved=signed")
        kjt = await _person(o.http, "xia", "gd-kjt", "signer")
        r = await kjt.post(f"/drafts/{draft_id}/approve", data={"csrf_token": kjt.csrf}, headers=HTML)
        assert r.headers["location"].endswith("saved=signed")
        issued = await eventually(lambda: _issued(o.drafter, draft_id))
        assert issued["doc_number"]
        listing = await drafter.get("/drafts", headers=HTML)
        assert issued["doc_number"] in listing.text


def without(form: dict, key: str) -> dict:
    return {k: v for k, v in form.items() if k != key}


async def _issued(client, draft_id):
    r = await client.get(f"/api/drafts/{draft_id}")
    return r.json() if r.json()["status"] == "issued" else None


async def test_the_directory_keeps_whether_a_unit_requires_signing(node):
    async with running(node, ["notices"]), gateway(node, org_unit_id="gd-kx") as http:
        admin = await as_role(http, "gd-kx", "admin")
        unit = UpsertUnit(unit_id="gd-kx", name="广东省科学技术协会", kind="科协", requires_signing=True)
        assert (await admin.put("/api/units/gd-kx", json=unit.model_dump(mode="json"))).status_code == 200
        assert (await admin.get("/api/units/gd-kx")).json()["requires_signing"] is True
        exported = (await admin.get("/api/units/export?format=csv")).text
        assert "requires_signing" in exported.splitlines()[0] and ",是" in exported.splitlines()[1]
