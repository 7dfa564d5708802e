"""Roles × pages through AppTest on the demo group: what each role sees or is refused, the data
scope of a bound account (its figures equal an unscoped computation over its subtree), injection
strings in the inputs, and the sign-in page (first administrator, throttling, exact messages)."""
from __future__ import annotations

import datetime as dt
import math
import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.access import accounts, audit, roles
from kpi.access.roles import ADMIN, ANALYST, LEADER
from kpi.display import overview as overview_text
from kpi.i18n import t
from kpi.metrics import overview
from pages._ui import PAGE_ROLES, PAGES, PAGES_DIR, md
from tests.fixtures.apptest_helpers import chart_spec, signed_in

pytestmark = pytest.mark.slow
AS_OF = dt.date(2025, 11, 20)
APP = "../app.py"
PAGE_FILES = [(file, key) for file, key, *_ in PAGES if (PAGES_DIR / file).exists()]
ROLES = (LEADER, ANALYST, ADMIN)
INJECTIONS = ("' OR 1=1 --", "x'); DROP TABLE problems; --", '" OR ""="', "%", "\\")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_store):
    return demo_store(tmp_path_factory.mktemp("roles") / "demo.duckdb", AS_OF, with_accounts=True)


@pytest.fixture
def app(demo_db, monkeypatch):
    monkeypatch.setenv("DJ_DB", str(demo_db))

    def _open(role: str | None = ADMIN, username: str | None = None, **state) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        if role is not None:
            signed_in(at, role, username=username)
        at.session_state["as_of"] = AS_OF
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return _open


def _refusal(role: str) -> str:
    return t("auth.error.page_forbidden", "zh", role=role)


# The accounts that walk the site, one per kind of reader: the demo's accounts (administrator bound to
# nothing; leader and analyst bound to the group's root; analyst01 bound to the second-level unit G01).
# The last field: the first unit the sidebar offers (the account's own; 全集团 when bound to nothing).
WALKERS = (("admin", ADMIN, "全集团"), ("leader", LEADER, "示范能源集团"), ("analyst", ANALYST, "示范能源集团"),
           ("analyst01", ANALYST, "示范电力有限公司"))


@pytest.mark.parametrize(("username", "role", "unit_name"), WALKERS, ids=[w[0] for w in WALKERS])
def test_each_role_walks_every_page_of_its_navigation(demo_db, monkeypatch, username, role, unit_name):
    """One signed-in session per account opens every page its navigation lists, in order: no exception,
    the page's exact title, no refusal; the sidebar's scope starts at the account's own unit. Every page
    outside its role is absent from the navigation and refuses, with the exact message, when run alone."""
    monkeypatch.setenv("DJ_DB", str(demo_db))
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["auth_user"] = username
    at.session_state["as_of"] = AS_OF
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    listed = sorted(info["script_path"].rsplit("/", 1)[1] for info in at._registered_pages.values())
    allowed = [(file, key) for file, key in PAGE_FILES if role in PAGE_ROLES[file]]
    assert listed == sorted(file for file, _ in allowed)
    # The sidebar's unit choice starts at the account's own unit (the whole group for unbound ones).
    assert at.selectbox(key="scope").options[0] == unit_name

    # Checked on the landing page's navigation, before the walk (switch_page reads the last run's).
    for file, _ in PAGE_FILES:
        if role in PAGE_ROLES[file]:
            continue
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{file}")
        # The page itself refuses too, whatever way it is run.
        direct = AppTest.from_file(f"../pages/{file}", default_timeout=90)
        direct.session_state["auth_user"] = username
        direct.run()
        assert [e.value for e in direct.error] == [_refusal(role)], file
        assert len(direct.title) == 0 and len(direct.metric) == 0 and len(direct.dataframe) == 0, file

    for file, title_key in allowed:
        at.switch_page(f"pages/{file}").run()
        assert not at.exception, (file, [e.value for e in at.exception])
        assert at.title[0].value == t(title_key, "zh"), file
        assert _refusal(role) not in [e.value for e in at.error], file



def test_page_run_without_a_session_asks_to_sign_in(demo_db, monkeypatch):
    monkeypatch.setenv("DJ_DB", str(demo_db))
    at = AppTest.from_file("../pages/overview.py", default_timeout=90)
    at.run()
    assert [e.value for e in at.error] == ["请先登录。"]
    assert len(at.metric) == 0


