"""The briefing as a PDF of the same 16:9 slides: one HTML page per slide, printed by headless
Chromium, which embeds the subset of the CJK face it used (as Type 3 glyph programs: Skia does
not embed CFF-based OpenType collections as font files, so the outlines travel inside the PDF).
"""
from __future__ import annotations

import base64
import html
import math
import os
import shutil

from kpi.briefing import textfit
from kpi.briefing.fonts import CJK_FAMILY
from kpi.briefing.model import Briefing, Section, Slide, slide_plan
from kpi.briefing.slides_pptx import (
    CELL_MARGIN_X,
    CHART_HEIGHT,
    CHART_LEFT,
    CHART_TOP,
    CHART_WIDTH,
    COVER_TITLE_PT,
    FOOTER_H,
    FOOTER_TOP,
    HEADER_FILL,
    HEADER_H,
    HEADER_PT,
    NOTES_LEFT,
    NOTES_PT,
    PAGE_BOX_W,
    ROW_H,
    SLIDE_H,
    SLIDE_W,
    TABLE_PT,
    TABLE_TOP,
    TITLE_PT,
    ZEBRA_FILL,
    footer_text,
)
from kpi.charts import theme
from kpi.display.matrix_xlsx import FILLS
from kpi.i18n import t

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

CSS = f"""
@page {{ size: {SLIDE_W}in {SLIDE_H}in; margin: 0; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: "{CJK_FAMILY}", sans-serif; color: #222; }}
.slide {{ position: relative; width: {SLIDE_W}in; height: {SLIDE_H}in; overflow: hidden;
          page-break-after: always; break-after: page; }}
.abs {{ position: absolute; }}
h1 {{ margin: 0; font-size: 28pt; font-weight: 700; }}
.cover h1 {{ font-size: 40pt; }}
.muted {{ color: #666; }}
.card {{ background: #F5F5F5; padding: 0 0.2in; display: flex; flex-direction: column; justify-content: center; }}
.card .label {{ font-size: 14pt; color: #666; }}
.card .value {{ font-size: 34pt; font-weight: 700; }}
.card .change {{ font-size: 13pt; }}
.notes p {{ font-size: {NOTES_PT}pt; margin: 0 0 10pt 0; line-height: 1.35; }}
table {{ border-collapse: collapse; table-layout: fixed; font-size: {TABLE_PT}pt; }}
td, th {{ padding: 0 {CELL_MARGIN_X}in; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
          border: 1px solid #FFFFFF; }}
th {{ height: {HEADER_H}in; background: #{HEADER_FILL}; color: #FFFFFF; font-weight: 700; text-align: left;
      font-size: {HEADER_PT}pt; white-space: normal; line-height: 1.2; }}
td {{ height: {ROW_H}in; }}
table.matrix th + th, table.matrix td + td {{ text-align: center; }}
.note {{ font-size: 12pt; color: #666; }}
.empty {{ background: #F5F5F5; display: flex; align-items: center; justify-content: center;
          font-size: 22pt; color: #666; text-align: center; padding: 0.5in; }}
"""


def chromium_path() -> str:
    """Debian's Chromium: $BROWSER_PATH (as kaleido reads it), else `chromium` on PATH."""
    return os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def _box(left: float, top: float, width: float, height: float, extra: str = "") -> str:
    return f'style="left:{left}in;top:{top}in;width:{width}in;height:{height}in;{extra}"'


def _frame(title: str, body: str, footer: str) -> str:
    """A slide with its title; `footer` is the footer's HTML (text and page number)."""
    size = textfit.fitted_size(title, TITLE_PT, SLIDE_W - 0.8 - 0.2, bold=True)
    return (f'<section class="slide"><h1 class="abs" {_box(0.4, 0.4, SLIDE_W - 0.8, 0.8, f"font-size:{size}pt")}>'
            f'{html.escape(title)}</h1>'
            f'<div class="abs" {_box(0.4, 1.12, 1.2, 0.05, f"background:{theme.ACCENT}")}></div>'
            f'{body}{footer}</section>')


def _footer(text: str, page: int, pages: int, lang: str) -> str:
    number = t("briefing.page", lang, page=page, pages=pages)
    return (f'<div class="abs muted" {_box(0.4, FOOTER_TOP, SLIDE_W - 0.8 - PAGE_BOX_W, FOOTER_H, "font-size:11pt")}>'
            f'{html.escape(text)}</div>'
            f'<div class="abs muted page-number" '
            f'{_box(SLIDE_W - 0.4 - PAGE_BOX_W, FOOTER_TOP, PAGE_BOX_W, FOOTER_H, "font-size:11pt;text-align:right")}>'
            f'{html.escape(number)}</div>')


