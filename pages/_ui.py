"""Drawing helpers shared by every page: store and rules access, sidebar filters, charts with
their data, empty states. Draws only; every figure comes from `kpi/`.
"""
from __future__ import annotations

import datetime as dt
import importlib
from functools import partial
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import auth, auth_accounts, config, org, store
from kpi.exports import to_csv_bytes, to_xlsx_bytes
from kpi.i18n import DEFAULT_LANGUAGE, TranslatedError, t
from kpi.rules import Rules, RulesError, load_rules
from kpi.textsafe import markdown_text, plotly_value
from pages import _session

PAGES_DIR = Path(__file__).resolve().parent

# (file, message key of its title, icon, section). A page appears once its file exists.
PAGES = (
    ("overview.py", "overview.page_title", ":material/dashboard:", "leadership"),
    ("funds.py", "funds.page_title", ":material/payments:", "leadership"),
    ("meetings.py", "meetings.page_title", ":material/groups:", "leadership"),
    ("ratings.py", "ratings.page_title", ":material/star:", "leadership"),
    ("indicators.py", "indicators.page_title", ":material/monitoring:", "leadership"),
    ("problems.py", "problems.page_title", ":material/report:", "leadership"),
    ("rectification.py", "rectification.page_title", ":material/task_alt:", "leadership"),
    ("coverage.py", "coverage.page_title", ":material/travel_explore:", "leadership"),
    ("unit_profile.py", "profile.page_title", ":material/account_tree:", "leadership"),
    ("briefing.py", "briefing.page_title", ":material/slideshow:", "leadership"),
    ("upload.py", "upload.page_title", ":material/upload_file:", "data"),
    ("history.py", "history.page_title", ":material/history:", "data"),
    ("accounts.py", "auth.accounts.page_title", ":material/manage_accounts:", "admin"),
    ("audit.py", "audit.page_title", ":material/policy:", "admin"),
)


def lang() -> str:
    """The UI language chosen in the sidebar ('zh' by default)."""
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def tr(key: str, **params: object) -> str:
    """`key` translated into the UI language, parameters as given: for sinks that show plain text
    (dataframes, st.text, selectbox / multiselect options, file names, Plotly — whose builders
    escape through kpi.charts.theme). For Markdown sinks use `tr_md`."""
    return t(key, lang(), **params)


def md(text: object) -> str:
    """`text` (a unit name, a file name — anything users typed, or a message composed from it) for a
    Markdown sink: st.title/header/subheader/markdown/caption, st.info/warning/error/success, st.toast,
    and the labels of buttons, metrics, expanders, tabs, checkboxes, radios and help tooltips. It shows
    as typed: no link, image, formatting, HTML, formula, icon or autolink (kpi.textsafe)."""
    return markdown_text(text)


def tr_md(key: str, **params: object) -> str:
    """`key` translated for a Markdown sink: every parameter is user text and escaped (`md`), the
    translation itself is not (it may hold intended Markdown such as **bold**)."""
    return t(key, lang(), **{name: md(value) for name, value in params.items()})


def refusal(error) -> str:
    """The message of a refusal for a Markdown sink. Refusals quote user values (cell text, unit codes,
    file and user names): a TranslatedError's parameters are escaped (`tr_md`); any other refusal with
    `message(lang)` (CellError, BriefingError…) is composed of plain sentences and escaped whole."""
    if isinstance(error, TranslatedError):
        return tr_md(f"{error.prefix}{error.key}", **error.params)
    return md(error.message(lang()))


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> store.Store:
    return store.open_store(path)


def get_store() -> store.Store:
    """The store for this server (one DuckDB connection, shared; a cursor per use)."""
    return _open_store(str(config.db_path()))


def cursor():
    """A fresh DuckDB cursor on the store."""
    return get_store().cursor()


@st.cache_resource(show_spinner=False)
def _rules_at(path: str, mtime: float) -> Rules:
    return load_rules(path)


