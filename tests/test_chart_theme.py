"""The chart polish pass (issue 15 item 3, issue 14 item 8) on hand-made frames: how numbers, weeks
and months read (kpi.display.formats), count axes, target lines labelled at the axis end, value
labels no line strikes, ordered star colours, the indicators' group range, the rectification chart
per current status, and a card that did not move."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from kpi.charts import annual, indicators, meetings, overview, problems, ratings, theme
from kpi.display import formats
from kpi.display import overview as overview_text
from kpi.metrics import annual as am
from kpi.metrics import meetings as mm
from kpi.metrics import problems as pm
from kpi.metrics.common import Headline
from kpi.metrics.overview import Card
from kpi.rules import Indicator, load_rules
from tests.fixtures import meetings_fixture as mfx
from tests.fixtures import problem_fixtures as pfx
from tests.fixtures.rule_fixtures import build_rule_store

SUB = "截至 2026-12-01 · 全集团"


# --- how a figure reads -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, pd.NaT])
def test_missing_reads_as_a_dash_never_none_or_nan(value):
    assert formats.pct_text(value) == "—"
    assert formats.count_text(value, "en") == "—"
    assert formats.number_text(value) == "—"
    assert formats.yuan_text(value) == "—"
    assert formats.period_label(value) == "—"


def test_numbers_rounded_to_what_a_reader_needs():
    assert formats.share_text(0.8557) == "85.6%"
    assert formats.pct_text(85.57) == "85.6%"
    assert formats.pct_text(0.96, decimals=2) == "0.96%"
    assert formats.yuan_text(445710) == "44.6 万元"
    assert formats.yuan_text(445710, lang="en") == "CNY 445.7k"
    assert formats.yuan_text(123456789, decimals=2) == "12,345.68 万元"
    assert formats.count_text(12345) == "12,345"
    assert formats.count_text(7.0) == "7"
    assert formats.number_text(8000) == "8,000.0"


def test_weeks_and_months_as_each_language_says_them():
    assert formats.week_label("2026-W48") == "第48周（11.23–11.29）"
    assert formats.week_label("2026-W48", "en") == "Wk 48 (23–29 Nov)"
    assert formats.week_label("2026-W49") == "第49周（11.30–12.6）"
    assert formats.week_label("2026-W49", "en") == "Wk 49 (30 Nov–6 Dec)"
    assert formats.week_label("2026-W01", "en") == "Wk 1 (29 Dec–4 Jan)"   # ISO 2026-W01 starts in 2025
    # the briefing's week list spans years: with the ISO year
    assert formats.week_of_year_label("2026-W48") == "2026年第48周（11.23–11.29）"
    assert formats.week_of_year_label("2026-W01") == "2026年第1周（12.29–1.4）"
    assert formats.week_of_year_label("2026-W01", "en") == "2026 Wk 1 (29 Dec–4 Jan)"
    assert formats.period_label("2026-01") == "2026年1月"
    assert formats.period_label("2026-01", "en") == "Jan 2026"
    assert formats.period_label("2026-03~04") == "2026年3–4月"
    assert formats.period_label("2026-03~04", "en") == "Mar–Apr 2026"
    assert formats.period_label("2026-Q4") == "2026年第4季度"
    assert formats.period_label("2026-Q4", "en") == "Q4 2026"
    assert formats.period_label("2026-H1") == "2026年上半年"
    assert formats.period_label("2026-H2", "en") == "H2 2026"
    assert formats.period_label("2026") == "2026年"
    assert formats.period_label("其他") == "其他"
    with pytest.raises(ValueError):
        formats.week_label("2026-48")


def test_briefing_uses_the_same_week_label():
    from kpi.briefing.chart_specs import week_label
    assert week_label("2026-W48", "zh") == "第48周（11.23–11.29）"
    assert week_label("2026-W48", "en") == "Wk 48 (23–29 Nov)"


@pytest.mark.parametrize(("top", "step"), [(0, 1), (1, 1), (6, 1), (7, 2), (12, 2), (13, 5), (45, 10),
                                           (280, 50), (1234, 500)])
def test_count_axis_step_is_a_whole_number(top, step):
    assert formats.nice_step(top) == step


# --- figures ------------------------------------------------------------------------------------

def _funds_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_name": ["甲公司", "乙公司", "丙公司", "丁公司"], "unit_code": ["A", "B", "C", "D"],
        "fund_ratio_pct": [1.2, 0.96, 0.4, None], "meets_funds": [True, False, False, None],
        "payroll_prev_year": [5000.0, 4457.1, None, None], "fund_budget": [60.0, 42.8, 10.0, None],
        "required_budget": [50.0, 44.571, 25.0, None], "shortfall_wan": [0.0, 1.771, 15.0, None],
        "funds_ratio_status": ["met", "failing", "failing", "not_reported"]})


def test_funds_bars_labels_and_target():
    rules = load_rules()
    fig = annual.funds_ratio_chart(_funds_frame(), rules, "zh", SUB)
    bars = fig.data[0]
    assert list(bars.y) == ["甲公司", "乙公司", "丙公司"]
    # 0.96 keeps two decimals (it must not read as the 1% it fails); its label would sit on the 1%
    # line outside the bar, so it goes inside the bar's end; the others stay outside.
    assert list(bars.text) == ["1.20%", "0.96%", "0.40%"]
    assert list(bars.textposition) == ["outside", "inside", "outside"]
    assert bars.cliponaxis is False
    # Hover values formatted, a missing payroll as "—".
    assert list(bars.customdata[1][2:]) == ["0.96%", "4,457.1", "42.8", "44.6", "1.8"]
    assert bars.customdata[2][3] == "—"
    # The target: a vertical line at 1%, labelled above the plot (axis end), not on the bars.
    assert fig.layout.shapes[0].x0 == 1.0
    label = fig.layout.annotations[0]
    assert (label.text, label.xref, label.x, label.yref, label.y, label.yanchor) == (
        "要求 ≥ 1%", "x", 1.0, "paper", 1, "bottom")
    # The axis runs past the longest bar by a label's width, so "1.20%" is not cut at the edge.
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > 1.2 + 0.2


def test_completion_bars_target_and_alert_labelled_right_of_the_plot():
    frame = pd.DataFrame({"meeting_type": ["支部党员大会", "党课", "主题党日"], "every": ["quarter"] * 3,
                          "required_slots": [10, 10, 10], "met_slots": [10, 9, 5],
                          "in_progress_slots": [0, 0, 0], "completion_pct": [100.0, 96.5, 50.0]})
    fig = meetings.completion_by_type_chart(frame, 90.0, "zh", SUB)
    target, alert = fig.layout.annotations
    assert (target.text, target.xref, target.x, target.xanchor, target.y) == ("目标 100%", "paper", 1, "left", 100)
    assert (alert.text, alert.xref, alert.x, alert.y) == ("预警线 90%", "paper", 1, 90.0)
    # 96.5's label above the bar would be struck by the 100% line: inside; 100 and 50 outside.
    assert list(fig.data[0].text) == ["100.0%", "96.5%", "50.0%"]
    assert list(fig.data[0].textposition) == ["outside", "inside", "outside"]
    assert fig.layout.margin.r >= theme.text_px("预警线 90%")


def test_count_axes_have_whole_number_ticks():
    ageing = pd.DataFrame({"lower_days": [None, 30, 90], "upper_days": [30, 90, None],
                           "problems": [3, 1, 0], "overdue": [1, 0, 0]})
    fig = problems.ageing_chart(ageing, "zh", SUB)
    y = fig.layout.yaxis
    assert (y.tickformat, y.dtick, y.tick0, y.rangemode) == (",d", 1, 0, "tozero")
    ranking = pd.DataFrame({"rank": [1, 2], "unit_code": ["A", "B"], "unit_name": ["甲公司", "乙公司"],
                            "flag_count": [3, 28], "meeting_completion_pct": [95.0, None]})
    fig = overview.ranking_chart(ranking, "zh", SUB)
    x = fig.layout.xaxis
    assert (x.tickformat, x.dtick) == (",d", 5)
    assert list(fig.data[0].text) == ["28", "3"]
    assert fig.data[0].customdata[0][1] == "无数据"


def test_weekly_charts_name_weeks_with_their_dates():
    weekly = pd.DataFrame({"week_start": pd.to_datetime(["2026-11-16", "2026-11-23"]),
                           "week_end": pd.to_datetime(["2026-11-22", "2026-11-29"]),
                           "week": ["2026-W47", "2026-W48"], "open": [5, 4], "new": [2, 0], "closed": [1, 1],
                           "overdue": [1, 1]})
    zh = problems.new_vs_closed_chart(weekly, "zh", SUB)
    assert list(zh.data[0].x) == ["第47周（11.16–11.22）", "第48周（11.23–11.29）"]
    assert list(zh.layout.xaxis.ticktext) == ["第47周<br>（11.16–11.22）", "第48周<br>（11.23–11.29）"]
    en = problems.burndown_chart(weekly, "en", SUB)
    assert list(en.data[0].x) == ["Wk 47 (16–22 Nov)", "Wk 48 (23–29 Nov)"]
    assert (en.layout.yaxis.tickformat, en.layout.yaxis.dtick) == (",d", 1)


def test_star_colours_one_hue_light_to_dark():
    def lightness(colour: str) -> float:
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    shades = [ratings.STAR_COLOURS[n] for n in range(1, 6)]
    assert all(lightness(a) > lightness(b) for a, b in zip(shades, shades[1:]))
    stars = pd.DataFrame({"unit_code": ["A", "A", "B"], "unit_name": ["甲", "甲", "乙"], "stars": [5, 1, 3],
                          "branches": [2, 1, 4]})
    fig = ratings.star_chart(stars, "zh", SUB)
    assert [(tr.name, tr.marker.color) for tr in fig.data] == [
        ("1 星", shades[0]), ("3 星", shades[2]), ("5 星", shades[4])]
    assert (fig.layout.yaxis.tickformat, fig.layout.yaxis.dtick) == (",d", 1)


def test_legend_sits_below_the_plot_never_over_the_title():
    fig = theme.styled(go.Figure(), "标题", "副标题")
    legend = fig.layout.template.layout.legend
    assert (legend.yref, legend.y, legend.yanchor, legend.orientation) == ("container", 0, "bottom", "h")
    assert fig.layout.template.layout.separators == ".,"
    assert fig.layout.template.layout.font.size >= 14   # readable pasted into a slide


def test_indicator_as_group_range_median_and_one_highlighted_unit():
    series = pd.DataFrame({
        "unit_code": ["A", "A", "B", "B", "C"], "unit_name": ["甲", "甲", "乙", "乙", "丙"],
        "period": ["2026-01", "2026-02", "2026-01", "2026-02", "2026-01"],
        "value": [90.0, 95.0, 98.0, 97.0, 94.0], "reporting_units": [1, 1, 1, 1, 1]})
    indicator = Indicator("x", "学习率", "Study rate", "%", 96.0, True, "mean", None)
    fig = indicators.series_chart(series, indicator, "zh", SUB, highlight="A")
    low, high, median, unit = fig.data
    assert list(low.x) == ["2026年1月", "2026年2月"] and list(low.y) == [90.0, 95.0]
    assert (high.name, list(high.y), high.fill) == ("各单位范围（最低–最高）", [98.0, 97.0], "tonexty")
    assert list(high.customdata[0]) == ["90.0", "98.0", 3]
    assert (median.name, list(median.y)) == ("各单位中位数", [94.0, 96.0])
    assert (unit.name, list(unit.y), unit.line.color) == ("甲", [90.0, 95.0], theme.ACCENT)
    target = fig.layout.annotations[0]
    assert (target.text, target.xref, target.x, target.y) == ("目标 96%", "paper", 1, 96.0)
    assert len(indicators.series_chart(series, indicator, "zh", SUB).data) == 3   # no highlight: no unit line


def test_rectification_chart_counts_problems_per_current_status(tmp_path):
    store = pfx.make_store(tmp_path / "p.duckdb")
    try:
        funnel = pm.status_funnel(store.cursor(), pfx.AS_OF)
    finally:
        store.close()
    for lang, title, axis in (("zh", "各整改状态的问题数（按当前状态）", "问题数（按当前状态）"),
                              ("en", "Problems by current rectification status", "Problems (by current status)")):
        fig = problems.funnel_chart(funnel, lang, SUB)
        assert fig.layout.title.text.startswith(title)
        assert fig.layout.xaxis.title.text == axis
        assert list(fig.data[0].x) == [1, 4, 1, 2]          # not the cumulative 8, 7, 3, 2
        assert (fig.layout.xaxis.tickformat, fig.layout.xaxis.dtick) == (",d", 1)
    assert list(fig.data[0].text) == ["1 (12.5%)", "4 (50.0%)", "1 (12.5%)", "2 (25.0%)"]
    assert list(fig.data[0].customdata[0]) == ["8"]          # hover still says how many reached 未启动 or beyond


def test_unchanged_card_says_so_without_an_arrow():
    rules = load_rules()
    steady = Card("funds", Headline("funds", 50.0, 100.0, 1, 2), Headline("funds", 50.04, 100.0, 1, 2))
    assert steady.change == 0
    assert overview_text.card_texts(steady, rules, "zh")["change"] == "与上周持平"
    assert overview_text.card_texts(steady, rules, "en")["change"] == "unchanged from last week"
    moved = Card("funds", Headline("funds", 55.0, 100.0, 1, 2), Headline("funds", 50.0, 100.0, 1, 2))
    assert overview_text.card_texts(moved, rules, "zh")["change"] == "+5.0 个百分点"
    # The arrow itself is Streamlit's: the page turns it off for a steady card (tests/test_overview.py).


def _shown_values(fig: go.Figure) -> list:
    """Every label, hover text and hover value a figure's traces carry, flattened."""
    out: list = []

    def walk(value):
        if isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        else:
            out.append(value)

    for trace in fig.data:
        for attr in ("text", "hovertext", "customdata"):
            value = getattr(trace, attr, None)
            if value is not None:
                walk(value.tolist() if hasattr(value, "tolist") else value)
    return out