def test_bound_account_sees_exactly_the_figures_of_its_subtree(app, demo_db, rules):
    at = app(ANALYST, username="analyst01")
    assert at.title[0].value == t("overview.page_title", "zh")
    s = store.open_store(demo_db)
    try:
        con = s.cursor()
        unit = accounts.get_account(con, "analyst01").unit_code
        expected = [overview_text.card_texts(c, rules, "zh")["value"]
                    for c in overview.headline_cards(con, rules, AS_OF, unit)]
        whole = [overview_text.card_texts(c, rules, "zh")["value"]
                 for c in overview.headline_cards(con, rules, AS_OF, None)]
        name = roles.unit_name(con, unit)
    finally:
        s.close()
    assert [m.value for m in at.metric] == expected
    assert expected != whole
    assert name in at.caption[0].value
    # The sidebar offers only the subtree: its own unit first, then units below it.
    options = at.selectbox(key="scope").options
    assert options[0] == name and len(options) > 1


def _page_alone(file: str, username: str, **state) -> AppTest:
    """The page run without the entry point (as on a server's first request): no sidebar to reset a
    session's scope, so only kpi.access.roles.scoped_root stands between the session value and the data."""
    at = AppTest.from_file(f"../pages/{file}", default_timeout=90)
    signed_in(at, ADMIN, username=username)
    at.session_state["as_of"] = AS_OF
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_bound_account_asking_for_a_unit_outside_is_refused(app):
    at = app(ANALYST, username="analyst01", scope="G02")
    assert at.session_state["scope"] == ""  # the sidebar offers no such unit and resets the choice
    refused = _page_alone("funds.py", "analyst01", scope="G02")
    assert not refused.exception
    assert [e.value for e in refused.error] == ["单位“G02”不在您的数据范围内。"]
    assert len(refused.metric) == 0


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_problem_search_and_unit_scope(app, demo_db, text):
    s = store.open_store(demo_db)
    before = store.table_checksums(s.cursor())
    s.close()
    at = app(ADMIN)
    at.switch_page("pages/problems.py").run()
    at.text_input(key="pl_text").set_value(text).run()
    assert not at.exception
    assert at.metric[0].value == "0"
    assert at.info[0].value == t("problems.no_match", "zh")
    unscoped = _page_alone("problems.py", "admin", scope=text)  # an unbound account gets what it asks for
    assert not unscoped.exception
    assert len(unscoped.metric) == 0 and len(unscoped.info) == 1  # nothing matches: the empty state
    bound = _page_alone("problems.py", "analyst01", scope=text)
    # The refusal quotes the typed scope as text (escaped for Markdown: tests/test_user_text.py).
    assert [e.value for e in bound.error] == [f"单位“{md(text)}”不在您的数据范围内。"]
    s = store.open_store(demo_db)
    after = store.table_checksums(s.cursor())
    s.close()
    assert {k: v for k, v in after.items() if k not in ("accounts", "audit_log", "login_attempts", "meta")} == \
        {k: v for k, v in before.items() if k not in ("accounts", "audit_log", "login_attempts", "meta")}


def test_leader_reads_problems_without_the_editor(app):
    leader = app(LEADER)
    leader.switch_page("pages/problems.py").run()
    assert not leader.exception
    assert not [f for f in leader.get("form") if f.proto.form.form_id.startswith("pe_form_")]
    analyst = app(ANALYST)
    analyst.switch_page("pages/problems.py").run()
    assert [f for f in analyst.get("form") if f.proto.form.form_id.startswith("pe_form_")]


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").set_value(username)
    at.text_input(key="login_password").set_value(password)
    return at.button[0].click().run()


def test_sign_in_page_throttles_and_logs(app, demo_db):
    at = app(None)
    assert at.title[0].value == "登录"
    assert len(at.metric) == 0 and len(at.get("plotly_chart")) == 0
    errors = [_sign_in(at, "leader", "wrong").error[0].value for _ in range(5)]
    assert errors == ["用户名或密码错误。"] * 4 + ["登录失败次数过多，账号“leader”已锁定，请 15 分钟后再试。"]
    assert _sign_in(at, "leader", "leader-demo").error[0].value == \
        "登录失败次数过多，账号“leader”已锁定，请 15 分钟后再试。"
    for text in INJECTIONS:
        assert _sign_in(at, text, text).error[0].value == "用户名或密码错误。"
    s = store.open_store(demo_db)
    con = s.cursor()
    failed = audit.entries(con, "leader", ("sign_in_failed",))
    con.execute("DELETE FROM login_attempts")
    s.close()
    assert list(failed.detail) == ["locked"] * 2 + ["bad_credentials"] * 4


def test_demo_admin_signs_in_and_lands_on_the_overview(app, demo_db):
    at = _sign_in(app(None), "admin", "admin-demo")
    assert not at.exception
    assert at.title[0].value == t("overview.page_title", "zh")
    s = store.open_store(demo_db)
    assert audit.entries(s.cursor(), "admin", ("sign_in",)).detail.tolist()[0] == "password"
    s.close()


