"""周报: the weekly briefing of the sidebar's subtree — preview, then generate and download
the PNG charts (ZIP), the PPTX and the PDF."""
import datetime as dt

import pandas as pd
import streamlit as st

from kpi.briefing import content, outputs
from kpi.briefing.fonts import FontMissingError
from kpi.display.briefing_data import section_data
from kpi.display.formats import week_of_year_label
from kpi.display.matrix_xlsx import FILLS
from kpi.periods import briefing_weeks
from pages import _ui

_ui.require_role(__file__)

WEEKS_OFFERED = 26
MIME = {"zip": "application/zip", "pdf": "application/pdf",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}

st.title(_ui.tr("briefing.page_title"))
rules, scope, lang = _ui.get_rules(), _ui.scope(), _ui.lang()
weeks = briefing_weeks(_ui.as_of(), dt.date.today(), WEEKS_OFFERED)
week = st.selectbox(_ui.tr("briefing.ui.week"), weeks, key="briefing_week", help=_ui.tr("briefing.ui.week_help"),
                    format_func=lambda w: week_of_year_label(w, lang))

try:
    briefing = _ui.compute(content.build_briefing, rules, week, scope, lang)
except content.BriefingError as exc:
    st.warning(_ui.refusal(exc), icon=":material/info:")
    st.stop()

request = (week, scope, lang)
if st.button(_ui.tr("briefing.ui.generate"), type="primary", key="briefing_generate"):
    st.session_state["briefing_request"] = request
if st.session_state.get("briefing_request") == request:
    try:
        with st.spinner(_ui.tr("briefing.ui.generating")):
            files = _ui.compute(outputs.briefing_files, rules, week, scope, lang)
    except FontMissingError as exc:
        st.error(exc.message(lang))
    else:
        st.success(_ui.tr("briefing.ui.ready"))
        for column, ext in zip(st.columns(3), ("zip", "pptx", "pdf")):
            column.download_button(_ui.tr(f"briefing.ui.download_{ext}"), getattr(files, ext),
                                   f"{files.stem}.{ext}", MIME[ext], key=f"briefing_download_{ext}",
                                   on_click=_ui.log_export, args=(f"{files.stem}.{ext}",))

st.subheader(_ui.tr("briefing.ui.preview"))
st.caption(_ui.md(f"{briefing.title} · {briefing.period_text} · {briefing.scope_label}"))


def show_table(table) -> None:
    """A slide's table as the slide shows it: its rows, the matrix cells in their status colours."""
    st.markdown(f"#### {_ui.md(table.title)}")
    if not table.rows:
        st.info(table.empty_message, icon=":material/info:")
        return
    frame = pd.DataFrame(table.rows, columns=table.columns)
    if table.statuses:
        fills = pd.DataFrame([[f"background-color: #{FILLS[s]}" if s else "" for s in row] for row in table.statuses],
                             columns=table.columns)
        st.dataframe(frame.style.apply(lambda _: fills, axis=None), hide_index=True, key=f"briefing_{table.key}")
    else:
        st.dataframe(frame, hide_index=True, key=f"briefing_{table.key}")
    if table.note:
        st.caption(_ui.md(table.note))
    if capped := table.capped_note(lang):
        st.caption(_ui.md(capped))


show_table(briefing.matrix)
matrix_name = f"matrix-{briefing.week}.xlsx"
st.download_button(_ui.tr("briefing.ui.download_matrix"), _ui.compute(outputs.matrix_xlsx, rules, week, scope, lang),
                   matrix_name, MIME["xlsx"], key="briefing_matrix_xlsx", on_click=_ui.log_export,
                   args=(matrix_name,))
st.markdown(f"#### {_ui.md(briefing.headline_title)}")
for start in range(0, len(briefing.headlines), 4):
    for column, row in zip(st.columns(4), briefing.headlines[start:start + 4]):
        # "unchanged" without an arrow (an arrow up beside 与上周持平 reads as a rise)
        column.metric(row.label, row.value_text, row.change_text, delta_color="off", border=True,
                      delta_arrow="off" if not row.change else "auto")
show_table(briefing.changes)
for section in briefing.sections:
    st.markdown(f"#### {_ui.md(section.title)}")
    for sentence in section.takeaways:
        st.markdown(f"- {_ui.md(sentence)}")
    if section.figure is None:
        st.info(section.empty_message, icon=":material/info:")
    else:
        _ui.chart(section.figure, section_data(section.key, section.data, lang), f"briefing_{section.key}")
    if section.key in briefing.lists and briefing.lists[section.key].rows:
        show_table(briefing.lists[section.key])
