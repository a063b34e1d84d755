"""Documents out of Cascade, on real servers: seed 000's notice and its 转发 as the 红头 公文 (.docx, .pdf), the
汇总表 of an ask (.xlsx, .docx) with its gaps and the source unit of what came up in a 汇总, the blank 样表
(.docx, .xlsx), the preview of a notice before it is issued; who may download what, and bad requests.

Every file is read back with the library an office would open it with (python-docx, openpyxl, pypdf).
"""

import csv
import io
import re
import zipfile
from urllib.parse import unquote

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from shared.clock import FixedClock

from ..fixtures import (
    FIVE_MODULES,
    SEED000_NOW,
    as_unit,
    deadline,
    liaison_form,
    load_directory,
    plan_form,
    seed000_forward,
    seed000_national,
    seed000_notice,
)
from ..harness import as_role, create_user, eventually, forward, gateway, issue, login, running

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
A4_MM = (210, 297)
HTML = {"Accept": "text/html"}

NATIONAL_ADDRESSEES = (
    "各省、自治区、直辖市科协、科技厅（委、局），新疆生产建设兵团科协、科技局，中国科协所属各全国学会、协会、研究会，"
    "有关高校科协、企业科协"
)
GD_ADDRESSEES = "各地级以上市科协、科技局（委），各省级学会、协会、研究会，各高校科协、企业科协"
FORWARD_TITLE = "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知"


def filename(response) -> str:
    disposition = response.headers["content-disposition"]
    return unquote(disposition.split("filename*=UTF-8''")[1])


def docx_texts(content: bytes) -> tuple[list[str], object]:
    """Every paragraph's text, tables' cells included, in document order; and the document."""
    doc = Document(io.BytesIO(content))
    out = []
    for el in doc.element.body.iter():
        if el.tag == qn("w:p"):
            out.append("".join(t.text or "" for t in el.iter(qn("w:t"))))
    return out, doc


def red_texts(doc) -> list[str]:
    """Text of the runs set in red (the 发文机关标志)."""
    out = []
    for r in doc.element.body.iter(qn("w:r")):
        color = r.find(f"{qn('w:rPr')}/{qn('w:color')}")
        if color is not None and color.get(qn("w:val")).upper() == "FF0000":
            out.append("".join(t.text or "" for t in r.iter(qn("w:t"))))
    return out


def in_order(texts: list[str], wanted: list[str]) -> list[int]:
    """Where each of ``wanted`` is, each found after the one before (a paragraph's whole text)."""
    at, start = [], 0
    for want in wanted:
        found = next((i for i in range(start, len(texts)) if texts[i].strip() == want), None)
        assert found is not None, (want, texts[start:])
        at.append(found)
        start = found + 1
    return at


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def _in_inbox(client, notice_id) -> bool:
    return any(e["notice_id"] == notice_id for e in (await client.get("/api/inbox")).json()["items"])


