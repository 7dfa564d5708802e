"""The briefing as a 16:9 PowerPoint file (13.333 × 7.5 in), in the order of `kpi.briefing.model.slide_plan`:
title slide, the unit × rule matrix, headline numbers, this week's changes, one slide per section
(native, editable charts where the chart type allows, else the chart picture) followed by the list
naming its units, then the appendix. Every slide but the cover has a footer with the scope, the
as-of date and its page number.

Every run names 微软雅黑 as its Latin and East-Asian typeface with a GB2312 fallback
(`kpi.briefing.pptx_fonts`), not only `font.name` (which PowerPoint applies to Latin text only).
"""
from __future__ import annotations

import io
import math

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from kpi.briefing import textfit
from kpi.briefing.model import Briefing, HeadlineRow, Section, Slide, Table, slide_plan
from kpi.briefing.pptx_charts import add_chart
from kpi.briefing.pptx_fonts import SLIDE_FONT, set_run_font, set_theme_fonts
from kpi.charts import theme
from kpi.display.matrix_xlsx import FILLS
from kpi.i18n import t

SLIDE_W, SLIDE_H = 13.333, 7.5
TITLE_ONLY_LAYOUT = 5
TEXT = "222222"
MUTED = "666666"
CARD_FILL = "F5F5F5"
CHART_TOP, CHART_HEIGHT = 1.3, 5.3
CHART_LEFT = 0.4
CHART_WIDTH = CHART_HEIGHT * 16 / 9
NOTES_LEFT = CHART_LEFT + CHART_WIDTH + 0.35
NOTES_PT = 15
TABLE_TOP, TABLE_PT, HEADER_PT, HEADER_H, ROW_H = 1.4, 12, 11, 0.52, 0.36
TITLE_PT, COVER_TITLE_PT = 28, 40
CELL_MARGIN_X = 0.08   # inches, left and right, inside every table cell
HEADER_FILL, ZEBRA_FILL = "44546A", "F5F5F5"
FOOTER_TOP, FOOTER_H, FOOTER_PT = SLIDE_H - 0.45, 0.35, 11
PAGE_BOX_W = 1.8


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def set_typefaces(run, family: str = SLIDE_FONT) -> None:
    """Name the slide font (微软雅黑, with its fallback attributes) as every typeface of `run`."""
    set_run_font(run)


def _write(paragraph, text: str, size: float, colour: str = TEXT, bold: bool = False) -> None:
    run = paragraph.add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = _rgb(colour)
    set_typefaces(run)


def _text_box(slide, left, top, width, height, lines, name: str | None = None,
              align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP):
    """A text box with one paragraph per (text, size, colour, bold) in `lines`."""
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    for i, (text, size, colour, bold) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = align
        _write(paragraph, text, size, colour, bold)
    return box


def _rectangle(slide, left, top, width, height, fill: str, name: str | None = None):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(fill)
    shape.line.fill.background()
    shape.shadow.inherit = False
    if name:
        shape.name = name
    return shape


def _footer(slide, footer: str, page: int, pages: int, lang: str) -> None:
    """Scope and as-of date on the left, the page number on the right."""
    _text_box(slide, 0.4, FOOTER_TOP, SLIDE_W - 0.8 - PAGE_BOX_W, FOOTER_H, [(footer, FOOTER_PT, MUTED, False)],
              name="footer")
    _text_box(slide, SLIDE_W - 0.4 - PAGE_BOX_W, FOOTER_TOP, PAGE_BOX_W, FOOTER_H,
              [(t("briefing.page", lang, page=page, pages=pages), FOOTER_PT, MUTED, False)], name="page_number",
              align=PP_ALIGN.RIGHT)


def _titled_slide(prs, title: str, footer: str):
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    placeholder = slide.shapes.title
    placeholder.left, placeholder.top = Inches(0.4), Inches(0.3)
    placeholder.width, placeholder.height = Inches(SLIDE_W - 0.8), Inches(0.85)
    frame = placeholder.text_frame
    frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    # one line: a long title (an appendix's, an English one) shrinks instead of running into the rule
    _write(frame.paragraphs[0], title, textfit.fitted_size(title, TITLE_PT, SLIDE_W - 0.8 - 0.2, bold=True), TEXT,
           bold=True)
    _rectangle(slide, 0.4, 1.12, 1.2, 0.05, theme.ACCENT)
    return slide


