"""导入公文 on real servers: the seeds uploaded as text (one as a .docx, one as a PDF made here) become drafts whose
文号, issuers, title, deadlines, asks and routes are what the seed says (tests/seeds_expected.py); a 转发 when the
notice it forwards was received in Cascade; issued after review, the notice the seed describes. Bad input is a
4xx in Chinese naming the field, never a 5xx. And the pages: 导入公文 on 拟稿 and on a 收文, the review with every
field 待核对 until confirmed.

The world: the seeds' directory (tests/fixtures.py) on one node, its clock on the seed's day.
"""

import contextlib
import re
from datetime import date

import httpx
import pytest

from shared.clock import FixedClock, end_of_day

from .. import fixtures as f
from ..harness import as_role, create_user, eventually, gateway, issue, login, running
from ..seeds_expected import EXPECTED, IMPORTED_BY, TZ, Ask, seed_text
from ..unit.test_intake_extract import make_docx, make_pdf

HTML = {"Accept": "text/html"}
NOW = {0: f.SEED000_NOW, 1: f.SEED001_NOW, 2: f.SEED002_NOW, 3: f.SEED003_NOW}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@contextlib.asynccontextmanager
async def world(node, n: int, services: tuple[str, ...] = ("notices",)):
    async with running(node, services, clock=FixedClock(NOW[n])), gateway(node) as http:
        await f.load_directory(http)
        yield http


def lines(n: int) -> list[str]:
    return [ln.strip() for ln in seed_text(n).splitlines() if ln.strip()]


def due(d: date) -> str:
    return end_of_day(d, TZ).isoformat()


def same_instant(a: str, b: str) -> bool:
    from datetime import datetime

    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refusal(r: httpx.Response, status: int, field: str) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", field], detail
    assert chinese(detail["msg"]), detail
    return detail["msg"]


# ---------------------------------------------------------------- what a draft must hold


def check_ask(got: dict, want: Ask) -> None:
    assert (got["kind"], got["title"]) == (want.kind, want.title), got
    assert same_instant(got["deadline"], due(want.deadline)), (got["title"], got["deadline"])
    assert set(got["unit_kinds"]) == set(want.unit_kinds), got["title"]
    chars = {fld.get("max_chars") for fld in got["fields"]} - {None}
    assert chars == ({want.chars} if want.chars else set()), got["title"]
    if want.items:
        assert (got["min_items"], got["max_items"]) == want.items, got["title"]
    accept = {a for fld in got["fields"] for a in fld.get("accept") or []}
    assert accept == set(want.formats), got["title"]


def routes_of(asks: list[dict]) -> set[tuple[str, str, str]]:
    return {(r["unit_kind"], r["to_unit_id"], r["department"]) for a in asks for r in a["routes"]}


def expanded(n: int, level: int = 0) -> set[tuple[str, str, str]]:
    """The seed's routes, one per kind of unit (a route for "whoever owes it": the kinds the 主送机关 names)."""
    want = EXPECTED[n][level]
    return {(k, r.unit_id, r.department) for r in want.routes for k in (r.unit_kinds or want.recipient_kinds)}


def check_notice_draft(n: int, content: dict) -> None:
    """A notice draft holds what seed ``n`` says of itself (its asks with theirs deadlines, limits, routes)."""
    want = EXPECTED[n][0]
    assert content["doc_number"] == want.doc_number
    assert content["issuer_unit_ids"] == [unit for _, unit in want.issuers]
    assert content["title"] == want.title
    asks = {a["ask_id"]: a for a in content["asks"]}
    assert set(asks) == set(want.asks)
    for ask_id, a in want.asks.items():
        check_ask(asks[ask_id], a)
    assert routes_of(content["asks"]) == expanded(n)


