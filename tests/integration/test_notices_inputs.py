"""Bad input to notices: a clear 4xx naming the field, and nothing stored or published. Attachments, directory files."""

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared import subjects
from shared.clock import FixedClock

from ..fixtures import (
    SEED000_NOW,
    as_unit,
    deadline,
    load_directory,
    seed000_forward,
    seed000_national,
    seed001_forward,
    seed001_notice,
)
from ..harness import as_role, eventually, forward, gateway, issue, running
from .test_slice import stream_count

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Store:
    """Direct counts in the notices database, to prove nothing was written."""

    def __init__(self, node) -> None:
        self.node = node

    async def count(self, collection: str) -> int:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.node.servers.mongo_url)
        try:
            return await client[f"{self.node.node_id}_notices"][collection].count_documents({})
        finally:
            await client.close()

    async def snapshot(self) -> dict:
        return {c: await self.count(c) for c in ("notices", "inbox", "attachments", "counters")} | {
            "events": await stream_count(self.node, subjects.events_stream(self.node.node_id))
        }


def blob_files(node) -> list[Path]:
    root = node.servers.workdir / node.node_id / "files" / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def issued(http, body=None) -> str:
    """Issue as the body's lead issuer (seed 000's national notice by default)."""
    body = body or seed000_national()
    me = await as_unit(http, body["issuer_unit_ids"][0])
    r = await issue(me, body)
    assert r.status_code == 201, r.text
    return r.json()["notice_id"]


# ---------------------------------------------------------------- issue


@pytest.mark.parametrize(
    "patch, loc, code",
    [
        ({"recipient_unit_ids": ["gd-kx", "no-such-unit"]}, ["body", "recipient_unit_ids", "1"], "unknown_recipient"),
        ({"recipient_unit_ids": ["gd-kx", "cast"]}, ["body", "recipient_unit_ids", "1"], "issuer_is_recipient"),
        ({"issuer_unit_ids": ["cast", "ghost"]}, ["body", "issuer_unit_ids", "1"], "unknown_issuer"),
        ({"title": "<script>alert(1)</script>通知"}, ["body", "title"], "markup_in_title"),
        ({"doc_number": "科协发组字〔2020〕7号"}, ["body", "doc_number"], "duplicate_doc_number"),
    ],
)
async def test_bad_issue_is_refused_naming_the_field(node, patch, loc, code):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        await issued(http)  # 科协发组字〔2020〕7号 now exists
        store = Store(node)
        before = await store.snapshot()
        cast = await as_unit(http, "cast")
        # One mistake each: the 文号 of the notice issued above only where it is the mistake.
        r = await issue(cast, {**seed000_national(), "doc_number": None, **patch})
        assert r.status_code in (409, 422), r.text
        [detail] = r.json()["detail"]
        assert detail["loc"] == loc and detail["type"] == code and detail["msg"]
        assert await store.snapshot() == before


async def test_concurrent_issues_get_consecutive_numbers_none_reused_none_skipped(node):
    """8 notices of one issuer at once, and a refused one among them: 文号 1..8, then 9 for the next.

    Two replicas of the notices service answer (one queue group), so the
    allocations really race in the store, not only inside one process.
    """
    clock = FixedClock(SEED000_NOW)
    async with running(node, ["notices"], clock=clock), running(node, ["notices"], clock=clock), gateway(node) as http:
        await load_directory(http)
        wn = await as_unit(http, "wn-kx")
        body = {**seed001_notice(), "doc_number": None}
        bad = {**body, "asks": [{**body["asks"][0], "deadline": deadline(2020, 5, 1)}]}  # already past
        bodies = [{**body, "title": f"{body['title']}（{k}）"} for k in range(8)]
        bodies.insert(4, bad)
        replies = await asyncio.gather(*[issue(wn, b) for b in bodies])
        assert [r.status_code for r in replies] == [201] * 4 + [422] + [201] * 4, [r.text for r in replies]
        numbers = [r.json()["doc_number"] for r in replies if r.status_code == 201]
        assert len(numbers) == 8 and set(numbers) == {f"渭科协发〔2020〕{n}号" for n in range(1, 9)}
        listed = {n["doc_number"] for n in (await wn.get("/api/notices")).json()["items"]}
        assert listed == set(numbers)
        r = await issue(wn, body)
        assert r.status_code == 201 and r.json()["doc_number"] == "渭科协发〔2020〕9号"


