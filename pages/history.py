"""上传历史: the batches the account may see (kpi.access.roles.visible_batches: an analyst's own, a bound
administrator's subtree's), and undoing one (with a confirmation)."""
import streamlit as st

from kpi import actions, store
from kpi.access import roles
from kpi.display.history import batch_table
from kpi.importing.commit import BatchRefused, list_batches
from kpi.importing.history import active_batches
from pages import _ui

account = _ui.require_role(__file__)


def _note_confirm_version(version: int) -> None:
    """on_click of 确认撤销: the data version the confirmation on screen was computed against (bound
    when the button was drawn); the undo is refused as stale if the store has changed since."""
    st.session_state["history_confirm_version"] = version


st.title(_ui.tr("history.page_title"))
st.caption(_ui.tr("history.intro"))
if "history_done" in st.session_state:
    st.success(st.session_state.pop("history_done"))

table = roles.visible_batches(_ui.cursor(), account, batch_table(list_batches(_ui.cursor()), _ui.lang()),
                             _ui.tr("history.column.user_name"))
if table.empty:
    st.info(_ui.tr("history.empty"))
    st.stop()
_ui.table(table.drop(columns=["undoable"]))

version = store.data_version(_ui.cursor())  # read first: the confirmation below is computed at or after it
active = roles.visible_batches(_ui.cursor(), account, active_batches(_ui.cursor()))
if active.empty:
    st.info(_ui.tr("history.nothing_to_undo"))
    st.stop()
labels = {int(r.batch_id): _ui.tr("history.choice", batch_id=int(r.batch_id), file=r.file_name or "",
                                  dataset=_ui.tr(f"common.dataset.{r.dataset}"),
                                  when=r.created_at.strftime("%Y-%m-%d %H:%M"))
          for r in active.itertuples()}
chosen = st.selectbox(_ui.tr("history.choose"), list(labels), format_func=labels.get, key="history_batch")
if st.button(_ui.tr("history.undo"), key="history_undo"):
    st.session_state["history_confirm"] = chosen

pending = st.session_state.get("history_confirm")
if pending is not None and pending in labels:
    row = active[active.batch_id == pending].iloc[0]
    st.warning(_ui.tr_md("history.confirm", batch_id=pending, file=row.file_name or "",
                      rows=int(row.rows_inserted) + int(row.rows_updated)))
    yes, no = st.columns(2)
    if yes.button(_ui.tr("history.confirm_yes"), type="primary", key="history_yes",
                  on_click=_note_confirm_version, args=(version,)):
        st.session_state.pop("history_confirm")
        try:
            actions.undo(_ui.cursor(), account, pending,
                         expected_version=st.session_state.pop("history_confirm_version", version))
        except store.WriteRefused as exc:  # the confirmation above is already the new one: ask again
            st.session_state["history_confirm"] = pending
            st.error(_ui.refusal(exc))
        except (BatchRefused, roles.AuthError) as exc:
            st.error(_ui.refusal(exc))
        else:
            st.session_state["history_done"] = _ui.tr("history.undone", batch_id=pending)
            st.rerun()
    if no.button(_ui.tr("history.confirm_no"), key="history_no"):
        st.session_state.pop("history_confirm")
        st.rerun()
