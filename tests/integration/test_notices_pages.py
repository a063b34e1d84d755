"""The notice pages over HTTP with real sessions and CSRF: compose, 签收, 转发, 更正, 撤回, directory; escaping."""

import re

import pytest

from shared.clock import FixedClock

from ..fixtures import SEED000_NOW, as_unit, load_directory, seed000_national
from ..harness import create_user, eventually, gateway, issue, login, running

HTML = {"Accept": "text/html"}
PDF = b"%PDF-1.4\n%%EOF\n"


async def person(http, username: str, unit_id: str, *roles: str):
    await create_user(http, username, unit_id, *roles, display_name=username)
    return await login(http, username)


def notice_id_of(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


async def page(client, url: str) -> str:
    r = await client.get(url, headers=HTML)
    assert r.status_code == 200, (url, r.status_code, r.text[:500])
    return r.text


def compose_form(csrf: str, **extra) -> dict:
    """What a person types into the compose form: seed 000's national notice with its summary ask."""
    return {
        "csrf_token": csrf,
        "title": "关于开展2020年“全国科技工作者日”活动的通知",
        "co_issuers": "most",
        "recipients": ["gd-kx", "gd-kjt", "cmes"],
        "body": "请各有关单位认真总结活动开展情况和工作成效，于6月20日前报送文字信息、影像资料等。",
        "asks-0-title": "活动总结报告",
        "asks-0-kind": "summary_report",
        "asks-0-deadline": "2020-06-20",
        "asks-0-min_items": "1",
        "asks-0-max_items": "2",
        "asks-0-note": "3000字以内，盖章PDF版和word版",
        "asks-0-unit_kinds": ["科协", "学会/协会/研究会"],
        "asks-0-fields-0-label": "总结报告",
        "asks-0-fields-0-type": "text",
        "asks-0-fields-0-max_chars": "3000",
        "asks-0-fields-0-required": "1",
        "asks-0-fields-1-label": "主题活动模块",
        "asks-0-fields-1-type": "multi_choice",
        "asks-0-fields-1-options": "团结引领、建家办事、为民服务、开放合作、表彰发布",
        "asks-0-fields-2-label": "",  # a blank row of the form
        "asks-0-routes-0-unit_kind": "科协",
        "asks-0-routes-0-to_unit_id": "cast",
        "asks-0-routes-0-department": "组织人事部",
        "asks-0-routes-1-unit_kind": "科技厅/局",
        "asks-0-routes-1-to_unit_id": "most",
        "asks-0-routes-1-department": "引进国外智力管理司",
        "contacts-0-name": "马文斌",
        "contacts-0-office_phone": "(010)68578091",
        "contacts-1-name": "",
        **extra,
    }


async def test_compose_sign_forward_correct_and_withdraw_through_the_pages(node):
    async with running(node, clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        national = await person(http, "cast-issuer", "cast", "issuer", "reviewer")
        gd_clerk = await person(http, "gd-clerk", "gd-kx", "submitter")
        gd_issuer = await person(http, "gd-issuer", "gd-kx", "issuer")
        city = await person(http, "sz-clerk", "sz-kx", "submitter")
        signers = [
            await person(http, "cast-signer", "cast", "signer"),
            await person(http, "most-signer", "most", "signer"),
        ]

        # Compose: the form renders with the ask editor and the form templates; a bad deadline comes back
        # with the error named and what was typed kept.
        form = await page(national, "/notices/new")
        assert 'name="asks-0-title"' in form and "特色亮点活动筹备方案" in form and 'id="tpl-ask-asks"' in form
        r = await national.post(
            "/notices/new", data=compose_form(national.csrf, **{"asks-0-deadline": "2020-05-01"}), headers=HTML
        )
        assert r.status_code == 422
        assert "报送要求 1 · 截止时间" in r.text and "截止时间已过" in r.text
        assert "关于开展2020年“全国科技工作者日”活动的通知" in r.text  # kept
        r = await national.post(
            "/notices/new",
            data=compose_form(national.csrf),
            files={"files": ("实施方案.pdf", PDF, "application/pdf")},
            headers=HTML,
        )
        # A joint notice is not issued at once: kept as a draft and sent for 签发, its page says so; the 签发人 of
        # 中国科协 signs it and the one of 科技部 会签 it, each on the draft's page; the last signature issues it.
        assert r.status_code == 303, r.text
        draft_url = r.headers["location"]
        assert draft_url.startswith("/drafts/") and draft_url.endswith("?saved=signing"), draft_url
        draft_id = draft_url.split("?")[0].rsplit("/", 1)[1]
        assert "已保存为草稿并送签发" in await page(national, draft_url)
        for signer in signers:
            assert 'id="approve"' in await page(signer, f"/drafts/{draft_id}")
            r = await signer.post(f"/drafts/{draft_id}/approve", data={"csrf_token": signer.csrf}, headers=HTML)
            assert r.status_code == 303 and r.headers["location"] == f"/drafts/{draft_id}?saved=signed", r.text
        signed = await page(national, f"/drafts/{draft_id}")
        assert f'href="/notices/{draft_id}" id="issued-notice"' in signed and "签发人：cast-signer" in signed
        nid = draft_id  # the notice keeps its draft's id
        detail = await page(national, f"/notices/{nid}")
        assert "科协发组字〔2020〕1号" in detail and "活动总结报告" in detail and "3000字以内" in detail
        assert "团结引领、建家办事、为民服务、开放合作、表彰发布" in detail and "实施方案.pdf" in detail
        assert 'id="receipts"' in detail and "已签收 0 / 3" in detail
        assert "签发人：cast-signer" in detail and "会签：中华人民共和国科学技术部 most-signer" in detail
        notice = await (await as_unit(http, "cast")).get(f"/api/notices/{nid}")
        [ask] = notice.json()["asks"]
        assert ask["deadline"].startswith("2020-06-20T15:59:59") and ask["unit_kinds"] == ["科协", "学会/协会/研究会"]
        assert [f["label"] for f in ask["fields"]] == ["总结报告", "主题活动模块"]
        assert notice.json()["issuers"][1]["unit_id"] == "most"

        # 签收 from the inbox.
        inbox = await eventually(lambda: _contains(gd_clerk, "/inbox", nid))
        assert "签收" in inbox
        r = await gd_clerk.post(f"/inbox/{nid}/acknowledge", data={"csrf_token": gd_clerk.csrf}, headers=HTML)
        assert r.status_code == 303
        assert "已签收" in await page(gd_clerk, "/inbox")
        # Without the CSRF token the same form is refused.
        r = await gd_clerk.post(f"/inbox/{nid}/acknowledge", data={}, headers=HTML)
        assert r.status_code == 403

        # 转发: the form starts from the upstream asks; a later deadline is refused naming the ask.
        fwd_form = await page(gd_issuer, f"/notices/{nid}/forward")
        assert 'max="2020-06-20"' in fwd_form and "上级截止" in fwd_form
        assert re.search(r'value="sz-kx" checked', fwd_form)  # its own subordinates preselected
        data = {
            "csrf_token": gd_issuer.csrf,
            "recipients": ["sz-kx", "sz-kjj"],
            "cover_note": "现将通知转发给你们，请于6月10日前报送。",
            "inherit-0-ask_id": ask["ask_id"],
            "inherit-0-kinds_set": "1",
            "inherit-0-deadline": "2020-06-21",
            "routes-0-unit_kind": "科协",
            "routes-0-to_unit_id": "gd-kx",
            "routes-0-department": "组织联络部",
        }
        r = await gd_issuer.post(f"/notices/{nid}/forward", data=data, headers=HTML)
        assert r.status_code == 422 and "活动总结报告" in r.text and "晚于上级要求的截止时间" in r.text
        r = await gd_issuer.post(
            f"/notices/{nid}/forward", data={**data, "inherit-0-deadline": "2020-06-10"}, headers=HTML
        )
        fid = notice_id_of(r)
        forwarded = await page(gd_issuer, f"/notices/{fid}")
        assert "粤科协联〔2020〕1号" in forwarded and "科协发组字〔2020〕1号" in forwarded  # the chain
        assert "2020-06-10 23:59" in forwarded and "上级来文原文" in forwarded
        assert (await _contains(city, "/inbox", fid)) and "转发" in await page(city, f"/notices/{fid}")
        # The national issuer's page shows the province's 签收 and its 转发.
        detail = await eventually(lambda: _contains(national, f"/notices/{nid}", "粤科协联〔2020〕1号"))
        assert "已签收 1 / 3" in detail

        # 更正 and 撤回 by forms; the recipient and the forward see them.
        correct = await page(national, f"/notices/{nid}/correct")
        assert 'name="asks-0-deadline" value="2020-06-20"' in correct
        r = await national.post(
            f"/notices/{nid}/correct",
            headers=HTML,
            data={
                "csrf_token": national.csrf,
                "reason": "截止时间提前",
                "title": "关于开展2020年“全国科技工作者日”活动的通知（更正）",
                "body": "正文不变",
                "asks-0-deadline": "2020-06-18",
            },
        )
        assert r.status_code == 303, r.text
        assert "截止时间提前" in await eventually(lambda: _contains(gd_clerk, "/inbox", "已更正"))
        assert "上级来文" in await eventually(lambda: _contains(gd_issuer, f"/notices/{fid}", "upstream-change"))
        r = await national.post(
            f"/notices/{nid}/withdraw", data={"csrf_token": national.csrf, "reason": "另行通知"}, headers=HTML
        )
        assert r.status_code == 303
        assert "另行通知" in await eventually(lambda: _contains(gd_clerk, "/inbox", "已撤回"))


async def _contains(client, url: str, needle: str):
    r = await client.get(url, headers=HTML)
    return r.text if r.status_code == 200 and needle in r.text else None


SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"


async def test_markup_typed_anywhere_is_shown_escaped_on_every_page(node):
    async with running(node, clock=FixedClock(SEED000_NOW)), gateway(node) as http:
        await load_directory(http)
        admin = await person(http, "admin", "cast", "admin")
        evil = {
            "unit_id": "evil-kx",
            "name": f"恶意{SCRIPT}科协",
            "kind": "科协",
            "parent_id": "gd-kx",
            "departments": [f"部门{IMG}"],
            "contacts": [{"name": f"联系人{IMG}"}],
        }
        r = await admin.post(
            "/directory/save",
            headers=HTML,
            data={
                "csrf_token": admin.csrf,
                "new": "1",
                "unit_id": evil["unit_id"],
                "name": evil["name"],
                "kind": "科协",
                "parent_id": "gd-kx",
                "departments": evil["departments"][0],
                "contacts-0-name": evil["contacts"][0]["name"],
            },
        )
        assert r.status_code == 303, r.text
        cast, gd = (
            await person(http, "cast-i", "cast", "issuer"),
            await person(http, "gd-i", "gd-kx", "issuer", "submitter"),
        )
        body = {
            **seed000_national(["gd-kx", "evil-kx"]),
            "body": f"正文{IMG}{SCRIPT}",
            "contacts": [{"name": f"马{SCRIPT}"}],
        }
        nid = (await issue(await as_unit(http, "cast"), body)).json()["notice_id"]
        await eventually(lambda: _contains(gd, "/inbox", nid))
        fid_r = await (await as_unit(http, "gd-kx")).post(
            f"/api/notices/{nid}/forward",
            json={"unit_id": "gd-kx", "recipient_unit_ids": ["evil-kx"], "cover_note": f"说明{SCRIPT}"},
        )
        fid = fid_r.json()["notice_id"]
        # A title with markup is refused outright (422, naming the field), on the form as in the API.
        r = await cast.post("/notices/new", headers=HTML, data=compose_form(cast.csrf, title=f"标题{SCRIPT}"))
        assert r.status_code == 422 and "标题" in r.text and "<script>alert" not in r.text

        # Every page, and those that show what was typed show it as text.
        pages = [
            (cast, f"/notices/{nid}", True),
            (cast, "/", False),
            (gd, "/inbox", False),
            (gd, f"/notices/{nid}", True),
            (gd, f"/notices/{nid}/forward", True),
            (gd, f"/notices/{fid}", True),
            (gd, "/", False),
            (cast, "/notices/new", True),
            (admin, "/directory", True),
            (admin, "/directory/evil-kx", True),
        ]
        for client, url, shows_it in pages:
            html = await page(client, url)
            for raw in (SCRIPT, IMG):
                assert raw not in html, url
            assert ("&lt;script&gt;" in html or "&lt;img" in html) is shows_it, url


@pytest.mark.parametrize(
    "who, url, status",
    [
        ("clerk", "/notices/new", 403),
        ("clerk", "/directory", 403),
        ("issuer", "/directory", 403),
        ("issuer", "/notices/new", 200),
        ("clerk", "/inbox", 200),
        ("admin", "/directory", 200),
    ],
)
async def test_pages_follow_the_roles(node, who, url, status):
    async with running(node, ["notices"]), gateway(node) as http:
        await load_directory(http)
        roles = {"clerk": ("gd-kx", "submitter"), "issuer": ("gd-kx", "issuer"), "admin": ("cast", "admin")}[who]
        client = await person(http, who, *roles)
        r = await client.get(url, headers=HTML)
        assert r.status_code == status


async def test_directory_import_page_shows_bad_rows_and_imports_nothing(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await load_directory(http)
        admin = await person(http, "admin", "cast", "admin")
        bad = "unit_id,name,kind\nok-1,正常,科协\nbad,类别错误,宇宙科协\n".encode()
        r = await admin.post(
            "/directory/import",
            headers=HTML,
            data={"csrf_token": admin.csrf, "format": "csv"},
            files={"file": ("units.csv", bad, "text/csv")},
        )
        assert r.status_code == 422
        assert re.search(r"<td>3</td><td>类别</td>", r.text) and "units.csv 未导入" in r.text
        assert "ok-1" not in (await page(admin, "/directory"))
        good = "unit_id,name,kind,parent_id\nok-1,正常单位,科协,cast\nok-2,另一个,高校科协,cast\n".encode()
        r = await admin.post(
            "/directory/import",
            headers=HTML,
            data={"csrf_token": admin.csrf, "format": "csv"},
            files={"file": ("units.csv", good, "text/csv")},
        )
        assert r.status_code == 303 and r.headers["location"] == "/directory?imported=2"
        listing = await page(admin, "/directory?imported=2")
        assert "已导入 2 个单位" in listing and "另一个" in listing
        export = await admin.get("/api/units/export?format=csv")
        assert export.status_code == 200 and "ok-2,另一个,高校科协,cast" in export.text
