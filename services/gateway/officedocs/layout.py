"""GB/T 9704-2012 《党政机关公文格式》 as numbers, shared by the Word and the PDF renderings.

Lengths in millimetres or points, as the standard states them; each renderer
converts to its own units.
"""

# §5.2.1 A4, §5.2.2 版心 156 × 225 mm: 天头 37 mm, 订口 28 mm, so 翻口 26 mm and 地脚 35 mm.
PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 37
MARGIN_LEFT_MM = 28
TEXT_WIDTH_MM = 156
TEXT_HEIGHT_MM = 225
MARGIN_RIGHT_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - TEXT_WIDTH_MM  # 26
MARGIN_BOTTOM_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - TEXT_HEIGHT_MM  # 35

PT_PER_MM = 72 / 25.4

# §5.2.4 22 lines of 28 characters fill the 版心. 225 mm / 22 = 28.99 pt; Word templates for 公文 round the pitch
# down to 28.95 pt (579 twips) so the 22nd line never spills onto the next page.
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH_PT = 28.95
CHAR_PITCH_PT = TEXT_WIDTH_MM * PT_PER_MM / CHARS_PER_LINE  # 15.79 pt: 28 three-point (16 pt) characters squeezed

# 字号 in points.
SIZE_1 = 26.0  # 一号
SIZE_2 = 22.0  # 二号: title
SIZE_3 = 16.0  # 三号: body
SIZE_4 = 14.0  # 四号: page numbers, 版记
SIZE_5 = 10.5  # 五号: tables

BODY_PT = SIZE_3
TITLE_PT = SIZE_2
FOLIO_PT = SIZE_4
IMPRINT_PT = SIZE_4

# §7.2.3 发文机关标志: red, 小标宋, its top 35 mm below the top of the 版心. The size is not fixed; it must fit the
# 版心 and not outshine a superior's, so it is set by width and capped.
MARK_TOP_MM = 35
MARK_MAX_PT = 42.0
RED = "FF0000"

# §7.2.4 the 文号 two lines under the 标志; the red rule 4 mm under the 文号, as wide as the 版心.
RULE_GAP_MM = 4
RED_RULE_PT = 1.5

# §7.4.1 版记 rules: the first and last 0.35 mm, the ones between 0.25 mm.
IMPRINT_THICK_PT = 0.35 * PT_PER_MM  # ≈ 1 pt
IMPRINT_THIN_PT = 0.25 * PT_PER_MM  # ≈ 0.7 pt

# §7.5 page numbers: 4号 宋体, "— 1 —", the dashes 7 mm under the 版心; odd pages right, even pages left, one character
# in from the edge of the 版心.
FOLIO_GAP_MM = 7

# Font names as Word and WPS know them. A machine that has the real 公文 fonts uses them; Word falls back through the
# font table's altName and charset (GB2312), WPS maps the _GB2312 names to its own 仿宋/楷体 on its own.
FONT_FANGSONG = "仿宋_GB2312"
FONT_KAITI = "楷体_GB2312"
FONT_HEITI = "黑体"
FONT_SONG = "宋体"
FONT_TITLE = "方正小标宋简体"

# name → (altName, panose, family, pitch) for word/fontTable.xml: what Word substitutes when the font is missing.
FONT_TABLE = {
    FONT_FANGSONG: ("仿宋", "02010609030101010101", "modern", "fixed"),
    FONT_KAITI: ("楷体", "02010609030101010101", "modern", "fixed"),
    FONT_HEITI: ("SimHei", "02010609060101010101", "modern", "fixed"),
    FONT_SONG: ("SimSun", "02010600030101010101", "auto", "variable"),
    FONT_TITLE: ("方正小标宋_GBK", "02000000000000000000", "auto", "variable"),
}

# Heading fonts by level (§7.3.3): 一、 in 黑体, （一） in 楷体, 1. and （1） in the body's 仿宋.
HEADING_FONTS = {1: FONT_HEITI, 2: FONT_KAITI, 3: FONT_FANGSONG, 4: FONT_FANGSONG}
