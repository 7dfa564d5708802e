"""The frame around every page: start-up of a new store, the sidebar (language, as-of date, subtree,
demo banner) and the navigation. The last of the UI modules: called by the entry point only.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

from kpi import actions, org, store
from kpi.i18n import t
from pages._ui import session, viewlink
from pages._ui.context import as_of, current_account, cursor, get_rules, md, scope_label, tr
from pages._ui.sitemap import PAGES, PAGES_DIR, may_open
from pages._ui.widgets import widget_texts


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
    widget_texts()  # Streamlit's own English widget texts, in the UI language
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


# The presentation view (演示视图): the URL parameter view=present, or the sidebar button. Kept in the
# session too, so that a page switch (which drops the URL's parameters) stays in the view.
PRESENT_PARAM, PRESENT_VALUE, PRESENT_KEY = "view", "present", "present_view"

# Every page: card titles, values in words ("Not checked") and changes wrap instead of ending in "…" in
# narrow columns (1280×800), a row of cards wraps rather than squeezing a card below 9rem (pages put at
# most 5 cards in a row: 6 do not fit at 1280 px beside the sidebar); less space above the title and at the sides
# (Streamlit's 6rem and 5rem), so the cockpit's matrix is above the fold and all its columns fit at 1280 px.
PAGE_CSS = """<style>
[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], [data-testid="stMetricValue"] *,
[data-testid="stMetricDelta"] *, [data-testid="stMetricDeltaDescription"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] { height: auto !important; min-height: 1.5rem; }
div:has(> [data-testid="stMetricDelta"]) { flex-wrap: wrap; row-gap: 0.25rem; }
[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) { flex-wrap: wrap; }
[data-testid="stColumn"]:has([data-testid="stMetric"]) { min-width: 9rem; }
[data-testid="stMainBlockContainer"] { padding-top: 4rem !important; padding-left: 3rem; padding-right: 3rem; }
</style>"""

# The presentation view: no sidebar, toolbar, expanders or downloads; the page's own title gives way to
# the frame's, which names the scope and the as-of date; less padding, so a page fills a 16:9 screen.
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stLayoutWrapper"]:has(> [data-testid="stExpander"]), [data-testid="stExpander"],
[data-testid="stElementContainer"]:has([data-testid="stDownloadButton"]),
[data-testid="stMain"] [data-testid="stElementContainer"]:has([data-testid="stHeading"] h1) {
  display: none !important; }
.st-key-present_title [data-testid="stElementContainer"]:has([data-testid="stHeading"] h1) {
  display: block !important; }
.st-key-present_title h1 { padding: 0 !important; font-size: 2rem; }
[data-testid="stMainBlockContainer"] { padding: 1rem 2rem 0.5rem !important; max-width: none !important; }
</style>"""


def presentation_mode() -> bool:
    """True in the presentation view: the URL says view=present, or the session entered it."""
    if st.query_params.get(PRESENT_PARAM) == PRESENT_VALUE:
        st.session_state[PRESENT_KEY] = True
    return bool(st.session_state.get(PRESENT_KEY))


def _enter_presentation() -> None:
    st.session_state[PRESENT_KEY] = True
    st.query_params[PRESENT_PARAM] = PRESENT_VALUE


def _leave_presentation() -> None:
    st.session_state[PRESENT_KEY] = False
    st.query_params.pop(PRESENT_PARAM, None)


def page_frame(page) -> None:
    """What every page shares around its own content, drawn after `navigation` and before the page
    runs: the style of cards; signed in, the sidebar's presentation-view button, and in the
    presentation view its style, the exit button and a title naming the page, scope and as-of date."""
    st.html(PAGE_CSS)
    if current_account() is None:
        return
    if not presentation_mode():
        st.sidebar.button(tr("present.enter"), key="present_enter", icon=":material/slideshow:",
                          help=tr("present.enter_help"), on_click=_enter_presentation)
        return
    st.query_params[PRESENT_PARAM] = PRESENT_VALUE  # after a page switch, the link shows the view again
    st.html(PRESENT_CSS)
    with st.container(key="present_title", horizontal=True, vertical_alignment="center"):
        # The scope is a unit's name, typed by users: escaped for Markdown (the page and the date are ours).
        st.title(tr("present.title", page=page.title, scope=md(scope_label()), as_of=as_of().isoformat()),
                 width="stretch", anchor=False)
        st.button(tr("present.exit"), key="present_exit", type="tertiary", icon=":material/close:",
                  on_click=_leave_presentation)
