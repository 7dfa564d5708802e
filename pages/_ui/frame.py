"""The frame around every page: start-up of a new store, the sidebar (language, as-of date, subtree,
demo banner) and the navigation. The last of the UI modules: called by the entry point only.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from kpi import actions, org, store
from kpi.i18n import t
from pages._ui import session, viewlink
from pages._ui.context import current_account, cursor, get_rules, tr
from pages._ui.sitemap import PAGES, PAGES_DIR, may_open


def bootstrap() -> None:
    """Start-up work of the entry point, before anything is drawn: a store that is empty and whose
    demo was never cleared gets the demo group, and a demo store without accounts gets the demo
    accounts (their passwords are in the README). The server's first run, which Streamlit's pages/
    folder emulation makes a page of its own, is run again as the entry point (session.run_entry_point_instead)."""
    session.run_entry_point_instead()
    actions.start_store(cursor(), get_rules(), dt.date.today())


def sidebar() -> None:
    """The filters shared by every page; widget state lives in the entry point, so it is kept
    when switching pages. The view they make (with the page) is read from and written to the URL
    (pages/_ui/viewlink.py)."""
    con = cursor()
    viewlink.read_request()
    was_signed_in = bool(st.session_state.get(session.USER_KEY))
    account = session.refresh_account()
    if was_signed_in and account is None:  # the session ended (idle, disabled): reopen this view after signing in
        viewlink.remember_current_view()
    with st.sidebar:
        st.radio(t("common.sidebar.language"), ["zh", "en"], key="lang", horizontal=True,
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code])
        if account is None:
            viewlink.write_view(signed_in=False)
            return
        session.note_rules_file()
        choices = org.unit_choices(con)
        if account.unit_code is not None:  # only the account's subtree is offered (its root is "")
            below = set(org.units_in_subtree(con, account.unit_code).unit_code) - {account.unit_code}
            choices = choices[choices.unit_code.isin(below)]
        names = dict(zip(choices.unit_code, choices.unit_name))
        levels = dict(zip(choices.unit_code, choices.level))
        options = [""] + list(choices.unit_code)
        viewlink.apply_request(account, options)
        st.date_input(tr("common.sidebar.as_of"), key="as_of", value=dt.date.today())
        if st.session_state.get("scope") not in options:
            st.session_state["scope"] = ""
        # Labels are resolved now: AppTest calls format_func outside the script run, where the
        # session's language is not visible.
        whole_group = org.unit_name(con, account.unit_code) or tr("common.sidebar.whole_group")
        st.selectbox(
            tr("common.sidebar.unit"), options, key="scope",
            format_func=lambda c: whole_group if c == ""
            else "\u3000" * (int(levels[c]) - 1) + names[c])
        viewlink.write_view(signed_in=True)
        viewlink.copy_link()
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
        login = [st.Page("pages/login.py", title=tr("auth.login.page_title"), icon=":material/login:",
                         url_path="login", default=True)]
        wanted = viewlink.requested_page()
        if wanted is not None:  # a link to a page: the form answers at its address (no 'page not found'),
            login.append(st.Page("pages/login.py", title=tr("auth.login.page_title"),  # which opens once signed in
                                 icon=":material/login:", url_path=wanted.removesuffix(".py")))
        nav = st.navigation(login, position="hidden")
        viewlink.show_notes()
        return nav
    sections: dict[str, list] = {}
    pages = {}
    for file, title_key, icon, section in PAGES:
        if (PAGES_DIR / file).exists() and may_open(account, file):
            pages[file] = st.Page(f"pages/{file}", title=tr(title_key), icon=icon,
                                  default=file == "overview.py", url_path=file.removesuffix(".py"))
            sections.setdefault(tr(f"common.nav.section_{section}"), []).append(pages[file])
    with st.sidebar:
        session.account_box(account)
    # Every permitted page listed: a collapsed list hides pages behind Streamlit's untranslated "View N more".
    nav = st.navigation(sections, expanded=True)
    viewlink.open_requested_page(account, nav.url_path, pages)  # the page a link asked for before signing in
    viewlink.show_notes()
    return nav
