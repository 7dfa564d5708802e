"""The briefing as a 16:9 PowerPoint file (13.333 × 7.5 in): title slide, headline numbers,
one slide per section with its chart picture and takeaways, or its empty message.

Every run names the CJK face as its East-Asian typeface (`<a:ea>`), not only `font.name`
(which PowerPoint applies to Latin text only): otherwise Chinese falls back to whatever face
the viewer's machine picks, or to boxes.
"""
from __future__ import annotations

import io
import math

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from kpi.briefing.fonts import CJK_FAMILY
from kpi.briefing.model import Briefing, HeadlineRow, Section
from kpi.charts import theme
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


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def set_typefaces(run, family: str = CJK_FAMILY) -> None:
    """Name `family` as the Latin, East-Asian and complex-script typeface of `run`."""
    run.font.name = family
    rpr = run._r.get_or_add_rPr()
    latin = rpr.find(qn("a:latin"))
    anchor = latin
    for tag in ("a:ea", "a:cs"):
        element = rpr.find(qn(tag))
        if element is None:
            element = etree.SubElement(rpr, qn(tag))
            anchor.addnext(element)
        element.set("typeface", family)
        anchor = element


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


def _titled_slide(prs, title: str, footer: str):
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    placeholder = slide.shapes.title
    placeholder.left, placeholder.top = Inches(0.4), Inches(0.3)
    placeholder.width, placeholder.height = Inches(SLIDE_W - 0.8), Inches(0.85)
    frame = placeholder.text_frame
    frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    _write(frame.paragraphs[0], title, 28, TEXT, bold=True)
    _rectangle(slide, 0.4, 1.12, 1.2, 0.05, theme.ACCENT)
    _text_box(slide, 0.4, SLIDE_H - 0.45, SLIDE_W - 0.8, 0.35, [(footer, 11, MUTED, False)])
    return slide


def _title_slide(prs, briefing: Briefing) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    _rectangle(slide, 0, 0, SLIDE_W, 0.3, theme.ACCENT)
    placeholder = slide.shapes.title
    placeholder.left, placeholder.top = Inches(0.9), Inches(2.3)
    placeholder.width, placeholder.height = Inches(SLIDE_W - 1.8), Inches(1.3)
    frame = placeholder.text_frame
    frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    _write(frame.paragraphs[0], briefing.title, 40, TEXT, bold=True)
    _text_box(slide, 0.9, 3.8, SLIDE_W - 1.8, 1.4,
              [(briefing.period_text, 22, MUTED, False), (briefing.scope_label, 22, MUTED, False)],
              name="subtitle")


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


def _headline_slide(prs, briefing: Briefing, footer: str) -> None:
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


def _section_slide(prs, section: Section, image: bytes | None, footer: str) -> None:
    slide = _titled_slide(prs, section.title, footer)
    if image is not None:
        picture = slide.shapes.add_picture(io.BytesIO(image), Inches(CHART_LEFT), Inches(CHART_TOP),
                                           height=Inches(CHART_HEIGHT))
        picture.name = f"chart:{section.key}"
    else:
        box = _rectangle(slide, CHART_LEFT, CHART_TOP, CHART_WIDTH, CHART_HEIGHT, CARD_FILL, name="empty")
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        frame.paragraphs[0].alignment = PP_ALIGN.CENTER
        _write(frame.paragraphs[0], section.empty_message or "", 22, MUTED)
    lines = [("▍" + text, 16, TEXT, False) for text in section.takeaways]
    if lines:
        box = _text_box(slide, NOTES_LEFT, CHART_TOP, SLIDE_W - NOTES_LEFT - 0.4, CHART_HEIGHT, lines,
                        name="takeaways")
        for paragraph in box.text_frame.paragraphs:
            paragraph.space_after = Pt(14)


def footer_text(briefing: Briefing) -> str:
    return f"{briefing.title} · {briefing.period_text} · {briefing.scope_label}"


def pptx_bytes(briefing: Briefing, images: dict[str, bytes]) -> bytes:
    """The briefing as a .pptx file; `images` maps section key → its chart PNG."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    footer = footer_text(briefing)
    _title_slide(prs, briefing)
    _headline_slide(prs, briefing, footer)
    for section in briefing.sections:
        _section_slide(prs, section, images.get(section.key), footer)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
