"""The frame around every page: start-up of a new store, the sidebar (language, as-of date, subtree,
demo banner) and the navigation. The last of the UI modules: called by the entry point only.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from kpi import actions, org, store
from kpi.i18n import t
from pages._ui import session
from pages._ui.context import current_account, cursor, get_rules, tr
from pages._ui.sitemap import PAGES, PAGES_DIR, may_open
from pages._ui.widgets import widget_texts


def bootstrap() -> None:
    """Start-up work of the entry point, before anything is drawn: a store that is empty and whose
    demo was never cleared gets the demo group, and a demo store without accounts gets the demo
    accounts (their passwords are in the README)."""
    actions.start_store(cursor(), get_rules(), dt.date.today())


def sidebar() -> None:
    """The filters shared by every page; widget state lives in the entry point, so it is kept
    when switching pages."""
    con = cursor()
    account = session.refresh_account()
    widget_texts()  # Streamlit's own English widget texts, in the UI language
    with st.sidebar:
        st.radio(t("common.sidebar.language"), ["zh", "en"], key="lang", horizontal=True,
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code])
        if account is None:
            return
        session.note_rules_file()
        st.date_input(tr("common.sidebar.as_of"), key="as_of", value=dt.date.today())
        choices = org.unit_choices(con)
        if account.unit_code is not None:  # only the account's subtree is offered (its root is "")
            below = set(org.units_in_subtree(con, account.unit_code).unit_code) - {account.unit_code}
            choices = choices[choices.unit_code.isin(below)]
        names = dict(zip(choices.unit_code, choices.unit_name))
        levels = dict(zip(choices.unit_code, choices.level))
        options = [""] + list(choices.unit_code)
        if st.session_state.get("scope") not in options:
            st.session_state["scope"] = ""
        # Labels are resolved now: AppTest calls format_func outside the script run, where the
        # session's language is not visible.
        whole_group = org.unit_name(con, account.unit_code) or tr("common.sidebar.whole_group")
        st.selectbox(
            tr("common.sidebar.unit"), options, key="scope",
            format_func=lambda c: whole_group if c == ""
            else "\u3000" * (int(levels[c]) - 1) + names[c])
        if store.is_demo(con):
            st.warning(tr("common.demo.banner"), icon=":material/science:")
            if actions.can_clear_demo(account) and st.button(tr("common.demo.clear"), key="clear_demo"):
                actions.clear_demo(con, account)
                st.cache_data.clear()
                st.session_state["scope"] = ""
                if account.demo:
                    session.sign_out()
                st.toast(tr("common.demo.cleared"))
                st.rerun()


def navigation() -> st.navigation:
    """The page navigation, titles in the UI language; only pages whose file exists and the signed-in
    role may open (a page not listed cannot be opened by its URL). Signed out: only the login page."""
    account = current_account()
    if account is None:
        login = st.Page("pages/login.py", title=tr("auth.login.page_title"), icon=":material/login:",
                        url_path="login", default=True)
        return st.navigation([login], position="hidden")
    sections: dict[str, list] = {}
    for file, title_key, icon, section in PAGES:
        if (PAGES_DIR / file).exists() and may_open(account, file):
            page = st.Page(f"pages/{file}", title=tr(title_key), icon=icon,
                           default=file == "overview.py", url_path=file.removesuffix(".py"))
            sections.setdefault(tr(f"common.nav.section_{section}"), []).append(page)
    with st.sidebar:
        session.account_box(account)
    # Every permitted page listed: a collapsed list hides pages behind Streamlit's untranslated "View N more".
    return st.navigation(sections, expanded=True)
