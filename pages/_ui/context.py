"""What every page run works with: the UI language and its translations, the store and a cursor on
it, the validated rules, cached computations, the as-of date, the signed-in account and the subtree
chosen in the sidebar. The first of the UI modules: it imports none of the others.
"""
from __future__ import annotations

import datetime as dt
import importlib
from contextlib import contextmanager

import duckdb
import streamlit as st

from kpi import cli, config, org, store
from kpi.access import roles
from kpi.cli import handoff
from kpi.display.textsafe import markdown_text
from kpi.i18n import DEFAULT_LANGUAGE, TranslatedError, t
from kpi.rules import Rules, RulesError, load_rules
from kpi.store import lake
from kpi.store.unavailable import page_refusal

# The session-state key of the account signed in for this run (set by session.refresh_account).
ACCOUNT_KEY = "_auth_account"


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
    as typed: no link, image, formatting, HTML, formula, icon or autolink (kpi.display.textsafe)."""
    return markdown_text(text)


def tr_md(key: str, **params: object) -> str:
    """`key` translated for a Markdown sink: every parameter is user text and escaped (`md`), the
    translation itself is not (it may hold intended Markdown such as **bold**)."""
    return t(key, lang(), **{name: md(value) for name, value in params.items()})


def refusal(error) -> str:
    """The message of a refusal for a Markdown sink. Refusals quote user values (cell text, unit codes,
    file and user names): a TranslatedError's parameters are escaped (`tr_md`); a composed one
    (RulesError, UnitsInUse) and a CellError are made of plain sentences and escaped whole."""
    if isinstance(error, TranslatedError) and not error.composed:
        return tr_md(error.message_key, **error.params)
    return md(error.message(lang()))


@st.cache_resource(show_spinner=False)
def _open_store(spec: str) -> store.Store:
    opened = store.open_store(config.store_location(spec))
    if opened.kind == "file":
        # From now on this process holds the file's lock: it takes over `python -m kpi` jobs on it.
        # (A lake has no lock: the command line opens it beside any number of servers.)
        handoff.serve(opened, cli.main)
    return opened


def get_store() -> store.Store:
    """The store for this server (one DuckDB connection, shared; a cursor per use). A store that cannot
    be opened (held by another program, read-only, not a DuckDB file, too new) stops the page with one
    message saying what to do; a failure is not cached, so the next run tries again."""
    path = config.db_path()
    try:
        return _open_store(str(path))
    except store.StoreError as exc:
        st.error(refusal(exc))
    except duckdb.Error as exc:
        refused = page_refusal(exc, path)
        if refused is None:
            raise
        st.error(refusal(refused))
    st.stop()


def keep_language() -> None:
    """At the start of every run: the language chosen in the sidebar survives a run that stops before the
    sidebar draws its radio (a store that cannot be opened, a lake's catalog lost) — Streamlit forgets
    the value of a widget that a run did not draw, and the next page would be in Chinese again. Setting
    the key keeps it as the session's own value, which the radio takes up when it is drawn again."""
    if "lang" in st.session_state:
        st.session_state["lang"] = st.session_state["lang"]


@contextmanager
def store_outage():
    """Around a whole page run: a DuckLake whose catalog stopped answering mid-run (PostgreSQL stopped,
    the network cut) stops the page with one message instead of Streamlit's English error page; the
    next click tries again (DuckDB's postgres extension connects again once the catalog is back)."""
    try:
        yield
    except duckdb.Error as exc:
        spec = str(config.db_path())
        if not (config.is_lake(spec) and lake.catalog_lost(exc)):
            raise
        st.error(refusal(lake.catalog_lost_refusal(spec)))
        st.stop()


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
    kpi.access.roles.scoped_root (a root outside it stops the page); None for the whole store."""
    account = current_account()
    if account is None:
        st.error(tr("auth.error.sign_in_first"))
        st.stop()
    try:
        return roles.scoped_root(account, st.session_state.get("scope") or None, cursor())
    except roles.AuthError as exc:
        st.error(refusal(exc))
        st.stop()


def current_account() -> roles.Account | None:
    """The account signed in for this run (set by `session.refresh_account`), or None."""
    return st.session_state.get(ACCOUNT_KEY)


def scope_label() -> str:
    code = scope()
    if code is None:
        return tr("common.sidebar.whole_group")
    return org.unit_name(cursor(), code) or code


def subtitle() -> str:
    """'截至 2026-11-21 · 全集团': what every chart title says about its filters."""
    return tr("common.subtitle", as_of=as_of().isoformat(), scope=scope_label())