@pytest.mark.parametrize(
    "ask_patch, loc, code",
    [
        ({"deadline": deadline(2020, 5, 1)}, ["body", "asks", "0", "deadline"], "deadline_in_past"),
        (
            {"routes": [{"unit_kind": "科协", "to_unit_id": "ghost", "department": "组织联络部"}]},
            ["body", "asks", "0", "routes", "0", "to_unit_id"],
            "unknown_route_unit",
        ),
        (
            {"routes": [{"unit_kind": "科协", "to_unit_id": "cast", "department": "宣传部"}]},
            ["body", "asks", "0", "routes", "0", "department"],
            "unknown_department",
        ),
        ({"min_items": 3, "max_items": 2}, ["body", "asks", "0", "min_items"], "invalid"),
        (
            {"fields": [{"key": "m", "label": "模块", "type": "multi_choice"}]},
            ["body", "asks", "0", "fields", "0", "options"],
            "invalid",
        ),
    ],
)
async def test_bad_asks_are_refused(node, ask_patch, loc, code):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        body = seed000_national()
        body["asks"] = [{**body["asks"][0], **ask_patch}]
        before = await Store(node).snapshot()
        r = await issue(await as_unit(http, "cast"), body)
        assert r.status_code == 422, r.text
        [detail] = r.json()["detail"]
        assert (detail["loc"], detail["type"]) == (loc, code)
        assert await Store(node).snapshot() == before