async def seed000(http) -> tuple[str, str]:
    """The national notice by 中国科协 + 科技部 with its 公文要素, and 广东's joint 转发 of it with a file attached."""
    cast = await as_unit(http, "cast")
    national = {
        **seed000_national(),
        "addressees": NATIONAL_ADDRESSEES,
        "copy_to": ["中国科协办公厅", "科技部办公厅"],
        "printed_by": "中国科协办公厅",
        "printed_on": "2020-05-12",
    }
    r = await issue(cast, national)  # a joint notice: a draft, 签发 and 会签
    assert r.status_code == 201, r.text
    nid = r.json()["notice_id"]
    gd = await as_unit(http, "gd-kx")
    await eventually(lambda: _in_inbox(gd, nid))
    upload = await gd.post(
        "/api/attachments",
        files={"file": ("附件2 活动联络员回执表.txt", "姓名、单位、电话".encode(), "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    fwd = {
        **seed000_forward(),
        "attachments": [upload.json()],
        "urgency": "加急",
        "printed_by": "广东省科学技术协会办公室",
        "notes": "此件主动公开",
    }
    r = await forward(gd, nid, fwd)  # a joint 转发: a draft, 签发 and 会签
    assert r.status_code == 201, r.text
    return nid, r.json()["notice_id"]


# ---------------------------------------------------------------- the notice as its 公文


async def test_seed_000_and_its_forward_download_as_the_red_header_documents(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, ["notices"], clock=clock), gateway(node, clock=clock) as http:
        await load_directory(http)
        nid, fid = await seed000(http)
        sz = await as_role(http, "sz-kx", "submitter")  # a recipient of the 转发
        await eventually(lambda: _in_inbox(sz, fid))

        # The 转发 in Word: 标志 stacked in red, lead first; 文号; title; 主送机关 from the kinds; the body; the
        # 附件说明 from the file's name; 署名 and 成文日期; 附注; 版记; then the original as 附件.
        r = await sz.get(f"/api/notices/{fid}/document.docx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == DOCX
        assert filename(r) == f"粤科协联〔2020〕9号-{FORWARD_TITLE}.docx"
        assert r.headers["content-disposition"].startswith("attachment;")
        texts, doc = docx_texts(r.content)
        red = red_texts(doc)
        assert red[:3] == ["广东省科学技术协会", "文件", "广东省科学技术厅"]  # stacked, the lead first; 文件 beside
        assert "中国科协" in red and "科技部" in red  # the original's own 标志, further down
        section = doc.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
        order = [
            "加急",
            "粤科协联〔2020〕9号",
            FORWARD_TITLE,
            GD_ADDRESSEES + "：",
            "现将《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》转发给你们，并就有关事项通知如下：",
            "附件：活动联络员回执表",
            "广东省科学技术协会",
            "广东省科学技术厅",
            "2020年5月6日",
            "附件",
            "科协发组字〔2020〕7号",
            NATIONAL_ADDRESSEES + "：",
            "中国科协、科技部决定于5月30日第四个“全国科技工作者日”前后，在全国范围内组织开展系列活动。",
            "抄送：中国科协办公厅，科技部办公厅。",
            "中国科协办公厅2020年5月12日印发",  # 印发机关, and the date at the right (a tab between)
        ]
        at = in_order(texts, order)
        notes = next(t for t in texts if t.startswith("（此件主动公开"))
        assert "雷晶" in notes and "020-83551764" in notes  # 附注: the notes, then the contacts
        assert texts[-1] == "" and "广东省科学技术协会办公室2020年5月6日印发" in texts  # its own 版记, on the last page
        assert "中国科协 科技部关于开展2020年" in "".join(texts[at[10] : at[11]])  # the original's title

        # The same as PDF: the same text, every page A4, inline to print.
        r = await sz.get(f"/api/notices/{fid}/document.pdf")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-disposition"].startswith("inline;")
        assert filename(r) == f"粤科协联〔2020〕9号-{FORWARD_TITLE}.pdf"
        pdf = PdfReader(io.BytesIO(r.content))
        assert len(pdf.pages) >= 2
        for page in pdf.pages:
            size = (float(page.mediabox.width), float(page.mediabox.height))
            assert tuple(round(v * 25.4 / 72) for v in size) == A4_MM
        text = flat("".join(page.extract_text() for page in pdf.pages))
        for want in (
            "粤科协联〔2020〕9号",
            "科协发组字〔2020〕7号",
            GD_ADDRESSEES,
            "附件：活动联络员回执表",
            "2020年5月6日",
        ):
            assert flat(want) in text, want
        assert flat("广东省科学技术协会") in text and flat("文件") in text

        # The original, downloaded by its own issuer, is a 公文 of its own with no 附件.
        cast = await as_role(http, "cast", "submitter")
        r = await cast.get(f"/api/notices/{nid}/document.docx")
        assert r.status_code == 200, r.text
        texts, doc = docx_texts(r.content)
        assert red_texts(doc)[:3] == ["中国科协", "文件", "科技部"]
        assert "附件" not in [t.strip() for t in texts]


async def test_who_may_not_see_a_notice_may_not_download_it_and_bad_formats_are_refused(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, ["notices"], clock=clock), gateway(node, clock=clock) as http:
        await load_directory(http)
        _, fid = await seed000(http)
        outsider = await as_role(http, "qh-kx", "issuer", "reviewer", "submitter")
        for url in (f"/api/notices/{fid}/document.docx", f"/api/notices/{fid}/document.pdf"):
            r = await outsider.get(url)
            assert r.status_code == 404, r.text
            assert r.json() == (await outsider.get(f"/api/notices/{fid}")).json()  # as if it did not exist
        gd = await as_role(http, "gd-kx", "submitter")
        r = await gd.get(f"/api/notices/{fid}/document.odt")
        assert r.status_code == 404
        [detail] = r.json()["detail"]
        assert detail["type"] == "unknown_format" and "格式" in detail["msg"] and ".docx" in detail["msg"]
        r = await gd.get(f"/api/notices/{fid}/asks/no-such-ask/form.docx")
        assert r.status_code == 404 and r.json()["detail"][0]["msg"] == "报送要求不存在"
        r = await gd.get(f"/api/notices/{fid}/asks/summary/form.pdf")
        assert r.status_code == 404 and "格式" in r.json()["detail"][0]["msg"]
        anonymous = await http.get(f"/api/notices/{fid}/document.docx")
        assert anonymous.status_code == 401


# ---------------------------------------------------------------- the 样表


def plan_notice() -> dict:
    """Seed 000's province notice asking for seed 002's 特色亮点活动筹备方案 (1–2 items)."""
    notice = seed000_notice()
    notice["asks"][0] |= {
        "ask_id": "plan",
        "kind": "plan",
        "title": "特色亮点活动筹备方案",
        "min_items": 1,
        "max_items": 2,
        "fields": [f for f in plan_form() if f["key"] != "stamped"],
    }
    return notice


async def test_the_blank_form_of_an_ask_as_word_and_excel(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer")
        nid = (await issue(issuer, plan_notice())).json()["notice_id"]
        sz = await as_role(http, "sz-kx", "submitter")
        await eventually(lambda: _in_inbox(sz, nid))

        r = await sz.get(f"/api/notices/{nid}/asks/plan/form.docx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == DOCX
        assert filename(r).endswith("-特色亮点活动筹备方案（样表）.docx")
        texts, _ = docx_texts(r.content)
        joined = "\n".join(texts)
        assert "特色亮点活动筹备方案（样表）" in joined and "单位盖章" in joined and "报送时间" in joined
        for label in ("主办单位名称", "主题活动名称", "主题活动模块", "承办单位名称", "联系人", "工作方案"):
            assert label in joined, label
        for module in FIVE_MODULES:
            assert "☐" + module in joined, module

        r = await sz.get(f"/api/notices/{nid}/asks/plan/form.xlsx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == XLSX
        ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
        cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        for label in ("主办单位名称", "主题活动名称", "工作方案"):
            assert any(label in c for c in cells), label


# ---------------------------------------------------------------- 报送 by a filled 样表


def plan_and_liaison_notice() -> dict:
    notice = plan_notice()
    liaison = {
        **notice["asks"][0],
        "ask_id": "liaison",
        "kind": "liaison_form",
        "title": "联络员回执表",
        "min_items": 1,
        "max_items": 3,
        "fields": liaison_form(),
    }
    notice["asks"].append(liaison)
    return notice


def fill_xlsx(content: bytes, rows: list[dict], edit=None) -> bytes:
    wb = load_workbook(io.BytesIO(content))
    ws = wb["样表"]
    headers = [c.value for c in ws[3]]
    for r, row in enumerate(rows, 4):
        for header, value in row.items():
            ws.cell(r, headers.index(header) + 1).value = value
    if edit:
        edit(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PLAN_ROW = {
    "主办单位名称": "深圳市科学技术协会",
    "主题活动名称": "科技为民 奋斗有我",
    "主题活动模块：团结引领": "√",
    "主题活动模块：为民服务": "√",
    "联系人：姓名": "王敏",
    "联系人：手机": 13800000001,
    "工作方案": "5月30日走访慰问一线科技工作者。",
}


async def upload_form(client, nid: str, ask: str, name: str, content: bytes, kind: str = XLSX):
    return await client.post(f"/api/notices/{nid}/asks/{ask}/submission", files={"file": (name, content, kind)})


async def test_a_filled_form_is_a_submission_both_ways_and_a_bad_one_is_refused(node):
    async with running(node), gateway(node) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer")
        nid = (await issue(issuer, plan_and_liaison_notice())).json()["notice_id"]
        sz = await as_role(http, "sz-kx", "submitter")
        await eventually(lambda: owes(sz, nid))
        blank = (await sz.get(f"/api/notices/{nid}/asks/plan/form.xlsx")).content

        # Excel: two rows, two items, as the typed form would have sent them.
        second = {
            **PLAN_ROW,
            "主题活动名称": "科普进社区",
            "主题活动模块：为民服务": None,
            "主题活动模块：表彰发布": "√",
        }
        r = await upload_form(sz, nid, "plan", "方案.xlsx", fill_xlsx(blank, [PLAN_ROW, second]))
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        items = (await sz.get(f"/api/submissions/{sid}")).json()["revisions"][-1]["items"]
        assert [(i["activity"], i["modules"]) for i in items] == [
            ("科技为民 奋斗有我", ["团结引领", "为民服务"]),
            ("科普进社区", ["团结引领", "表彰发布"]),
        ]
        assert items[0]["contact"] == {"name": "王敏", "mobile": "13800000001"}

        # Refused, each in Chinese naming where, and nothing stored.
        liaison_blank = (await sz.get(f"/api/notices/{nid}/asks/liaison/form.xlsx")).content
        refusals = [
            (fill_xlsx(liaison_blank, [{"姓名": "王敏"}]), 422, "other_ask", "联络员回执表"),
            (
                fill_xlsx(blank, [PLAN_ROW], edit=lambda ws: setattr(ws["B3"], "value", "活动名称")),
                422,
                "columns_changed",
                "B3",
            ),
            (fill_xlsx(blank, [{**PLAN_ROW, "工作方案": "=1+1"}]), 422, "formula", "公式"),
            (fill_xlsx(blank, [{**PLAN_ROW, "主题活动名称": "长" * 101}]), 422, "too_long", "第4行 B4 单元格"),
            (fill_xlsx(blank, [PLAN_ROW, PLAN_ROW, PLAN_ROW]), 422, "item_count", "样表中填写了3项"),
            (b"%PDF-1.4 a scan", 415, "not_office", "Word"),
            (b"PK\x03\x04" + b"0" * (11 * 1024 * 1024), 413, "form_too_large", "10 MB"),
        ]
        for content, status, code, said in refusals:
            r = await upload_form(sz, nid, "plan", "样表.xlsx", content)
            assert r.status_code == status, (code, r.text)
            [detail] = r.json()["detail"]
            assert detail["type"] == code and said in detail["msg"], detail
            assert detail["loc"] == ["body", "file"]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in detail["msg"])
        assert (await sz.get(f"/api/submissions/{sid}")).json()["revision"] == 1

        # Word: the first item's table filled, the second left blank.
        doc = Document(io.BytesIO((await sz.get(f"/api/notices/{nid}/asks/plan/form.docx")).content))
        table = doc.tables[0]
        for r_, text in ((0, "深圳市科学技术协会"), (1, "科技工作者日 深圳行"), (7, "活动方案全文。")):
            table.cell(r_, 1).paragraphs[0].text = text
        boxes = table.cell(2, 1).paragraphs[0]
        boxes.text = boxes.text.replace("☐开放合作", "☑开放合作")
        table.cell(4, 2).paragraphs[0].text = "王敏"
        table.cell(5, 2).paragraphs[0].text = "13800000001"
        out = io.BytesIO()
        doc.save(out)
        r = await upload_form(sz, nid, "plan", "方案.docx", out.getvalue(), DOCX)
        assert r.status_code == 201, r.text
        detail = (await sz.get(f"/api/submissions/{sid}")).json()
        assert detail["revision"] == 2
        assert detail["revisions"][-1]["items"] == [
            {
                "host_unit": "深圳市科学技术协会",
                "activity": "科技工作者日 深圳行",
                "modules": ["开放合作"],
                "contact": {"name": "王敏", "mobile": "13800000001"},
                "plan": "活动方案全文。",
            }
        ]

        # The JSON submission is still the same operation; a reviewer is no submitter of the file either.
        r = await sz.post(
            f"/api/notices/{nid}/asks/liaison/submission",
            json={"items": [{"name": "王敏", "position": "办公室主任", "phone": "0755-1"}]},
        )
        assert r.status_code == 201, r.text
        reviewer = await as_role(http, "sz-kx", "reviewer")
        assert (await upload_form(reviewer, nid, "plan", "方案.docx", out.getvalue(), DOCX)).status_code == 403

        # The 报送 page offers the 样表 and takes the filled one back; a refusal comes back on the page.
        await create_user(http, "wangmin", "sz-kx", "submitter", display_name="王敏")
        browser = await login(http, "wangmin")
        page = await browser.get(f"/notices/{nid}/asks/plan/submit", headers=HTML)
        assert 'id="form-xlsx"' in page.text and 'id="upload-form"' in page.text
        action = f"/notices/{nid}/asks/plan/submit/upload"
        form = {"csrf_token": browser.csrf}
        bad = fill_xlsx(blank, [{**PLAN_ROW, "工作方案": "=1+1"}])
        r = await browser.post(action, data=form, files={"file": ("方案.xlsx", bad, XLSX)}, headers=HTML)
        assert r.status_code == 422 and "样表文件</strong>：第4行 N4 单元格“工作方案”：不能使用公式" in r.text, r.text
        good = fill_xlsx(blank, [PLAN_ROW])
        r = await browser.post(action, data=form, files={"file": ("方案.xlsx", good, XLSX)}, headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == f"/submissions/{sid}", r.text
        assert (await sz.get(f"/api/submissions/{sid}")).json()["revision"] == 3


# ---------------------------------------------------------------- the 汇总表


async def owes(client, notice_id) -> bool:
    return any(r["notice_id"] == notice_id for r in (await client.get("/api/submissions")).json()["items"])


def plan_item(activity: str, host: str) -> dict:
    return {
        "host_unit": host,
        "activity": activity,
        "modules": ["团结引领", "为民服务"],
        "contact": {"name": "王敏", "mobile": "13800000001"},
        "plan": "5月30日走访慰问一线科技工作者。",
    }


async def test_the_summary_as_excel_and_word_a_row_per_item_and_the_units_that_owe(node):
    async with running(node), gateway(node) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer")
        nid = (await issue(issuer, plan_notice())).json()["notice_id"]
        sz, jxxh = [await as_role(http, u, "submitter") for u in ("sz-kx", "gd-jxxh")]
        for client in (sz, jxxh):
            await eventually(lambda c=client: owes(c, nid))
        items = [plan_item("科技为民 奋斗有我", "深圳市科学技术协会"), plan_item('=HYPERLINK("x")', "深圳市科协")]
        r = await sz.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": items})
        assert r.status_code == 201, r.text
        r = await jxxh.post(
            f"/api/notices/{nid}/asks/plan/submission", json={"items": [plan_item("科普日", "广东省机械工程学会")]}
        )
        assert r.status_code == 201, r.text
        reviewer = await as_role(http, "gd-kx", "reviewer")

        r = await reviewer.get(f"/api/notices/{nid}/asks/plan/table.xlsx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == XLSX
        assert filename(r).endswith("-特色亮点活动筹备方案汇总表.xlsx")
        ws = load_workbook(io.BytesIO(r.content))["汇总表"]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
        header, body = rows[0], rows[1:]
        assert header[:4] == ["序号", "单位", "来源（逐级）", "状态"] and "主题活动名称" in header
        by_unit = [(row[1], row[3]) for row in body]
        assert by_unit.count(("深圳市科学技术协会", "已报送")) == 2
        assert ("广东省机械工程学会", "已报送") in by_unit
        assert ("华南理工大学科协", "未报送") in by_unit  # owes it, sent nothing: a gap row
        assert ("深圳市科技创新局", "未报送") not in by_unit  # routed to 科技厅, not to 省科协
        activity = header.index("主题活动名称")
        formula = next(row for row in body if row[activity] and str(row[activity]).startswith("="))
        cell = ws.cell(row=4 + 1 + body.index(formula), column=activity + 1)
        assert cell.data_type == "s"  # text, never a formula
        assert ws.freeze_panes  # the header stays in view

        r = await reviewer.get(f"/api/notices/{nid}/asks/plan/table.docx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == DOCX
        table = Document(io.BytesIO(r.content)).tables[0]
        assert len(table.rows) == 1 + 4  # header, 3 items, 1 gap
        assert "华南理工大学科协" in "".join(c.text for c in table.rows[-1].cells)

        # A submitter may not export the 汇总 (the CSV's rule); an unknown ask is a 404 in Chinese.
        r = await sz.get(f"/api/notices/{nid}/asks/plan/table.xlsx")
        assert r.status_code == 403, r.text
        r = await reviewer.get(f"/api/notices/{nid}/asks/nope/table.xlsx")
        assert r.status_code == 404 and r.json()["detail"][0]["msg"] == "报送要求不存在"
        r = await reviewer.get(f"/api/notices/{nid}/asks/plan/table.ods")
        assert r.status_code == 404 and r.json()["detail"][0]["type"] == "unknown_format"
        # Another unit's reviewer who cannot see the notice: 404.
        outsider = await as_role(http, "qh-kx", "reviewer")
        assert (await outsider.get(f"/api/notices/{nid}/asks/plan/table.xlsx")).status_code == 404


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (220, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def media_notice() -> dict:
    """Seed 000's province notice asking for the 活动总结 with its 影像资料 and stamped PDF."""
    notice = seed000_notice()
    notice["asks"][0] |= {
        "title": "活动总结",
        "fields": [
            {"key": "summary", "label": "总结报告", "type": "text"},
            {"key": "media", "label": "影像资料及盖章文件", "type": "file", "accept": ["jpg", "png", "pdf"]},
        ],
    }
    return notice


async def send_files(client, *files: tuple[str, bytes, str]) -> list[dict]:
    out = []
    for name, data, kind in files:
        r = await client.post("/api/submission-files", files={"file": (name, data, kind)})
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


async def test_the_report_and_the_files_of_an_ask(node):
    async with running(node), gateway(node) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer")
        nid = (await issue(issuer, media_notice())).json()["notice_id"]
        sz, jxxh = [await as_role(http, u, "submitter") for u in ("sz-kx", "gd-jxxh")]
        for client in (sz, jxxh):
            await eventually(lambda c=client: owes(c, nid))
        jpeg, sz_pdf, jx_pdf = photo(), b"%PDF-1.4 sz stamped", b"%PDF-1.4 jxxh stamped"
        sz_files = await send_files(
            sz, ("活动照片.jpg", jpeg, "image/jpeg"), ("总结（盖章）.pdf", sz_pdf, "application/pdf")
        )
        r = await sz.post(
            f"/api/notices/{nid}/asks/summary/submission",
            json={"items": [{"summary": "深圳市活动总结。\n共120人参加。", "media": sz_files}]},
        )
        assert r.status_code == 201, r.text
        sz_sid = r.json()["id"]
        jx_files = await send_files(jxxh, ("总结（盖章）.pdf", jx_pdf, "application/pdf"))
        r = await jxxh.post(
            f"/api/notices/{nid}/asks/summary/submission",
            json={"items": [{"summary": "学会总结。", "media": jx_files}]},
        )
        assert r.status_code == 201, r.text
        reviewer = await as_role(http, "gd-kx", "reviewer")
        assert (await reviewer.post(f"/api/submissions/{sz_sid}/accept", json={"revision": 1})).status_code == 200

        # The notice page offers them to the reviewer, with the 汇总表.
        page = (await reviewer.get(f"/notices/{nid}", headers={"Accept": "text/html"})).text
        for link in ("table-xlsx-summary", "table-docx-summary", "report-docx-summary", "files-zip-summary"):
            assert f'id="{link}"' in page, link
        assert f'href="/api/notices/{nid}/asks/summary/files.zip"' in page

        # The 汇总报告: who submitted and who did not, then the accepted submission with its photo drawn small.
        r = await reviewer.get(f"/api/notices/{nid}/asks/summary/report.docx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == DOCX and filename(r).endswith("-活动总结汇总报告.docx")
        texts, doc = docx_texts(r.content)
        assert "应报送3个单位：已报送2个（按时2个，逾期0个），未报送1个。" in texts
        units = [[c.text for c in row.cells] for row in doc.tables[0].rows[1:]]
        assert {(u[1], u[2]) for u in units} == {
            ("广东省机械工程学会", "已报送"),
            ("华南理工大学科协", "未报送"),
            ("深圳市科学技术协会", "已采用"),
        }
        assert "（1）深圳市科学技术协会" in texts and "学会总结。" not in texts  # accepted ones only
        assert len(doc.inline_shapes) == 1
        assert any("总结（盖章）.pdf" in t for t in texts) and any("活动照片.jpg" in t for t in texts)

        # Every file, a folder per unit, the names as sent.
        r = await reviewer.get(f"/api/notices/{nid}/asks/summary/files.zip")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zip" and filename(r).endswith("-活动总结报送文件.zip")
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert sorted(zf.namelist()) == [
                "广东省机械工程学会/总结（盖章）.pdf",
                "深圳市科学技术协会/总结（盖章）.pdf",
                "深圳市科学技术协会/活动照片.jpg",
            ]
            assert all(info.flag_bits & 0x800 for info in zf.infolist())  # UTF-8 names: Chinese in any unzip
            assert zf.read("深圳市科学技术协会/活动照片.jpg") == jpeg
            assert zf.read("广东省机械工程学会/总结（盖章）.pdf") == jx_pdf

        # As the 汇总表: reviewers only, of a notice the unit sees; the formats there are.
        for url in ("report.docx", "files.zip"):
            assert (await sz.get(f"/api/notices/{nid}/asks/summary/{url}")).status_code == 403
            outsider = await as_role(http, "qh-kx", "reviewer")
            assert (await outsider.get(f"/api/notices/{nid}/asks/summary/{url}")).status_code == 404
        r = await reviewer.get(f"/api/notices/{nid}/asks/summary/report.pdf")
        assert r.status_code == 404 and r.json()["detail"][0]["type"] == "unknown_format"
        r = await reviewer.get(f"/api/notices/{nid}/asks/nope/files.zip")
        assert r.status_code == 404 and r.json()["detail"][0]["msg"] == "报送要求不存在"


async def test_every_level_of_a_summary_names_the_source_unit_of_each_item(node):
    """中国科协 ← 广东省科协 ← 深圳市科协 ← 南山区科协: each 汇总 sends up its own item and the ones below it."""
    clock = FixedClock(SEED000_NOW)
    async with running(node, clock=clock), gateway(node, clock=clock) as http:
        await load_directory(http)
        admin = await as_role(http, "cast", "admin")
        nanshan = {"unit_id": "ns-kx", "name": "南山区科学技术协会", "kind": "科协", "parent_id": "sz-kx"}
        assert (await admin.put("/api/units/ns-kx", json=nanshan)).status_code == 200
        nid, fid = await seed000(http)
        sz = await as_role(http, "sz-kx", "issuer", "submitter", "reviewer")
        await eventually(lambda: owes(sz, fid))
        r = await sz.post(
            f"/api/notices/{fid}/forward",
            json={"unit_id": "sz-kx", "recipient_unit_ids": ["ns-kx"], "deadlines": {"summary": deadline(2020, 6, 5)}},
        )
        assert r.status_code == 201, r.text
        city = r.json()["notice_id"]
        ns = await as_role(http, "ns-kx", "submitter")
        await eventually(lambda: owes(ns, city))
        r = await ns.post(f"/api/notices/{city}/asks/summary/submission", json={"items": [{"summary": "南山区总结。"}]})
        assert r.status_code == 201, r.text
        ns_sid = r.json()["id"]
        assert (await sz.post(f"/api/submissions/{ns_sid}/accept", json={"revision": 1})).status_code == 200
        r = await sz.post(
            f"/api/notices/{city}/asks/summary/compile",
            json={"submission_ids": [ns_sid], "items": [{"summary": "深圳市活动总结。"}]},
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        gd = await as_role(http, "gd-kx", "reviewer")
        assert (await gd.post(f"/api/submissions/{sid}/accept", json={"revision": 1})).status_code == 200

        # The province's 汇总表 of its 转发: 深圳's own item, and 南山's through 深圳.
        r = await gd.get(f"/api/notices/{fid}/asks/summary/table.xlsx")
        assert r.status_code == 200, r.text
        ws = load_workbook(io.BytesIO(r.content))["汇总表"]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
        sources = {(row[1], row[2]) for row in rows if row[1] and row[3] != "未报送"}
        assert sources == {
            ("深圳市科学技术协会", "深圳市科学技术协会"),
            ("南山区科学技术协会", "深圳市科学技术协会 ← 南山区科学技术协会"),
        }

        r = await gd.post(
            f"/api/notices/{fid}/asks/summary/compile",
            json={"submission_ids": [sid], "items": [{"summary": "广东省科协本级总结。"}]},
        )
        assert r.status_code == 201, r.text
        cast = await as_role(http, "cast", "reviewer")

        async def compiled() -> bool:
            table = (await cast.get(f"/api/notices/{nid}/asks/summary/table")).json()
            return any(row["unit_id"] == "gd-kx" and row["items"] for row in table["rows"])

        await eventually(compiled)
        r = await cast.get(f"/api/notices/{nid}/asks/summary/table.xlsx")
        assert r.status_code == 200, r.text
        ws = load_workbook(io.BytesIO(r.content))["汇总表"]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
        summary = header_of(ws).index("总结报告")
        sources = {(row[1], row[2], row[summary]) for row in rows if row[1] and row[3] != "未报送"}
        assert sources == {
            ("广东省科学技术协会", "广东省科学技术协会", "广东省科协本级总结。"),
            ("深圳市科学技术协会", "广东省科学技术协会 ← 深圳市科学技术协会", "深圳市活动总结。"),
            (
                "南山区科学技术协会",
                "广东省科学技术协会 ← 深圳市科学技术协会 ← 南山区科学技术协会",
                "南山区总结。",
            ),
        }
        r = await cast.get(f"/api/notices/{nid}/asks/summary/table.docx")
        assert r.status_code == 200, r.text
        cells = [c.text for row in Document(io.BytesIO(r.content)).tables[0].rows for c in row.cells]
        assert any("南山区科学技术协会" in c and "深圳市科学技术协会 ← 南山区科学技术协会" in c for c in cells)
        r = await cast.get(f"/api/notices/{nid}/asks/summary/table.csv")  # the CSV names them the same way
        assert r.status_code == 200, r.text
        csv_rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert ["南山区科学技术协会", "广东省科学技术协会 ← 深圳市科学技术协会 ← 南山区科学技术协会", "gd-kx"] in [
            row[1:4] for row in csv_rows
        ]


def header_of(ws) -> list:
    return [c.value for c in ws[4]]


# ---------------------------------------------------------------- preview before issuing


async def test_the_preview_of_a_notice_renders_it_and_stores_nothing(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, ["notices"], clock=clock), gateway(node, clock=clock) as http:
        await load_directory(http)
        cast = await as_role(http, "cast", "issuer")
        body = {**seed000_national(), "doc_number": None}
        r = await cast.post("/api/notices/preview.docx", json=body)
        assert r.status_code == 200, r.text
        texts, doc = docx_texts(r.content)
        assert "科协发组字〔2020〕号" in texts  # no number allocated: the year, no sequence
        assert red_texts(doc)[:3] == ["中国科协", "文件", "科技部"]
        r = await cast.post("/api/notices/preview.pdf", json=body)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert flat("科协发组字〔2020〕号") in flat(
            "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
        )
        assert (await cast.get("/api/notices")).json()["items"] == []  # nothing issued
        r = await issue(cast, body)
        assert r.json()["doc_number"] == "科协发组字〔2020〕1号"  # the preview took no number
        # Only for the issuer's own unit, and only for an issuer.
        gd = await as_role(http, "gd-kx", "issuer")
        assert (await gd.post("/api/notices/preview.pdf", json=body)).status_code == 403
        submitter = await as_role(http, "cast", "submitter")
        assert (await submitter.post("/api/notices/preview.pdf", json=body)).status_code == 403
        r = await cast.post("/api/notices/preview.txt", json=body)
        assert r.status_code == 404 and "格式" in r.json()["detail"][0]["msg"]
