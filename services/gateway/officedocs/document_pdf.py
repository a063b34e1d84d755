"""A 公文 as PDF: the same GB/T 9704 layout as the .docx, as HTML and CSS paged media rendered by WeasyPrint.

- @page: A4, the 版心's margins; :right/:left pages carry "— n —" at the right/left (odd pages are right pages);
- 22 lines of 28 characters: a 28.95 pt line and letter-spacing that squeezes 16 pt characters to 156 mm / 28;
- the 版记 is a CSS footnote, which is what puts a block at the foot of the page its call falls on: the last page.
"""

from html import escape

from . import fonts
from . import layout as L
from .document_docx import attachment_marks, mark_size
from .models import OfficialDocument
from .text import contact_text, date_text, ending_with_colon, ending_with_full_stop, width

LINE = L.LINE_PITCH_PT
CH = L.CHAR_PITCH_PT  # one character of body text, letter-spacing included
TEXT_WIDTH_PT = L.TEXT_WIDTH_MM * L.PT_PER_MM


def _pt(v: float) -> str:
    return f"{v:.2f}pt"


def stylesheet(resolved: dict[str, tuple[str, int]]) -> str:
    def font(role: str) -> str:
        family, weight = resolved[role]
        return f'font-family: "{family}", serif; font-weight: {weight};'

    folio_pad = L.FOLIO_GAP_MM * L.PT_PER_MM - L.FOLIO_PT / 2  # the dashes' middle 7 mm under the 版心
    folio = (
        f'content: "— " counter(page) " —"; {font("song")} font-size: {_pt(L.FOLIO_PT)}; '
        f"line-height: {_pt(L.FOLIO_PT)}; vertical-align: top; padding-top: {_pt(folio_pad)}; white-space: nowrap; "
        f"width: {_pt(6 * L.FOLIO_PT)};"
    )
    return f"""
@page {{
  size: A4;
  margin: {L.MARGIN_TOP_MM}mm {L.MARGIN_RIGHT_MM}mm {L.MARGIN_BOTTOM_MM}mm {L.MARGIN_LEFT_MM}mm;
  @footnote {{ margin: 0; padding: 0; }}
}}
@page :right {{ @bottom-right {{ {folio} text-align: right; padding-right: {_pt(L.FOLIO_PT)}; }} }}
@page :left {{ @bottom-left {{ {folio} text-align: left; padding-left: {_pt(L.FOLIO_PT)}; }} }}
html {{ {font("fangsong")} font-size: {_pt(L.BODY_PT)}; line-height: {_pt(LINE)};
        letter-spacing: {_pt(CH - L.BODY_PT)}; }}
body {{ margin: 0; }}
p, div {{ margin: 0; padding: 0; }}
.red {{ color: #{L.RED}; }}
.title-font {{ {font("title")} }}
.heiti {{ {font("heiti")} }}
.kaiti {{ {font("kaiti")} }}
.fangsong {{ {font("fangsong")} }}
.mark {{ {font("title")} color: #{L.RED}; text-align: center; letter-spacing: 0; }}
table {{ border-collapse: collapse; }}
td {{ padding: 0; }}
table.joint {{ margin-left: auto; margin-right: auto; }}
table.joint td.suffix {{ vertical-align: middle; }}
.number {{ text-align: center; border-bottom: {_pt(L.RED_RULE_PT)} solid #{L.RED}; }}
table.row {{ width: 100%; }}
table.row td {{ text-align: left; }}
table.row td + td {{ text-align: right; }}
.title {{ {font("title")} font-size: {_pt(L.TITLE_PT)}; line-height: {_pt(L.TITLE_PT * 1.5)}; text-align: center;
          letter-spacing: 0; margin-top: {_pt(2 * LINE)}; }}
.body {{ text-indent: {_pt(2 * CH)}; text-align: justify; }}
.sig {{ text-align: right; }}
.attachment {{ break-before: page; }}
.imprint {{ float: footnote; footnote-display: block; font-size: {_pt(L.IMPRINT_PT)}; letter-spacing: 0;
            border-top: {_pt(L.IMPRINT_THICK_PT)} solid black; border-bottom: {_pt(L.IMPRINT_THICK_PT)} solid black; }}
.imprint::footnote-call {{ content: none; }}
.imprint::footnote-marker {{ content: none; }}
.imprint .copy {{ padding: 0 {_pt(L.IMPRINT_PT)} 0 {_pt(4 * L.IMPRINT_PT)}; text-indent: {_pt(-3 * L.IMPRINT_PT)}; }}
.imprint .printed {{ padding: 0 {_pt(L.IMPRINT_PT)}; }}
.imprint .copy + .printed {{ border-top: {_pt(L.IMPRINT_THIN_PT)} solid black; }}
.new-page {{ break-before: page; }}
"""


