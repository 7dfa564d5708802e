"""The view in the URL through AppTest on the demo group: the subtree, as-of date and language a link
names are applied (signed in at once, or after signing in) and written back exactly when changed;
bad values are ignored with exact notices; a bound account cannot widen its scope by a link; other
query parameters are left alone."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.access import accounts
from kpi.demo.names import SECONDARY_UNITS
from kpi.i18n import t
from pages._ui import md
from tests.fixtures.apptest_helpers import signed_in

pytestmark = pytest.mark.slow
AS_OF = dt.date(2025, 11, 20)
APP = "../app.py"
NAMES = {f"G{i:02d}": full for i, (full, *_) in enumerate(SECONDARY_UNITS, start=1)}  # the demo's G01…


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_store):
    return demo_store(tmp_path_factory.mktemp("viewlink") / "demo.duckdb", AS_OF, with_accounts=True)


@pytest.fixture(scope="module")
def units(demo_db):
    """(a secondary unit outside analyst01's, analyst01's own unit, a tertiary unit inside it, a unit
    below the tertiary level) of the demo group."""
    s = store.open_store(demo_db)
    try:
        con = s.cursor()
        own = accounts.get_account(con, "analyst01").unit_code
        other = con.execute("SELECT min(unit_code) FROM units WHERE level = 2 AND unit_code <> ?", [own]).fetchone()[0]
        inside = con.execute("SELECT min(unit_code) FROM units WHERE level = 3 AND parent_code = ?",
                             [own]).fetchone()[0]
        deep = con.execute("SELECT min(unit_code) FROM units WHERE level = 4").fetchone()[0]
        return other, own, inside, deep
    finally:
        s.close()


@pytest.fixture
def opened(demo_db, monkeypatch):
    monkeypatch.setenv("DJ_DB", str(demo_db))

    def _open(username: str | None, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        if username is not None:
            at.session_state["auth_user"] = username
        at.query_params.update(params)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return _open


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning if w.value != t("common.demo.banner", "zh")
            and w.value != t("common.demo.banner", "en")]


def test_a_link_opens_its_subtree_date_and_language_and_writes_them_back(opened, units):
    other, *_ = units
    at = opened("admin", scope=other, as_of="2025-11-01", lang="en", view="present")
    assert at.session_state["scope"] == other
    assert at.session_state["as_of"] == dt.date(2025, 11, 1)
    assert at.session_state["lang"] == "en"
    assert _warnings(at) == []
    assert at.query_params == {"scope": other, "as_of": "2025-11-01", "lang": "en", "view": "present"}


def test_the_sidebar_view_is_written_to_the_url_and_other_parameters_kept(opened, demo_db, monkeypatch, units):
    # AppTest runs only the page after its first run (Streamlit's pages/ folder emulation), so the
    # sidebar's choices are given as session state, as the widgets leave them; the browser test
    # (tests/test_e2e_view_link.py) changes them through the widgets.
    other, *_ = units
    at = opened("admin", view="present")
    assert at.query_params == {"view": "present", "lang": "zh"}  # today: no date in the link
    monkeypatch.setenv("DJ_DB", str(demo_db))
    chosen = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"auth_user": "admin", "scope": other, "as_of": dt.date(2025, 10, 31), "lang": "en"}.items():
        chosen.session_state[key] = value
    chosen.query_params.update({"view": "present", "scope": "G01", "lang": "zh"})  # a link, then changes
    chosen.session_state["_view_read"] = True  # the link was read on an earlier run
    chosen.run()
    assert not chosen.exception, [e.value for e in chosen.exception]
    assert chosen.query_params == {"view": "present", "scope": other, "lang": "en", "as_of": "2025-10-31"}
    again = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"auth_user": "admin", "scope": "", "_view_read": True}.items():
        again.session_state[key] = value
    again.query_params.update({"view": "present", "scope": other, "lang": "en", "as_of": "2025-10-31"})
    again.run()
    assert again.query_params == {"view": "present", "lang": "zh"}


def test_bad_parameters_are_ignored_with_exact_notices(opened):
    at = opened("admin", scope="NO-SUCH-UNIT", as_of="2025-02-30", lang="fr")
    today = dt.date.today()
    low, high = today.replace(year=today.year - 10), today.replace(year=today.year + 10)
    assert _warnings(at) == [
        "链接中的语言“fr”无效（可用：zh、en），已忽略，使用中文。",
        f"链接中的截至日期“{md('2025-02-30')}”无效（应为 {low} 至 {high} 之间的日期，格式 YYYY-MM-DD），已忽略，"
        f"使用今天（{today}）。",
        f"链接中的单位编码“{md('NO-SUCH-UNIT')}”不存在，已忽略，显示您的全部数据范围。",
    ]
    assert at.session_state["scope"] == "" and at.session_state["as_of"] == today
    assert at.query_params == {"lang": "zh"}
    at.run()  # the notices are shown once
    assert _warnings(at) == []


def test_a_date_that_is_no_date_and_a_unit_below_the_subtree_levels(opened, units):
    *_, deep = units
    at = opened("admin", scope=deep, as_of="yesterday", lang="en")
    today = dt.date.today()
    low, high = today.replace(year=today.year - 10), today.replace(year=today.year + 10)
    assert _warnings(at) == [
        f"The link's as-of date “yesterday” is not valid (a date from {low} to {high}, written YYYY-MM-DD); "
        f"it was ignored and today ({today}) is used.",
        f"The link's unit “{md(deep)}” cannot be a unit scope (only down to tertiary units); it was ignored and "
        "your whole data scope is shown.",
    ]


def test_a_bound_account_cannot_open_a_scope_outside_its_subtree_by_a_link(opened, units):
    other, own, inside, _ = units
    at = opened("analyst01", scope=other)
    assert _warnings(at) == [f"单位“{other}”不在您的数据范围内。 链接中的这一项已忽略，显示您的全部数据范围。"]
    assert at.session_state["scope"] == ""
    assert "scope" not in at.query_params
    assert at.title[0].value == t("overview.page_title", "zh")
    inside_at = opened("analyst01", scope=inside)
    assert inside_at.session_state["scope"] == inside and _warnings(inside_at) == []
    own_at = opened("analyst01", scope=own)  # its own unit is its whole subtree: no parameter
    assert own_at.session_state["scope"] == "" and "scope" not in own_at.query_params


def test_a_leader_bound_to_a_unit_cannot_open_another_by_a_link(demo_db, monkeypatch, units):
    other, own, *_ = units
    monkeypatch.setenv("DJ_DB", str(demo_db))
    at = signed_in(AppTest.from_file(APP, default_timeout=90), "领导", own)
    at.query_params.update({"scope": other, "as_of": "2025-11-01"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _warnings(at) == [f"单位“{other}”不在您的数据范围内。 链接中的这一项已忽略，显示您的全部数据范围。"]
    assert at.session_state["scope"] == "" and at.session_state["as_of"] == dt.date(2025, 11, 1)
    assert at.query_params == {"as_of": "2025-11-01", "lang": "zh"}
    offered = [label.strip("\u3000") for label in at.selectbox(key="scope").options]
    assert NAMES[other] not in offered and offered[0] == NAMES[own]  # the sidebar offers only its subtree


def test_a_link_opened_signed_out_shows_the_sign_in_form_in_its_language_and_keeps_the_rest(opened, units):
    # After signing in the link's page, subtree and date open: tests/test_e2e_view_link.py (AppTest
    # runs only the page after its first run, not the entry point that applies them).
    other, *_ = units
    at = opened(None, scope=other, as_of="2025-11-01", lang="en")
    assert at.session_state["lang"] == "en"
    assert at.text_input(key="login_username").label == t("auth.login.username", "en")
    assert at.query_params == {"scope": other, "as_of": "2025-11-01", "lang": "en"}
