"""Entry point: page frame, start-up, shared sidebar filters, navigation. Pages live in pages/."""
from pathlib import Path

import streamlit as st

from pages import _ui

# The tab icon is a file served by this server: a ':material/…:' page icon is fetched from Google's
# font server, a request an intranet must not make (tests/test_e2e_user_text.py checks none leaves).
ICON = Path(__file__).resolve().parent / "data" / "icon.svg"

st.set_page_config(page_title="党建督导看板", page_icon=str(ICON), layout="wide")
_ui.keep_language()  # a run stopped before the sidebar (store unavailable) keeps the session's language
with _ui.store_outage():  # a DuckLake's catalog lost mid-run: one message, the next click tries again
    _ui.bootstrap()
    _ui.sidebar()
    page = _ui.navigation()
    _ui.page_frame(page)  # shared style; the presentation view (view=present)
    page.run()
