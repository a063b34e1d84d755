"""Files across linked nodes (shared/file_sync.py): the bytes follow what names them, up and down, once.

National attaches a file of several pieces to a notice; the province gets
its bytes, forwards the notice, and the city gets them from the province.
The city submits a stamped PDF; the province reviews it with the file, and
its 汇总, which includes the city's file, takes the bytes on to national.
A node cut off when a file is sent to it gets it whole when the link is back.
"""

import hashlib
import os

import pytest

from shared import subjects
from shared.events import BLOB_CHUNK_BYTES

from ..federation_harness import build, teardown
from ..fixtures import future
from ..harness import as_role, eventually
from .test_federation import has, services

SHAPE = {"nat": None, "prov": "nat", "city": "prov"}
PDF_FIELD = {"key": "stamped", "label": "盖章PDF", "type": "file", "accept": ["pdf"], "required": False}
ASK = {
    "ask_id": "summary",
    "kind": "summary_report",
    "title": "活动总结",
    "deadline": future(30),
    "fields": [{"key": "summary", "label": "总结报告", "type": "text", "max_chars": 3000}, PDF_FIELD],
}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE, proxied=True)
    yield nodes
    await teardown(nodes)


def pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(size - 9)


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def upload(client, path: str, name: str, data: bytes) -> dict:
    return await ok(await client.post(path, files={"file": (name, data, "application/pdf")}), 201)


def downloaded(client, url: str):
    async def check():
        r = await client.get(url)
        return r if r.status_code == 200 else None

    return check


async def test_attachments_go_down_two_levels_and_submitted_files_go_up_two_levels(fed):
    async with services(fed) as lv:
        nat = await as_role(lv["nat"].http, "cast", "issuer", "reviewer")
        prov = await as_role(lv["prov"].http, "gd-kx", "issuer", "reviewer", "submitter")
        city = await as_role(lv["city"].http, "sz-kx", "submitter")
        plan = pdf(2 * BLOB_CHUNK_BYTES + 1000)  # three pieces
        att = await upload(nat, "/api/attachments", "2021年活动实施方案.pdf", plan)
        top = (
            await ok(
                await nat.post(
                    "/api/notices",
                    json={
                        "title": "关于开展2021年“全国科技工作者日”活动的通知",
                        "issuer_unit_ids": ["cast"],
                        "recipient_unit_ids": ["gd-kx"],
                        "asks": [ASK],
                        "attachments": [att],
                    },
                ),
                201,
            )
        )["notice_id"]
        await eventually(has(prov, "gd-kx", top))
        url = f"/api/notices/{top}/attachments/{att['attachment_id']}"
        got = await eventually(downloaded(prov, url))
        assert got.content == plan and got.headers["content-length"] == str(len(plan))

        mid = (
            await ok(
                await prov.post(
                    f"/api/notices/{top}/forward",
                    json={"unit_id": "gd-kx", "recipient_unit_ids": ["sz-kx"], "deadlines": {"summary": future(20)}},
                ),
                201,
            )
        )["notice_id"]
        await eventually(has(city, "sz-kx", mid))
        forwarded = (await city.get(f"/api/notices/{mid}")).json()["attachments"]
        [same] = [a for a in forwarded if a["sha256"] == att["sha256"]]
        got = await eventually(downloaded(city, f"/api/notices/{mid}/attachments/{same['attachment_id']}"))
        assert got.content == plan

        # Up: the city's stamped PDF, reviewed at the province, compiled and sent on to national.
        stamped = pdf(BLOB_CHUNK_BYTES + 10)
        f = await upload(city, "/api/submission-files", "深圳市科协活动总结（盖章）.pdf", stamped)

        async def owed():
            return any(r["notice_id"] == mid for r in (await city.get("/api/submissions")).json()["items"])

        await eventually(owed)
        sid = (
            await ok(
                await city.post(
                    f"/api/notices/{mid}/asks/summary/submission",
                    json={"items": [{"summary": "深圳市活动总结", "stamped": [f]}]},
                ),
                201,
            )
        )["id"]
        file_url = f"/api/submissions/{sid}/files/{f['attachment_id']}"
        got = await eventually(downloaded(prov, file_url))
        assert got.content == stamped
        await ok(await prov.post(f"/api/submissions/{sid}/accept", json={"revision": 1}))
        report = await ok(
            await prov.post(
                f"/api/notices/{mid}/asks/summary/compile",
                json={"submission_ids": [sid], "items": [{"summary": "广东省汇总"}]},
            ),
            201,
        )
        got = await eventually(downloaded(nat, f"/api/submissions/{report['id']}/files/{f['attachment_id']}"))
        assert got.content == stamped

    # Each file was asked for once per link; its pieces are gone from the streams once it was kept.
    for node, source in (("prov", "nat"), ("prov", "city"), ("nat", "prov")):

        async def pieces_gone(node=node, source=source):  # each is removed just after it was handled
            events = await fed[node].subjects_in(subjects.events_stream(fed[node].id))
            assert f"evt.blob.{fed[node].id}.{fed[source].id}.wanted" not in events  # its own asks went out
            return f"evt.blob.{fed[source].id}.{fed[node].id}.chunk" not in events

        assert await eventually(pieces_gone)

    def wanted(node: str, by: str) -> str:
        return f"evt.blob.{fed[by].id}.{fed[node].id}.wanted"

    asked = await fed["nat"].subjects_in(subjects.events_stream(fed["nat"].id))
    assert asked[wanted("nat", by="prov")] == 1  # the plan
    asked = await fed["prov"].subjects_in(subjects.events_stream(fed["prov"].id))
    assert asked[wanted("prov", by="city")] == 2  # the plan, and the original the 转发 carries
    assert asked[wanted("prov", by="nat")] == 1  # the stamped PDF in the 汇总
    asked = await fed["city"].subjects_in(subjects.events_stream(fed["city"].id))
    assert asked[wanted("city", by="prov")] == 1  # the stamped PDF


async def test_a_file_for_a_node_that_is_cut_off_arrives_whole_when_the_link_is_back(fed):
    async with services(fed, ["prov", "city"]) as lv:
        prov = await as_role(lv["prov"].http, "gd-kx", "issuer")
        city = await as_role(lv["city"].http, "sz-kx", "submitter")
        data = pdf(3 * BLOB_CHUNK_BYTES)
        att = await upload(prov, "/api/attachments", "附件.pdf", data)
        await fed["city"].proxy.cut()
        nid = (
            await ok(
                await prov.post(
                    "/api/notices",
                    json={
                        "title": "关于报送活动总结的通知",
                        "issuer_unit_ids": ["gd-kx"],
                        "recipient_unit_ids": ["sz-kx"],
                        "attachments": [att],
                    },
                ),
                201,
            )
        )["notice_id"]
        await fed["city"].proxy.restore()
        await eventually(has(city, "sz-kx", nid), timeout=60)
        url = f"/api/notices/{nid}/attachments/{att['attachment_id']}"
        got = await eventually(downloaded(city, url), timeout=60)
        assert hashlib.sha256(got.content).hexdigest() == att["sha256"]
