"""The Streamlit helpers the pages and the entry point draw with, one concern per module, imported
one way only (a module imports only those above it in this list):

- sitemap: the pages, their titles and sections, and the roles that may open each;
- context: language and translations, store and cursor, rules, cached computations, as-of date,
  the signed-in account and the chosen subtree;
- session: sign-in / sign-out, idle expiry, single sign-on, role checks of a page, audit of the UI;
- viewlink: the view in the URL (page, subtree, as-of date, language), its checks and the copy-link box;
- widgets: charts with their data, unit tables that open a profile, downloads, empty states;
- frame: start-up of a new store, the sidebar, the navigation and the frame of every page (for app.py),
  and whether the page is shown in the presentation view.

Pages write `from pages import _ui` and call `_ui.tr(...)`, `_ui.chart(...)`: the names below.
Streamlit lists no page from this folder: the navigation is built by `frame.navigation` only.
"""
from pages._ui.context import (
    ACCOUNT_KEY,
    as_of,
    compute,
    current_account,
    cursor,
    get_rules,
    get_store,
    keep_language,
    lang,
    md,
    refusal,
    scope,
    scope_label,
    store_outage,
    subtitle,
    tr,
    tr_md,
)
from pages._ui.frame import bootstrap, navigation, page_frame, presentation_mode, sidebar
from pages._ui.session import (
    account_box,
    client_address,
    log_export,
    note_rules_file,
    pop_notice,
    refresh_account,
    require_role,
    role_label,
    sign_in,
    sign_out,
    sso_configured,
    sso_email,
    start_session,
)
from pages._ui.sitemap import PAGE_ROLES, PAGES, PAGES_DIR, may_open
from pages._ui.widgets import (
    PROFILE_PAGE,
    TABLE_ROWS,
    chart,
    data_table,
    empty_state,
    file_uploader,
    multiselect,
    open_profile_of,
    selected_unit,
    table,
    unit_table,
    unit_with_code,
    widget_texts,
)

__all__ = [
    "ACCOUNT_KEY", "PAGES", "PAGES_DIR", "PAGE_ROLES", "PROFILE_PAGE", "TABLE_ROWS", "account_box", "as_of",
    "bootstrap", "chart", "client_address", "compute", "current_account", "cursor", "data_table", "empty_state",
    "file_uploader", "get_rules", "get_store", "keep_language", "lang", "log_export", "may_open", "md",
    "multiselect", "navigation",
    "note_rules_file", "open_profile_of", "page_frame", "pop_notice", "presentation_mode",
    "refresh_account", "refusal", "require_role", "role_label", "scope",
    "scope_label", "selected_unit", "sidebar", "store_outage", "sign_in", "sign_out", "sso_configured", "sso_email",
    "start_session", "subtitle", "table", "tr", "tr_md", "unit_table", "unit_with_code", "widget_texts",
]
