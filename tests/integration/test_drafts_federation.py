"""会签 across a link: the province drafts a joint notice with a city 科协 hosted on the city's node; the request
to sign and the answer cross the link like any event; a refusal there returns the draft at the province with
the reason; once the city's 签发人 has signed on the city node, the notice is issued at the province with both
signatures, and the city sees how its request ended. A joint 转发 the same way, upward: the city 科协 forwards
the province's notice jointly with the city 科技局, hosted on the province's node, whose 签发人 会签 it there."""

import contextlib
from datetime import datetime

import pytest

from shared.clock import local_text
from shared.contracts.notices import UpsertUnit
from shared.schemas import UnitKind

from ..federation_harness import FedNode, build, teardown
from ..harness import as_role, eventually, gateway, running

SHAPE = {"prov": None, "city": "prov"}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE)
    yield nodes
    await teardown(nodes)


def directory(nodes: dict[str, FedNode]) -> dict[str, list[UpsertUnit]]:
    prov, city = nodes["prov"].id, nodes["city"].id
    gd = UpsertUnit(
        unit_id="gd-kx",
        name="广东省科学技术协会",
        kind=UnitKind.kexie,
        node_id=prov,
        doc_number_template="粤科协联〔{year}〕{seq}号",
    )
    sz = UpsertUnit(unit_id="sz-kx", name="深圳市科学技术协会", kind=UnitKind.kexie, node_id=city, runs_own_node=True)
    jxxh = UpsertUnit(
        unit_id="gd-jxxh", name="广东省机械工程学会", kind=UnitKind.society, parent_id="gd-kx", node_id=prov
    )
    # The city 科技局 runs no node of its own: the province hosts it (its 签发人 sign on the province's gateway).
    kjj = UpsertUnit(unit_id="sz-kjj", name="深圳市科学技术局", kind=UnitKind.keji, node_id=prov)
    ns = UpsertUnit(unit_id="ns-kx", name="南山区科学技术协会", kind=UnitKind.kexie, parent_id="sz-kx", node_id=city)
    return {"prov": [gd, sz, jxxh, kjj], "city": [sz, kjj, ns]}


OWN_UNIT = {"prov": "gd-kx", "city": "sz-kx"}


@contextlib.asynccontextmanager
async def levels(nodes: dict[str, FedNode]):
    """Each node's services and gateway, its directory loaded; per node: (issuer, signer) of its own unit."""
    async with contextlib.AsyncExitStack() as stack:
        out = {}
        for name, node in nodes.items():
            await stack.enter_async_context(running(node, ["notices"]))
            http = await stack.enter_async_context(gateway(node))
            unit = OWN_UNIT[name]
            admin = await as_role(http, unit, "admin")
            for entry in directory(nodes)[name]:
                r = await admin.put(f"/api/units/{entry.unit_id}", json=entry.model_dump(mode="json"))
                assert r.status_code == 200, r.text
            out[name] = (await as_role(http, unit, "issuer"), await as_role(http, unit, "signer"))
        yield out


JOINT = {
    "title": "关于联合开展2026年“全国科技工作者日”活动的通知",
    "issuer_unit_ids": ["gd-kx", "sz-kx"],
    "recipient_unit_ids": ["gd-jxxh"],
    "body": "请认真组织实施。",
}


def pending_at(signer, draft_id: str):
    async def check():
        items = (await signer.get("/api/drafts?box=pending")).json()["items"]
        return [d for d in items if d["id"] == draft_id]

    return check


def draft_status(client, draft_id: str, status: str):
    async def check():
        r = await client.get(f"/api/drafts/{draft_id}")
        return r.json() if r.status_code == 200 and r.json()["status"] == status else None

    return check