def test_first_launch_asks_for_the_administrator_once(tmp_path, monkeypatch, capsys):
    path = tmp_path / "empty.duckdb"
    s = store.open_store(path)
    store.set_meta(s.cursor(), "demo_cleared", "1")
    s.close()
    monkeypatch.setenv("DJ_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert at.title[0].value == "创建管理员账号"
    # The one-time setup token, printed to the server's log (tests/test_first_admin.py: never without it).
    # Found by its own line: other lines (e.g. Streamlit's warnings) may come before it in the log.
    tokens = re.findall(r"创建第一个管理员的一次性设置令牌：(\S+)", capsys.readouterr().err)
    assert len(tokens) == 1
    token = tokens[0]
    at.text_input(key="setup_token").set_value(token)
    at.text_input(key="setup_username").set_value("chief")
    at.text_input(key="setup_password").set_value("chief-pass-1")
    at.text_input(key="setup_confirm").set_value("chief-pass-2")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["两次输入的密码不一致。"]
    at.text_input(key="setup_password").set_value("chief-pass-1")
    at.text_input(key="setup_confirm").set_value("chief-pass-1")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == t("overview.page_title", "zh")
    s = store.open_store(path)
    con = s.cursor()
    account = accounts.get_account(con, "chief")
    actions = audit.entries(con).action.tolist()
    s.close()
    assert (account.role, account.unit_code) == (ADMIN, None)
    assert actions == ["sign_in", "admin_created", "sign_in_failed"]
    again = AppTest.from_file(APP, default_timeout=90)
    again.run()
    assert again.title[0].value == "登录"


def test_idle_session_expires_after_the_rules_hours(app, demo_db, rules):
    at = AppTest.from_file(APP, default_timeout=90)
    signed_in(at, LEADER, username="leader")
    at.session_state["auth_seen"] = time.time() - rules.session_idle_hours * 3600 - 60
    at.run()
    assert at.title[0].value == "登录"
    assert [w.value for w in at.warning] == ["会话已超过 8 小时未操作，已自动退出，请重新登录。"]
    assert len(at.metric) == 0
    fresh = AppTest.from_file(APP, default_timeout=90)
    signed_in(fresh, LEADER, username="leader")
    fresh.session_state["auth_seen"] = time.time() - rules.session_idle_hours * 3600 + 60
    fresh.run()
    assert fresh.title[0].value == t("overview.page_title", "zh")
    s = store.open_store(demo_db)
    assert audit.entries(s.cursor(), "leader", ("session_expired",)).shape[0] == 1
    s.close()


FIGURE_PAGES = ["overview.py", "funds.py", "meetings.py", "ratings.py", "indicators.py", "problems.py",
                "rectification.py", "coverage.py", "unit_profile.py", "briefing.py"]


def _without_nan(value):
    """`value` with every float NaN as None, so two equal figures compare equal (NaN != NaN)."""
    if isinstance(value, dict):
        return {k: _without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nan(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _everything_shown(at: AppTest) -> dict:
    """Every figure a page shows: metrics, charts (decoded plotly specs) and tables."""
    return _without_nan({"metrics": [(m.label, m.value, m.delta) for m in at.metric],
                         "charts": [chart_spec(c) for c in at.get("plotly_chart")],
                         "tables": [d.value.to_dict("list") for d in at.dataframe]})


@pytest.mark.parametrize("file", FIGURE_PAGES)
def test_bound_account_page_equals_the_unbound_view_of_its_subtree(demo_db, monkeypatch, file):
    # analyst01 is bound to G01 and picks nothing; the administrator, bound to nothing, picks G01:
    # every metric, chart and table of every figure page must be the same.
    monkeypatch.setenv("DJ_DB", str(demo_db))
    shown = []
    for username, scope in (("analyst01", ""), ("admin", "G01"), ("admin", "")):
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["auth_user"] = username
        at.session_state["as_of"] = AS_OF
        at.session_state["scope"] = scope
        at.switch_page(f"pages/{file}").run()
        assert not at.exception, [e.value for e in at.exception]
        shown.append(_everything_shown(at))
    bound, unbound, whole_group = shown
    assert bound["charts"] or bound["metrics"] or bound["tables"], "the page showed nothing to compare"
    assert bound == unbound
    # The comparison is not vacuous: the figures are G01's (titles name it), not the whole group's.
    assert all("示范电力有限公司" in c["layout"]["title"]["text"] for c in bound["charts"])
    assert bound != whole_group
