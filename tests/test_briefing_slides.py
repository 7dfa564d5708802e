"""Issue 15's meeting-ready briefing: the unit × rule matrix as the first content slide, 本周变化, the
lists naming the units behind the figures, the appendix, page numbers and the as-of date in the
footer, native charts, and no text overflowing its box — measured on the PPTX (every text frame
and table cell against its shape, with the CJK face) and on the rendered PDF pages (Chromium)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from PIL import ImageFont
from pptx import Presentation
from pptx.util import Emu

from kpi.briefing import content
from kpi.briefing import model as plan  # the slide plan: ROWS_PER_SLIDE, slide_plan
from kpi.briefing.fonts import cjk_face
from kpi.briefing.outputs import render_briefing
from kpi.briefing.slides_pdf import CHROMIUM_ARGS, chromium_path, slides_html
from kpi.display.matrix_text import matrix_rows
from kpi.metrics import annual
from kpi.metrics.matrix import rule_matrix
from kpi.store import open_store
from tests.fixtures.briefing_fixture import TODAY, WEEK, make_briefing_store

SUNDAY = dt.date(2026, 3, 8)
DEMO_AS_OF = dt.date(2026, 11, 21)
DEMO_WEEK, DEMO_SUNDAY = "2026-W46", dt.date(2026, 11, 15)


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory):
    store = make_briefing_store(tmp_path_factory.mktemp("slides") / "t.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def built(fixture_store, rules):
    briefing = content.build_briefing(fixture_store.cursor(), rules, WEEK, None, "zh",
                                      today=dt.date.fromisoformat(TODAY))
    return briefing, render_briefing(briefing)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_store, rules):
    store = open_store(demo_store(tmp_path_factory.mktemp("slides-demo") / "demo.duckdb", DEMO_AS_OF))
    briefing = content.build_briefing(store.cursor(), rules, DEMO_WEEK, None, "zh", today=DEMO_AS_OF)
    yield store, briefing, render_briefing(briefing)
    store.close()


def _slides(pptx: bytes):
    return list(Presentation(io.BytesIO(pptx)).slides)


def _texts(slide) -> list[str]:
    out = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
    out += [cell.text for s in slide.shapes if s.has_table for row in s.table.rows for cell in row.cells]
    return out


def _table(slide) -> list[list[str]]:
    shape = next(s for s in slide.shapes if s.has_table)
    return [[cell.text for cell in row.cells] for row in shape.table.rows]


def test_the_matrix_is_the_first_content_slide_with_the_metric_cells(built, fixture_store, rules):
    _, files = built
    slide = _slides(files.pptx)[1]
    assert slide.shapes.title.text == "单位×规则矩阵"
    # hand-checked against the fixture (see briefing_fixture): S2 breaks funds, weight, meetings (0 of 6
    # owed slots: January and February of the 3 monthly types; March, Q1 and the year are still running),
    # visit and inspection; S1 meetings (4 of 7: Jan 主题党日 and 支委会, Feb 主题党日, and March's
    # 党小组会 held early on 03-04), visit and inspection; no ratings; staff unreported (未报送, red:
    # counted as failing, as the cards count it).
    assert _table(slide) == [
        ["单位", "经费", "考核权重", "专职党务", "三会一课", "标准化", "问题整改", "督查调研", "巡察覆盖", "未报送"],
        ["第二分公司", "0.60%", "8.0%", "未报送", "0.0%", "无数据", "无超期", "未覆盖", "0/1", "缺 1 项"],
        ["第一分公司", "1.20%", "12.0%", "未报送", "57.1%", "无数据", "超期 1 个", "未覆盖", "0/1", "缺 1 项"],
    ]
    expected = matrix_rows(rule_matrix(fixture_store.cursor(), rules, SUNDAY), "zh")
    assert [[name] + [text for text, _ in cells] for name, cells in expected] == _table(slide)[1:]
    grid = next(s for s in slide.shapes if s.has_table).table
    # the colours of the statuses: red funds of S2, amber overdue of S1, grey standardisation (no ratings),
    # red unreported staff, green S1 funds
    cells = ((1, 1), (2, 6), (1, 5), (1, 3), (2, 1))
    fills = {(r, c): str(grid.cell(r, c).fill.fore_color.rgb) for r, c in cells}
    assert fills == {(1, 1): "F4C7C3", (2, 6): "FCE8B2", (1, 5): "E0E0E0", (1, 3): "F4C7C3", (2, 1): "C7E6CB"}


def test_lists_name_the_units_with_value_gap_owner_and_days(built):
    _, files = built
    slides = {s.shapes.title.text: s for s in _slides(files.pptx)}
    assert _table(slides["未达标及未报送单位：经费、考核权重、专职党务"]) == [
        ["单位", "规则", "实际", "标准", "差距"],
        ["第二分公司", "党组织工作经费", "0.60%", "≥ 1%", "差 20.0 万元"],
        ["第二分公司", "党建考核权重", "8.0%", "≥ 10%", "差 2.0 个百分点"],
        # the fixture's annual rows leave party-affairs staff empty: both units have not reported it
        ["第一分公司", "专职党务人员", "未报送", "≥ 1%", "专职党务工作人员数为空"],
        ["第二分公司", "专职党务人员", "未报送", "≥ 1%", "专职党务工作人员数为空"]]
    assert _table(slides["连续 2 个周期以上未开会的支部"]) == [
        ["支部", "连续未开的会议", "最长连续未开"],
        ["第一支部", "党小组会", "2 个周期（2026年1月、2026年2月）"],
        ["第二支部", "支部委员会会议、党小组会、主题党日", "2 个周期（2026年1月、2026年2月）"]]
    assert _table(slides["超期未整改问题（按超期天数）"]) == [
        ["问题编号", "单位", "问题", "责任人", "整改时限", "超期天数"],
        ["P1", "第一分公司", "支部换届不及时", "—", "2026-02-28", "8 天"]]


def test_changes_slide_compares_this_sunday_with_the_last(built):
    _, files = built
    slide = next(s for s in _slides(files.pptx) if s.shapes.title.text == "本周变化")
    # P3 was closed out on 03-05; no flag was raised or cleared, P1 was overdue on both Sundays.
    assert _table(slide) == [["变化", "单位", "内容"], ["本周销号", "第一分公司", "P3 学习记录缺失（责任人 —）"]]
    assert ("2026-03-01 至 2026-03-08：新增预警 0 条，预警解除 0 条，新超期问题 0 个，本周销号 1 个。"
            in _texts(slide))


def test_footer_has_the_as_of_date_and_the_page_number(built):
    _, files = built
    slides = _slides(files.pptx)
    assert "数据截至 2026-03-08" in _texts(slides[0])[-1]
    for number, slide in enumerate(slides[1:], start=2):
        shapes = {s.name: s.text_frame.text for s in slide.shapes if s.has_text_frame}
        assert shapes["page_number"] == f"第 {number} / {len(slides)} 页"
        assert shapes["footer"] == "党建督导周报 · 全集团 · 数据截至 2026-03-08"


def test_a_list_longer_than_a_slide_continues_in_the_appendix(demo):
    _, briefing, files = demo
    gaps = briefing.lists["meetings"]
    assert len(gaps.rows) > plan.ROWS_PER_SLIDE
    slides = _slides(files.pptx)
    first = next(i for i, s in enumerate(slides) if s.shapes.title.text == gaps.title)
    rest = len(gaps.rows) - plan.ROWS_PER_SLIDE
    appendix = next(i for i, s in enumerate(slides)
                    if s.shapes.title.text == f"附录：{gaps.title}（第 13–{len(gaps.rows)} 项）")
    assert f"共 {len(gaps.rows)} 项，其余 {rest} 项见附录（第 {appendix + 1} 页起）。" in _texts(slides[first])
    assert _table(slides[first])[1:] == gaps.rows[:plan.ROWS_PER_SLIDE]
    assert _table(slides[appendix])[0] == gaps.columns
    assert [row[0] for row in _table(slides[appendix])[1:]] == [row[0] for row in gaps.rows[plan.ROWS_PER_SLIDE:]]
    assert appendix == len(slides) - 1


def test_demo_briefing_names_every_unit_failing_the_funds_rule_and_has_native_charts(demo, rules):
    store, _, files = demo
    funds = annual.funds_by_unit(store.cursor(), rules, DEMO_SUNDAY)
    failing = funds[funds.meets_funds.eq(False).fillna(False)]
    assert len(failing) >= 2
    slides = _slides(files.pptx)
    listed = next(s for s in slides if s.shapes.title.text == "未达标及未报送单位：经费、考核权重、专职党务")
    rows = _table(listed)
    for unit in failing.itertuples():
        row = next(r for r in rows if r[0] == unit.unit_name and r[1] == "党组织工作经费")
        assert row[2:] == [f"{unit.fund_ratio_pct:.2f}%", "≥ 1%", f"差 {unit.shortfall_wan:,.1f} 万元"]
    # and the unit that has not reported is named under each rule, with the reason
    assert [r for r in rows if r[2] == "未报送"] == [
        ["示范国际贸易有限公司", rule, "未报送", required, "未上传年度指标数据"]
        for rule, required in (("党组织工作经费", "≥ 1%"), ("党建考核权重", "≥ 10%"), ("专职党务人员", "≥ 1%"))]
    charts = {s.name: s.chart for slide in slides for s in slide.shapes if s.has_chart}
    assert set(charts) == {"chart:funds:1", "chart:funds:2", "chart:meetings:1", "chart:problems:1", "chart:flags:1"}
    funds_chart = charts["chart:funds:1"]
    # the data travels in the file: the categories and values are the metric's; the unit that has not
    # reported (G10, no annual row this year) is named as such, not left a blank bar
    assert list(funds_chart.plots[0].categories) == [
        f"{n}（未报送）" if s == "not_reported" else n for n, s in zip(funds.unit_name, funds.funds_ratio_status)]
    assert list(funds.funds_ratio_status).count("not_reported") == 1
    values = funds_chart.plots[0].series[0].values
    assert [None if v is None else round(v, 6) for v in values] == [
        None if v != v else round(v, 6) for v in funds.fund_ratio_pct]
    assert funds_chart.plots[0].has_data_labels
    assert "标准 ≥ 1%" in funds_chart.chart_title.text_frame.text
    # the heat map has no PowerPoint chart type: it stays a picture
    coverage = next(s for s in slides if s.shapes.title.text == "督查调研覆盖")
    assert [s.name for s in coverage.shapes if s.shape_type == 13] == ["chart:coverage"]


# --- overflow: every text measured against its box ----------------------------------------------

LINE_HEIGHT_EM = 1.45     # Noto Sans CJK's ascent + descent (微软雅黑: 1.32)
SAFETY = 1.05             # face differences between the measured face and 微软雅黑


@pytest.fixture(scope="module")
def face():
    found = cjk_face()
    return ImageFont.truetype(found.path, 1000, index=found.index)


def _width_in(face, text: str, size_pt: float, bold: bool) -> float:
    return face.getlength(text) / 1000 * size_pt / 72 * SAFETY * (1.06 if bold else 1.0)


def _lines(face, text: str, size_pt: float, width_in: float, bold: bool) -> int:
    """Greedy wrapping, one character at a time (the worst case for Latin words is a line more)."""
    lines, current = 1, ""
    for ch in text:
        if current and _width_in(face, current + ch, size_pt, bold) > width_in:
            lines, current = lines + 1, ch
        else:
            current += ch
    return lines


def _inches(emu) -> float:
    return Emu(emu).inches


def _frame_overflow(face, frame, width_in: float, height_in: float, margins=None) -> str | None:
    """None when every paragraph of `frame`, wrapped at its run size, fits the box; else a description.
    `margins` (left, right, top, bottom) default to the text frame's insets (a table cell has its own)."""
    left, right, top, bottom = margins or (frame.margin_left, frame.margin_right, frame.margin_top,
                                           frame.margin_bottom)
    inner_w = width_in - _inches(left) - _inches(right)
    inner_h = height_in - _inches(top) - _inches(bottom)
    needed = 0.0
    for paragraph in frame.paragraphs:
        if not paragraph.runs:
            continue
        size = paragraph.runs[0].font.size.pt
        bold = bool(paragraph.runs[0].font.bold)
        lines = _lines(face, paragraph.text, size, inner_w, bold)
        needed += lines * size * LINE_HEIGHT_EM / 72 + (paragraph.space_after.pt / 72 if paragraph.space_after else 0)
    if needed > inner_h + 0.01:
        return f"{frame.text[:40]!r}: needs {needed:.2f} in, box {inner_h:.2f} in"
    return None