def get_rules() -> Rules:
    """The validated rules; a bad rules file stops the page with the loader's message."""
    path = config.rules_path()
    try:
        return _rules_at(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except RulesError as exc:
        st.error(tr("common.rules_error_title"))
        st.error(refusal(exc))  # quotes the file's keys and values ('funds_min_ratio_pct' is no italics)
        st.stop()


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_call(module: str, name: str, db: str, version: int, args: tuple, kwargs: tuple):
    func = getattr(importlib.import_module(module), name)
    return func(_open_store(db).cursor(), *args, **dict(kwargs))


def compute(func, *args, **kwargs):
    """`func(cursor, *args, **kwargs)` cached until the store's data version changes."""
    db = str(config.db_path())
    version = store.data_version(cursor())
    return _cached_call(func.__module__, func.__name__, db, version, args, tuple(sorted(kwargs.items())))


def as_of() -> dt.date:
    """The as-of date chosen in the sidebar (today by default)."""
    return st.session_state.get("as_of") or dt.date.today()


def scope() -> str | None:
    """The root unit code of the chosen subtree, clamped to the signed-in account's subtree by
    kpi.auth.scoped_root (a root outside it stops the page); None for the whole store."""
    account = _session.current_account()
    if account is None:
        st.error(tr("auth.error.sign_in_first"))
        st.stop()
    try:
        return auth.scoped_root(account, st.session_state.get("scope") or None, cursor())
    except auth.AuthError as exc:
        st.error(refusal(exc))
        st.stop()


def require_role(page_file: str) -> auth.Account:
    """First line of every page: stop it unless the signed-in account's role may open it; returns
    the signed-in account."""
    return _session.require_role(page_file)


def log_export(target: str) -> None:
    """on_click of a download button: record in the audit log who exported `target`."""
    _session.log_export(target)


def scope_label() -> str:
    code = scope()
    if code is None:
        return tr("common.sidebar.whole_group")
    return org.unit_name(cursor(), code) or code


def subtitle() -> str:
    """'截至 2026-11-21 · 全集团': what every chart title says about its filters."""
    return tr("common.subtitle", as_of=as_of().isoformat(), scope=scope_label())


def sidebar() -> None:
    """The filters shared by every page; widget state lives in the entry point, so it is kept
    when switching pages."""
    from kpi import demo  # noqa: PLC0415  (demo is heavy; only the sidebar needs it)

    con = cursor()
    if store.is_empty(con) and store.meta_value(con, "demo_cleared") != "1":
        demo.load_demo(con, dt.date.today())
    if store.is_demo(con) and not auth_accounts.has_accounts(con):
        auth_accounts.create_demo_accounts(con, get_rules())
    account = _session.refresh_account()
    with st.sidebar:
        st.radio(t("common.sidebar.language"), ["zh", "en"], key="lang", horizontal=True,
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code])
        if account is None:
            return
        _session.note_rules_file()
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
            if auth.is_admin(account) and st.button(tr("common.demo.clear"), key="clear_demo"):
                demo.clear_demo(con)
                auth_accounts.delete_demo_accounts(con)
                _session.audit.record(con, account.username, "demo_cleared")
                st.cache_data.clear()
                st.session_state["scope"] = ""
                if account.demo:
                    _session.sign_out()
                st.toast(tr("common.demo.cleared"))
                st.rerun()


def navigation() -> st.navigation:
    """The page navigation, titles in the UI language; only pages whose file exists and the signed-in
    role may open (a page not listed cannot be opened by its URL). Signed out: only the login page."""
    account = _session.current_account()
    if account is None:
        login = st.Page("pages/login.py", title=tr("auth.login.page_title"), icon=":material/login:",
                        url_path="login", default=True)
        return st.navigation([login], position="hidden")
    sections: dict[str, list] = {}
    for file, title_key, icon, section in PAGES:
        if (PAGES_DIR / file).exists() and auth.may_open(account, file):
            page = st.Page(f"pages/{file}", title=tr(title_key), icon=icon,
                           default=file == "overview.py", url_path=file.removesuffix(".py"))
            sections.setdefault(tr(f"common.nav.section_{section}"), []).append(page)
    with st.sidebar:
        _session.account_box(account)
    # Every permitted page listed: a collapsed list hides pages behind Streamlit's untranslated "View N more".
    return st.navigation(sections, expanded=True)


def chart(fig: go.Figure, data: pd.DataFrame, key: str, unit_codes: list[str] | None = None,
          unit_customdata: int | None = None) -> None:
    """Draw `fig`, then a 'view data' expander with exactly the data behind it as CSV/XLSX.

    Given `unit_codes` (the unit of each point of the first trace, in drawing order) or
    `unit_customdata` (where each point's customdata holds its unit code), clicking a point opens
    that unit's profile."""
    if unit_codes is None and unit_customdata is None:
        st.plotly_chart(fig, width="stretch", key=f"chart_{key}")
    else:
        event = st.plotly_chart(fig, width="stretch", key=f"chart_{key}", on_select="rerun",
                                selection_mode="points")
        st.caption(tr("profile.drill.chart_hint"))
        open_profile_of(selected_unit(event, unit_codes, unit_customdata))
    data_table(data, key)


