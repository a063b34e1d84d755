"""Documents an office works with: the 红头 notice (.docx, .pdf), the 汇总 (.xlsx, .docx) and the 样表 (.docx, .xlsx).

A pure library: input models in, bytes out. It imports nothing from the rest
of the gateway; the routes map notices, asks and submissions onto these models.
"""

from .blankform import form_columns, form_docx, form_xlsx
from .document_docx import document_docx
from .document_pdf import document_html, document_pdf
from .fonts import FontsMissing
from .models import (
    BlankForm,
    Issuer,
    OfficialDocument,
    Paragraph,
    SummaryGap,
    SummaryItem,
    SummaryTable,
    normalise_doc_number,
)
from .summary import summary_docx, summary_xlsx
from .text import paragraphs_from_text

__all__ = [
    "BlankForm",
    "FontsMissing",
    "Issuer",
    "OfficialDocument",
    "Paragraph",
    "SummaryGap",
    "SummaryItem",
    "SummaryTable",
    "document_docx",
    "document_html",
    "document_pdf",
    "form_columns",
    "form_docx",
    "form_xlsx",
    "normalise_doc_number",
    "paragraphs_from_text",
    "summary_docx",
    "summary_xlsx",
]
