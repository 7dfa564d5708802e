"""经费与考核: funds ratio, fund execution, assessment weight and party-affairs staff per unit, their
trend over the years, and the units below the rules. Draws only; figures come from kpi.metrics.annual."""
import streamlit as st

from kpi.charts import annual as charts
from kpi.display import annual as annual_text
from kpi.display.tables import labelled
from kpi.metrics import annual, levels
from kpi.org import LEVEL_SECONDARY, LEVEL_TERTIARY
from pages import _ui

_ui.require_role(__file__)

LEVEL_CHOICES = (LEVEL_SECONDARY, LEVEL_TERTIARY)

st.title(_ui.tr("funds.page_title"))
rules = _ui.get_rules()
as_of, root, lang, subtitle = _ui.as_of(), _ui.scope(), _ui.lang(), _ui.subtitle()

below = _ui.compute(levels.level_below_root, root)
options = [lv for lv in LEVEL_CHOICES if lv >= below] or [below]
if st.session_state.get("funds_level") not in options:
    st.session_state["funds_level"] = options[0]
level_names = {lv: _ui.tr(f"common.level.{lv}") for lv in options}
level = st.radio(_ui.tr("funds.level"), options, key="funds_level", horizontal=True, format_func=level_names.get)
st.caption(_ui.tr("funds.year_note", year=as_of.year, prev=as_of.year - 1))

summary = _ui.compute(annual.compliance_summary, rules, as_of, root, level)
if int(summary["with_data"].sum()) == 0:
    _ui.empty_state("funds.what", "annual")
else:
    for column, row in zip(st.columns(len(summary)), summary.itertuples()):
        text = annual_text.summary_texts(row, rules, lang)
        with column.container(border=True):
            st.metric(text["label"], text["value"], help=text["help"])
            st.caption(text["counts"])

    funds = _ui.compute(annual.funds_by_unit, rules, as_of, root, level)
    weight = _ui.compute(annual.weight_by_unit, rules, as_of, root, level)
    staff = _ui.compute(annual.party_staff_by_unit, rules, as_of, root, level)
    funds_table = annual_text.annual_table(funds, lang)
    left, right = st.columns(2)
    with left:
        _ui.chart(charts.funds_ratio_chart(funds, rules, lang, subtitle), funds_table, "funds_ratio", unit_customdata=1)
    with right:
        _ui.chart(charts.execution_chart(funds, lang, subtitle), funds_table, "funds_execution", unit_customdata=1)
    left, right = st.columns(2)
    with left:
        _ui.chart(charts.weight_chart(weight, rules, lang, subtitle), annual_text.annual_table(weight, lang),
                  "funds_weight", unit_customdata=1)
    with right:
        _ui.chart(charts.party_staff_chart(staff, rules, lang, subtitle), annual_text.annual_table(staff, lang),
                  "funds_party_staff", unit_customdata=1)

    st.subheader(_ui.tr("funds.noncompliant_title"))
    below_rules = _ui.compute(annual.noncompliant_units, rules, as_of, root, level)
    if below_rules.empty:
        st.success(_ui.tr("funds.all_compliant"))
    else:
        _ui.data_table(annual_text.annual_table(below_rules, lang), "funds_noncompliant", expanded=True,
                       unit_codes=list(below_rules.unit_code))

trend = _ui.compute(annual.annual_trend, rules, root, level)
if not trend.empty:
    _ui.chart(charts.trend_chart(trend, lang, subtitle), labelled(trend, "funds", lang), "funds_trend")
