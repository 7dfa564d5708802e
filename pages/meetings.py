"""组织生活: meeting completion per required slot (heat map), by type and by unit, attendance, branches
missing periods in a row, one branch's calendar. Draws only; figures come from kpi.metrics.meetings."""
import streamlit as st

from kpi.charts import meetings as charts
from kpi.display import meetings as tables
from kpi.display.tables import labelled
from kpi.i18n import enum_label
from kpi.metrics import levels, meetings
from kpi.org import LEVEL_BRANCH, find_units
from pages import _ui

BRANCH_PICKER_LIMIT = 500  # a selectbox longer than this is unusable and slow to send

_ui.require_role(__file__)

st.title(_ui.tr("meetings.page_title"))
st.caption(_ui.tr("meetings.intro"))
rules = _ui.get_rules()
as_of, root, lang, subtitle = _ui.as_of(), _ui.scope(), _ui.lang(), _ui.subtitle()

if _ui.compute(meetings.meeting_records_in_scope, root) == 0:
    _ui.empty_state("meetings.what", "meetings")
    st.stop()

level = _ui.compute(levels.level_below_root, root)
completion = _ui.compute(meetings.meeting_headline, rules, as_of, root)
turnout = _ui.compute(meetings.attendance_headline, as_of, root)
gaps = _ui.compute(meetings.gap_branches, rules, as_of, root)


def _pct(value: float | None) -> str:
    return _ui.tr("common.missing") if value is None else f"{value:.1f}%"


left, middle, right = st.columns(3)
left.metric(_ui.tr("meetings.headline.completion"), _pct(completion.value), border=True,
            help=_ui.tr("meetings.headline.completion_help", met=completion.numerator, required=completion.denominator))
middle.metric(_ui.tr("meetings.headline.attendance"), _pct(turnout.value), border=True,
              help=_ui.tr("meetings.headline.attendance_help", attended=turnout.numerator,
                          expected=turnout.denominator))
right.metric(_ui.tr("meetings.headline.gaps"), len(gaps), border=True,
             help=_ui.tr("meetings.headline.gaps_help", n=rules.meeting_gap_slots))

by_type = _ui.compute(meetings.completion_by_type, rules, as_of, root)
by_unit = _ui.compute(meetings.completion_by_unit, rules, as_of, root, level)
alert = rules.meeting_flag_below_pct
left, right = st.columns(2)
with left:
    _ui.chart(charts.completion_by_type_chart(by_type, alert, lang, subtitle), labelled(by_type, "meetings", lang),
              "meetings_by_type")
with right:
    _ui.chart(charts.completion_by_unit_chart(by_unit, alert, lang, subtitle), labelled(by_unit, "meetings", lang),
              "meetings_by_unit", unit_codes=list(by_unit.unit_code))
turnout_by_unit = _ui.compute(meetings.attendance, as_of, root, level)
_ui.chart(charts.attendance_chart(turnout_by_unit, lang, subtitle), labelled(turnout_by_unit, "meetings", lang),
          "meetings_attendance", unit_codes=list(turnout_by_unit.unit_code))

every = {r.type: r.every for r in rules.meeting_rules}
left, right = st.columns([2, 3])
meeting_type = left.selectbox(_ui.tr("meetings.page.type_select"), list(every), key="meetings_type",
                              format_func=lambda m: enum_label(m, lang))
only_unmet = right.checkbox(_ui.tr("meetings.page.only_unmet"), value=True, key="meetings_only_unmet")
slots = _ui.compute(meetings.meeting_slots, rules, as_of, root, meeting_type=meeting_type,
                    only_with_unmet=only_unmet)
if slots.empty:
    st.success(_ui.tr("meetings.page.no_unmet"))
else:
    # Branches with the most unmet periods first, no more than a screen or a slide can show.
    shown = _ui.compute(meetings.heatmap_slots, rules, as_of, root, meeting_type=meeting_type,
                        only_with_unmet=only_unmet, limit=charts.HEATMAP_BRANCHES)
    if len(shown) < len(slots):
        st.caption(_ui.tr("meetings.page.heatmap_limited", shown=shown["unit_code"].nunique(),
                          n=slots["unit_code"].nunique()))
    _ui.chart(charts.slot_heatmap(shown, meeting_type, every[meeting_type], lang, subtitle),
              labelled(slots, "meetings", lang), "meetings_heatmap")

st.subheader(_ui.tr("meetings.page.gaps_title"))
st.caption(_ui.tr("meetings.page.gaps_caption", n=rules.meeting_gap_slots))
if gaps.empty:
    st.success(_ui.tr("meetings.page.no_gaps"))
else:
    _ui.data_table(tables.gap_table(gaps, lang), "meetings_gaps", expanded=True, unit_codes=list(gaps.unit_code))

st.subheader(_ui.tr("meetings.page.calendar_title"))
# A large group has tens of thousands of branches: offer a search instead of one huge list.
all_branches = _ui.compute(find_units, root, LEVEL_BRANCH, "", BRANCH_PICKER_LIMIT)[1]
search = ""
if all_branches > BRANCH_PICKER_LIMIT:
    search = st.text_input(_ui.tr("meetings.page.branch_search", n=all_branches), key="meetings_branch_search")
branches, matched = _ui.compute(find_units, root, LEVEL_BRANCH, search, BRANCH_PICKER_LIMIT)
if all_branches == 0:
    st.info(_ui.tr("meetings.page.no_branches"))
elif branches.empty:
    st.info(_ui.tr("meetings.page.branch_no_match"))
else:
    if matched > len(branches):
        st.caption(_ui.tr("meetings.page.branch_more", shown=len(branches), n=matched))
    names = dict(zip(branches["unit_code"], branches["unit_name"]))
    labels = {c: _ui.unit_with_code(n, c) for c, n in names.items()}
    left, right = st.columns([3, 1])
    code = left.selectbox(_ui.tr("meetings.page.branch_select"), list(names), key="meetings_branch",
                          format_func=labels.get)
    year = right.selectbox(_ui.tr("meetings.page.year_select"), [as_of.year - i for i in range(3)],
                           key="meetings_year")
    calendar = _ui.compute(meetings.branch_calendar, rules, code, year, as_of)
    records = _ui.compute(meetings.branch_meetings, code, year, as_of)
    _ui.chart(charts.calendar_chart(calendar, records, names[code], year, lang, subtitle),
              labelled(calendar, "meetings", lang), "meetings_calendar")
    st.caption(_ui.tr_md("meetings.page.meetings_list", branch=names[code], year=year, n=len(records)))
    if len(records):  # the caption above says 0 already
        _ui.table(tables.meetings_table(records, lang))
