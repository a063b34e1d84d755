"""Bytes of an uploaded file → text. The only place that reads a file format.

- ``.txt``: UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030 (a
  superset of GBK and GB2312, which older Windows tools still write).
- ``.docx``: python-docx, paragraphs and tables in document order
  (``Document.iter_inner_content``); a table row becomes one line with its
  cells separated by tabs (merged cells once), so contact tables stay rows;
  text boxes inside a paragraph (red 版头 are often drawn in one) come before it.
- ``.pdf``: pypdf. Chosen over pdfminer.six because it is pure Python with no
  dependencies (pdfminer.six pulls in cryptography and charset-normalizer),
  reads the ToUnicode maps and the predefined CJK encodings (UniGB-UCS2-H,
  GBK-EUC-H…) that Chinese PDFs use, and gives one line per text line, which
  is what the parsers need; pdfminer's finer layout analysis buys nothing
  here. A PDF whose pages yield no text is a scan: it is refused with a
  Chinese message asking for a text PDF or OCR first (no OCR runs here).

Nothing is fetched or written; an unreadable file raises an ``IntakeError``.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field

from .errors import BrokenFile, EmptyDocument, FileTooLarge, NoTextLayer, UnsupportedFile

MAX_BYTES = 20 * 1024 * 1024  # a notice with its attachments is a few MB; a 50 MB upload is refused

_TEXT_EXT = (".txt", ".text", ".md")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass
class ExtractedText:
    text: str
    file_type: str  # txt, docx, pdf
    warnings: list[str] = field(default_factory=list)  # Chinese, for the draft
    pages: int | None = None


def extract(
    data: bytes, filename: str | None = None, content_type: str | None = None, *, max_bytes: int = MAX_BYTES
) -> ExtractedText:
    """The text of an uploaded notice, with what the reader noticed on the way."""
    if not data:
        raise EmptyDocument("文件为空，没有可以导入的内容", field="file")
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），最大 {max_bytes // 1024 // 1024} MB", field="file"
        )
    kind = file_type(data, filename, content_type)
    if kind == "pdf":
        out = _pdf(data)
    elif kind == "docx":
        out = _docx(data)
    else:
        out = ExtractedText(_txt(data), "txt")
    out.text = tidy(out.text)
    if not out.text.strip():
        raise EmptyDocument("文件中没有文字，没有可以导入的内容", field="file")
    return out


def extract_text(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    return extract(data, filename, content_type).text


def file_type(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """txt, docx or pdf, from the bytes first (a misnamed file is read as what it is), then the name."""
    name = (filename or "").lower().strip()
    ext = name[name.rfind(".") :] if "." in name else ""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise BrokenFile("文件已损坏，无法读取（压缩包结构错误）", field="file") from None
        if "word/document.xml" in names:
            return "docx"
        raise UnsupportedFile("不支持的文件类型：只能导入 .txt、.docx 或带文字层的 .pdf 文件", field="file")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnsupportedFile("不支持旧版 Word（.doc）或 WPS 文件，请另存为 .docx 或 PDF 后再导入", field="file")
    if ext == ".pdf" or (content_type or "").startswith("application/pdf"):
        raise BrokenFile("PDF 文件已损坏，无法读取", field="file")
    if ext == ".docx" or "officedocument.wordprocessingml" in (content_type or ""):
        raise BrokenFile("Word 文件已损坏，无法读取", field="file")
    if ext in ("", *_TEXT_EXT) or (content_type or "").startswith("text/"):
        return "txt"
    raise UnsupportedFile(f"不支持的文件类型（{ext}）：只能导入 .txt、.docx 或带文字层的 .pdf 文件", field="file")


def _txt(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        if b"\x00" in data:
            raise UnsupportedFile(
                "这不是文本文件（含有二进制内容），只能导入 .txt、.docx 或带文字层的 .pdf 文件", field="file"
            )
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
            break
        return text
    raise UnsupportedFile("无法识别文件的文字编码（支持 UTF-8 和 GBK/GB18030），或这不是文本文件", field="file")


def _docx(data: bytes) -> ExtractedText:
    try:
        import docx
        from docx.oxml.ns import qn
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                boxes = []
                for box in block._p.iter(qn("w:txbxContent")):
                    for p in box.iter(qn("w:p")):
                        t = "".join(x.text or "" for x in p.iter(qn("w:t")))
                        if t.strip() and t not in boxes:  # a text box is stored twice (AlternateContent)
                            boxes.append(t)
                lines += boxes
                lines.append(block.text)
            elif isinstance(block, Table):
                lines += _table_lines(block)
        return ExtractedText("\n".join(lines), "docx")
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise BrokenFile("Word 文件已损坏，无法读取", field="file") from exc
    except Exception as exc:  # python-docx and lxml raise their own kinds for a broken package
        raise BrokenFile("Word 文件已损坏，无法读取", field="file") from exc


def _table_lines(table) -> list[str]:
    from docx.table import Table

    out = []
    for row in table.rows:
        cells = []
        last = None
        for cell in row.cells:
            if cell._tc is last:  # a merged cell appears once per grid column
                continue
            last = cell._tc
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            cells.append(text)
            for inner in cell.tables:  # a table in a cell: its rows follow
                out_inner = _table_lines(Table(inner._tbl, cell))
                if out_inner:
                    cells[-1] = (cells[-1] + " " + " ".join(out_inner)).strip()
        out.append("\t".join(cells).rstrip("\t"))
    return out


def _pdf(data: bytes) -> ExtractedText:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged xref is reported through the error below
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            ok: int  # a PasswordType (an IntEnum); 0 is NOT_DECRYPTED
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise BrokenFile("PDF 文件已加密，无法读取，请上传未加密的文件", field="file")
        pages = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
    except BrokenFile:
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise BrokenFile("PDF 文件已损坏，无法读取", field="file") from exc
    with_text = [p for p in pages if len(re.sub(r"\s", "", p)) >= 5]
    if not with_text:
        raise NoTextLayer(
            "这个 PDF 没有文字层（可能是扫描件或图片），无法读取文字。请上传带文字的 PDF 或 Word 文件，"
            "或先做文字识别（OCR）",
            field="file",
        )
    warnings = []
    missing = [str(i + 1) for i, p in enumerate(pages) if len(re.sub(r"\s", "", p)) < 5]
    if missing:
        warnings.append(f"PDF 第 {'、'.join(missing)} 页没有文字层（可能是扫描页），这些页的内容未能导入")
    return ExtractedText("\n".join(pages), "pdf", warnings, len(pages))


def tidy(text: str) -> str:
    """One kind of line break, no NUL or form feeds, no BOM; nothing else changes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\ufeff", "")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    return text.replace("\x00", "")
