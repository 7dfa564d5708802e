"""账号管理 (administrators): the accounts the signed-in administrator manages (all of them, or only those
of its subtree when it is bound to a unit — kpi.access.roles), a new account (its unit chosen explicitly: no
default scope), changing or deleting one, and the rules file shown read-only with its path. Every
change is written to the audit log."""
import streamlit as st

from kpi import actions, config
from kpi.access import accounts, roles
from pages import _ui

me = _ui.require_role(__file__)

st.title(_ui.tr("auth.accounts.page_title"))
st.caption(_ui.tr("auth.accounts.intro"))
con, rules, lang = _ui.cursor(), _ui.get_rules(), _ui.lang()
flash = st.session_state.pop("accounts_flash", None)
if flash:
    st.success(flash)

if me.unit_code is not None:
    st.info(_ui.tr_md("auth.accounts.scope_note", root=roles.unit_name(con, me.unit_code)),
            icon=":material/account_tree:")
table = roles.visible_accounts(con, me, accounts.account_table(con))
# An unbound account's unit reads "whole store", and nothing missing reads "None".
shown = table.assign(role=[_ui.tr(f"auth.role.{r}") for r in table.role],
                     unit_name=table.unit_name.where(table.unit_code.notna(), _ui.tr("auth.accounts.whole_store")),
                     **{c: table[c].astype(object).where(table[c].notna(), "—")
                        for c in ("email", "unit_code", "last_login")})
_ui.data_table(shown.rename(columns={c: _ui.tr(f"auth.accounts.column.{c}") for c in shown.columns}),
               "accounts", expanded=True)

# Only the units this administrator may bind to (its subtree when bound), "whole store" only when unbound.
units = roles.bindable_units(con, me)
unit_options = roles.account_unit_options(con, me)
unit_labels = {roles.NO_CHOICE: _ui.tr("auth.accounts.unit_placeholder"),
               roles.WHOLE_STORE: _ui.tr("auth.accounts.whole_store"),
               **{c: "\u3000" * (int(lv) - 1) + _ui.unit_with_code(n, c)
                  for c, n, lv in zip(units.unit_code, units.unit_name, units.level)}}
role_labels = {r: _ui.tr(f"auth.role.{r}") for r in roles.ROLES}


def _done(message: str) -> None:
    st.session_state["accounts_flash"] = message
    st.rerun()


with st.expander(_ui.tr("auth.accounts.create"), icon=":material/person_add:"):
    with st.form("accounts_new", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(_ui.tr("auth.login.username"), key="acc_new_username")
        display_name = c2.text_input(_ui.tr("auth.setup.display_name"), key="acc_new_display")
        email = c3.text_input(_ui.tr("auth.accounts.email"), key="acc_new_email")
        c1, c2, c3 = st.columns(3)
        role = c1.selectbox(_ui.tr("auth.accounts.role"), roles.ROLES, format_func=role_labels.get, key="acc_new_role")
        unit = c2.selectbox(_ui.tr("auth.accounts.unit"), [roles.NO_CHOICE, *unit_options],
                            format_func=unit_labels.get, key="acc_new_unit")
        password = c3.text_input(_ui.tr("auth.login.password"), type="password", key="acc_new_password")
        created = st.form_submit_button(_ui.tr("auth.accounts.save"), type="primary")
    if created:
        try:
            account = actions.create_account(con, rules, me, username, password, role, roles.chosen_unit(unit),
                                             display_name, email)
        except roles.AuthError as exc:
            st.error(_ui.refusal(exc))
        else:
            _done(_ui.tr_md("auth.accounts.created", username=account.username))

if not table.empty:
    st.subheader(_ui.tr("auth.accounts.edit"))
    chosen = st.selectbox(_ui.tr("auth.accounts.choose"), list(table.username), key="acc_edit_user")
    current = accounts.get_account(con, chosen)
    with st.form(f"accounts_edit_{chosen}"):
        c1, c2, c3 = st.columns(3)
        display_name = c1.text_input(_ui.tr("auth.setup.display_name"), current.display_name)
        email = c2.text_input(_ui.tr("auth.accounts.email"), current.email or "")
        new_password = c3.text_input(_ui.tr("auth.accounts.new_password"), type="password")
        c1, c2, c3 = st.columns(3)
        role = c1.selectbox(_ui.tr("auth.accounts.role"), roles.ROLES, index=roles.ROLES.index(current.role),
                            format_func=role_labels.get)
        # The account's own unit is always offered and preselected (a branch below level 3 too), so saving
        # another field never moves the account.
        current_unit = roles.WHOLE_STORE if current.unit_code is None else current.unit_code
        edit_options = unit_options if current_unit in unit_options else [current_unit, *unit_options]
        # Labels are resolved now: AppTest calls format_func outside the script run.
        edit_labels = {c: unit_labels.get(c) or _ui.unit_with_code(roles.unit_name(con, c), c) for c in edit_options}
        unit = c2.selectbox(_ui.tr("auth.accounts.unit"), edit_options, index=edit_options.index(current_unit),
                            format_func=edit_labels.get)
        disabled = c3.checkbox(_ui.tr("auth.accounts.disabled"), current.disabled)
        saved = st.form_submit_button(_ui.tr("auth.accounts.save"), type="primary")
    if saved:
        try:
            changed = actions.update_account(con, rules, me, chosen, role=role, unit_code=roles.chosen_unit(unit),
                                             display_name=display_name, email=email, disabled=disabled,
                                             new_password=new_password or None)
        except roles.AuthError as exc:
            st.error(_ui.refusal(exc))
        else:
            if not changed:
                st.info(_ui.tr("auth.accounts.nothing_changed"))
            else:
                _done(_ui.tr_md("auth.accounts.saved", username=chosen, fields="、".join(changed)))
    if chosen != me.username and st.button(_ui.tr("auth.accounts.delete"), key="acc_delete"):
        try:
            actions.delete_account(con, me, chosen)
        except roles.AuthError as exc:
            st.error(_ui.refusal(exc))
        else:
            _done(_ui.tr_md("auth.accounts.deleted", username=chosen))

st.subheader(_ui.tr("auth.accounts.rules_title"))
path = config.rules_path()
st.caption(_ui.tr("auth.accounts.rules_caption", path=str(path)))
st.code(path.read_text(encoding="utf-8") if path.exists() else "", language="toml")
