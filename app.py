"""Entry point: page frame, shared sidebar filters, navigation. Pages live in pages/."""
import streamlit as st

from pages import _ui

st.set_page_config(page_title="党建督导看板", page_icon=":material/flag:", layout="wide")
_ui.sidebar()
_ui.navigation().run()
