"""审计日志 (administrators): who did what and when, filtered by user, action and days; downloadable
as CSV / XLSX through the shared data table (formula cells neutralised, the export itself logged).
An administrator bound to a unit reads only the entries of the accounts of its subtree (kpi.access.roles)."""
import datetime as dt

import streamlit as st

from kpi.access import audit, roles
from kpi.display import audit as audit_text
from pages import _ui

me = _ui.require_role(__file__)

st.title(_ui.tr("audit.page_title"))
st.caption(_ui.tr("audit.intro"))
con, lang = _ui.cursor(), _ui.lang()

users = [""] + roles.visible_log_users(con, me)
all_users = _ui.tr("audit.filter.all_users")
action_labels = {a: _ui.tr(f"audit.action.{a}") for a in audit.ACTIONS}
with st.container(border=True):
    # Date fields need ~150 px for 'yyyy/mm/dd' and the calendar icon at a 1280 px wide window.
    c1, c2, c3, c4 = st.columns([2, 2, 1.3, 1.3])
    user = c1.selectbox(_ui.tr("audit.filter.user"), users, key="audit_user",
                        format_func=lambda u: all_users if u == "" else u)
    actions = _ui.multiselect(c2, _ui.tr("audit.filter.actions"), audit.ACTIONS, key="audit_actions",
                              format_func=action_labels.get)
    start = c3.date_input(_ui.tr("audit.filter.start"), value=None, key="audit_start")
    end = c4.date_input(_ui.tr("audit.filter.end"), value=dt.date.today(), key="audit_end")

found = roles.visible_audit_entries(con, me, user or None, tuple(actions), start, end)
st.caption(_ui.tr("audit.count", n=len(found)))
if found.empty:
    st.info(_ui.tr("audit.empty"), icon=":material/info:")
else:
    _ui.data_table(audit_text.labelled_entries(found, lang), "audit_log", expanded=True)