async def test_a_city_cosigns_on_its_own_node_and_the_province_issues_with_both_signatures(fed):
    async with levels(fed) as lv:
        (prov_issuer, prov_signer), (_, city_signer) = lv["prov"], lv["city"]
        r = await prov_issuer.post("/api/notices", json=JOINT)
        assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "issuer_unit_ids", "1"], r.text

        draft = (await prov_issuer.post("/api/drafts", json={"notice": JOINT})).json()
        submitted = await prov_issuer.post(f"/api/drafts/{draft['id']}/submit")
        assert submitted.status_code == 200, submitted.text
        assert [(s["unit_id"], s["node_id"]) for s in submitted.json()["signatures"]] == [
            ("gd-kx", fed["prov"].id),
            ("sz-kx", fed["city"].id),
        ]

        # Round 1: the request reaches the city's 待签发; its 签发人 refuses there, with the reason.
        [request] = await eventually(pending_at(city_signer, draft["id"]))
        assert (request["lead"], request["unit_name"], request["title"]) == (
            False,
            "广东省科学技术协会",
            JOINT["title"],
        )
        seen = (await city_signer.get(f"/api/drafts/{draft['id']}")).json()
        assert seen["preview"]["body"] == JOINT["body"] and seen["viewer"]["signing"]["status"] == "pending"
        r = await city_signer.post(f"/api/drafts/{draft['id']}/reject", json={"reason": "请写明市科协承办的活动"})
        assert r.status_code == 200, r.text
        returned = await eventually(draft_status(prov_issuer, draft["id"], "returned"))
        assert "请写明市科协承办的活动" in returned["returned"]["comment"]
        assert returned["returned"]["unit_name"] == "深圳市科学技术协会"
        # The province's own request of that round is withdrawn from its 签发人's 待签发.
        await eventually(lambda: _empty(prov_signer))

        # Round 2: edited, sent again; the province signs first, the city last, on its own node.
        edited = {**JOINT, "body": "请认真组织实施。深圳市科协承办主场活动。"}
        assert (await prov_issuer.put(f"/api/drafts/{draft['id']}", json={"notice": edited})).status_code == 200
        assert (await prov_issuer.post(f"/api/drafts/{draft['id']}/submit")).status_code == 200
        assert (
            await prov_signer.post(f"/api/drafts/{draft['id']}/approve", json={"comment": "同意"})
        ).status_code == 200
        [request] = await eventually(pending_at(city_signer, draft["id"]))
        assert request["round"] == 2
        r = await city_signer.post(f"/api/drafts/{draft['id']}/approve", json={"comment": "会签同意"})
        assert r.status_code == 200 and r.json()["viewer"]["signing"]["status"] == "signed", r.text

        issued = await eventually(draft_status(prov_issuer, draft["id"], "issued"))
        assert issued["doc_number"].startswith("粤科协联〔")
        notice = (await prov_issuer.get(f"/api/notices/{issued['notice_id']}")).json()
        assert [(s["unit_id"], s["lead"], s["comment"]) for s in notice["signatures"]] == [
            ("gd-kx", True, "同意"),
            ("sz-kx", False, "会签同意"),
        ]
        assert [i["unit_id"] for i in notice["issuers"]] == ["gd-kx", "sz-kx"]
        last = max(datetime.fromisoformat(s["signed_at"]) for s in notice["signatures"])
        assert notice["signed_on"] == local_text(last, "Asia/Shanghai", "%Y-%m-%d")  # the last signature's day
        assert last == datetime.fromisoformat(notice["signatures"][1]["signed_at"])  # the city's, made last
        # The city learns how its request ended: issued, under which 文号.
        done = await eventually(draft_status(city_signer, draft["id"], "issued"))
        assert done["doc_number"] == issued["doc_number"]


