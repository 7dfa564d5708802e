"""The weekly briefing built from a fixture store: slides, headline numbers, PNG sizes, the PDF's
embedded CJK font, East-Asian typefaces, empty sections, and Chinese that renders as glyphs."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib

import plotly.graph_objects as go
import pytest
from PIL import Image, ImageChops
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn

from kpi.briefing import content
from kpi.briefing.fonts import CJK_FAMILY, missing_characters
from kpi.briefing.outputs import render_briefing
from kpi.briefing.pptx_fonts import SLIDE_FONT
from kpi.briefing.render_png import render_pngs
from kpi.charts import theme
from kpi.metrics import annual, coverage, meetings, problems, ratings
from kpi.rules import load_rules
from tests.fixtures.briefing_fixture import TODAY, WEEK, make_briefing_store

SUNDAY = dt.date(2026, 3, 8)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    store = make_briefing_store(tmp_path_factory.mktemp("briefing") / "t.duckdb")
    rules = load_rules()
    briefing = content.build_briefing(store.cursor(), rules, WEEK, None, "zh", today=dt.date.fromisoformat(TODAY))
    files = render_briefing(briefing)
    yield store, rules, briefing, files
    store.close()


def _slides(files):
    return list(Presentation(io.BytesIO(files.pptx)).slides)


def _text(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


# Issue 15: the matrix is the first content slide, 本周变化 follows the headline numbers, and each
# section's chart slide is followed by the list naming its units (when there are any).
SLIDE_TITLES = ["党建督导周报", "单位×规则矩阵", "本周核心指标", "本周变化", "经费与考核权重",
                "未达标及未报送单位：经费、考核权重、专职党务", "组织生活", "连续 2 个周期以上未开会的支部", "问题整改",
                "超期未整改问题（按超期天数）", "督查调研覆盖", "预警清单"]
HEADLINE_SLIDE, PROBLEM_SLIDE, COVERAGE_SLIDE = 2, 8, 10


def test_pptx_has_title_headline_and_one_slide_per_section(built):
    _, _, briefing, files = built
    prs = Presentation(io.BytesIO(files.pptx))
    assert (prs.slide_width.inches, prs.slide_height.inches) == pytest.approx((13.333, 7.5), abs=0.001)
    titles = [slide.shapes.title.text for slide in prs.slides]
    assert titles == SLIDE_TITLES
    assert titles == briefing.slide_titles()
    assert "2026-W10（2026-03-02 至 2026-03-08）" in _text(prs.slides[0])


def test_headline_numbers_equal_the_metric_functions(built):
    store, rules, _, files = built
    con, today = store.cursor(), dt.date.fromisoformat(TODAY)
    expected = {
        "funds": annual.funds_compliance(con, rules, SUNDAY),
        "weight": annual.weight_compliance(con, rules, SUNDAY),
        "meetings": meetings.meeting_headline(store.cursor(), rules, SUNDAY, today=today),
        "closeout": problems.problem_headlines(store.cursor(), SUNDAY)["closeout"],
        "overdue": problems.problem_headlines(store.cursor(), SUNDAY)["overdue"],
        "severe_open": problems.problem_headlines(store.cursor(), SUNDAY)["severe_open"],
        "supervision": coverage.coverage(store.cursor(), rules, SUNDAY, None, 2, rules.supervision_kinds, "year"),
        "standardisation": ratings.standardisation_compliance(store.cursor(), rules, SUNDAY),
    }
    cards = {s.name.removeprefix("headline:"): [p.text for p in s.text_frame.paragraphs]
             for s in _slides(files)[HEADLINE_SLIDE].shapes if s.name.startswith("headline:")}
    assert list(cards) == list(expected)
    for key, head in expected.items():
        assert cards[key][1] == content.value_text(head, "zh"), key
    # hand-computed from the fixture: 1 of 2 units meet each annual rule; 1 of 3 problems closed.
    assert cards["funds"] == ["经费达标单位占比", "50.0%", "与上周持平"]
    assert cards["weight"][1] == "50.0%"
    assert cards["closeout"] == ["问题销号率", "33.3%", "较上周 +33.3 个百分点"]
    assert cards["overdue"] == ["超期未整改问题", "1 个", "与上周持平"]
    assert cards["severe_open"][1] == "1 个"
    assert cards["standardisation"] == ["支部标准化达标率", "无数据", "本周无数据"]


def test_takeaways_state_the_week_in_numbers(built):
    _, _, briefing, files = built
    notes = {s.key: s.takeaways for s in briefing.sections}
    assert notes["funds"] == ["经费达标：1/2 个单位达到上年度工资总额 1% 的标准。",
                              "考核权重达标：1/2 个单位的党建考核权重不低于 10%。",
                              "经费占比最低的是第二分公司（0.60%）。"]
    assert notes["problems"][:2] == ["本周新增问题 1 个，销号 1 个，超期 1 个。",
                                     "累计销号率 33.3%，未销号严重问题 1 个。"]
    assert notes["problems"][2] == "超期最久：第一分公司“P1”，已超期 8 天。"
    assert "本周新增问题 1 个，销号 1 个，超期 1 个。" in _text(_slides(files)[PROBLEM_SLIDE])


def test_section_without_data_shows_its_message(built):
    _, _, briefing, files = built
    section = next(s for s in briefing.sections if s.key == "coverage")
    assert section.figure is None
    slide = _slides(files)[COVERAGE_SLIDE]
    assert "本周范围内暂无督查记录，请上传“督查记录”。" in _text(slide)
    assert not any(s.shape_type == 13 for s in slide.shapes)  # 13 = picture


def test_every_run_names_the_east_asian_slide_font_with_its_fallback(built):
    # Issue 15: the slides name 微软雅黑 (on every Chinese office PC) as Latin and East-Asian face, with
    # YaHei's PANOSE, pitch family and the GB2312 charset for PowerPoint / WPS to pick a substitute.
    _, _, _, files = built
    frames = [s.text_frame for slide in _slides(files) for s in slide.shapes if s.has_text_frame]
    frames += [cell.text_frame for slide in _slides(files) for s in slide.shapes if s.has_table
               for row in s.table.rows for cell in row.cells]
    runs = [r for frame in frames for p in frame.paragraphs for r in p.runs]
    assert len(runs) > 120
    for run in runs:
        rpr = run._r.find(qn("a:rPr"))
        for tag in ("a:latin", "a:ea"):
            face = rpr.find(qn(tag))
            assert (face.get("typeface"), face.get("charset"), face.get("panose")) == (
                SLIDE_FONT, "-122", "020B0503020204020204"), (tag, run.text)
    charts = [s.chart for slide in _slides(files) for s in slide.shapes if s.has_chart]
    assert charts
    for chart in charts:
        assert chart._chartSpace.xpath(".//c:txPr//a:ea/@typeface")[0] == SLIDE_FONT
    theme = Presentation(io.BytesIO(files.pptx)).slide_master.part.part_related_by(RT.THEME).blob.decode()
    assert theme.count(f'<a:ea typeface="{SLIDE_FONT}"') == 2   # major and minor fonts
    assert f'<a:font script="Hans" typeface="{SLIDE_FONT}"/>' in theme


def test_zip_holds_one_1920x1080_png_per_chart(built):
    _, _, _, files = built
    with zipfile.ZipFile(io.BytesIO(files.zip)) as archive:
        names = archive.namelist()
        sizes = {n: Image.open(io.BytesIO(archive.read(n))).size for n in names}
    assert names == ["01-funds.png", "02-meetings.png", "03-problems.png", "05-flags.png"]
    assert set(sizes.values()) == {(1920, 1080)}


def _inflated_streams(pdf: bytes) -> list[bytes]:
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            out.append(match.group(1))
    return out


def test_pdf_has_every_slide_and_embeds_the_cjk_font(built):
    _, _, _, files = built
    pdf = files.pdf
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == len(SLIDE_TITLES)
    names = set(re.findall(rb"/FontName\s*/([A-Z]{6}\+[^\s/>]+)", pdf))
    assert any(b"NotoSansCJK" in n for n in names), names
    # Chromium embeds the CJK outlines as Type 3 glyph programs: the font travels inside the file.
    assert re.search(rb"/Subtype\s*/Type3", pdf) and b"/CharProcs" in pdf
    # ToUnicode maps keep the Chinese text searchable: 党 is U+515A.
    assert any(b"<515A>" in s.upper() for s in _inflated_streams(pdf))


def test_every_character_of_the_briefing_has_a_glyph_in_the_chart_font(built):
    _, _, briefing, _ = built
    texts = [briefing.title, briefing.period_text, briefing.scope_label, briefing.headline_title]
    texts += [f"{h.label}{h.value_text}{h.change_text}" for h in briefing.headlines]
    texts += [s.title + "".join(s.takeaways) + (s.empty_message or "") for s in briefing.sections]
    assert theme.FONT_FAMILY.startswith(CJK_FAMILY)
    assert missing_characters("".join(texts), CJK_FAMILY) == ""
    # the check can fail: a face without Chinese glyphs misses every Chinese character
    assert missing_characters("党建周报", "DejaVu Sans") == "党建周报"


def test_chinese_chart_titles_render_as_distinct_glyphs_not_boxes():
    def title_figure(text: str) -> go.Figure:
        fig = theme.styled(go.Figure(), text)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return fig

    pngs = render_pngs({"one": title_figure("党建督导"), "swapped": title_figure("督导党建"),
                        "blank": title_figure(" ")})
    one, swapped, blank = (Image.open(io.BytesIO(pngs[k])).convert("L") for k in ("one", "swapped", "blank"))
    # With boxes every character draws the same rectangle, so reordering the characters would
    # leave the image unchanged; real glyphs move.
    assert ImageChops.difference(one, swapped).getbbox() is not None
    assert ImageChops.difference(one, blank).getbbox() is not None


def test_a_week_without_data_or_a_bad_week_is_refused_with_a_message(built):
    store, rules, _, _ = built
    with pytest.raises(content.NoDataForWeek) as no_data:
        content.build_briefing(store.cursor(), rules, "2025-W10")
    assert no_data.value.message("zh") == ("2025-W10 没有可用数据：所选范围内没有截至 2025-03-09 的组织生活、问题、"
                                           "督查或年度指标记录。")
    with pytest.raises(content.BadWeek) as bad:
        content.build_briefing(store.cursor(), rules, "2026-W60")
    assert bad.value.message("en") == "Not a valid week: “2026-W60”; write YYYY-Www, e.g. 2026-W47."
    with pytest.raises(content.UnknownUnit):
        content.build_briefing(store.cursor(), rules, WEEK, "NOPE")


def test_english_briefing_is_complete(built):
    store, rules, _, _ = built
    briefing = content.build_briefing(store.cursor(), rules, WEEK, None, "en", today=dt.date.fromisoformat(TODAY))
    assert briefing.slide_titles()[:5] == ["Party-Building Supervision Weekly Briefing", "Units × rules",
                                           "Headline numbers this week", "Changes this week",
                                           "Funds and assessment weight"]
    assert briefing.scope_label == "Whole group"
    notes = {s.key: s.takeaways for s in briefing.sections}
    assert notes["funds"][0] == "Funds: 1 of 2 units budget at least 1% of last year's payroll."
    assert notes["problems"][0] == "This week: new problems 1, closed out 1, overdue 1."
    assert [h.change_text for h in briefing.headlines][:2] == ["unchanged from last week"] * 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_table_names_each_column_once(built, lang):
    """A table with two columns of one name cannot be drawn (the page's preview failed in English on
    the funds list's 'Rule' and 'Rule')."""
    store, rules, _, _ = built
    briefing = content.build_briefing(store.cursor(), rules, WEEK, None, lang, today=dt.date.fromisoformat(TODAY))
    tables = [briefing.matrix, briefing.changes, *briefing.lists.values()]
    assert {table.key: table.columns for table in tables if len(set(table.columns)) != len(table.columns)} == {}
    assert briefing.lists["funds"].columns[1:4] == {
        "zh": ["规则", "实际", "标准"], "en": ["Rule", "Actual", "Required"]}[lang]


def test_flags_section_shows_missed_meetings_in_words(built):
    # The red flags carry a missed run of meetings as data (meetings.MissedRun); the table behind the
    # flags chart shows it worded in the briefing's language.
    store, rules, briefing, _ = built
    english = content.build_briefing(store.cursor(), rules, WEEK, None, "en", today=dt.date.fromisoformat(TODAY))
    for built_in, expected in ((briefing, ["党小组会（2026年1月、2026年2月）",
                                           "支部委员会会议（2026年1月、2026年2月）"]),
                               (english, ["Party group meeting (Jan 2026, Feb 2026)",
                                          "Branch committee meeting (Jan 2026, Feb 2026)"])):
        data = {s.key: s.data for s in built_in.sections}["flags"]
        gaps = data[data.rule == "meetings_gap"]
        assert gaps.detail.tolist()[:2] == expected
        assert len(gaps) == 4