def _title_slide(prs, briefing: Briefing) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _rectangle(slide, 0, 0, SLIDE_W, 0.3, theme.ACCENT)
    placeholder = slide.shapes.title
    placeholder.left, placeholder.top = Inches(0.9), Inches(2.3)
    placeholder.width, placeholder.height = Inches(SLIDE_W - 1.8), Inches(1.3)
    frame = placeholder.text_frame
    frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    _write(frame.paragraphs[0], briefing.title,
           textfit.fitted_size(briefing.title, COVER_TITLE_PT, SLIDE_W - 1.8 - 0.2, bold=True), TEXT, bold=True)
    lines = [(briefing.period_text, 22, MUTED, False), (briefing.scope_label, 22, MUTED, False)]
    if briefing.as_of_text:
        lines.append((briefing.as_of_text, 18, MUTED, False))
    _text_box(slide, 0.9, 3.8, SLIDE_W - 1.8, 1.9, lines, name="subtitle")


def _headline_card(slide, row: HeadlineRow, left: float, top: float, width: float, height: float) -> None:
    colour = theme.STATUS_COLOURS.get(row.status, theme.MISSING)
    _rectangle(slide, left, top, 0.09, height, colour)
    card = _rectangle(slide, left + 0.09, top, width - 0.09, height, CARD_FILL, name=f"headline:{row.key}")
    frame = card.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.margin_left = frame.margin_right = Inches(0.2)
    lines = [(row.label, 14, MUTED, False), (row.value_text, 34, colour, True), (row.change_text, 13, TEXT, False)]
    for i, (text, size, col, bold) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.alignment = PP_ALIGN.LEFT
        _write(paragraph, text, size, col, bold)


def _headline_slide(prs, briefing: Briefing, footer: str):
    slide = _titled_slide(prs, briefing.headline_title, footer)
    cols = 4
    rows = max(1, math.ceil(len(briefing.headlines) / cols))
    gap, top0, bottom = 0.25, 1.45, SLIDE_H - 1.0
    width = (SLIDE_W - 0.8 - gap * (cols - 1)) / cols
    height = (bottom - top0 - gap * (rows - 1)) / rows
    for i, row in enumerate(briefing.headlines):
        r, c = divmod(i, cols)
        _headline_card(slide, row, 0.4 + c * (width + gap), top0 + r * (height + gap), width, height)
    _text_box(slide, 0.4, SLIDE_H - 0.85, SLIDE_W - 0.8, 0.35,
              [(t("briefing.legend", briefing.lang), 11, MUTED, False)], name="legend")
    return slide


def _section_slide(prs, section: Section, image: bytes | None, footer: str):
    slide = _titled_slide(prs, section.title, footer)
    if section.charts:
        # native charts side by side in the chart area, data embedded and editable
        gap = 0.2
        width = (CHART_WIDTH - gap * (len(section.charts) - 1)) / len(section.charts)
        for i, spec in enumerate(section.charts):
            add_chart(slide, spec, CHART_LEFT + i * (width + gap), CHART_TOP, width, CHART_HEIGHT,
                      f"chart:{section.key}:{i + 1}")
    elif image is not None:
        picture = slide.shapes.add_picture(io.BytesIO(image), Inches(CHART_LEFT), Inches(CHART_TOP),
                                           height=Inches(CHART_HEIGHT))
        picture.name = f"chart:{section.key}"
    else:
        _empty_box(slide, CHART_LEFT, CHART_TOP, CHART_WIDTH, CHART_HEIGHT, section.empty_message or "")
    lines = [("▍" + text, NOTES_PT, TEXT, False) for text in section.takeaways]
    if lines:
        box = _text_box(slide, NOTES_LEFT, CHART_TOP, SLIDE_W - NOTES_LEFT - 0.4, CHART_HEIGHT, lines,
                        name="takeaways")
        for paragraph in box.text_frame.paragraphs:
            paragraph.space_after = Pt(10)
    return slide


