"""导入公文: what the notices service reads out of a received 公文 (``Notices.read_document``).

The request names the document: text pasted by a person, or a file its unit uploaded (``BeginUpload`` …
``FinishUpload``, as an attachment). The reply is the document as the intake library read it, one
``DocumentLevel`` per notice it holds (the document, then each upstream notice it forwards or carries), each
with every extracted field (its value, confidence and the span of the text it came from) and that level in
the shape of the ``IssueNotice`` / ``ForwardNotice`` commands. Nothing is stored and nothing is issued: the
gateway turns a reply into a draft (``CreateDraft``) that a person reviews.
"""

from typing import Any, Literal

from pydantic import Field

from ..schemas import Wire
from .common import Actor
from .views import View

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # a 公文 with its attachments is a few MB; a 50 MB upload is refused
MAX_DOCUMENT_CHARS = 200_000  # about 100 pages of a 公文: more is not one notice


class ReadDocument(Wire):
    """导入公文: read a received 公文 into the fields of a draft (nothing is stored). Exactly one of ``text`` and
    ``attachment_id``."""

    text: str | None = Field(default=None, max_length=MAX_DOCUMENT_CHARS, description="the text, pasted")
    attachment_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="a .txt, .docx or .pdf (with a text layer) the actor's unit uploaded",
    )
    actor: Actor | None = None


class DocumentWarning(View):
    """What the reader could not find or is unsure of, in Chinese; ``field`` names the field when there is one."""

    field: str | None = None
    message: str


class ExtractedField(View):
    """One value read from the document: where it came from and how sure the reader is.

    ``key`` names it within its level (``doc_number``, ``issuers.0``, ``asks.plan.deadline``, ``routes.1``…);
    ``span`` is a pair of offsets into ``DocumentRead.text`` and ``source`` the text there (cut at 300
    characters).
    """

    key: str
    label: str
    value: Any = None
    display: str = Field(default="", description="the value as a person reads it")
    confidence: float = Field(ge=0, le=1)
    span: tuple[int, int] | None = None
    source: str = ""
    how: str = Field(default="", description="where it was read: 版头, 标签, 落款, 推断…")


class KnownNotice(View):
    """A notice in Cascade with the level's 文号 (or, known only by its title, that title) that the actor's unit
    received (``received``) or issued (``issued``)."""

    notice_id: str
    doc_number: str
    title: str
    issuer_name: str = ""
    relation: Literal["received", "issued"]


class LevelCommand(View):
    """A level in the shape of a command: ``values`` holds the fields that validate (asks as ``Ask``, contacts
    as ``Contact``, routes as ``Route``), ``raw`` what did not (each with a warning), ``missing`` what a text
    cannot give (the recipients, the notice in Cascade that is forwarded)."""

    command: Literal["issue", "forward"]
    values: dict[str, Any] = {}
    missing: list[str] = []
    raw: dict[str, Any] = {}
    warnings: list[DocumentWarning] = []


class DocumentLevel(View):
    """One notice of the document: the document itself (level 0), or an upstream notice it forwards or carries."""

    level: int
    kind: Literal["notice", "forward"] = Field(description="forward: it forwards or carries the next level")
    stub: bool = Field(default=False, description="known only from a 转发 title or a citation, not its text")
    doc_number: str | None = None
    title: str | None = None
    issuer_names: list[str] = []
    issuer_unit_ids: list[str | None] = Field(default=[], description="the directory unit each issuer matched")
    recipients: str | None = Field(default=None, description="主送机关 as written")
    date: str | None = Field(default=None, description="成文日期 (ISO)")
    segment: tuple[int, int]
    fields: list[ExtractedField] = []
    issue: LevelCommand = Field(description="the level as IssueNotice fields")
    forward: LevelCommand | None = Field(default=None, description="the level as ForwardNotice fields (it forwards)")
    known: KnownNotice | None = None
    warnings: list[DocumentWarning] = []


class DocumentRead(View):
    """A received 公文 as the intake library read it."""

    file_type: Literal["text", "txt", "docx", "pdf"]
    filename: str = ""
    text: str
    recognised: bool = Field(description="false: no 文号, title, issuer or ask was found; not a notice")
    levels: list[DocumentLevel]
    warnings: list[DocumentWarning] = Field(default=[], description="about the file and the document as a whole")