def _table(spec: Slide, footer: str) -> str:
    """A table slide: header, rows[first:last] (each cell one line, cut as on the PPTX), note."""
    table = spec.table
    rows = table.rows[spec.first:spec.last]
    width = SLIDE_W - 0.8
    if not rows:
        body = (f'<div class="abs empty" {_box(0.4, TABLE_TOP, width, 1.6)}>'
                f'{html.escape(table.empty_message or "")}</div>')
        bottom = TABLE_TOP + 1.6
    else:
        weights = table.widths or [1.0] * len(table.columns)
        widths = [width * w / sum(weights) for w in weights]
        cols = "".join(f'<col style="width:{w}in">' for w in widths)

        def cell(tag: str, text: str, w: float, bold: bool, style: str = "") -> str:
            shown = text if bold else textfit.clipped(text, TABLE_PT, w - 2 * CELL_MARGIN_X, bold)
            return f'<{tag} style="{style}">{html.escape(shown)}</{tag}>'

        head = "".join(cell("th", name, w, True) for name, w in zip(table.columns, widths))
        lines = []
        for r, row in enumerate(rows, start=1):
            statuses = table.statuses[spec.first + r - 1] if table.statuses else [None] * len(row)
            cells = []
            for text, w, status in zip(row, widths, statuses):
                fill = FILLS[status] if status else (ZEBRA_FILL if r % 2 == 0 else "FFFFFF")
                cells.append(cell("td", text, w, False, f"background:#{fill}"))
            lines.append(f"<tr>{''.join(cells)}</tr>")
        kind = "matrix" if table.statuses else "list"
        body = (f'<table class="abs {kind}" style="left:0.4in;top:{TABLE_TOP}in;width:{width}in">'
                f'<colgroup>{cols}</colgroup><tr>{head}</tr>{"".join(lines)}</table>')
        bottom = TABLE_TOP + HEADER_H + ROW_H * len(rows)
    if spec.note:
        body += (f'<div class="abs note" {_box(0.4, bottom + 0.1, width, FOOTER_TOP - bottom - 0.15)}>'
                 f'{html.escape(spec.note)}</div>')
    return _frame(spec.title, body, footer)


def _cover(briefing: Briefing) -> str:
    size = textfit.fitted_size(briefing.title, COVER_TITLE_PT, SLIDE_W - 1.8 - 0.2, bold=True)
    return (f'<section class="slide cover"><div class="abs" {_box(0, 0, SLIDE_W, 0.3, f"background:{theme.ACCENT}")}>'
            f'</div><h1 class="abs" {_box(0.9, 2.5, SLIDE_W - 1.8, 1.2, f"font-size:{size}pt")}>'
            f'{html.escape(briefing.title)}</h1>'
            f'<div class="abs muted" {_box(0.9, 3.9, SLIDE_W - 1.8, 1.4, "font-size:22pt")}>'
            f'<div>{html.escape(briefing.period_text)}</div><div>{html.escape(briefing.scope_label)}</div>'
            f'<div style="font-size:18pt">{html.escape(briefing.as_of_text)}</div></div>'
            '</section>')


def _headlines(briefing: Briefing, footer: str) -> str:
    cols = 4
    rows = max(1, math.ceil(len(briefing.headlines) / cols))
    gap, top0, bottom = 0.25, 1.45, SLIDE_H - 1.0
    width = (SLIDE_W - 0.8 - gap * (cols - 1)) / cols
    height = (bottom - top0 - gap * (rows - 1)) / rows
    cards = []
    for i, row in enumerate(briefing.headlines):
        r, c = divmod(i, cols)
        colour = theme.STATUS_COLOURS.get(row.status, theme.MISSING)
        style = f"border-left:0.09in solid {colour}"
        cards.append(
            f'<div class="abs card" {_box(0.4 + c * (width + gap), top0 + r * (height + gap), width, height, style)}>'
            f'<div class="label">{html.escape(row.label)}</div>'
            f'<div class="value" style="color:{colour}">{html.escape(row.value_text)}</div>'
            f'<div class="change">{html.escape(row.change_text)}</div></div>')
    legend = (f'<div class="abs muted" {_box(0.4, SLIDE_H - 0.85, SLIDE_W - 0.8, 0.35, "font-size:11pt")}>'
              f'{html.escape(t("briefing.legend", briefing.lang))}</div>')
    return _frame(briefing.headline_title, "".join(cards) + legend, footer)


def _section(section: Section, image: bytes | None, footer: str) -> str:
    if image is not None:
        data = base64.b64encode(image).decode("ascii")
        chart = (f'<img class="abs" {_box(CHART_LEFT, CHART_TOP, CHART_WIDTH, CHART_HEIGHT)} '
                 f'src="data:image/png;base64,{data}" alt="">')
    else:
        chart = f'<div class="abs empty" {_box(CHART_LEFT, CHART_TOP, CHART_WIDTH, CHART_HEIGHT)}>' \
                f'{html.escape(section.empty_message or "")}</div>'
    notes = "".join(f"<p>▍{html.escape(text)}</p>" for text in section.takeaways)
    notes_box = f'<div class="abs notes" {_box(NOTES_LEFT, CHART_TOP, SLIDE_W - NOTES_LEFT - 0.4, CHART_HEIGHT)}>' \
                f'{notes}</div>'
    return _frame(section.title, chart + notes_box, footer)


def slides_html(briefing: Briefing, images: dict[str, bytes]) -> str:
    """One HTML document, one 16:9 page per slide, in the same order as the PPTX (`slide_plan`)."""
    text = footer_text(briefing)
    plan = slide_plan(briefing)
    pages = []
    for page, spec in enumerate(plan, start=1):
        footer = _footer(text, page, len(plan), briefing.lang)
        if spec.kind == "cover":
            pages.append(_cover(briefing))
        elif spec.kind == "headlines":
            pages.append(_headlines(briefing, footer))
        elif spec.kind == "section":
            pages.append(_section(spec.section, images.get(spec.section.key), footer))
        else:
            pages.append(_table(spec, footer))
    lang = "zh-CN" if briefing.lang == "zh" else "en"
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>{CSS}</style></head>'
            f'<body>{"".join(pages)}</body></html>')


def pdf_bytes(briefing: Briefing, images: dict[str, bytes]) -> bytes:
    """The briefing printed to PDF by Debian's Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (heavy; only PDF needs it)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(slides_html(briefing, images), wait_until="load")
            return page.pdf(width=f"{SLIDE_W}in", height=f"{SLIDE_H}in", print_background=True,
                            prefer_css_page_size=True)
        finally:
            browser.close()
