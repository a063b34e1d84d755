"""Input models of the renderings: everything a document needs, nothing about where it came from.

The services map their own records onto these (a notice onto an
``OfficialDocument``, an ask's 汇总 onto a ``SummaryTable``, an ask's form onto
a ``BlankForm``); the renderers read only these.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.schemas import Contact, FormField


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- 公文 ----

# A year in any bracket a clerk types ([2020], (2020), 【2020】, ［2020］) becomes 〔2020〕, as GB/T 9704 §7.2.4 wants.
_YEAR_BRACKETS = re.compile(r"[\[\(（【［〔{｛]\s*((?:19|20|21)\d\d)\s*[\]\)）】］〕}｝]")


def normalise_doc_number(text: str) -> str:
    """``粤科协联[2020]9号`` → ``粤科协联〔2020〕9号`` (the year in 六角括号, no spaces)."""
    return _YEAR_BRACKETS.sub(r"〔\1〕", re.sub(r"\s+", "", text))


class Issuer(Model):
    """One issuing organisation; the first of a document's issuers is the lead (主办机关)."""

    name: str = Field(min_length=1, max_length=100, description="full name, as signed (署名)")
    mark_name: str = Field(
        default="",
        max_length=40,
        description="name on the 发文机关标志: the full or standard short name; empty means name",
    )

    @property
    def mark(self) -> str:
        return self.mark_name or self.name


class Paragraph(Model):
    """One paragraph of the body.

    ``heading`` is the numbered heading as the genre writes it (一、… / （一）… / 1.… / （1）…), set in its
    level's font; ``text`` follows it on the same line in the body font (``（一）突出时代主题。充分发挥…``).
    Level 0 is plain body text.
    """

    level: int = Field(default=0, ge=0, le=4)
    heading: str = ""
    text: str = ""

    @model_validator(mode="after")
    def _not_empty(self) -> Paragraph:
        if not (self.heading or self.text):
            raise ValueError("a paragraph needs a heading or text")
        if self.heading and self.level == 0:
            raise ValueError("a heading needs a level from 1 to 4")
        return self


class OfficialDocument(Model):
    """A 公文 with the elements of 《党政机关公文处理工作条例》 §9, laid out by GB/T 9704-2012."""

    issuers: list[Issuer] = Field(min_length=1, description="joint issue lists several, the lead first")
    mark_suffix: str = Field(
        default="文件",
        max_length=10,
        description="after the issuer names on the 发文机关标志; empty for a 标志 of names only",
    )
    doc_number: str = Field(min_length=1, max_length=60, description="文号, e.g. 粤科协联〔2020〕9号")
    signers: list[str] = Field(default=[], description="签发人, for a notice to a higher level (上行文)")
    copy_number: str | None = Field(default=None, max_length=10, description="份号, for a classified document")
    secrecy: str | None = Field(default=None, max_length=30, description="密级和保密期限, e.g. 秘密★1年")
    urgency: Literal["特急", "加急"] | None = None
    title: str = Field(min_length=1, max_length=300, description="a line break (\\n) where the title should wrap")
    addressees: str = Field(
        default="", max_length=2000, description="主送机关 as written, e.g. 各地级以上市科协、科技局（委）"
    )
    body: list[Paragraph] = []
    attachment_names: list[str] = Field(default=[], description="附件说明: the attachments' names, in order")
    signature_names: list[str] = Field(default=[], description="署名; empty means the issuers' names")
    signed_on: date = Field(description="成文日期: for a joint notice the last signer's date")
    notes: list[str] = Field(default=[], description="附注 lines other than contacts")
    contacts: list[Contact] = Field(default=[], description="附注: the contacts, in parentheses under the date")
    copy_to: list[str] = Field(default=[], description="抄送机关")
    printed_by: str = Field(default="", max_length=100, description="印发机关")
    printed_on: date | None = Field(default=None, description="印发日期")
    attachments_following: list[OfficialDocument] = Field(
        default=[], description="documents that follow as 附件, each from a new page: a 转发 carries the original here"
    )

    @field_validator("doc_number")
    @classmethod
    def _six_corner_brackets(cls, v: str) -> str:
        return normalise_doc_number(v)

    @property
    def signatures(self) -> list[str]:
        return self.signature_names or [i.name for i in self.issuers]

    @property
    def has_imprint(self) -> bool:
        """Whether there is a 版记 (抄送, 印发机关 or 印发日期) to print."""
        return bool(self.copy_to or self.printed_by or self.printed_on)


