"""导入公文: a received notice (.txt, .docx, .pdf with a text layer) → a draft to review.

Pure and deterministic: bytes → text (``extract``), text → ``ImportedDraft``
(``parse_text``), draft → the fields of ``IssueNotice`` / ``ForwardNotice``
(``to_command``). No network, no model, nothing written.

Modules: ``extract`` (file formats), ``textview`` (offset-keeping views),
``numbers`` and ``dates`` and ``quantities`` (Chinese numerals, dates,
deadlines, limits), ``units`` (unit kinds, names, directory matching),
``header`` (版头, 文号, 标题, 主送, 落款, 附件), ``contacts``, ``asks``,
``routing``, ``chain`` (upstream notices), ``parse`` (the whole),
``commands`` (to the command shapes), ``models``, ``errors``.
"""

from collections.abc import Iterable, Sequence

from .commands import CommandDraft, to_command
from .dates import TZ
from .errors import BrokenFile, EmptyDocument, FileTooLarge, IntakeError, NoTextLayer, UnsupportedFile
from .extract import MAX_BYTES, ExtractedText, extract, extract_text
from .models import (
    AttachmentName,
    CharLimit,
    ContactBlock,
    ContactPerson,
    DirectoryUnit,
    DraftFields,
    DraftWarning,
    FileFormats,
    Found,
    ImportedAsk,
    ImportedDraft,
    ImportedRoute,
    Issuer,
    ItemRange,
    KindMention,
    ReceivedStamp,
)
from .parse import parse_text


def import_document(
    data: bytes,
    filename: str | None = None,
    content_type: str | None = None,
    *,
    directory: Iterable[DirectoryUnit | Sequence] | None = None,
    tz: str = TZ,
    max_bytes: int = MAX_BYTES,
) -> ImportedDraft:
    """An uploaded file → a draft; what the file reader noticed (pages without text) is among its warnings."""
    got = extract(data, filename, content_type, max_bytes=max_bytes)
    draft = parse_text(got.text, directory=directory, tz=tz)
    if got.warnings:
        draft = draft.model_copy(
            update={"warnings": [DraftWarning(field="file", message=w) for w in got.warnings] + list(draft.warnings)}
        )
    return draft


__all__ = [
    "AttachmentName",
    "BrokenFile",
    "CharLimit",
    "CommandDraft",
    "ContactBlock",
    "ContactPerson",
    "DirectoryUnit",
    "DraftFields",
    "DraftWarning",
    "EmptyDocument",
    "ExtractedText",
    "FileFormats",
    "FileTooLarge",
    "Found",
    "ImportedAsk",
    "ImportedDraft",
    "ImportedRoute",
    "IntakeError",
    "Issuer",
    "ItemRange",
    "KindMention",
    "NoTextLayer",
    "ReceivedStamp",
    "UnsupportedFile",
    "extract",
    "extract_text",
    "import_document",
    "parse_text",
    "to_command",
]