async def test_a_joint_forward_is_cosigned_on_the_co_forwarders_node_and_made_with_both_signatures(fed):
    async with levels(fed) as lv:
        (prov_issuer, _), (city_issuer, city_signer) = lv["prov"], lv["city"]
        r = await prov_issuer.post(
            "/api/notices",
            json={
                "title": "关于开展科技人才活动的通知",
                "issuer_unit_ids": ["gd-kx"],
                "recipient_unit_ids": ["sz-kx", "sz-kjj"],
            },
        )
        assert r.status_code == 201, r.text
        top = r.json()["notice_id"]

        async def received():
            return any(e["notice_id"] == top for e in (await city_issuer.get("/api/inbox")).json()["items"])

        await eventually(received)
        body = {
            "unit_id": "sz-kx",
            "co_issuer_unit_ids": ["sz-kjj"],
            "recipient_unit_ids": ["ns-kx"],
            "cover_note": "请认真组织实施。",
        }
        r = await city_issuer.post(f"/api/notices/{top}/forward", json=body)  # the 科技局 has not agreed
        assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "co_issuer_unit_ids", "0"], r.text

        draft = (await city_issuer.post("/api/drafts", json={"forward": {**body, "notice_id": top}})).json()
        submitted = await city_issuer.post(f"/api/drafts/{draft['id']}/submit")
        assert submitted.status_code == 200, submitted.text
        assert [(s["unit_id"], s["node_id"]) for s in submitted.json()["signatures"]] == [
            ("sz-kx", fed["city"].id),
            ("sz-kjj", fed["prov"].id),
        ]
        kjj_signer = await as_role(prov_issuer, "sz-kjj", "signer")  # on the province's gateway

        # Round 1: the request reaches the province's gateway, where the 科技局's 签发人 refuses it.
        [request] = await eventually(pending_at(kjj_signer, draft["id"]))
        assert (request["kind"], request["lead"], request["unit_name"]) == ("forward", False, "深圳市科学技术协会")
        r = await kjj_signer.post(f"/api/drafts/{draft['id']}/reject", json={"reason": "请写明科技局的报送渠道"})
        assert r.status_code == 200, r.text
        returned = await eventually(draft_status(city_issuer, draft["id"], "returned"))
        assert "请写明科技局的报送渠道" in returned["returned"]["comment"]

        # Round 2: sent again; the city signs, the 科技局 会签 on the province's node last: the 转发 is made.
        assert (await city_issuer.post(f"/api/drafts/{draft['id']}/submit")).status_code == 200
        assert (await city_signer.post(f"/api/drafts/{draft['id']}/approve", json={})).status_code == 200
        [request] = await eventually(pending_at(kjj_signer, draft["id"]))
        assert request["round"] == 2
        r = await kjj_signer.post(f"/api/drafts/{draft['id']}/approve", json={"comment": "会签同意"})
        assert r.status_code == 200, r.text
        issued = await eventually(draft_status(city_issuer, draft["id"], "issued"))
        made = (await city_issuer.get(f"/api/notices/{issued['notice_id']}")).json()
        assert made["kind"] == "forwarded" and [i["unit_id"] for i in made["issuers"]] == ["sz-kx", "sz-kjj"]
        assert [(s["unit_id"], s["lead"], s["comment"]) for s in made["signatures"]] == [
            ("sz-kx", True, ""),
            ("sz-kjj", False, "会签同意"),
        ]
        last = max(datetime.fromisoformat(s["signed_at"]) for s in made["signatures"])
        assert made["signed_on"] == local_text(last, "Asia/Shanghai", "%Y-%m-%d")

        # The province learns of the 转发 and both forwarders; the 科技局's request shows how it ended.
        async def reported():
            return (await prov_issuer.get(f"/api/notices/{top}")).json()["forwards"].get(issued["notice_id"])

        link = await eventually(reported)
        assert link["unit_names"] == ["深圳市科学技术协会", "深圳市科学技术局"]
        done = await eventually(draft_status(kjj_signer, draft["id"], "issued"))
        assert done["doc_number"] == issued["doc_number"]


async def _empty(signer):
    return (await signer.get("/api/drafts?box=pending")).json()["items"] == []
