"""Each seed notice, entered as it was written, issued, signed and forwarded one level down — in the API and pages.

This is the issue's "done when": seeds 000–003 with their forms, deadlines and
routing go through Cascade, and every step shows in the JSON API and on the
pages of the units concerned.
"""

from dataclasses import dataclass
from datetime import datetime

import pytest

from shared.clock import FixedClock

from .. import fixtures as f
from ..harness import create_user, eventually, gateway, login, running

HTML = {"Accept": "text/html"}


@dataclass
class Seed:
    name: str
    now: datetime
    issue: dict  # the API body of the original notice
    signer: str  # a recipient that signs (签收)
    forward: dict  # the API body of its 转发 one level down (its unit_id is the forwarder)
    below: str  # a recipient of the 转发
    doc_number: str  # the original's 文号
    forwarded_number: str  # the 转发's 文号


SEEDS = [
    Seed("000", f.SEED000_NOW, f.seed000_national(), "gd-kjt", f.seed000_forward(), "sz-kjj",
         "科协发组字〔2020〕7号", "粤科协联〔2020〕9号"),
    Seed("001", f.SEED001_NOW, f.seed001_notice(), "wn-lw-kx", f.seed001_forward(), "wn-lw-nxh",
         "渭科协发〔2020〕1号", "渭南市临渭区科学技术协会〔2020〕1号"),
    Seed("002", f.SEED002_NOW, f.seed002_notice(), "gd-kx", f.seed002_forward(), "scut-kx",
         "科协办函组字〔2020〕29号", "粤科协联〔2020〕1号"),
    Seed("003", f.SEED003_NOW, f.seed003_national(), "qh-kx", f.seed003_forward(), "xn-kx",
         "科协办函组字〔2021〕56号", "青科协发〔2021〕15号"),
]


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
async def test_seed_is_issued_signed_and_forwarded_one_level_down(node, seed):
    issuer_unit, forwarder = seed.issue["issuer_unit_ids"][0], seed.forward["unit_id"]
    async with running(node, clock=FixedClock(seed.now)), gateway(node) as http:
        await f.load_directory(http)
        issuer, signer = await f.as_unit(http, issuer_unit), await f.as_unit(http, seed.signer)
        fwd, below = await f.as_unit(http, forwarder), await f.as_unit(http, seed.below)

        # Issue, with its forms, deadlines and routing, as the seed wrote them.
        r = await issuer.post("/api/notices", json=seed.issue)
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        assert r.json()["doc_number"] == seed.doc_number
        notice = (await issuer.get(f"/api/notices/{nid}")).json()
        assert [a["ask_id"] for a in notice["asks"]] == [a["ask_id"] for a in seed.issue["asks"]]
        assert [[fld["label"] for fld in a["fields"]] for a in notice["asks"]] == [
            [fld["label"] for fld in a["fields"]] for a in seed.issue["asks"]]

        # 签收 by a recipient, seen by the issuer.
        await eventually(lambda: _in_inbox(signer, nid))
        assert (await signer.post(f"/api/inbox/{nid}/acknowledge")).status_code == 200
        await eventually(lambda: _acknowledged(issuer, nid, seed.signer))

        # 转发 one level down, every deadline no later than upstream.
        await eventually(lambda: _in_inbox(fwd, nid))
        r = await fwd.post(f"/api/notices/{nid}/forward", json=seed.forward)
        assert r.status_code == 201, r.text
        fid = r.json()["notice_id"]
        assert r.json()["doc_number"] == seed.forwarded_number
        await eventually(lambda: _in_inbox(below, fid))
        forwarded = (await below.get(f"/api/notices/{fid}")).json()
        upstream = {a["ask_id"]: a["deadline"] for a in notice["asks"]}
        for ask in forwarded["asks"]:
            if ask["ask_id"] in upstream:
                assert datetime.fromisoformat(ask["deadline"]) <= datetime.fromisoformat(upstream[ask["ask_id"]])
        assert forwarded["chain"][-1]["doc_number"] == seed.doc_number
        assert any(a["original_of"] == nid for a in forwarded["attachments"])

        # Each step on the pages of the units concerned.
        await create_user(http, "issuer-person", issuer_unit, "issuer")
        await create_user(http, "below-person", seed.below, "submitter")
        top, bottom = await login(http, "issuer-person"), await login(http, "below-person")
        page = (await top.get(f"/notices/{nid}", headers=HTML)).text
        assert seed.doc_number in page and 'id="receipts"' in page and seed.forwarded_number in page
        inbox = (await bottom.get("/inbox", headers=HTML)).text
        assert seed.forwarded_number in inbox and "签收" in inbox
        page = (await bottom.get(f"/notices/{fid}", headers=HTML)).text
        assert seed.doc_number in page and seed.forwarded_number in page and "上级来文原文" in page


async def _in_inbox(client, notice_id):
    return any(e["notice_id"] == notice_id for e in (await client.get("/api/inbox")).json())


async def _acknowledged(client, notice_id, unit_id):
    t = (await client.get(f"/api/notices/{notice_id}/tracking")).json()
    return any(r["unit_id"] == unit_id and r["acknowledged_at"] for r in t["recipients"])
