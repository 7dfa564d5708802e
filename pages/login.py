"""登录: the only page before signing in — the one-time 'create administrator' form on a store without
accounts, else the sign-in form (and single sign-on when configured). Shows no data."""
import sys

import streamlit as st

from kpi import actions
from kpi.access import accounts, roles
from kpi.i18n import LANGUAGES, t
from pages import _ui

con, rules = _ui.cursor(), _ui.get_rules()
if _ui.refresh_account() is not None:  # signed in: this page is not in the navigation any more
    st.switch_page("pages/overview.py")
notice = _ui.pop_notice()
if notice:
    st.warning(notice, icon=":material/timer_off:")

if not accounts.has_accounts(con):
    token = accounts.ensure_setup_token(con)
    if token is not None:  # to the server's log (stderr) only, once per server process
        for language in LANGUAGES:
            print(t("auth.setup.log_token", language, token=token), file=sys.stderr, flush=True)
    st.title(_ui.tr("auth.setup.title"))
    st.info(_ui.tr("auth.setup.intro"), icon=":material/admin_panel_settings:")
    with st.form("auth_setup"):
        setup_token = st.text_input(_ui.tr("auth.setup.token"), type="password", key="setup_token")
        username = st.text_input(_ui.tr("auth.login.username"), key="setup_username")
        display_name = st.text_input(_ui.tr("auth.setup.display_name"), key="setup_display_name")
        password = st.text_input(_ui.tr("auth.login.password"), type="password", key="setup_password")
        confirm = st.text_input(_ui.tr("auth.setup.confirm"), type="password", key="setup_confirm")
        submitted = st.form_submit_button(_ui.tr("auth.setup.submit"), type="primary")
    if submitted:
        try:
            account = actions.create_first_admin(con, rules, setup_token, username, password, confirm,
                                                 display_name)
        except roles.AuthError as exc:
            st.error(_ui.refusal(exc))
        else:
            _ui.sign_in(account, "setup")
            st.rerun()
    st.stop()

st.title(_ui.tr("auth.login.page_title"))
email = _ui.sso_email()
if email is not None:
    account = accounts.account_by_email(con, email)
    if account is not None and not account.disabled:
        _ui.sign_in(account, "sso")
        st.rerun()
    actions.sso_refused(con, email)
    st.error(_ui.tr_md("auth.error.sso_no_account", email=email))
    if st.button(_ui.tr("auth.login.sso_logout"), key="auth_sso_logout"):
        st.logout()
    st.stop()

st.caption(_ui.tr("auth.login.intro"))
with st.form("auth_login"):
    username = st.text_input(_ui.tr("auth.login.username"), key="login_username")
    password = st.text_input(_ui.tr("auth.login.password"), type="password", key="login_password")
    submitted = st.form_submit_button(_ui.tr("auth.login.submit"), type="primary")
if submitted:
    try:
        account = actions.sign_in(con, rules, username, password, client=_ui.client_address())
    except accounts.SignInRefused as exc:  # the audit keeps the true reason; the page shows the message
        st.error(_ui.refusal(exc))
    else:
        _ui.start_session(account)
        st.rerun()
if _ui.sso_configured():
    if st.button(_ui.tr("auth.login.sso"), key="auth_sso"):
        st.login()
if accounts.get_account(con, "admin") is not None and accounts.get_account(con, "admin").demo:
    st.caption(_ui.tr("auth.login.demo_hint"))
