"""单位画像: every figure of one unit on one page, with its breadcrumb, red flags and the units below
it; reached from any chart or table by selecting a unit. Draws only; figures from kpi.metrics.profile."""
import streamlit as st

from kpi.charts import coverage as coverage_charts
from kpi.charts import meetings as meeting_charts
from kpi.charts import ratings as rating_charts
from kpi.display import annual as annual_text
from kpi.display import meetings as meeting_tables
from kpi.display import overview as overview_text
from kpi.display import problems as problem_tables
from kpi.display import profile as cards
from kpi.display.tables import labelled
from kpi.i18n import enum_label
from kpi.metrics import profile
from kpi.org import LEVEL_BRANCH
from pages import _ui

account = _ui.require_role(__file__)

STATUS_BADGE = {"ok": "green", "warn": "orange", "bad": "red", "missing": "gray"}
CARDS_PER_ROW = 5

st.title(_ui.tr("profile.page_title"))
rules = _ui.get_rules()
as_of, lang = _ui.as_of(), _ui.lang()

# Only the units the signed-in account may see can be profiled.
code = _ui.compute(profile.default_unit, st.session_state.get("profile_unit"), _ui.scope(),
                   within=account.unit_code)
if code is None:
    _ui.empty_state("profile.what_units", "units")
    st.stop()


def _show(unit_code: str) -> None:
    st.session_state["profile_unit"] = unit_code


choices = _ui.compute(profile.picker_units, account.unit_code, code)
# Labels are resolved now: AppTest calls format_func outside the script run.
labels = {c: "\u3000" * (int(lv) - 1) + _ui.unit_with_code(name, c)
          for c, name, lv in zip(choices.unit_code, choices.unit_name, choices.level)}
if st.session_state.get("profile_picker") != code:
    st.session_state["profile_picker"] = code
st.selectbox(_ui.tr("profile.picker"), list(labels), key="profile_picker", format_func=labels.get,
             on_change=lambda: _show(st.session_state["profile_picker"]))

try:
    p = _ui.compute(profile.unit_profile, rules, as_of, code, lang=lang)
except profile.UnknownUnit as exc:
    st.error(_ui.refusal(exc))
    st.stop()
unit = p.unit
# A jump to the unit already shown must give fresh selectable widgets, or their old selection
# would jump again: keys carry the unit and the jump count.
visit = f"{unit.code}_{st.session_state.get('profile_visit', 0)}"
subtitle = _ui.tr("common.subtitle", as_of=as_of.isoformat(), scope=unit.name)

with st.container(horizontal=True, vertical_alignment="center", gap="small"):
    for ancestor, name in p.breadcrumb[:-1]:
        if ancestor in labels:
            st.button(_ui.md(name), key=f"crumb_{ancestor}", type="tertiary", on_click=_show, args=(ancestor,))
        else:  # above the account's subtree: named, not opened
            st.markdown(_ui.md(name))
        st.markdown("›")
    st.markdown(f"**{_ui.md(unit.name)}**")
st.caption(_ui.tr_md("profile.unit_facts", level=_ui.tr(f"common.level.{unit.level}"),
                     org_type=enum_label(unit.org_type, lang) if unit.org_type else "—",
                  members=unit.member_count if unit.member_count is not None else "—",
                  staff=unit.staff_count if unit.staff_count is not None else "—", code=unit.code))

shown = cards.profile_cards(p, rules, lang)
for start in range(0, len(shown), CARDS_PER_ROW):
    for column, card in zip(st.columns(CARDS_PER_ROW), shown[start:start + CARDS_PER_ROW]):
        with column.container(border=True):
            st.metric(card.label, card.value)
            if card.status:
                st.badge(_ui.tr(f"profile.status.{card.status}"), color=STATUS_BADGE[card.status])
            if card.note:
                st.caption(card.note)

flag_rows = overview_text.flag_table(p.flags, lang)
st.subheader(_ui.tr("profile.section.flags", n=len(flag_rows)))
if flag_rows.empty:
    st.success(_ui.tr("profile.no_flags"))