def data_table(data: pd.DataFrame, key: str, expanded: bool = False, unit_codes: list[str] | None = None) -> None:
    """The data behind a figure, viewable and downloadable (CSV with BOM, XLSX); with `unit_codes`
    (the unit of each row) selecting a row opens that unit's profile."""
    with st.expander(tr("common.view_data"), expanded=expanded):
        if unit_codes is None:
            st.dataframe(_first_rows(data), hide_index=True, width="stretch")
        else:
            unit_table(data, f"table_{key}", unit_codes)
        left, right = st.columns(2)
        # Files are built when clicked (a callable), not on every rerun: an XLSX of 40k rows takes seconds.
        left.download_button(tr("common.download_csv"), partial(to_csv_bytes, data), f"{key}.csv",
                             "text/csv", key=f"csv_{key}", on_click=log_export, args=(f"{key}.csv",))
        right.download_button(tr("common.download_xlsx"), partial(to_xlsx_bytes, data), f"{key}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key=f"xlsx_{key}", on_click=log_export, args=(f"{key}.xlsx",))


def empty_state(what_key: str, dataset: str) -> None:
    """Say which data is missing and which upload provides it."""
    st.info(tr("common.empty", what=tr(what_key), dataset=tr(f"common.dataset.{dataset}")),
            icon=":material/info:")


PROFILE_PAGE = "pages/unit_profile.py"


def selected_unit(event, unit_codes: list[str] | None = None, unit_customdata: int | None = None) -> str | None:
    """The unit picked in the selection `event` of st.dataframe (first selected row → unit_codes)
    or st.plotly_chart (first clicked point → its customdata[unit_customdata], else the
    unit_codes entry of its index on the first trace); None when nothing (usable) is selected.
    Chart customdata holds text escaped for Plotly (kpi.charts.theme.text): read back unescaped."""
    selection = (event or {}).get("selection") or {}
    rows = selection.get("rows") or []
    if rows:
        row = rows[0]
        return unit_codes[row] if unit_codes is not None and 0 <= row < len(unit_codes) else None
    for point in selection.get("points") or []:
        custom = point.get("customdata")
        if unit_customdata is not None and isinstance(custom, list) and len(custom) > unit_customdata:
            code = custom[unit_customdata]
            return plotly_value(code) if isinstance(code, str) else code
        index = point.get("point_index", point.get("point_number"))
        if unit_codes is not None and point.get("curve_number", 0) == 0 and index is not None \
                and 0 <= index < len(unit_codes):
            return unit_codes[index]
    return None


def open_profile_of(unit_code: str | None) -> None:
    """Switch to the unit profile page showing `unit_code` (nothing when None)."""
    if unit_code:
        st.session_state["profile_unit"] = unit_code
        # Counted so that the profile page can key its widgets per visit (see pages/unit_profile.py).
        st.session_state["profile_visit"] = st.session_state.get("profile_visit", 0) + 1
        st.switch_page(PROFILE_PAGE)


TABLE_ROWS = 1000  # rows sent to the browser per table; a large group's lists run to tens of thousands


def _first_rows(data: pd.DataFrame) -> pd.DataFrame:
    """At most TABLE_ROWS rows of `data` to draw, saying so when there are more (downloads keep all)."""
    if len(data) <= TABLE_ROWS:
        return data
    st.caption(tr("common.table_first_rows", shown=f"{TABLE_ROWS:,}", n=f"{len(data):,}"))
    return data.head(TABLE_ROWS)


def unit_table(data: pd.DataFrame, key: str, unit_codes: list[str] | None = None, unit_column: str = "unit_code",
               height: int | str = "auto") -> None:
    """A table of units (one row each in `unit_codes`, default the `unit_column` column) in which
    selecting a row opens that unit's profile."""
    codes = list(data[unit_column]) if unit_codes is None else list(unit_codes)
    event = st.dataframe(_first_rows(data), hide_index=True, width="stretch", height=height, key=key, on_select="rerun",
                         selection_mode="single-row")
    st.caption(tr("profile.drill.table_hint"))
    open_profile_of(selected_unit(event, codes))