def _overflows(face, pptx: bytes) -> list[str]:
    problems = []
    for number, slide in enumerate(_slides(pptx), start=1):
        for shape in slide.shapes:
            where = f"slide {number} {shape.name}"
            if shape.has_text_frame and shape.text_frame.text:
                found = _frame_overflow(face, shape.text_frame, _inches(shape.width), _inches(shape.height))
                if found:
                    problems.append(f"{where}: {found}")
            if shape.has_table:
                grid = shape.table
                height = sum(_inches(row.height) for row in grid.rows)
                if _inches(shape.top) + height > 7.5 - 0.45:
                    problems.append(f"{where}: table runs into the footer")
                for row in grid.rows:
                    for c, cell in enumerate(row.cells):
                        found = _frame_overflow(face, cell.text_frame, _inches(grid.columns[c].width),
                                                _inches(row.height), (cell.margin_left, cell.margin_right,
                                                                      cell.margin_top, cell.margin_bottom))
                        if found:
                            problems.append(f"{where} cell: {found}")
            if shape.has_chart and shape.chart.has_title:
                title = shape.chart.chart_title.text_frame.text
                if _width_in(face, title, 13, True) > _inches(shape.width) - 0.2:
                    problems.append(f"{where}: chart title {title!r} wider than the chart")
            if _inches(shape.left + shape.width) > 13.334 or _inches(shape.top + shape.height) > 7.501:
                problems.append(f"{where}: outside the slide")
    return problems