def document_html(doc: OfficialDocument) -> str:
    """The HTML the PDF is rendered from (fonts resolved on this machine)."""
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>',
        escape(doc.title.replace("\n", "")),
        "</title></head><body>",
    ]
    _document(parts, doc, mark="")
    parts.append("</body></html>")
    return "".join(parts)


def document_pdf(doc: OfficialDocument) -> bytes:
    """The PDF of a 公文; raises fonts.FontsMissing when the node lacks the fonts (see deploy/system_packages.py)."""
    try:
        from weasyprint import CSS, HTML  # imported on use: it loads Pango, which the other renderings do not need
    except OSError as exc:  # Pango is not installed: as good as no fonts, and the same set-up installs both
        raise fonts.FontsMissing(
            f"WeasyPrint cannot load Pango ({exc}): install the Debian packages {' '.join(fonts.DEBIAN_PACKAGES)} "
            "libpango-1.0-0 libpangoft2-1.0-0 (python deploy/system_packages.py does)"
        ) from exc

    css = CSS(string=stylesheet(fonts.resolve()))
    return HTML(string=document_html(doc)).write_pdf(stylesheets=[css])


def _p(cls: str, text: str, style: str = "") -> str:
    return f'<p class="{cls}"' + (f' style="{style}"' if style else "") + f">{text}</p>"


def _document(out: list[str], doc: OfficialDocument, mark: str) -> None:
    lines_used = 0
    if mark:
        out.append(_p("heiti attachment-mark", escape(mark)))
        lines_used += 1
    for text in (doc.copy_number, doc.secrecy, doc.urgency):
        if text:
            out.append(_p("fangsong" if text == doc.copy_number else "heiti", escape(text)))
            lines_used += 1
    _masthead(out, doc, lines_used)
    _number_line(out, doc)
    title = "<br>".join(escape(t.strip()) for t in doc.title.split("\n") if t.strip())
    out.append(_p("title", title))
    if doc.addressees:
        out.append(_p("addressees", escape(ending_with_colon(doc.addressees)), f"margin-top: {_pt(LINE)}"))
    for para in doc.body:
        head = ""
        if para.heading:
            cls = {1: "heiti", 2: "kaiti"}.get(para.level, "fangsong")
            head = f'<span class="{cls}">{escape(para.heading)}</span>'
        out.append(_p("body", head + escape(para.text)))
    names = [n.strip().rstrip("。.；;，,") for n in doc.attachment_names if n.strip()]
    for i, name in enumerate(names, 1):
        number = f"{i}." if len(names) > 1 else ""
        hang = width(number) + (3 if i == 1 else 0)
        style = f"padding-left: {_pt((5 + width(number)) * CH)}; text-indent: {_pt(-hang * CH)};"
        if i == 1:
            style += f" margin-top: {_pt(LINE)};"
        out.append(_p("attachment-note", escape(("附件：" if i == 1 else "") + number + name), style))
    date = date_text(doc.signed_on)
    out.append(f'<div class="signature" style="break-inside: avoid; margin-top: {_pt(2 * LINE)}">')
    for name in doc.signatures:
        style = f"padding-right: {_pt(max(0.0, 4 + (width(date) - width(name)) / 2) * CH)};"
        out.append(_p("sig", escape(name), style))
    out.append(_p("sig date", escape(date), f"padding-right: {_pt(4 * CH)};"))
    out.append("</div>")
    notes = [n.strip().strip("（）()") for n in doc.notes if n.strip()] + [contact_text(c) for c in doc.contacts]
    if notes:
        out.append(_p("body annotation", escape("（" + "；".join(notes) + "）")))
    for label, following in zip(attachment_marks(doc), doc.attachments_following, strict=True):
        out.append('<div class="attachment">')
        _document(out, following, mark=label)
        out.append("</div>")
    if doc.has_imprint:
        _imprint(out, doc, new_page=bool(doc.attachments_following))


