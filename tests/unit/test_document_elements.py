"""The default 主送机关 and 附件说明 (shared/document_elements.py): what the seeds write, from the recipients."""

import pytest

from shared.document_elements import attachment_label, attachment_labels, default_addressees, level_of
from shared.schemas import Attachment, UnitKind, UnitRef

pytestmark = pytest.mark.unit


def unit(name: str, kind: UnitKind, unit_id: str = "") -> UnitRef:
    return UnitRef(unit_id=unit_id or f"u{abs(hash(name)) % 10_000}", name=name, kind=kind, node_id="n")


@pytest.mark.parametrize(
    "name, level",
    [
        ("广东省科学技术协会", "province"),
        ("内蒙古自治区科学技术协会", "province"),
        ("北京市科学技术协会", "province"),
        ("新疆生产建设兵团科学技术协会", "province"),
        ("深圳市科学技术协会", "city"),
        ("深圳市科技创新局", "city"),
        ("海西蒙古族藏族自治州科学技术协会", "city"),
        ("南山区科学技术协会", "county"),
        ("渭南市临渭区科学技术协会", "city"),  # the first level its name shows
        ("中国机械工程学会", "national"),
        ("华南理工大学科协", ""),
    ],
)
def test_the_level_a_units_name_shows(name, level):
    assert level_of(name) == level


def test_seed_000s_forward_is_addressed_by_kind_and_level_as_the_seed_writes_it():
    recipients = [
        unit("深圳市科学技术协会", UnitKind.kexie),
        unit("深圳市科技创新局", UnitKind.keji),
        unit("广东省机械工程学会", UnitKind.society),
        unit("华南理工大学科协", UnitKind.university),
        unit("广东省广晟控股集团有限公司科协", UnitKind.enterprise),
    ]
    assert (
        default_addressees(recipients)
        == "各地级以上市科协、科技局（委），各省级学会、协会、研究会，各高校科协、企业科协"
    )


def test_the_national_notice_names_provinces_and_national_societies():
    recipients = [
        unit("广东省科学技术协会", UnitKind.kexie),
        unit("广东省科学技术厅", UnitKind.keji),
        unit("青海省科学技术协会", UnitKind.kexie),
        unit("中国机械工程学会", UnitKind.society),
        unit("清华大学科协", UnitKind.university),
    ]
    assert (
        default_addressees(recipients)
        == "各省、自治区、直辖市科协、科技厅（委、局），各全国学会、协会、研究会，各高校科协"
    )


def test_levels_are_listed_from_the_top_and_other_units_by_name():
    recipients = [
        unit("南山区科学技术协会", UnitKind.kexie),
        unit("深圳市科学技术协会", UnitKind.kexie),
        unit("省科协办公室", UnitKind.department),
        unit("某某基金会", UnitKind.other),
        unit("另一基金会", UnitKind.other),
    ]
    assert default_addressees(recipients) == "各地级以上市科协，各县（市、区）科协，机关各部门，某某基金会、另一基金会"


def test_one_recipient_is_named_and_none_is_nothing():
    assert default_addressees([unit("深圳市科学技术协会", UnitKind.kexie)]) == "深圳市科学技术协会"
    assert default_addressees([]) == ""


def attachment(filename: str, original_of: str | None = None) -> Attachment:
    return Attachment(
        attachment_id="a" + str(len(filename)),
        filename=filename,
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        original_of=original_of,
    )


@pytest.mark.parametrize(
    "filename, label",
    [
        ("附件1 2021年“全国科技工作者日”青海省活动实施方案.txt", "2021年“全国科技工作者日”青海省活动实施方案"),
        ("附件2：联络员回执表.docx", "联络员回执表"),
        ("活动安排.pdf", "活动安排"),
        ("名单", "名单"),
        ("C:\\Users\\科协\\附件.docx", "附件"),
    ],
)
def test_an_attachments_label_is_its_name_without_extension_or_the_clerks_number(filename, label):
    assert attachment_label(filename) == label


def test_the_attachment_note_lists_the_files_but_not_a_forwards_original_unless_written():
    files = [attachment("原文-科协发组字〔2020〕7号.txt", original_of="n1"), attachment("附件1 活动方案.docx")]
    assert attachment_labels(files) == ["活动方案"]
    assert attachment_labels(files, ["活动方案（样表）", " ", "回执"]) == ["活动方案（样表）", "回执"]
    assert attachment_labels(files, []) == []
