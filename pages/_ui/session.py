"""The signed-in session: who is signed in, idle expiry, sign-in / sign-out, single sign-on, and the
audit entries the UI writes (exports are recorded from the download buttons' on_click callback).

The session keeps only the user name and the time of the last run; the account itself is read
from the store on every run, so an account disabled or deleted by an administrator is signed out
at its next click. Session state lives on the server: a browser cannot set it.
"""
from __future__ import annotations

import time
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from kpi import actions, config, org
from kpi.access import accounts, roles
from pages._ui.context import ACCOUNT_KEY, current_account, cursor, get_rules, tr, tr_md
from pages._ui.sitemap import may_open

USER_KEY, SEEN_KEY, NOTICE_KEY = "auth_user", "auth_seen", "auth_notice"


def refresh_account() -> roles.Account | None:
    """Re-read the session's account from the store at the start of a run; sign it out when it was
    idle longer than the rules allow, or was disabled or deleted meanwhile."""
    username = st.session_state.get(USER_KEY)
    st.session_state.pop(ACCOUNT_KEY, None)
    if not username:
        return None
    rules, con, now = get_rules(), cursor(), time.time()
    if now - st.session_state.get(SEEN_KEY, now) > rules.session_idle_hours * 3600:
        actions.session_expired(con, username)
        sign_out(notice=("auth.error.session_expired", {"hours": f"{rules.session_idle_hours:g}"}))
        return None
    account = accounts.active_account(con, username)
    if account is None:
        sign_out()
        return None
    st.session_state[SEEN_KEY] = now
    st.session_state[ACCOUNT_KEY] = account
    return account


def start_session(account: roles.Account) -> None:
    """Start a session for `account`, whose sign-in kpi.actions has already recorded."""
    st.session_state[USER_KEY] = account.username
    st.session_state[SEEN_KEY] = time.time()
    st.session_state[ACCOUNT_KEY] = account


def sign_in(account: roles.Account, how: str = "password") -> None:
    """Start a session for `account` (already authenticated: single sign-on, the setup form) and record it."""
    start_session(account)
    actions.signed_in(cursor(), account, how)


def sign_out(notice: tuple[str, dict] | None = None) -> None:
    """End the session (and the single sign-on cookie, when there is one)."""
    for key in (USER_KEY, SEEN_KEY, ACCOUNT_KEY, "scope"):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def pop_notice() -> str | None:
    """A message left for the login page (e.g. 'session expired'), once."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    return tr(notice[0], **notice[1]) if notice else None


def sso_configured() -> bool:
    """True when secrets.toml has an [auth] section (OIDC single sign-on through st.login)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001  (no secrets file at all is the usual case)
        return False


def sso_email() -> str | None:
    """The e-mail of the single sign-on identity of this browser, when signed in through OIDC."""
    if not sso_configured() or not st.user.get("is_logged_in", False):
        return None
    return st.user.get("email")


def role_label(role: str) -> str:
    return tr(f"auth.role.{role}")


def require_role(page_file: str) -> roles.Account:
    """Stop the page (with a message) unless the signed-in account's role may open `page_file`.

    Re-reads the account itself: a page can run without the entry point (Streamlit's pages/
    folder emulation on a server's first request, and AppTest after its first run)."""
    account = refresh_account()
    if account is None:
        run_entry_point_instead()
        st.error(tr("auth.error.sign_in_first"))
        st.stop()
    if not may_open(account, Path(page_file).name):
        st.error(tr("auth.error.page_forbidden", role=role_label(account.role)))
        st.stop()
    return account


def run_entry_point_instead() -> None:
    """Rerun as the entry point a run made under Streamlit's emulation of an app with a pages/ folder,
    which lasts until the entry point's st.navigation first runs in the process: the server's first
    request — a tab reconnecting to a restarted server, a link — runs a page's URL alone, with no
    sign-in form, and the entry point itself as a page whose widgets are not those of the next runs
    (a language from the URL would be lost). The entry point's navigation shows the form, and the page
    the URL asked for opens after signing in (pages/_ui/viewlink.py)."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what the entry point's st.navigation sets anyway
        st.rerun()


def account_box(account: roles.Account) -> None:
    """The sidebar's account line, data scope and sign-out button."""
    con = cursor()
    st.caption(tr_md("auth.sidebar.signed_in", name=account.label, role=role_label(account.role)))
    unit = org.unit_name(con, account.unit_code) or tr("auth.sidebar.whole_store")
    st.caption(tr_md("auth.sidebar.scope", unit=unit))
    if st.button(tr("auth.sidebar.logout"), key="auth_logout", icon=":material/logout:"):
        actions.sign_out(con, account)
        sign_out()
        if sso_email() is not None:
            st.logout()
        st.rerun()


def log_export(target: str) -> None:
    """on_click of every download button: record who exported what."""
    account = current_account()
    actions.record_export(cursor(), account.username if account else None, target)


def note_rules_file() -> None:
    """Record a change of the rules file (seen by content hash) in the audit log."""
    account = current_account()
    actions.note_rules_file(cursor(), Path(config.rules_path()), account.username if account else None)


def client_address() -> str | None:
    """The IP address of this browser's connection, the per-client key of the sign-in rate limit;
    None when there is none to trust as text (localhost, AppTest's stand-in context)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else None
