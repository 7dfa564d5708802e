"""账号管理, 审计日志 and 上传历史 in AppTest for an administrator bound to a unit (issue 12 item 4): it
lists, offers and reads only its subtree's accounts, units, audit entries and batches; the new-account
form has no default scope, for the unbound administrator too."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.access import accounts, audit
from kpi.access.roles import ADMIN, ANALYST
from kpi.importing.commit import commit_upload
from kpi.importing.parse import parse_upload
from tests.fixtures.apptest_helpers import signed_in

pytestmark = pytest.mark.slow
AS_OF = dt.date(2025, 11, 20)
BOUND = "adm01"  # administrator bound to G01 (示范电力有限公司)
NOT_CHOSEN = "请选择绑定单位（数据范围）：没有默认值。"


def _meetings(con, rules, unit: str, user: str, day: int) -> int:
    text = f"单位编码,会议类型,日期,应到人数,实到人数\n{unit},主题党日,2025-11-{day:02d},30,28\n".encode()
    return commit_upload(con, parse_upload(text, f"{user}.csv", "meetings", con, rules), user).batch_id


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, rules, demo_store):
    """The demo group with its accounts, adm01 (administrator on G01), ana0101 (analyst on G0101),
    one meetings batch each by analyst01 (G01), analyst (G, on G02) and ana0101, and audit entries."""
    path = demo_store(tmp_path_factory.mktemp("admins") / "demo.duckdb", AS_OF)
    s = store.open_store(path)
    con = s.cursor()
    accounts.create_demo_accounts(con, rules)
    accounts.create_account(con, rules, BOUND, "adm01-pass-1", ADMIN, "G01", by=None)
    accounts.create_account(con, rules, "ana0101", "ana0101-pass-1", ANALYST, "G0101", by=None)
    for day, (user, unit) in enumerate((("analyst01", "G0101"), ("analyst", "G0201"), ("ana0101", "G0101")), 17):
        _meetings(con, rules, unit, user, day)
    for user, action in (("admin", "account_created"), ("analyst", "upload"), ("analyst01", "upload"),
                         ("leader", "export"), (BOUND, "sign_in"), ("ana0101", "edit"), ("ghost", "sign_in_failed")):
        audit.record(con, user, action, "t")
    s.close()
    return path


@pytest.fixture
def page(demo_db, monkeypatch):
    monkeypatch.setenv("DJ_DB", str(demo_db))

    def _open(file: str, username: str = BOUND) -> AppTest:
        at = AppTest.from_file("../app.py", default_timeout=90)
        signed_in(at, ADMIN, username=username)
        at.session_state["as_of"] = AS_OF
        at.run()
        at.switch_page(f"pages/{file}").run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return _open


def _store(demo_db):
    return store.open_store(demo_db)


def _subtree_unit_labels(demo_db, root: str) -> list[str]:
    """The labels the unit choice should offer for `root`'s subtree: levels 1–3, by code, indented."""
    s = _store(demo_db)
    try:
        rows = s.cursor().execute(
            """SELECT u.unit_code, u.unit_name, u.level FROM units u JOIN unit_paths p ON p.unit_code = u.unit_code
               WHERE p.ancestor_code = ? AND u.level <= 3 ORDER BY u.unit_code""", [root]).fetchall()
    finally:
        s.close()
    return ["\u3000" * (level - 1) + f"{name}（{code}）" for code, name, level in rows]


def _save_buttons(at: AppTest):
    return [b for b in at.button if b.label == "保存"]


def test_bound_admin_lists_and_offers_only_its_subtree(page, demo_db):
    at = page("accounts.py")
    assert [i.value for i in at.info][0] == "您绑定在“示范电力有限公司”：只列出并管理绑定在该单位及其下级单位的账号。"
    assert at.dataframe[0].value["用户名"].tolist() == ["adm01", "ana0101", "analyst01"]
    assert at.selectbox(key="acc_edit_user").options == ["adm01", "ana0101", "analyst01"]
    new_unit = at.selectbox(key="acc_new_unit")
    assert new_unit.value == ""
    subtree = _subtree_unit_labels(demo_db, "G01")
    assert len(subtree) > 1 and subtree[0] == "\u3000示范电力有限公司（G01）"
    assert new_unit.options == ["（请选择）", *subtree]  # no whole store, no G, no G02