# ---------------------------------------------------------------- 汇总 ----


class SummaryItem(Model):
    """One item a unit submitted (a unit submitting 2 plans gives 2 rows)."""

    unit_name: str
    source_path: list[str] = Field(
        default=[],
        description="the units it came through, top first, ending with the source unit "
        "(苏州市科协 ← 昆山市科协 is ['苏州市科协', '昆山市科协']); empty: submitted directly",
    )
    status: str = Field(description="as users read it: 已报送, 已采用, 已退回 …")
    submitted_at: datetime | None = None
    late: bool = False
    accepted: bool = False
    commendation: str = ""
    item_no: int | None = Field(default=None, ge=1, description="which item of the submission (第几项)")
    values: dict[str, Any] = {}
    submitted_by: str = ""


class SummaryGap(Model):
    """A unit that owes the ask and has not submitted."""

    unit_name: str
    source_path: list[str] = []
    status: str = "未报送"
    overdue: bool = False
    note: str = Field(default="", description="e.g. 已催办2次")


class SummaryTable(Model):
    """The 汇总表 of one ask, with its title block."""

    notice_title: str
    doc_number: str = ""
    ask_title: str
    deadline: datetime | None = None
    generated_at: datetime
    compiled_by: str = Field(default="", description="the unit whose 汇总 this is")
    timezone: str = Field(default="Asia/Shanghai", description="times are shown in this zone")
    fields: list[FormField] = []
    rows: list[SummaryItem] = []
    gaps: list[SummaryGap] = []


# ---------------------------------------------------------------- 样表 ----


class BlankForm(Model):
    """An ask's form as a blank 样表 to print or fill offline."""

    title: str = Field(min_length=1, max_length=300)
    fields: list[FormField] = Field(min_length=1)
    attachment_label: str = Field(default="", max_length=20, description="附件 / 附件2 at the top left, as seed 002")
    ask_id: str = ""
    notice_title: str = ""
    doc_number: str = ""
    min_items: int = Field(default=1, ge=0, le=100)
    max_items: int = Field(default=1, ge=1, le=100)
    layout: Literal["auto", "block", "rows"] = Field(
        default="auto", description="block: a label | blank table per item (seed 002); rows: a row per item (seed 003)"
    )
    unit_label: str = Field(default="单位盖章", description="seed 003 writes 填报单位")
    date_label: str = "报送时间"
    note: str = Field(default="", max_length=2000, description="requirements in words, printed under the form")
    deadline: datetime | None = None
    timezone: str = "Asia/Shanghai"

    @property
    def effective_layout(self) -> Literal["block", "rows"]:
        if self.layout != "auto":
            return self.layout
        # A row per item only works when every field fits a narrow column.
        narrow = all(
            f.type not in ("contact", "multi_choice", "file") and (f.max_chars or 0) <= 60 for f in self.fields
        )
        return "rows" if narrow and len(self.fields) <= 8 else "block"


# ---------------------------------------------------------------- 汇总报告 ----


class ReportUnit(Model):
    """A unit in the completeness table of a 汇总报告: what it owed and where it stands."""

    unit_name: str
    source_path: list[str] = Field(default=[], description="as ``SummaryItem.source_path``")
    status: str = Field(description="as users read it: 已采用, 已报送, 已退回, 未报送")
    submitted: bool = Field(default=False, description="it sent something (any revision)")
    submitted_at: datetime | None = None
    late: bool = Field(default=False, description="sent after the deadline")
    overdue: bool = Field(default=False, description="sent nothing and the deadline has passed")
    items: int = 0


class ReportSection(Model):
    """One accepted submission, printed under its unit's heading; a 汇总's items name their source units."""

    unit_name: str
    status: str = "已采用"
    submitted_at: datetime | None = None
    late: bool = False
    submitted_by: str = ""
    commendation: str = ""
    items: list[SummaryItem] = []


class SummaryReport(Model):
    """The 汇总报告 of one ask: who submitted (on time, late) and who did not, then what was accepted."""

    notice_title: str
    doc_number: str = ""
    ask_title: str
    deadline: datetime | None = None
    generated_at: datetime
    compiled_by: str = ""
    timezone: str = "Asia/Shanghai"
    fields: list[FormField] = []
    units: list[ReportUnit] = []
    sections: list[ReportSection] = []
    images: dict[str, bytes] = Field(
        default={}, description="sha256 → the bytes of an image file an item holds: shown as a thumbnail"
    )
