"""督查覆盖: coverage by level and by kind for this year or the current inspection cycle, the units
not yet covered with their last activity, a unit × month heat map, the org tree coloured covered /
not covered, and findings per activity. Draws only; figures come from kpi.metrics.coverage."""
import streamlit as st

from kpi.charts import coverage as charts
from kpi.datasets import SUPERVISION_KINDS
from kpi.display.tables import labelled
from kpi.i18n import enum_label
from kpi.metrics import coverage, levels
from kpi.org import LEVEL_BRANCH
from pages import _ui

_ui.require_role(__file__)

st.title(_ui.tr("coverage.page_title"))
rules = _ui.get_rules()
as_of, root, lang, subtitle = _ui.as_of(), _ui.scope(), _ui.lang(), _ui.subtitle()

if _ui.compute(coverage.activity_count, as_of, root) == 0:
    _ui.empty_state("coverage.what", "supervision")
    st.stop()

cycle_start, cycle_end = rules.inspection_cycle(as_of)
with st.container(border=True):
    c1, c2, c3 = st.columns([2, 3, 2])
    window = c1.radio(_ui.tr("coverage.window"), ("year", "cycle"), key="cov_window", horizontal=True,
                      format_func=lambda w: _ui.tr(f"coverage.window_{w}", year=as_of.year,
                                                   start=cycle_start.year, end=cycle_end.year))
    rule_kinds = rules.supervision_kinds if window == "year" else rules.inspection_kinds
    if st.session_state.get("cov_kinds_for") != window:
        st.session_state["cov_kinds"] = list(rule_kinds)
        st.session_state["cov_kinds_for"] = window
    kinds = _ui.multiselect(c2, _ui.tr("coverage.kinds"), SUPERVISION_KINDS, key="cov_kinds",
                            format_func=lambda k: enum_label(k, lang))
    below = _ui.compute(levels.level_below_root, root)
    level_options = list(range(max(below, 2), LEVEL_BRANCH + 1))
    level = c3.selectbox(_ui.tr("coverage.level"), level_options, key="cov_level",
                         format_func=lambda lv: _ui.tr(f"common.level.{lv}"))
start, end = coverage.window_dates(rules, as_of, window)
st.caption(_ui.tr(f"coverage.rule_note_{window}", start=start.isoformat(), end=end.isoformat(),
                  cycle_end=cycle_end.isoformat()))
kinds = tuple(kinds) or None
window_sub = _ui.tr("coverage.window_subtitle", subtitle=subtitle, start=start.isoformat(), end=end.isoformat())

head = _ui.compute(coverage.coverage, rules, as_of, root, level, kinds, window)
m1, m2, m3 = st.columns(3)
m1.metric(_ui.tr("coverage.metric.coverage", level=_ui.tr(f"common.level.{level}")),
          _ui.tr("common.missing") if head.value is None else f"{head.value:.1f}%", border=True)
m2.metric(_ui.tr("coverage.metric.covered"), f"{head.numerator} / {head.denominator}", border=True)
m3.metric(_ui.tr("coverage.metric.uncovered"), head.denominator - head.numerator, border=True)

by_level = _ui.compute(coverage.coverage_by_level, rules, as_of, root, kinds, window, tuple(level_options))
by_kind = _ui.compute(coverage.coverage_by_kind, rules, as_of, root, level, window)
left, right = st.columns(2)
with left:
    fig = charts.coverage_bars(by_level, [_ui.tr(f"common.level.{lv}") for lv in by_level.level],
                               _ui.tr("coverage.chart.by_level"), lang, window_sub)
    _ui.chart(fig, labelled(by_level, "coverage", lang), "cov_by_level")
with right:
    fig = charts.coverage_bars(by_kind, [enum_label(k, lang) for k in by_kind.kind],
                               _ui.tr("coverage.chart.by_kind", level=_ui.tr(f"common.level.{level}")),
                               lang, window_sub)
    _ui.chart(fig, labelled(by_kind, "coverage", lang), "cov_by_kind")

st.subheader(_ui.tr("coverage.uncovered_title", level=_ui.tr(f"common.level.{level}")))
uncovered = _ui.compute(coverage.uncovered_units, rules, as_of, root, level, kinds, window)
if uncovered.empty:
    st.success(_ui.tr("coverage.all_covered"))
else:
    _ui.data_table(labelled(uncovered, "coverage", lang), "cov_uncovered", expanded=True,
                   unit_codes=list(uncovered.unit_code))

heat = _ui.compute(coverage.activity_heatmap, as_of, root, level)
_ui.chart(charts.heatmap_chart(heat, lang, subtitle), labelled(heat, "coverage", lang), "cov_heatmap")

left, right = st.columns(2)
with left:
    tree = _ui.compute(coverage.coverage_tree, rules, as_of, root, kinds, window, (level,))
    _ui.chart(charts.tree_chart(tree, lang, window_sub), labelled(tree, "coverage", lang), "cov_tree")
with right:
    findings = _ui.compute(coverage.findings_per_activity, rules, as_of, root, window)
    if findings.empty:
        st.info(_ui.tr("coverage.no_activities"), icon=":material/info:")
    else:
        _ui.chart(charts.findings_chart(findings, lang, window_sub), labelled(findings, "coverage", lang),
                  "cov_findings")
