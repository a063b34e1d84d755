"""Unknown pages and methods: an error page for people, JSON for programs; every validation message in Chinese."""

import re

from shared.clock import FixedClock

from ..fixtures import SEED000_NOW, as_unit, load_directory, seed000_national
from ..harness import as_role, create_user, gateway, login, running

HTML = {"accept": "text/html,application/xhtml+xml"}


async def test_unknown_page_is_a_page_and_unknown_api_path_is_json(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await load_directory(http)
        await create_user(http, "gd-clerk", "gd-kx", "submitter")
        browser = await login(http, "gd-clerk")

        page = await browser.get("/no-such-page", headers=HTML)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "页面不存在" in page.text

        wrong_method = await browser.delete("/inbox", headers=HTML)
        assert wrong_method.status_code == 405
        assert "不支持该请求方法" in wrong_method.text

        api = await browser.get("/api/no-such-thing", headers=HTML)
        assert api.status_code == 404
        assert api.json() == {"detail": "Not Found"}

        anonymous = await http.get("/no-such-page", headers=HTML)
        assert anonymous.status_code == 404 and "页面不存在" in anonymous.text


# ---------------------------------------------------------------- every refusal in Chinese

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,']+[A-Za-z]{2,}){2,}")  # "Input should be", "Field required…"


def all_chinese(r) -> list[dict]:
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail and all(CJK.search(d["msg"]) and not ENGLISH_SENTENCE.search(d["msg"]) for d in detail), detail
    return detail


async def test_every_validation_message_of_the_api_is_in_chinese(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        cast = await as_unit(http, "cast")
        admin = await as_role(http, "cast", "admin")
        good = seed000_national()
        ask = good["asks"][0]
        bad = [
            (cast.post("/api/notices", content=b'{"title": ', headers={"content-type": "application/json"}), None),
            (cast.post("/api/notices", json={}), ["body", "title"]),  # missing
            (cast.post("/api/notices", json={**good, "title": ["a list"]}), ["body", "title"]),  # wrong type
            (cast.post("/api/notices", json={**good, "recipient_unit_ids": ["Not A Slug!"]}), None),  # pattern
            (cast.post("/api/notices", json={**good, "asks": [{**ask, "kind": "poem"}]}), ["body", "asks", 0, "kind"]),
            (cast.post("/api/notices", json={**good, "title": "长" * 201}), ["body", "title"]),  # too long
            (cast.post("/api/notices", json={**good, "asks": [{**ask, "max_items": 101}]}), None),  # too many
            (cast.post("/api/notices", json={**good, "recipient_unit_ids": ["gd-kx"] * 20_001}), None),  # too many
            (cast.post("/api/notices", json={**good, "asks": [{**ask, "deadline": "6月20日"}]}), None),  # a date
            (cast.post("/api/notices", json={**good, "asks": [{**ask, "title": "  "}]}), ["body", "asks", 0, "title"]),
            (cast.get("/api/notices", params={"year": "今年"}), None),  # query
            (cast.get("/api/units", params={"kind": "宇宙科协"}), ["query", "kind"]),  # query, enum
            (admin.delete("/api/admin/dead-letters/abc"), ["path", "seq"]),  # path, not an integer
            (admin.get("/api/admin/users", params={"q": "x" * 101}), ["query", "q"]),
        ]
        for call, loc in bad:
            detail = all_chinese(await call)
            if loc is not None:
                assert loc in [d["loc"] for d in detail], detail
        blank = all_chinese(await cast.post("/api/notices", json={**good, "asks": [{**ask, "title": "  "}]}))
        assert blank == [
            {"loc": ["body", "asks", 0, "title"], "msg": "报送要求 1 · 名称：不能为空", "type": "string_too_short"}
        ]

        # A directory file's rows: “Input should be '科协'…”, “String should match pattern…” no more.
        rows = "unit_id,name,kind\nBad Id!,某单位,科协\nok-2,某单位,宇宙科协\nok-3,,科协\n"
        r = await admin.post("/api/units/import", params={"format": "csv"}, content=rows.encode())
        detail = all_chinese(r)
        assert [(d["line"], d["msg"]) for d in detail] == [
            (2, "格式不正确"),
            (3, "应为以下之一：科协、科技厅/局、学会/协会/研究会、高校科协、企业科协、机关部门、其他"),
            (4, "不能为空"),
        ]


async def test_a_file_fields_types_are_kept_by_the_api(node):
    async with running(node, ["notices"], clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        cast = await as_unit(http, "cast")
        r = await cast.post("/api/notices", json={**seed000_national(), "issuer_unit_ids": ["cast"]})
        assert r.status_code == 201, r.text
        notice = (await cast.get(f"/api/notices/{r.json()['notice_id']}")).json()
        media = next(a for a in notice["asks"] if a["ask_id"] == "media")
        assert media["fields"][0]["accept"] == ["jpg", "jpeg", "png", "mp4", "mov"]