def _masthead(out: list[str], doc: OfficialDocument, lines_used: int) -> None:
    size = mark_size(doc)
    line = size * 1.2
    gap = max(0.0, L.MARK_TOP_MM * L.PT_PER_MM - lines_used * LINE - (line - size) / 2)
    box = f"font-size: {_pt(size)}; line-height: {_pt(line)}; margin-top: {_pt(gap)};"
    if len(doc.issuers) == 1:
        out.append(f'<div class="mark" style="{box}">{escape(doc.issuers[0].mark + doc.mark_suffix)}</div>')
        return
    # 联合行文: the names stacked, each spread to the longest's width, 文件 at their right, centred on them.
    # (Tables and letter-spacing, not flex boxes: WeasyPrint lays flex out several times slower.)
    longest = max(width(i.mark) for i in doc.issuers)
    rows = []
    for n, issuer in enumerate(doc.issuers):
        spread = _spread(issuer.mark, longest, size)
        cell = f'<td class="name">{spread}</td>'
        if n == 0 and doc.mark_suffix:
            cell += (
                f'<td class="suffix" rowspan="{len(doc.issuers)}" style="padding-left: {_pt(size / 2)}">'
                f"{escape(doc.mark_suffix)}</td>"
            )
        rows.append(f"<tr>{cell}</tr>")
    out.append(f'<div class="mark" style="{box}"><table class="joint">{"".join(rows)}</table></div>')


def _spread(name: str, chars: float, size: float) -> str:
    """A name spread to ``chars`` characters' width: letter-spacing between its characters, none after the last."""
    extra = (chars - width(name)) * size / max(1, len(name) - 1)
    if len(name) < 2 or extra <= 0:
        return escape(name)
    return (
        f'<span style="letter-spacing: {_pt(extra)}">{escape(name[:-1])}</span>'
        f'<span style="letter-spacing: 0">{escape(name[-1])}</span>'
    )


def _number_line(out: list[str], doc: OfficialDocument) -> None:
    # The rule 4 mm under the 文号's glyphs, not under its 28.95 pt line box.
    pad = max(0.0, L.RULE_GAP_MM * L.PT_PER_MM - (LINE - L.BODY_PT) / 2)
    style = f"margin-top: {_pt(2 * LINE)}; padding-bottom: {_pt(pad)};"
    if not doc.signers:
        out.append(f'<div class="number" style="{style}">{escape(doc.doc_number)}</div>')
        return
    rows = [doc.signers[i : i + 2] for i in range(0, len(doc.signers), 2)]
    for n, names in enumerate(rows[:-1]):
        label = "签发人：" if n == 0 else "\u3000" * 4
        first = f"margin-top: {_pt(2 * LINE)};" if n == 0 else ""
        out.append(
            f'<p class="sig" style="{first} padding-right: {_pt(CH)}">{label}'
            f'<span class="kaiti">{escape(chr(0x3000).join(names))}</span></p>'
        )
    label = "签发人：" if len(rows) == 1 else "\u3000" * 4
    if len(rows) > 1:
        style = f"padding-bottom: {_pt(pad)};"
    out.append(
        f'<div class="number up" style="{style} padding-left: {_pt(CH)}; padding-right: {_pt(CH)}">'
        f'<table class="row"><tr><td>{escape(doc.doc_number)}</td>'
        f'<td>{label}<span class="kaiti">{escape(chr(0x3000).join(rows[-1]))}</span></td></tr></table></div>'
    )


def _imprint(out: list[str], doc: OfficialDocument, *, new_page: bool) -> None:
    rows = []
    if doc.copy_to:
        rows.append(f'<div class="copy">抄送：{escape(ending_with_full_stop("，".join(doc.copy_to)))}</div>')
    if doc.printed_by or doc.printed_on:
        when = date_text(doc.printed_on) + "印发" if doc.printed_on else ""
        rows.append(
            f'<div class="printed"><table class="row"><tr><td>{escape(doc.printed_by)}</td>'
            f"<td>{escape(when)}</td></tr></table></div>"
        )
    anchor = "new-page imprint-anchor" if new_page else "imprint-anchor"
    out.append(f'<div class="{anchor}"><div class="imprint">{"".join(rows)}</div></div>')
