"""Documents an office works with: the 红头 notice (.docx, .pdf), the 汇总 (.xlsx, .docx), the 汇总报告 (.docx)
and the 样表 (.docx, .xlsx).

A pure library: input models in, bytes out. It imports nothing from the rest
of the gateway; the routes map notices, asks and submissions onto these models.
"""

from .blankform import form_columns, form_docx, form_xlsx
from .document_docx import document_docx
from .document_pdf import document_html, document_pdf
from .fonts import FontsMissing
from .formread import FilledForm, FormFileError, read_form
from .models import (
    BlankForm,
    Issuer,
    OfficialDocument,
    Paragraph,
    ReportSection,
    ReportUnit,
    SummaryGap,
    SummaryItem,
    SummaryReport,
    SummaryTable,
    normalise_doc_number,
)
from .report import report_docx
from .summary import summary_docx, summary_xlsx
from .text import paragraphs_from_text

__all__ = [
    "BlankForm",
    "FilledForm",
    "FontsMissing",
    "FormFileError",
    "Issuer",
    "OfficialDocument",
    "Paragraph",
    "ReportSection",
    "ReportUnit",
    "SummaryGap",
    "SummaryItem",
    "SummaryReport",
    "SummaryTable",
    "document_docx",
    "document_html",
    "document_pdf",
    "form_columns",
    "form_docx",
    "form_xlsx",
    "normalise_doc_number",
    "paragraphs_from_text",
    "read_form",
    "report_docx",
    "summary_docx",
    "summary_xlsx",
]