def test_no_none_or_nan_in_labels_or_hover(tmp_path):
    # Stores with gaps: S4 has no annual row, 三公司 no branch, rates without a denominator.
    rules = load_rules()
    figures = []
    st = build_rule_store(tmp_path / "r.duckdb")
    con, as_of = st.cursor(), dt.date(2025, 6, 30)
    funds = am.funds_by_unit(con, rules, as_of)
    figures += [annual.funds_ratio_chart(funds, rules, "zh", SUB), annual.execution_chart(funds, "en", SUB),
                annual.weight_chart(am.weight_by_unit(con, rules, as_of), rules, "zh", SUB),
                annual.party_staff_chart(am.party_staff_by_unit(con, rules, as_of), rules, "en", SUB),
                annual.trend_chart(am.annual_trend(con, rules), "zh", SUB)]
    st.close()
    st = mfx.build_store(tmp_path / "m.duckdb")
    con, as_of = st.cursor(), dt.date(2025, 8, 15)
    figures += [meetings.completion_by_unit_chart(mm.completion_by_unit(con, rules, as_of), 90.0, "zh", SUB),
                meetings.attendance_chart(mm.attendance(con, as_of), "en", SUB)]
    st.close()
    st = pfx.make_store(tmp_path / "p.duckdb")
    con = st.cursor()
    figures += [problems.rates_chart(pm.problem_rates(con, pfx.AS_OF, None, "source"), "source", "zh", SUB),
                problems.funnel_chart(pm.status_funnel(con, pfx.AS_OF), "en", SUB)]
    st.close()
    shown = [v for fig in figures for v in _shown_values(fig)]
    assert "—" in shown   # the gaps are there, and read as "—"
    assert [v for v in shown if v is None or (isinstance(v, float) and v != v)
            or (isinstance(v, str) and (v.lower() in ("nan", "none") or "None" in v or "nan%" in v))] == []