async def import_text(client, n: int, **extra) -> dict:
    r = await client.post("/api/drafts/import", json={"text": seed_text(n), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def field_ids(result: dict, state: str | None = None) -> list[str]:
    return [x["id"] for x in result["fields"] if state is None or x["state"] == state]


# ---------------------------------------------------------------- the seeds, as text, .docx and PDF


@pytest.mark.parametrize("n", [0, 1, 2, 3])
async def test_a_seed_pasted_as_text_becomes_the_draft_it_describes(node, n):
    async with world(node, n) as http:
        clerk = await as_role(http, IMPORTED_BY[n], "issuer")
        result = await import_text(clerk, n)
        draft = result["draft"]
        assert (result["kind"], draft["kind"], draft["status"]) == ("notice", "notice", "draft")
        check_notice_draft(n, draft["notice"])
        # every field with its confidence and the span of the text it came from, all 待核对
        assert result["pending"] == len(result["fields"]) > 10
        text = result["text"]
        doc = next(x for x in result["fields"] if x["id"] == "0:doc_number")
        assert doc["value"] == EXPECTED[n][0].doc_number and 0.5 <= doc["confidence"] <= 1
        assert text[doc["span"][0] : doc["span"][1]] == doc["value"] == doc["source"]
        deadline = next(x for x in result["fields"] if x["key"].endswith(".deadline") and x["level"] == 0)
        assert deadline["use"] == "draft" and "前" in deadline["source"] + deadline["display"]
        if len(EXPECTED[n]) > 1:  # it forwards a notice this node never received: said so, and its fields shown
            assert any("不在本单位的收文中" in w["message"] for w in result["warnings"])
            up = [x for x in result["fields"] if x["level"] == 1]
            assert up and all(x["use"] == "info" for x in up)
            assert next(x for x in up if x["key"] == "doc_number")["value"] == EXPECTED[n][1].doc_number
        # the draft is the unit's, as any other: listed, and its review can be read again
        assert draft["id"] in [d["id"] for d in (await clerk.get("/api/drafts")).json()["items"]]
        again = (await clerk.get(f"/api/drafts/{draft['id']}/import")).json()
        assert again["pending"] == result["pending"] and again["draft"]["id"] == draft["id"]


async def test_seed001_as_a_docx(node):
    async with world(node, 1) as http:
        clerk = await as_role(http, "wn-kx", "issuer")
        docx = make_docx(lines(1))
        r = await clerk.post("/api/drafts/import", files={"file": ("渭科协发〔2020〕12号.docx", docx, DOCX)})
        assert r.status_code == 201, r.text
        assert r.json()["file_type"] == "docx" and r.json()["filename"] == "渭科协发〔2020〕12号.docx"
        check_notice_draft(1, r.json()["draft"]["notice"])
        # the proposed recipients: the city's subordinates of the kinds its 主送机关 names
        proposed = set(r.json()["draft"]["notice"]["recipient_unit_ids"])
        assert proposed == {"wn-lw-kx", "wn-lw-kjj", "wn-nxh", "wnnu-kx", "wn-shgs-kx"}  # as tests/fixtures.py


async def test_seed002_as_a_pdf(node):
    async with world(node, 2) as http:
        clerk = await as_role(http, "cast-bgt", "issuer")
        pdf = make_pdf(lines(2))
        r = await clerk.post(
            "/api/drafts/import", files={"file": ("科协办函组字〔2020〕29号.pdf", pdf, "application/pdf")}
        )
        assert r.status_code == 201, r.text
        assert r.json()["file_type"] == "pdf"
        check_notice_draft(2, r.json()["draft"]["notice"])


async def test_seed002_reviewed_and_signed_is_the_notice_the_seed_describes(node):
    async with world(node, 2) as http:
        clerk = await as_role(http, "cast-bgt", "issuer")
        result = await import_text(clerk, 2)
        draft_id = result["draft"]["id"]
        # a person checks a few fields, then all of them
        some = field_ids(result)[:3]
        checked = (await clerk.post(f"/api/drafts/{draft_id}/import/confirm", json={"fields": some})).json()
        assert checked["pending"] == result["pending"] - 3
        assert {x["id"]: x["state"] for x in checked["fields"]}[some[0]] == "confirmed"
        done = (await clerk.post(f"/api/drafts/{draft_id}/import/confirm", json={"all": True})).json()
        assert done["pending"] == 0
        # an edit in the draft is one too: the field is no longer 待核对 but 已修改
        fresh = await import_text(clerk, 2)
        content = {
            **fresh["draft"]["notice"],
            "title": "中国科协办公厅关于印发《2020年“全国科技工作者日”活动实施方案》的通知（修改）",
        }
        r = await clerk.put(f"/api/drafts/{fresh['draft']['id']}", json={"notice": content, "version": 1})
        assert r.status_code == 200, r.text
        states = {
            x["id"]: x["state"]
            for x in (await clerk.get(f"/api/drafts/{fresh['draft']['id']}/import")).json()["fields"]
        }
        assert states["0:title"] == "edited" and states["0:doc_number"] == "pending"

        # the 办公厅 has no subordinates to propose: the person chooses the recipients (the seed's)
        assert "recipient_unit_ids" not in done["draft"]["notice"] or not done["draft"]["notice"]["recipient_unit_ids"]
        chosen = {**done["draft"]["notice"], "recipient_unit_ids": f.seed002_notice()["recipient_unit_ids"]}
        r = await clerk.put(f"/api/drafts/{draft_id}", json={"notice": chosen, "version": done["draft"]["version"]})
        assert r.status_code == 200, r.text

        # 送签发 and 签发: a person of the unit, then its 签发人; the notice is the seed's
        assert (await clerk.post(f"/api/drafts/{draft_id}/submit")).status_code == 200
        signer = await as_role(http, "cast-bgt", "signer")
        signed = await signer.post(f"/api/drafts/{draft_id}/approve", json={"comment": "同意"})
        assert signed.status_code == 200 and signed.json()["status"] == "issued", signed.text
        notice = (await clerk.get(f"/api/notices/{draft_id}")).json()
        want = EXPECTED[2][0]
        assert (notice["doc_number"], notice["title"]) == (want.doc_number, want.title)
        assert [i["unit_id"] for i in notice["issuers"]] == ["cast-bgt"]
        assert [a["ask_id"] for a in notice["asks"]] == list(want.asks)
        for a in notice["asks"]:
            check_ask(a, want.asks[a["ask_id"]])
        assert routes_of(notice["asks"]) == expanded(2)
        assert notice["addressees"].startswith("各全国学会、协会、研究会")
        assert notice["recipient_count"] == 6
        # the review stays readable once the draft is issued: no editor, a link to the draft
        page = await clerk.get(f"/imports/{draft_id}", headers=HTML)
        assert page.status_code == 200 and 'id="compose"' not in page.text and f'href="/drafts/{draft_id}"' in page.text
        assert (await clerk.get(f"/api/drafts/{draft_id}/import")).json()["pending"] == 0


# ---------------------------------------------------------------- a 转发 of the notice received in Cascade


async def test_seed000_forwards_the_national_notice_this_province_received(node):
    async with world(node, 0) as http:
        national = await as_role(http, "cast", "issuer", "submitter")
        r = await issue(national, f.seed000_national())
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        clerk = await as_role(http, "gd-kx", "issuer", "submitter")
        await eventually(lambda: _in_inbox(clerk, nid))

        result = await import_text(clerk, 0)
        draft = result["draft"]
        assert (result["kind"], draft["kind"]) == ("forward", "forward")
        assert result["forwarding"]["notice_id"] == nid
        fwd = draft["forward"]
        want = EXPECTED[0][0]
        assert (fwd["notice_id"], fwd["unit_id"], fwd["co_issuer_unit_ids"]) == (nid, "gd-kx", ["gd-kjt"])
        assert (fwd["doc_number"], fwd["title"]) == (want.doc_number, want.title)
        # the document's deadlines, keyed by the asks of the notice in Cascade ("文字信息" is its "summary")
        assert {k: v for k, v in fwd["deadlines"].items()} == {
            "summary": fwd["deadlines"]["summary"],
            "media": fwd["deadlines"]["media"],
        }
        assert all(same_instant(v, due(date(2020, 6, 10))) for v in fwd["deadlines"].values())
        assert {(r["unit_kind"], r["to_unit_id"], r["department"]) for r in fwd["routes"]} == expanded(0)
        assert fwd["extra_asks"] == []
        assert [c["name"] for c in fwd["contacts"]] == ["雷晶", "周长江", "夏兴林"]
        upstream = [x for x in result["fields"] if x["level"] == 1]
        assert upstream and all(x["use"] == "info" for x in upstream)

        # reviewed, sent for 签发, signed by both 签发人 (会签): the seed's 转发
        await clerk.post(f"/api/drafts/{draft['id']}/import/confirm", json={"all": True})
        assert (await clerk.post(f"/api/drafts/{draft['id']}/submit")).status_code == 200
        for unit in ("gd-kx", "gd-kjt"):
            signer = await as_role(http, unit, "signer")
            signed = await signer.post(f"/api/drafts/{draft['id']}/approve", json={})
            assert signed.status_code == 200, signed.text
        assert signed.json()["status"] == "issued"
        notice = (await clerk.get(f"/api/notices/{draft['id']}")).json()
        assert (notice["kind"], notice["doc_number"], notice["parent_notice_id"]) == ("forwarded", want.doc_number, nid)
        assert [i["unit_id"] for i in notice["issuers"]] == ["gd-kx", "gd-kjt"]
        assert all(same_instant(a["deadline"], due(date(2020, 6, 10))) for a in notice["asks"])


async def test_seed003_forwards_the_national_plan_with_asks_of_its_own(node):
    async with world(node, 3) as http:
        national = await as_role(http, "cast-bgt", "issuer")
        r = await national.post("/api/notices", json=f.seed003_national())
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        clerk = await as_role(http, "qh-kx", "issuer", "submitter")
        await eventually(lambda: _in_inbox(clerk, nid))

        result = await import_text(clerk, 3)
        fwd = result["draft"]["forward"]
        assert (result["kind"], fwd["notice_id"], fwd["doc_number"]) == ("forward", nid, "青科协发〔2021〕15号")
        assert {k: date.fromisoformat(v[:10]) for k, v in fwd["deadlines"].items()} == {
            "plan": date(2021, 5, 8),
            "summary": date(2021, 6, 18),
        }
        assert fwd["unit_kinds"] == {"plan": ["机关部门"], "summary": ["机关部门"]}
        extra = {a["ask_id"]: a for a in fwd["extra_asks"]}
        want = EXPECTED[3][0].asks
        # the brief plan is "plan" in the document, beside the notice's own "plan": renamed
        assert set(extra) == {"liaison-form", "plan-2", "summary-report-2"}
        for ask_id, a in extra.items():
            check_ask(a, want[{"plan-2": "plan"}.get(ask_id, ask_id)])
        assert routes_of(fwd["extra_asks"]) == {(k, "qh-kx", "办公室") for k in ("科协", "高校科协", "企业科协")}
        # the province's own 转发 fields are the draft's; the national notice's are shown for reference
        used = {x["key"] for x in result["fields"] if x["use"] == "draft"}
        assert {"doc_number", "title", "asks.plan-2.deadline", "asks.summary-report.deadline"} <= used


async def _in_inbox(client, notice_id):
    return any(e["notice_id"] == notice_id for e in (await client.get("/api/inbox")).json()["items"])


# ---------------------------------------------------------------- bad input: 4xx in Chinese, never a 5xx


async def test_bad_documents_are_refused_naming_the_field_and_why(node):
    async with world(node, 2) as http:
        clerk = await as_role(http, "cast-bgt", "issuer")

        def upload(name, data, ctype="application/octet-stream"):
            return clerk.post("/api/drafts/import", files={"file": (name, data, ctype)})

        scanned = make_pdf([], blank_pages=2)
        assert "文字层" in refusal(await upload("扫描件.pdf", scanned, "application/pdf"), 422, "file")
        assert "空文件" in refusal(await upload("空.txt", b"", "text/plain"), 422, "file")
        binary = bytes(range(256)) * 64
        assert "二进制" in refusal(await upload("乱码.txt", binary, "text/plain"), 415, "file")
        assert "不符" in refusal(await upload("坏.pdf", b"not a pdf" * 100, "application/pdf"), 415, "file")
        assert ".docx" in refusal(await upload("旧版.doc", b"\xd0\xcf\x11\xe0" * 100), 415, "file")
        assert "类型" in refusal(await upload("程序.exe", b"MZ" * 100), 415, "file")
        big = await upload("大文件.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024), "application/pdf")
        assert big.status_code == 413 and chinese(big.json()["detail"][0]["msg"]), big.text[:300]
        assert big.json()["detail"][0]["loc"] == ["body", "file"]
        not_a_notice = "今天天气很好，我们去公园散步，看到很多人在放风筝。晚上回家吃饭。" * 5
        r = await clerk.post("/api/drafts/import", json={"text": not_a_notice})
        assert "不像一份公文" in refusal(r, 422, "text")
        assert "粘贴" in refusal(await clerk.post("/api/drafts/import", json={"text": "  "}), 422, "text")
        refusal(await clerk.post("/api/drafts/import", json={}), 422, "text")
        r = await clerk.post("/api/drafts/import", content=b"\x00\x01", headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"] and chinese(r.text), r.text
        r = await clerk.post("/api/drafts/import", json={"text": seed_text(2), "notice_id": "01NOSUCHNOTICE"})
        assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["body", "notice_id"], r.text
        assert (await clerk.get("/api/drafts")).json()["items"] == []  # nothing was saved

        # a document that lacks some parts: a draft that says what it could not find
        partial = "关于开展2020年科技活动周的通知\n各市科协：\n请于2020年5月30日前报送活动总结。\n"
        r = await clerk.post("/api/drafts/import", json={"text": partial})
        assert r.status_code == 201, r.text
        said = " ".join(w["message"] for w in r.json()["warnings"])
        assert "未找到文号" in said and "未找到发文机关" in said
        assert r.json()["draft"]["notice"]["issuer_unit_ids"] == ["cast-bgt"]


async def test_a_deadline_already_past_leaves_its_ask_out_and_says_why(node):
    async with running(node, ["notices"], clock=FixedClock(f.SEED003_NOW)), gateway(node) as http:
        await f.load_directory(http)
        clerk = await as_role(http, "cast-bgt", "issuer")
        result = await import_text(clerk, 2)  # 2020's deadlines, read in 2021
        assert result["draft"]["notice"]["asks"] == []
        left = [x for x in result["fields"] if x["use"] == "left_out"]
        assert left and all("截止时间已过" in x["reason"] for x in left)
        assert any("未填入草稿" in w["message"] for w in result["warnings"])


# ---------------------------------------------------------------- the pages


async def test_import_pages_from_compose_and_from_a_received_notice(node):
    async with world(node, 0, ("notices", "submissions")) as http:  # the notice page shows what is submitted
        national = await as_role(http, "cast", "issuer", "submitter")
        nid = (await issue(national, f.seed000_national())).json()["notice_id"]
        await create_user(http, "leijing", "gd-kx", "issuer", "submitter", display_name="雷晶")
        await create_user(http, "bairu", "wn-kx", "issuer", display_name="白茹")
        province = await login(http, "leijing")
        browser = await login(http, "bairu")

        compose = await browser.get("/notices/new", headers=HTML)
        assert 'id="import-link"' in compose.text and 'href="/imports/new"' in compose.text
        form = await browser.get("/imports/new", headers=HTML)
        assert form.status_code == 200 and 'id="import-form"' in form.text

        # nothing chosen: the form again, saying so
        r = await browser.post("/imports/new", data={"csrf_token": browser.csrf, "text": ""}, headers=HTML)
        assert r.status_code == 422 and 'id="errors"' in r.text and "粘贴" in r.text

        # pasted: the review page, every field 待核对, the 拟稿 form prefilled
        r = await browser.post(
            "/imports/new",
            data={"csrf_token": browser.csrf, "text": seed_text(1)},
            files={"file": ("", b"", "application/octet-stream")},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        review_url = r.headers["location"]
        page = await browser.get(review_url, headers=HTML)
        assert page.status_code == 200
        assert 'id="import-review"' in page.text and 'id="compose"' in page.text
        pending = int(re.search(r'data-pending="(\d+)"', page.text)[1])
        assert pending > 10 and page.text.count("（待核对）") >= pending
        assert 'value="渭科协发〔2020〕12号"' in page.text  # the form holds the draft: its 文号…
        assert 'name="asks-0-deadline" value="2020-06-10"' in page.text  # …and its deadlines
        assert 'id="import-marks"' in page.text and '"inputs": ["doc_number"]' in page.text

        ids = re.findall(r'name="confirm" value="([^"]+)"', page.text)
        r = await browser.post(
            review_url + "/confirm",
            data={"csrf_token": browser.csrf, "confirm": ids[:2], "action": "selected"},
            headers=HTML,
        )
        assert r.status_code == 303
        page = await browser.get(review_url, headers=HTML)
        assert int(re.search(r'data-pending="(\d+)"', page.text)[1]) == pending - 2
        assert f'data-field="{ids[0]}" data-state="confirmed"' in page.text
        r = await browser.post(
            review_url + "/confirm", data={"csrf_token": browser.csrf, "action": "all"}, headers=HTML
        )
        page = await browser.get(review_url, headers=HTML)
        assert 'data-pending="0"' in page.text and "（待核对）" not in page.text

        # from the 收文: 导入公文 makes a 转发 of it
        browser = province
        await eventually(lambda: _in_inbox(browser, nid))
        notice = await browser.get(f"/notices/{nid}", headers=HTML)
        assert f'href="/imports/new?notice={nid}"' in notice.text
        form = await browser.get(f"/imports/new?notice={nid}", headers=HTML)
        assert 'id="import-forwarding"' in form.text and "科协发组字〔2020〕7号" in form.text
        r = await browser.post(
            "/imports/new",
            data={"csrf_token": browser.csrf, "notice_id": nid},
            files={"file": ("粤科协联〔2020〕9号.txt", seed_text(0).encode("utf-8"), "text/plain")},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        page = await browser.get(r.headers["location"], headers=HTML)
        assert 'id="import-forwarding"' in page.text and 'name="cover_note"' in page.text
        assert 'name="inherit-0-deadline" value="2020-06-10"' in page.text
        assert "（待核对）" in page.text

        # a file that is not a notice: the form again, in Chinese
        r = await browser.post(
            "/imports/new",
            data={"csrf_token": browser.csrf},
            files={"file": ("扫描件.pdf", make_pdf([], blank_pages=1), "application/pdf")},
            headers=HTML,
        )
        assert r.status_code == 422 and "文字层" in r.text
