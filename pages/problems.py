"""问题清单: the filterable problem list with days overdue, one problem's status history, and the
export of exactly the filtered rows. Draws only; figures come from kpi.metrics.problems.
User text (descriptions, measures) is shown with st.dataframe / st.text, never as HTML or markdown."""
import datetime as dt

import streamlit as st

from kpi import actions
from kpi.access import roles
from kpi.datasets import PROBLEM_SOURCES, PROBLEM_STATUSES, SEVERITIES
from kpi.display import problems as tables
from kpi.display.exports import to_csv_bytes, to_xlsx_bytes
from kpi.i18n import enum_label
from kpi.importing import edit
from kpi.importing.commit import BatchRefused
from kpi.importing.errors import UploadRefused
from kpi.metrics import problems
from kpi.store import WriteRefused, data_version
from pages import _ui

MAX_SHOWN = 500  # rows drawn on screen; more would only slow the page down

account = _ui.require_role(__file__)

st.title(_ui.tr("problems.page_title"))
rules = _ui.get_rules()
as_of, root, lang = _ui.as_of(), _ui.scope(), _ui.lang()
user = account.username

flash = st.session_state.pop("pe_flash", None)
if flash:
    st.success(_ui.tr_md(flash[0], **flash[1]), icon=":material/check_circle:")
last = st.session_state.get("pe_last")
if last and st.button(_ui.tr_md("problems.edit.undo", batch_id=last[0], problem_id=last[1]), key="pe_undo"):
    try:
        actions.undo(_ui.cursor(), account, last[0])
    except (BatchRefused, roles.AuthError, WriteRefused) as exc:
        st.error(_ui.refusal(exc))
    else:
        del st.session_state["pe_last"]
        st.session_state["pe_flash"] = ("problems.edit.undone", {"batch_id": last[0], "problem_id": last[1]})
        st.rerun()

# Called with the filters the page starts with, so that an unfiltered page counts once.
if _ui.compute(problems.problem_list_counts, as_of, root, problems.ProblemFilter())["all"] == 0:
    _ui.empty_state("problems.what", "problems")
    st.stop()

options = _ui.compute(problems.problem_options, root)


def label(value: str) -> str:
    return enum_label(value, lang)


with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    sources = _ui.multiselect(c1, _ui.tr("problems.filter.source"), PROBLEM_SOURCES, key="pl_source",
                              format_func=label)
    categories = _ui.multiselect(c2, _ui.tr("problems.filter.category"), options["categories"], key="pl_category",
                                 format_func=label)
    severities = _ui.multiselect(c3, _ui.tr("problems.filter.severity"), SEVERITIES, key="pl_severity",
                                 format_func=label)
    statuses = _ui.multiselect(c4, _ui.tr("problems.filter.status"), PROBLEM_STATUSES, key="pl_status",
                               format_func=label)
    c1, c2, c3, c4 = st.columns(4)
    found_from = c1.date_input(_ui.tr("problems.filter.found_from"), value=None, key="pl_found_from")
    found_to = c2.date_input(_ui.tr("problems.filter.found_to"), value=None, key="pl_found_to")
    text = c3.text_input(_ui.tr("problems.filter.text"), key="pl_text", placeholder=_ui.tr("problems.filter.text_hint"))
    c4.write("")
    overdue_only = c4.checkbox(_ui.tr("problems.filter.overdue_only"), key="pl_overdue_only")

filters = problems.ProblemFilter(tuple(sources), tuple(categories), tuple(severities), tuple(statuses),
                                 overdue_only, found_from, found_to, text or None)
# The screen lists the first rows only; counts and downloads cover every matching problem.
listed = _ui.compute(problems.problem_list, as_of, root, filters, limit=MAX_SHOWN)
counts = _ui.compute(problems.problem_list_counts, as_of, root, filters)
shown = tables.problem_table(listed, lang)

m1, m2, m3 = st.columns(3)
m1.metric(_ui.tr("problems.metric.listed"), counts["listed"], border=True)
m2.metric(_ui.tr("problems.metric.overdue"), counts["overdue"], border=True)
m3.metric(_ui.tr("problems.metric.all"), counts["all"], border=True)
st.caption(_ui.tr_md("problems.caption", as_of=as_of.isoformat(), scope=_ui.scope_label()))

if listed.empty:
    st.info(_ui.tr("problems.no_match"), icon=":material/filter_alt_off:")