else:
    _ui.unit_table(labelled(flag_rows, "overview", lang), f"profile_flags_{visit}", list(flag_rows.unit_code))

st.subheader(_ui.tr("profile.section.meetings"))
if p.meeting_completion.denominator == 0:
    _ui.empty_state("profile.what_branches_meetings", "meetings")
else:
    _ui.chart(meeting_charts.completion_by_type_chart(p.completion_by_type, rules.meeting_flag_below_pct, lang,
                                                      subtitle),
              labelled(p.completion_by_type, "meetings", lang), f"profile_meetings_{unit.code}")
    st.markdown(f"**{_ui.tr('profile.gaps_title')}**")
    if p.gap_branches.empty:
        st.success(_ui.tr("profile.no_gaps"))
    else:
        _ui.unit_table(meeting_tables.gap_table(p.gap_branches, lang), f"profile_gaps_{visit}",
                       list(p.gap_branches.unit_code))

left, right = st.columns(2)
with left:
    st.subheader(_ui.tr("profile.section.annual"))
    row = p.annual.iloc[0]
    st.caption(_ui.tr("profile.annual_data", year=int(row.year)))
    if p.annual[["fund_budget", "assessment_weight_pct", "party_staff"]].isna().all(axis=None):
        _ui.empty_state("funds.what", "annual")
    _ui.data_table(annual_text.annual_table(p.annual, lang), f"profile_annual_{unit.code}", expanded=True)
with right:
    st.subheader(_ui.tr("profile.section.problems"))
    if p.problem_rates["total"].iloc[0] == 0:
        _ui.empty_state("problems.what", "problems")
    elif p.overdue_problems.empty:
        st.success(_ui.tr("profile.no_overdue"))
    else:
        st.markdown(f"**{_ui.tr('profile.overdue_title')}**")
        _ui.unit_table(problem_tables.problem_table(p.overdue_problems, lang), f"profile_overdue_{visit}",
                       list(p.overdue_problems.unit_code))

st.subheader(_ui.tr("profile.section.coverage"))
left, right = st.columns(2)
with left:
    levels = [_ui.tr(f"common.level.{lv}") for lv in p.inspection_coverage.level]
    _ui.chart(coverage_charts.coverage_bars(p.inspection_coverage, levels,
                                           _ui.tr("profile.chart.inspection_by_level"), lang, subtitle),
              labelled(p.inspection_coverage, "coverage", lang), f"profile_inspection_{unit.code}")
with right:
    st.markdown(f"**{_ui.tr('profile.activities_title')}**")
    if p.recent_activities.empty:
        st.info(_ui.tr("profile.no_activities", dataset=_ui.tr("common.dataset.supervision")),
                icon=":material/info:")
    else:
        _ui.unit_table(cards.activity_table(p, lang), f"profile_activities_{visit}",
                       list(p.recent_activities.unit_code))

st.subheader(_ui.tr("profile.section.ratings"))
if p.ratings_year is None:
    _ui.empty_state("ratings.what", "ratings")
elif unit.level == LEVEL_BRANCH:
    if p.six_basics.empty:
        _ui.empty_state("ratings.what", "ratings")
    else:
        _ui.chart(rating_charts.six_basics_chart(p.six_basics, unit.name, lang, subtitle),
                  labelled(p.six_basics, "ratings", lang), f"profile_six_basics_{unit.code}")
else:
    _ui.chart(rating_charts.compliance_chart(p.child_compliance, rules, lang, subtitle),
              labelled(p.child_compliance, "ratings", lang), f"profile_ratings_{visit}", unit_customdata=1)

st.subheader(_ui.tr("profile.section.indicators"))
if p.indicators["value"].isna().all():
    _ui.empty_state("indicators.what", "indicators")
else:
    _ui.data_table(cards.indicator_table(p, lang), f"profile_indicators_{unit.code}", expanded=True)

st.subheader(_ui.tr("profile.section.children", n=len(p.children)))
if p.children.empty:
    st.info(_ui.tr("profile.no_children"), icon=":material/account_tree:")
else:
    _ui.unit_table(cards.children_table(p, lang), f"profile_children_{visit}", list(p.children.unit_code))
