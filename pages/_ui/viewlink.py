"""The view in the URL: the page is the URL's path (/funds), the subtree, the as-of date and the
language are query parameters (?scope=…&as_of=2026-11-21&lang=en), so a link or a browser reload
opens the same view.

On a session's first run the URL's request is remembered; the language is applied at once, the
page, subtree and date once an account is signed in (right away, or after the sign-in form when
the session is new or has ended). Each parameter is checked — a language that is not offered, a
date that is not one, a unit that does not exist, lies outside the account's data scope or cannot
be a subtree — and a bad one is ignored with a notice saying so. After every run the chosen view
is written back, touching only these three parameters: others (e.g. view=present) stay as they are.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode, urlsplit

import streamlit as st

from kpi import org
from kpi.access import roles
from kpi.i18n import LANGUAGES
from pages._ui.context import as_of, cursor, lang, md, refusal, tr, tr_md
from pages._ui.session import role_label
from pages._ui.sitemap import PAGES

SCOPE_PARAM, AS_OF_PARAM, LANG_PARAM = "scope", "as_of", "lang"
REQUEST_KEY, READ_KEY, NOTES_KEY = "_view_request", "_view_read", "_view_notes"
# A URL value quoted in a notice is cut to this length: the notice must not carry a pasted essay.
QUOTE_CHARS = 64
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# st.date_input's own range around today (Streamlit refuses a value outside it): ten years each way.
DATE_RANGE_YEARS = 10


def read_request() -> None:
    """At the session's first run: remember the view the URL asks for (its page and parameters)
    and apply its language, before any widget is drawn."""
    if st.session_state.get(READ_KEY):
        return
    st.session_state[READ_KEY] = True
    remember_current_view()
    params = st.query_params
    if LANG_PARAM in params:
        wanted = params.get(LANG_PARAM)
        if wanted in LANGUAGES:
            st.session_state["lang"] = wanted
        else:
            _note(tr_md("link.bad_lang", value=_quote(wanted)))


def requested_page() -> str | None:
    """The page file (e.g. 'funds.py') the browser's URL path names, None for none or an unknown one."""
    url = st.context.url
    if not url:
        return None
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    files = {file.removesuffix(".py"): file for file, *_ in PAGES}
    return files.get(name)


def remember_current_view() -> None:
    """Keep the view of this run's URL (page, subtree, as-of date) as the one to open once signed in:
    at a session's first run, and when a session ends (idle, account disabled)."""
    request = {name: st.query_params.get(name) for name in (SCOPE_PARAM, AS_OF_PARAM) if name in st.query_params}
    page = requested_page()
    if page is not None:
        request["page"] = page
    st.session_state[REQUEST_KEY] = request


def apply_request(account: roles.Account, scope_options: list[str]) -> None:
    """Apply the remembered subtree and as-of date for the signed-in `account`, once; `scope_options`
    are the subtree codes the sidebar offers ('' = the account's whole subtree)."""
    request = st.session_state.get(REQUEST_KEY)
    if not request:
        return
    if AS_OF_PARAM in request:
        day = checked_date(request[AS_OF_PARAM])
        if day is not None:
            st.session_state["as_of"] = day
    if SCOPE_PARAM in request:
        code = checked_scope(account, request[SCOPE_PARAM], scope_options)
        if code is not None:
            st.session_state["scope"] = code
    request.pop(AS_OF_PARAM, None)
    request.pop(SCOPE_PARAM, None)


def checked_date(value: str) -> dt.date | None:
    """The as-of date `value` names (YYYY-MM-DD within the date picker's range), else None with a notice."""
    today = dt.date.today()
    low, high = _years_from(today, -DATE_RANGE_YEARS), _years_from(today, DATE_RANGE_YEARS)
    try:
        day = dt.date.fromisoformat(value) if ISO_DATE.match(value or "") else None
    except ValueError:
        day = None
    if day is None or not low <= day <= high:
        _note(tr("link.bad_date", value=md(_quote(value)), low=low.isoformat(), high=high.isoformat(),
                 today=today.isoformat()))
        return None
    return day


def checked_scope(account: roles.Account, code: str, scope_options: list[str]) -> str | None:
    """The sidebar subtree value for the URL's unit `code` ('' = the account's own subtree), else None
    with a notice: no such unit, outside the account's data scope, or not a unit a subtree starts at."""
    con = cursor()
    if not code:
        return ""
    if org.unit_name(con, code) is None:
        _note(tr_md("link.unknown_unit", value=_quote(code)))
        return None
    try:
        roles.scoped_root(account, code, con)
    except roles.AuthError as exc:
        _note(refusal(exc) + " " + tr("link.ignored"))
        return None
    if code == account.unit_code:
        return ""
    if code not in scope_options:
        _note(tr_md("link.not_a_scope", value=_quote(code)))
        return None
    return code


def open_requested_page(account: roles.Account, current_url_path: str, pages: dict) -> None:
    """Switch to the page the URL asked for before signing in (once), when `account` may open it
    (else say that its role may not); `pages` maps a page file to its st.Page in this run's navigation."""
    request = st.session_state.get(REQUEST_KEY) or {}
    page = request.pop("page", None)
    if page is None or page.removesuffix(".py") == current_url_path:
        return
    if page not in pages:
        _note(tr_md("auth.error.page_forbidden", role=role_label(account.role)))
        return
    st.switch_page(pages[page])


def write_view(signed_in: bool) -> None:
    """Write this run's view into the URL: the language always, the subtree and as-of date when
    signed in ('' = whole subtree: no parameter; today = no parameter, so a bookmark of today's view
    shows the day it is opened, not the day it was saved). Other parameters are left as they are; a
    value is written only when it changed, so a run that changes nothing sends nothing."""
    wanted: dict[str, str | None] = {LANG_PARAM: lang()}
    if signed_in:
        wanted[AS_OF_PARAM] = None if as_of() == dt.date.today() else as_of().isoformat()
        wanted[SCOPE_PARAM] = st.session_state.get("scope") or None
    for name, value in wanted.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def view_url() -> str:
    """The full address of this view: the browser's URL (its page path) with every query parameter."""
    base = st.context.url or ""
    query = urlencode(st.query_params.to_dict())
    return f"{base}?{query}" if query else base


def copy_link() -> None:
    """A 'copy link' popover holding the view's address in a code block, whose own button copies it
    (the browser allows that on https and localhost; elsewhere the address is selected by hand)."""
    with st.popover(tr("link.copy"), icon=":material/link:", width="stretch"):
        st.caption(tr("link.copy_help"))
        st.code(view_url(), language=None, wrap_lines=True)


def show_notes() -> None:
    """The notices about the URL's bad parameters, once, at the top of the page."""
    for note in st.session_state.pop(NOTES_KEY, []):
        st.warning(note, icon=":material/link_off:")


def _note(text: str) -> None:
    st.session_state.setdefault(NOTES_KEY, []).append(text)


def _quote(value: str | None) -> str:
    text = value or ""
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def _years_from(day: dt.date, years: int) -> dt.date:
    """`day` moved by whole `years` (29 February becomes 28 February), as st.date_input counts them."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
