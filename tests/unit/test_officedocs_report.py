"""The 汇总报告 of an ask (.docx), read back with python-docx: the completeness of the units, then each accepted
submission under its unit's heading, its images as thumbnails and its files listed."""

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from services.gateway.officedocs import ReportSection, ReportUnit, SummaryItem, SummaryReport, report_docx
from services.gateway.officedocs.report import THUMB_PX, completeness, thumbnail
from shared.schemas import FormField

pytestmark = pytest.mark.unit

AT = datetime(2020, 6, 8, 2, 30, tzinfo=UTC)


def photo(width: int = 2400, height: int = 1600, fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


PHOTO = photo()
SHA_PHOTO, SHA_PDF, SHA_BROKEN = "a" * 64, "b" * 64, "c" * 64


def files(*entries: tuple[str, str, str, int]) -> list[dict]:
    return [
        {"attachment_id": f"f{i}", "filename": name, "content_type": kind, "size": size, "sha256": sha}
        for i, (name, kind, sha, size) in enumerate(entries)
    ]


def report() -> SummaryReport:
    fields = [
        FormField.model_validate({"key": "summary", "label": "总结报告", "type": "text"}),
        FormField.model_validate({"key": "media", "label": "影像资料", "type": "file"}),
        FormField.model_validate({"key": "contact", "label": "联系人", "type": "contact"}),
    ]
    return SummaryReport(
        notice_title="关于开展2020年“全国科技工作者日”活动的通知",
        doc_number="粤科协联〔2020〕9号",
        ask_title="活动总结",
        deadline=datetime(2020, 6, 10, 15, 59, tzinfo=UTC),
        generated_at=datetime(2020, 6, 12, 1, 0, tzinfo=UTC),
        compiled_by="广东省科学技术协会",
        fields=fields,
        units=[
            ReportUnit(unit_name="深圳市科学技术协会", status="已采用", submitted=True, submitted_at=AT, items=2),
            ReportUnit(unit_name="广东省机械工程学会", status="已报送", submitted=True, submitted_at=AT, late=True),
            ReportUnit(unit_name="华南理工大学科协", status="未报送", overdue=True),
        ],
        sections=[
            ReportSection(
                unit_name="深圳市科学技术协会",
                submitted_at=AT,
                submitted_by="王敏",
                commendation="优秀组织单位",
                items=[
                    SummaryItem(
                        unit_name="深圳市科学技术协会",
                        status="已采用",
                        values={
                            "summary": "5月30日走访慰问。\n共120人参加。",
                            "media": files(
                                ("活动照片.jpg", "image/jpeg", SHA_PHOTO, len(PHOTO)),
                                ("总结（盖章）.pdf", "application/pdf", SHA_PDF, 204_800),
                                ("坏图.png", "image/png", SHA_BROKEN, 10),
                            ),
                            "contact": {"name": "王敏", "mobile": "13800000001"},
                        },
                    ),
                    SummaryItem(
                        unit_name="南山区科学技术协会",
                        source_path=["深圳市科学技术协会", "南山区科学技术协会"],
                        status="已采用",
                        values={"summary": "南山区总结。"},
                    ),
                ],
            )
        ],
        images={SHA_PHOTO: PHOTO, SHA_BROKEN: b"not an image"},
    )


@pytest.fixture(scope="module")
def doc():
    return Document(io.BytesIO(report_docx(report())))


def texts(doc) -> list[str]:
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))]


def test_completeness_in_words_and_a_row_per_unit(doc):
    all_text = texts(doc)
    assert "活动总结汇总报告" in all_text and "一、报送情况" in all_text
    assert "应报送3个单位：已报送2个（按时1个，逾期1个），未报送1个（均已逾期）。" in all_text
    units = doc.tables[0]
    rows = [[c.text for c in row.cells] for row in units.rows]
    assert rows[0] == ["序号", "单位（来源）", "状态", "报送时间", "按时/逾期", "项数"]
    assert rows[1][1:] == ["深圳市科学技术协会", "已采用", "2020年6月8日 10:30", "按时", "2"]
    assert rows[2][2] == "已报送" and rows[2][4] == "逾期"
    assert rows[3][1:5] == ["华南理工大学科协", "未报送", "", "已逾期"]


def test_each_accepted_submission_under_its_units_heading_with_sources(doc):
    all_text = texts(doc)
    at = all_text.index("二、已采用的报送")
    assert "（1）深圳市科学技术协会" in all_text[at:]
    meta = next(t for t in all_text[at:] if t.startswith("已采用"))
    assert "报送人：王敏" in meta and "评选：优秀组织单位" in meta
    assert "第2项（来源：深圳市科学技术协会 ← 南山区科学技术协会）" in all_text
    item = doc.tables[1]
    cells = {row.cells[0].text: row.cells[1].text for row in item.rows}
    assert cells["总结报告"] == "5月30日走访慰问。\n共120人参加。"
    assert "13800000001" in cells["联系人"]


def test_images_as_thumbnails_and_files_listed(doc):
    media = next(row.cells[1] for row in doc.tables[1].rows if row.cells[0].text == "影像资料")
    assert "活动照片.jpg" in media.text and "总结（盖章）.pdf（200 KB）" in media.text and "坏图.png" in media.text
    pictures = doc.inline_shapes
    assert len(pictures) == 1  # the photo; the PDF and the broken image are listed only
    assert round(pictures[0].width.mm) == 45
    [blob] = [r.target_part.blob for r in doc.part.rels.values() if "image" in r.reltype]
    with Image.open(io.BytesIO(blob)) as small:
        assert max(small.size) == THUMB_PX and len(blob) < len(PHOTO)


def test_thumbnails_turn_by_exif_and_refuse_what_is_no_image():
    assert thumbnail(b"GIF89a broken") is None
    small = thumbnail(photo(300, 200, "PNG"))
    assert small is not None
    with Image.open(io.BytesIO(small)) as im:
        assert im.format == "JPEG" and im.size == (300, 200)  # never scaled up


def test_no_accepted_submission_says_so():
    empty = report().model_copy(update={"sections": [], "images": {}})
    doc = Document(io.BytesIO(report_docx(empty)))
    assert "暂无已采用的报送。" in texts(doc)
    assert completeness([]) == "应报送0个单位：已报送0个，未报送0个。"