def _empty_box(slide, left: float, top: float, width: float, height: float, message: str) -> None:
    box = _rectangle(slide, left, top, width, height, CARD_FILL, name="empty")
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.paragraphs[0].alignment = PP_ALIGN.CENTER
    _write(frame.paragraphs[0], message, 20, MUTED)


def _cell(cell, text: str, width_in: float, colour: str, fill: str | None, bold: bool, align,
          size: float = TABLE_PT) -> None:
    """One table cell. A body cell's `text` is cut to one line of the column (a row never grows past
    its height); a header cell (bold) may take two lines, its row is tall enough."""
    cell.margin_left = cell.margin_right = Inches(CELL_MARGIN_X)
    cell.margin_top = cell.margin_bottom = Inches(0.04)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame = cell.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    shown = text if bold else textfit.clipped(text, size, width_in - 2 * CELL_MARGIN_X, bold)
    _write(paragraph, shown, size, colour, bold)
    if fill is None:
        cell.fill.background()
    else:
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(fill)


def _table_slide(prs, spec: Slide, footer: str):
    """A table slide: the header and rows[first:last] of the table, the note under it."""
    table: Table = spec.table
    slide = _titled_slide(prs, spec.title, footer)
    rows = table.rows[spec.first:spec.last]
    width = SLIDE_W - 0.8
    if not rows:
        _empty_box(slide, 0.4, TABLE_TOP, width, 1.6, table.empty_message or "")
        bottom = TABLE_TOP + 1.6
    else:
        weights = table.widths or [1.0] * len(table.columns)
        widths = [width * w / sum(weights) for w in weights]
        height = HEADER_H + ROW_H * len(rows)
        frame = slide.shapes.add_table(len(rows) + 1, len(table.columns), Inches(0.4), Inches(TABLE_TOP),
                                       Inches(width), Inches(height))
        frame.name = f"table:{table.key}"
        grid = frame.table
        grid.first_row = True
        grid.horz_banding = False
        for c, w in enumerate(widths):
            grid.columns[c].width = Inches(w)
        grid.rows[0].height = Inches(HEADER_H)
        centred = table.statuses is not None
        for c, name in enumerate(table.columns):
            _cell(grid.cell(0, c), name, widths[c], "FFFFFF", HEADER_FILL, True,
                  PP_ALIGN.CENTER if centred and c else PP_ALIGN.LEFT, HEADER_PT)
        for r, row in enumerate(rows, start=1):
            grid.rows[r].height = Inches(ROW_H)
            statuses = table.statuses[spec.first + r - 1] if table.statuses else [None] * len(row)
            for c, text in enumerate(row):
                fill = FILLS[statuses[c]] if statuses[c] else (ZEBRA_FILL if r % 2 == 0 else None)
                _cell(grid.cell(r, c), text, widths[c], TEXT, fill, False,
                      PP_ALIGN.CENTER if centred and c else PP_ALIGN.LEFT)
        bottom = TABLE_TOP + height
    if spec.note:
        _text_box(slide, 0.4, bottom + 0.1, width, FOOTER_TOP - bottom - 0.15, [(spec.note, 12, MUTED, False)],
                  name="note")
    return slide


def footer_text(briefing: Briefing) -> str:
    """The footer of every slide but the cover: title, scope and the as-of date."""
    as_of = briefing.as_of_text or briefing.period_text
    return f"{briefing.title} · {briefing.scope_label} · {as_of}"


def pptx_bytes(briefing: Briefing, images: dict[str, bytes]) -> bytes:
    """The briefing as a .pptx file; `images` maps section key → its chart PNG (used where a
    section has no native chart)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    set_theme_fonts(prs)
    footer = footer_text(briefing)
    plan = slide_plan(briefing)
    for page, spec in enumerate(plan, start=1):
        if spec.kind == "cover":
            _title_slide(prs, briefing)
            continue
        if spec.kind == "headlines":
            slide = _headline_slide(prs, briefing, footer)
        elif spec.kind == "section":
            slide = _section_slide(prs, spec.section, images.get(spec.section.key), footer)
        else:
            slide = _table_slide(prs, spec, footer)
        _footer(slide, footer, page, len(plan), briefing.lang)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