def test_new_account_without_a_unit_is_refused_then_created_in_the_subtree(page, demo_db):
    at = page("accounts.py")
    at.text_input(key="acc_new_username").set_value("new0101")
    at.text_input(key="acc_new_password").set_value("new0101-pass")
    _save_buttons(at)[0].click().run()
    assert [e.value for e in at.error] == [NOT_CHOSEN]
    s = _store(demo_db)
    assert accounts.get_account(s.cursor(), "new0101") is None
    s.close()
    at.text_input(key="acc_new_username").set_value("new0101")
    at.text_input(key="acc_new_password").set_value("new0101-pass")
    at.selectbox(key="acc_new_unit").set_value("G0101")
    _save_buttons(at)[0].click().run()
    assert not at.error and [m.value for m in at.success] == ["已创建账号“new0101”。"]
    s = _store(demo_db)
    made = accounts.get_account(s.cursor(), "new0101")
    accounts.delete_account(s.cursor(), "new0101", by=None)  # the other tests list the accounts exactly
    s.close()
    assert (made.role, made.unit_code) == ("领导", "G0101")


def test_unbound_admin_chooses_the_whole_store_explicitly(page, demo_db):
    at = page("accounts.py", "admin")
    new_unit = at.selectbox(key="acc_new_unit")
    assert new_unit.value == ""
    assert new_unit.options == ["（请选择）", "整个集团（不绑定单位）", *_subtree_unit_labels(demo_db, "G")]
    at.text_input(key="acc_new_username").set_value("hq_leader")
    at.text_input(key="acc_new_password").set_value("hq-leader-pass")
    _save_buttons(at)[0].click().run()
    assert [e.value for e in at.error] == [NOT_CHOSEN]
    at.text_input(key="acc_new_username").set_value("hq_leader")
    at.text_input(key="acc_new_password").set_value("hq-leader-pass")
    at.selectbox(key="acc_new_unit").set_value("*")
    _save_buttons(at)[0].click().run()
    assert [m.value for m in at.success] == [r"已创建账号“hq\_leader”。"]  # the user name is user text, escaped
    s = _store(demo_db)
    made = accounts.get_account(s.cursor(), "hq_leader")
    accounts.delete_account(s.cursor(), "hq_leader", by=None)
    s.close()
    assert made.unit_code is None


def test_bound_admin_reads_only_its_subtrees_audit_entries(page):
    at = page("audit.py")
    users = at.dataframe[0].value["用户"].tolist()
    assert set(users) == {"adm01", "ana0101", "analyst01"}, users
    assert users.count("analyst01") == 1 and users.count("ana0101") == 1
    assert at.selectbox(key="audit_user").options == ["全部用户", "adm01", "ana0101", "analyst01"]


def test_bound_admin_sees_and_is_offered_to_undo_only_its_subtrees_batches(page):
    at = page("history.py")
    assert at.dataframe[0].value["用户"].tolist() == ["ana0101", "analyst01"]
    choices = at.selectbox(key="history_batch").options
    assert len(choices) == 2 and all("ana0101.csv" in c or "analyst01.csv" in c for c in choices)


def test_account_list_names_the_whole_store_and_shows_no_none(page):
    at = page("accounts.py", "admin")
    table = at.dataframe[0].value.set_index("用户名")
    # The unbound demo administrator: its unit reads "whole store", missing values read "—".
    assert table.loc["admin", ["绑定单位编码", "绑定单位", "邮箱"]].tolist() == ["—", "整个集团（不绑定单位）", "—"]
    assert not table.astype(str).isin(["None", "nan", "NaT", "<NA>"]).any().any()