def test_the_overflow_check_can_fail(face):
    prs = Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(0, 0, Emu(914400), Emu(300000))
    run = box.text_frame.paragraphs[0].add_run()
    run.text = "党建督导周报" * 10
    run.font.size = Emu(14 * 12700)
    buf = io.BytesIO()
    prs.save(buf)
    assert len(_overflows(face, buf.getvalue())) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_text_overflows_its_box_in_the_fixture_briefing(fixture_store, rules, face, lang):
    briefing = content.build_briefing(fixture_store.cursor(), rules, WEEK, None, lang,
                                      today=dt.date.fromisoformat(TODAY))
    from kpi.briefing.slides_pptx import pptx_bytes  # noqa: PLC0415  (charts render as native, no images needed)

    assert _overflows(face, pptx_bytes(briefing, {})) == []


def test_no_text_overflows_its_box_in_the_demo_briefing(demo, face):
    _, _, files = demo
    assert _overflows(face, files.pptx) == []


def test_rendered_pdf_pages_have_no_overflowing_box(demo):
    """The PDF's pages as Chromium lays them out: no box whose content is taller or wider than it."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    _, briefing, _ = demo
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(slides_html(briefing, {}), wait_until="load")
            overflowing = page.evaluate("""() => [...document.querySelectorAll('.abs, td, th')]
                .filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
                .map(e => e.textContent.slice(0, 40))""")
            pages = page.evaluate("document.querySelectorAll('section.slide').length")
        finally:
            browser.close()
    assert pages == len(plan.slide_plan(briefing))
    assert overflowing == []


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils (pdffonts) not installed")
def test_the_pdf_embeds_every_font_it_uses(demo, tmp_path):
    _, _, files = demo
    path = tmp_path / "b.pdf"
    path.write_bytes(files.pdf)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in listing.splitlines()[2:] if line.strip()]
    assert rows
    # columns: name type encoding emb sub uni object ID — every font embedded ('yes' in the emb column)
    assert all(re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line) for line in rows), listing


def test_a_long_list_is_cut_at_the_rules_cap_and_says_where_the_rest_is(demo, rules):
    """[briefing] list_max_rows: at 14 the demo's 18 branches with a run of missed meetings show 14
    (12 on the list's slide, 2 in the appendix); both slides count the 4 left out and name the page
    holding all of them. The lists under the cap are whole."""
    store, full, _ = demo
    total = len(full.lists["meetings"].rows)
    assert total == 18
    briefing = content.build_briefing(store.cursor(), dataclasses.replace(rules, briefing_list_max_rows=14),
                                      DEMO_WEEK, None, "zh", today=DEMO_AS_OF)
    gaps = briefing.lists["meetings"]
    assert (len(gaps.rows), gaps.total, gaps.row_count) == (14, 18, 18)
    assert gaps.rows == full.lists["meetings"].rows[:14]
    assert briefing.lists["problems"].total is None and briefing.lists["problems"].rows == full.lists["problems"].rows
    slides = plan.slide_plan(briefing)
    first = next(i for i, s in enumerate(slides) if s.title == gaps.title)
    appendix = next(i for i, s in enumerate(slides) if s.title == f"附录：{gaps.title}（第 13–14 项）")
    assert slides[first].note == (f"共 18 项，周报列出前 14 项，其余 2 项见附录（第 {appendix + 1} 页起）；"
                                  "完整清单见看板“组织生活”页。")
    assert slides[appendix].note == "共 18 项，周报列出前 14 项；完整清单见看板“组织生活”页。"
    assert (slides[appendix].first, slides[appendix].last) == (12, 14)
    assert gaps.capped_note("en") == ("18 in all; the briefing lists the first 14; the whole list is on the "
                                      "dashboard's Organisational life page.")