else:
    if counts["listed"] > len(listed):
        st.caption(_ui.tr("problems.truncated", shown=len(listed), total=counts["listed"]))
    _ui.unit_table(shown, "problem_table", list(listed.unit_code))
    store = _ui.get_store()

    def csv_file() -> bytes:
        return to_csv_bytes(tables.problem_export_table(store.cursor(), as_of, root, filters, lang))

    def xlsx_file(sheet: str = _ui.tr("problems.page_title")) -> bytes:
        return to_xlsx_bytes(tables.problem_export_table(store.cursor(), as_of, root, filters, lang), sheet)

    left, right, _ = st.columns([1, 1, 4])
    # Built when clicked, not on every rerun, from the whole filtered list.
    left.download_button(_ui.tr("common.download_csv"), csv_file, "problems.csv", "text/csv",
                         key="problems_csv", on_click=_ui.log_export, args=("problems.csv",))
    right.download_button(_ui.tr("common.download_xlsx"), xlsx_file,
                          "problems.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="problems_xlsx",
                          on_click=_ui.log_export, args=("problems.xlsx",))

    st.subheader(_ui.tr("problems.detail.title"))
    ids = list(listed.problem_id)
    if st.session_state.get("pl_selected") not in ids:
        st.session_state["pl_selected"] = ids[0]
    chosen = st.selectbox(_ui.tr("problems.detail.choose"), ids, key="pl_selected")
    row = listed.set_index("problem_id").loc[chosen]
    with st.container(border=True):
        facts = tables.problem_facts(row, lang)
        for column, (name, value) in zip(st.columns(4) * ((len(facts) + 3) // 4), facts):
            column.caption(name)
            column.text(value)
        st.caption(_ui.tr("problems.col.description"))
        st.text(row.description if isinstance(row.description, str) else _ui.tr("common.missing"))
        st.caption(_ui.tr("problems.col.measures"))
        st.text(row.measures if isinstance(row.measures, str) else _ui.tr("common.missing"))
    history = _ui.compute(problems.status_history, chosen)
    st.markdown("**" + _ui.tr("problems.detail.history") + "**")
    if history.empty:
        st.info(_ui.tr("problems.detail.no_history"), icon=":material/history:")
    else:
        _ui.table(tables.history_table(history, lang), key="history_table")

    if not actions.can_edit_problems(account):  # leaders read; the editor is the page's last section
        st.stop()
    st.markdown("**" + _ui.tr("problems.edit.title") + "**")
    form_version = data_version(_ui.cursor())  # read first: the form below shows this version or newer
    stored = edit.stored_problem(_ui.cursor(), chosen)
    low, high = dt.date(rules.min_year, 1, 1), dt.date(rules.max_year, 12, 31)
    with st.form(f"pe_form_{chosen}"):
        st.caption(_ui.tr("problems.edit.help"))
        c1, c2, c3, c4 = st.columns(4)
        status = c1.selectbox(_ui.tr("problems.col.status"), PROBLEM_STATUSES, key=f"pe_status_{chosen}",
                              index=PROBLEM_STATUSES.index(stored["status"]), format_func=label)
        due = c2.date_input(_ui.tr("problems.col.due_date"), stored["due_date"], low, high, key=f"pe_due_{chosen}")
        completed = c3.date_input(_ui.tr("problems.col.completed_date"), stored["completed_date"], low, high,
                                  key=f"pe_completed_{chosen}")
        closed = c4.date_input(_ui.tr("problems.col.closed_date"), stored["closed_date"], low, high,
                               key=f"pe_closed_{chosen}")
        measures = st.text_area(_ui.tr("problems.col.measures"), stored["measures"] or "", key=f"pe_measures_{chosen}")
        # The version the form was drawn from, bound now: a save over a changed store is refused as stale.
        submitted = st.form_submit_button(_ui.tr("problems.edit.save"), type="primary",
                                          on_click=st.session_state.update, kwargs={"pe_version": form_version})
    if submitted:
        changes = {"status": status, "due_date": due, "completed_date": completed, "closed_date": closed,
                   "measures": measures}
        if not edit.changed_fields(stored, changes):
            st.info(_ui.tr("problems.edit.nothing_changed"), icon=":material/info:")
        else:
            try:
                result = actions.edit_problem(_ui.cursor(), rules, account, chosen, changes, dt.date.today(),
                                              st.session_state.pop("pe_version", form_version))
            except UploadRefused as exc:
                st.error(_ui.tr("problems.edit.refused"))
                for error in exc.errors:
                    st.error(_ui.refusal(error))
            except (roles.AuthError, WriteRefused) as exc:
                st.error(_ui.refusal(exc))
            else:
                st.session_state["pe_last"] = (result.batch_id, chosen)
                st.session_state["pe_flash"] = ("problems.edit.saved", {"batch_id": result.batch_id,
                                                                        "problem_id": chosen})
                st.rerun()