async def test_a_notice_with_several_mistakes_is_refused_once_with_all_of_them(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        body = seed000_national()
        summary, media = body["asks"]
        body |= {
            "title": "关于<b>开展</b>活动的通知",  # markup
            "recipient_unit_ids": ["gd-kx", "ghost", "cast"],  # unknown, and an issuer
            "asks": [{**summary, "deadline": deadline(2020, 5, 1)}, {**media, "min_items": 30}],  # past; 30 > 20
        }
        before = await Store(node).snapshot()
        r = await issue(await as_unit(http, "cast"), body)
        assert r.status_code == 422, r.text
        assert [(d["loc"], d["type"]) for d in r.json()["detail"]] == [
            (["body", "title"], "markup_in_title"),
            (["body", "asks", "0", "deadline"], "deadline_in_past"),
            (["body", "asks", "1", "min_items"], "invalid"),
            (["body", "recipient_unit_ids", "1"], "unknown_recipient"),
            (["body", "recipient_unit_ids", "2"], "issuer_is_recipient"),
        ]
        assert await Store(node).snapshot() == before


# ---------------------------------------------------------------- forward


@pytest.mark.parametrize(
    "patch, loc, code, status",
    [
        (
            {"deadlines": {"summary": deadline(2020, 6, 21)}},
            ["body", "deadlines", "summary"],
            "deadline_after_upstream",
            422,
        ),
        ({"deadlines": {"summary": deadline(2020, 5, 5)}}, ["body", "deadlines", "summary"], "deadline_in_past", 422),
        ({"deadlines": {"nosuch": deadline(2020, 6, 1)}}, ["body", "deadlines", "nosuch"], "unknown_ask", 422),
        ({"recipient_unit_ids": ["sz-kx", "ghost"]}, ["body", "recipient_unit_ids", "1"], "unknown_recipient", 422),
        # A 转发 goes down: not to the forwarders themselves, nor back to the issuers of what it forwards.
        ({"recipient_unit_ids": ["sz-kx", "gd-kx"]}, ["body", "recipient_unit_ids", "1"], "forward_to_self", 422),
        ({"recipient_unit_ids": ["gd-kjt"]}, ["body", "recipient_unit_ids", "0"], "forward_to_self", 422),
        (
            {"recipient_unit_ids": ["sz-kx", "cast"]},
            ["body", "recipient_unit_ids", "1"],
            "forward_to_upstream_issuer",
            422,
        ),
        (
            {"recipient_unit_ids": ["most", "sz-kx"]},
            ["body", "recipient_unit_ids", "0"],
            "forward_to_upstream_issuer",
            422,
        ),
        ({"title": "关于转发<img src=x onerror=alert(1)>的通知"}, ["body", "title"], "markup_in_title", 422),
        (
            {"routes": [{"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "宣传部"}]},
            ["body", "routes", "0", "department"],
            "unknown_department",
            422,
        ),
        (
            {"extra_asks": [{"ask_id": "summary", "kind": "other", "title": "重复", "deadline": deadline(2020, 6, 1)}]},
            ["body", "extra_asks", "0", "ask_id"],
            "invalid",
            422,
        ),
        (
            {"doc_number": "科协发组字〔2020〕7号", "unit_id": "gd-kx"},
            None,
            None,
            201,
        ),  # another issuer's number is fine
    ],
)
async def test_bad_forward_is_refused_naming_the_field(node, patch, loc, code, status):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        nid = await issued(http)
        await eventually(lambda: _in_inbox(http, "gd-kx", nid))
        before = await Store(node).snapshot()
        r = await forward(await as_unit(http, "gd-kx"), nid, {**seed000_forward(), **patch})  # joint: 会签 if valid
        assert r.status_code == status, r.text
        if status == 201:
            return
        [detail] = r.json()["detail"]
        assert (detail["loc"], detail["type"]) == (loc, code)
        assert await Store(node).snapshot() == before


@pytest.mark.parametrize(
    "recipients, index, code, names",
    [
        (
            ["wn-lw-nxh", "sn-kx"],
            1,
            "forward_to_ancestor",
            "陕西省科学技术协会是本单位的上级单位",
        ),  # parent of the city
        (["wn-kx"], 0, "forward_to_upstream_issuer", "渭南市科学技术协会是上级来文的发文单位"),
        (["wn-lw-kx"], 0, "forward_to_self", "转发不能发给本单位：渭南市临渭区科学技术协会"),
    ],
)
async def test_forward_back_up_the_directory_is_refused_naming_the_unit(node, recipients, index, code, names):
    """临渭区科协 forwards the city's notice: only down, never to itself, the city or the province above."""
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        nid = await issued(http, seed001_notice())
        await eventually(lambda: _in_inbox(http, "wn-lw-kx", nid))
        county = await as_unit(http, "wn-lw-kx")
        before = await Store(node).snapshot()
        r = await county.post(
            f"/api/notices/{nid}/forward", json={**seed001_forward(), "recipient_unit_ids": recipients}
        )
        assert r.status_code == 422, r.text
        [detail] = r.json()["detail"]
        assert (detail["loc"], detail["type"]) == (["body", "recipient_unit_ids", str(index)], code)
        assert names in detail["msg"] and "转发" in detail["msg"]
        assert await Store(node).snapshot() == before
        # Down the directory it goes, with the first number of the year: the refusals used none.
        r = await county.post(f"/api/notices/{nid}/forward", json=seed001_forward())
        assert r.status_code == 201 and r.json()["doc_number"] == "渭南市临渭区科学技术协会〔2020〕1号"


async def test_forward_with_a_taken_doc_number_is_a_conflict(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        nid = await issued(http)
        await eventually(lambda: _in_inbox(http, "gd-kx", nid))
        gd = await as_unit(http, "gd-kx")
        first = seed000_forward(["sz-kx", "sz-kjj"])
        assert (await forward(gd, nid, first)).status_code == 201  # joint: through a draft and its 会签
        before = await Store(node).snapshot()
        # Other recipients (the first ones are forwarded it already: test_joint_forwards.py), the same 文号:
        # refused as the 转发's mistake, before its 会签 is found due.
        r = await gd.post(f"/api/notices/{nid}/forward", json=seed000_forward(["gd-jxxh"]))
        assert r.status_code == 409
        assert r.json()["detail"][0]["loc"] == ["body", "doc_number"]
        assert r.json()["detail"][0]["type"] == "duplicate_doc_number"
        assert await Store(node).snapshot() == before


async def test_a_joint_forward_made_at_once_is_refused_naming_the_co_forwarder(node):
    """粤科协 and 科技厅 forward jointly: the 科技厅's 签发人 must 会签 it, so it is not made at once (nothing stored,
    nothing published); the refusal says how to go on (拟稿, 送签发)."""
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        nid = await issued(http)
        await eventually(lambda: _in_inbox(http, "gd-kx", nid))
        before = await Store(node).snapshot()
        r = await (await as_unit(http, "gd-kx")).post(f"/api/notices/{nid}/forward", json=seed000_forward())
        assert r.status_code == 409, r.text
        [detail] = r.json()["detail"]
        assert (detail["loc"], detail["type"]) == (["body", "co_issuer_unit_ids", "0"], "cosign_required")
        assert "广东省科学技术厅" in detail["msg"] and "会签" in detail["msg"] and "请先拟稿" in detail["msg"]
        assert await Store(node).snapshot() == before


async def _in_inbox(http, unit_id, notice_id):
    me = await as_unit(http, unit_id)
    return any(e["notice_id"] == notice_id for e in (await me.get("/api/inbox")).json()["items"])


# ---------------------------------------------------------------- attachments


async def test_attachment_upload_issue_and_download(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as anonymous:
        await load_directory(anonymous)
        http = await as_unit(anonymous, "wn-kx")
        big = PDF + b"0" * (900 * 1024)  # several parts on the way in and out
        r = await http.post("/api/attachments", files={"file": ("实施方案.pdf", big, "application/pdf")})
        assert r.status_code == 201, r.text
        att = r.json()
        assert att["sha256"] == hashlib.sha256(big).hexdigest() and att["size"] == len(big)
        # Stored once, by its checksum, under the service's data dir.
        [blob] = blob_files(node)
        assert blob.name == att["sha256"] and blob.read_bytes() == big
        # The same content again is not stored twice.
        again = (await http.post("/api/attachments", files={"file": ("副本.pdf", big, "application/pdf")})).json()
        assert again["sha256"] == att["sha256"] and again["attachment_id"] != att["attachment_id"]
        assert len(blob_files(node)) == 1

        nid = await issued(anonymous, {**seed001_notice(), "attachments": [att]})
        r = await http.get(f"/api/notices/{nid}/attachments/{att['attachment_id']}")
        assert r.status_code == 200 and r.content == big
        # A recipient downloads it too; a unit it was not sent to cannot.
        county = await as_unit(anonymous, "wn-lw-kx")
        assert (await county.get(f"/api/notices/{nid}/attachments/{att['attachment_id']}")).content == big
        other = await as_unit(anonymous, "sz-kx")
        assert (await other.get(f"/api/notices/{nid}/attachments/{att['attachment_id']}")).status_code == 404
        assert (await other.get(f"/api/attachments/{att['attachment_id']}")).status_code == 404
        assert r.headers["content-type"] == "application/pdf"
        assert "filename*=UTF-8''" in r.headers["content-disposition"]

        # A made-up attachment (never uploaded) cannot be attached.
        fake = {**att, "attachment_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ"}
        r = await issue(http, {**seed001_notice(), "attachments": [fake]})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "attachments", "0"]


@pytest.mark.parametrize(
    "name, content, ctype, status, code",
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/x-msdownload", 415, "attachment_type"),
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html", 415, "attachment_type"),
        ("fake.pdf", b"MZ\x90\x00" + b"\x00" * 100, "application/pdf", 415, "attachment_type"),
        ("big.pdf", PDF + b"0" * 2000, "application/pdf", 413, "attachment_too_large"),
        ("empty.pdf", b"", "application/pdf", 422, "empty_attachment"),
    ],
)
async def test_bad_attachments_are_refused_and_nothing_is_stored(node, name, content, ctype, status, code):
    async with running(node, ["notices"], overrides={"notices": {"max_attachment_bytes": 2000}}), gateway(node) as http:
        issuer = await as_role(http, "cast", "issuer")
        r = await issuer.post("/api/attachments", files={"file": (name, content, ctype)})
        assert r.status_code == status, r.text
        [detail] = r.json()["detail"]
        assert detail["loc"] == ["body", "file"] and detail["type"] == code
        assert await Store(node).count("attachments") == 0
        assert blob_files(node) == []


async def test_gateway_refuses_an_upload_over_its_own_limit(node):
    async with running(node, ["notices"]), gateway(node, max_upload_bytes=2000) as http:
        issuer = await as_role(http, "cast", "issuer")
        # Over the request limit: refused before the body is read.
        r = await issuer.post("/api/attachments", files={"file": ("a.pdf", PDF + b"0" * 100_000, "application/pdf")})
        assert r.status_code == 413 and r.json()["detail"][0]["type"] == "too_large"
        assert r.json()["detail"][0]["loc"] == ["body", "file"] and "上传的文件" in r.json()["detail"][0]["msg"]
        # Within the request's slack for form fields, but the file itself over the limit.
        r = await issuer.post("/api/attachments", files={"file": ("a.pdf", PDF + b"0" * 5000, "application/pdf")})
        assert r.status_code == 413 and r.json()["detail"][0]["loc"] == ["body", "file"]
        assert blob_files(node) == []


# ---------------------------------------------------------------- directory files

GOOD_CSV = """单位编号,单位名称,类别,上级单位,部门,文号模板,联系人1姓名,联系人1手机,联系人2姓名,联系人2邮箱
prov,某省科学技术协会,科协,,组织联络部;学会部,某科协发〔{year}〕{seq}号,张三,13800000000,李四,li@example.cn
city,某市科学技术协会,科协,prov,,,王五,13900000000,,
"uni","某大学科协
（新校区）",高校科协,prov,,,,,,
"""

BAD_CSV = """unit_id,name,kind,parent_id,runs_own_node
ok-1,正常单位,科协,,否
bad-kind,类别错误,宇宙科协,,否
,缺编号,科协,,否
orphan,没有上级,科协,nobody,否
ok-1,重复编号,科协,,否
own,自建节点无节点号,科协,,是
"""

GOOD_YAML = """units:
  - unit_id: prov
    name: 某省科学技术协会
    kind: kexie
    departments: [组织联络部]
    contacts:
      - {name: 张三, mobile: "13800000000"}
  - unit_id: city
    name: 某市科学技术协会
    kind: 科协
    parent_id: prov
"""

BAD_YAML = """- unit_id: a
  name: 甲
  kind: 科协
- unit_id: b
  name: 乙
  kind: 不存在的类别
- just a string
- unit_id: c
  name: 丙
  kind: 科协
  parent_id: a
  contacts:
    - {name: 赵六, email: not-an-email}
"""


async def test_directory_import_csv_and_yaml_and_export_round_trip(node):
    async with running(node, ["notices"]), gateway(node) as anonymous:
        http = await as_role(anonymous, "prov", "admin")
        r = await http.post("/api/units/import", params={"format": "csv"}, content=GOOD_CSV.encode("utf-8"))
        assert r.status_code == 200, r.text
        assert r.json()["imported"] == 3
        units = {u["id"]: u for u in (await http.get("/api/units")).json()["items"]}
        assert units["prov"]["departments"] == ["组织联络部", "学会部"]
        assert [c["name"] for c in units["prov"]["contacts"]] == ["张三", "李四"]
        assert units["uni"]["name"] == "某大学科协\n（新校区）" and units["uni"]["kind"] == "高校科协"
        assert units["city"]["parent_id"] == "prov" and units["city"]["node_id"] == node.node_id

        exported = await http.get("/api/units/export", params={"format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        # Importing the export changes nothing.
        r = await http.post("/api/units/import", params={"format": "csv"}, content=exported.content)
        assert r.status_code == 200 and r.json()["written"] == 0
        assert {u["id"]: u for u in (await http.get("/api/units")).json()["items"]} == units

        y = await http.get("/api/units/export", params={"format": "yaml"})
        assert "某大学科协" in y.text
        r = await http.post("/api/units/import", params={"format": "yaml"}, content=y.content)
        assert r.status_code == 200 and r.json()["written"] == 0

        # GB18030 (a spreadsheet saved on Chinese Windows) is read too.
        r = await http.post("/api/units/import", params={"format": "yaml"}, content=GOOD_YAML.encode("gb18030"))
        assert r.status_code == 200, r.text
        assert (await http.get("/api/units/prov")).json()["contacts"] == [
            {
                "name": "张三",
                "department": None,
                "office_phone": None,
                "mobile": "13800000000",
                "fax": None,
                "email": None,
                "address": None,
            }
        ]


@pytest.mark.parametrize(
    "fmt, text, expected",
    [
        ("csv", BAD_CSV, [(3, "kind"), (4, "unit_id"), (5, "parent_id"), (6, "unit_id"), (7, "node_id")]),
        ("yaml", BAD_YAML, [(4, "kind"), (7, None), (8, "contacts.0.email")]),
        ("csv", "unit_id,name,colour\nx,y,red\n", [(1, "colour"), (1, None)]),
        ("yaml", "units: [unclosed", [(1, None)]),
    ],
)
async def test_directory_import_rejects_bad_rows_with_line_numbers_and_imports_nothing(node, fmt, text, expected):
    async with running(node, ["notices"]), gateway(node) as anonymous:
        await load_directory(anonymous)
        http = await as_role(anonymous, "cast", "admin")
        before = (await http.get("/api/units")).json()["items"]
        r = await http.post("/api/units/import", params={"format": fmt}, content=text.encode("utf-8"))
        assert r.status_code == 422, r.text
        got = [(d["line"], d["loc"][3] if len(d["loc"]) > 3 else None) for d in r.json()["detail"]]
        assert got == expected
        assert all(d["msg"] for d in r.json()["detail"])
        assert (await http.get("/api/units")).json()["items"] == before


async def test_directory_upsert_rules(node):
    async with running(node, ["notices"]), gateway(node) as anonymous:
        await load_directory(anonymous)
        http = await as_role(anonymous, "cast", "admin")
        r = await http.put(
            "/api/units/gd-kx", json={"unit_id": "gd-kx", "name": "广东省科协", "kind": "科协", "parent_id": "sz-kx"}
        )
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "parent_cycle"
        r = await http.put("/api/units/x", json={"unit_id": "x", "name": "甲", "kind": "科协", "parent_id": "ghost"})
        assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["body", "parent_id"]
        r = await http.put(
            "/api/units/x", json={"unit_id": "x", "name": "甲", "kind": "科协", "doc_number_template": "甲〔{year}〕号"}
        )
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "doc_number_template"]
        r = await http.delete("/api/units/gd-kx")
        assert r.status_code == 409 and r.json()["detail"][0]["type"] == "has_children"
        assert (await http.delete("/api/units/scut-kx")).status_code == 200
        assert (await http.get("/api/units/scut-kx")).status_code == 404
