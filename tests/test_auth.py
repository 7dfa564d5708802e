"""Accounts, passwords, throttling and the data scope, on a real store."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kpi import store
from kpi.access import accounts, roles
from kpi.access.roles import ADMIN, ANALYST, LEADER, Account
from kpi.importing.commit import commit_upload, undo_batch
from kpi.importing.errors import UploadRefused
from kpi.importing.parse import parse_upload
from kpi.importing.scope import check_upload_scope, scope_errors
from pages._ui.sitemap import may_open

NOW = dt.datetime(2025, 7, 1, 9, 0, 0)
UNITS = ("单位编码,单位名称,上级单位编码,层级,组织类型,党员数,职工数\n"
         "G,集团,,1,党委,100,1000\n"
         "A,甲公司,G,2,党委,60,600\n"
         "A1,甲一支部,A,4,党支部,30,300\n"
         "B,乙公司,G,2,党委,40,400\n"
         "B1,乙一支部,B,4,党支部,40,400\n").encode()


@pytest.fixture
def con(store_spec, rules):
    s = store.open_store(store_spec)
    c = s.cursor()
    commit_upload(c, parse_upload(UNITS, "units.csv", "units", c, rules), "setup")
    yield c
    s.close()


def _upload(con, rules, text: str, dataset: str = "meetings"):
    return parse_upload(text.encode(), f"{dataset}.csv", dataset, con, rules)


def test_password_is_stored_only_as_an_argon2_hash(con, rules):
    accounts.create_account(con, rules, "zhang", "secret-pass-1", ANALYST, "A", "张三", by=None)
    stored = con.execute("SELECT password_hash FROM accounts WHERE username = 'zhang'").fetchone()[0]
    assert stored.startswith("$argon2id$")
    assert "secret-pass-1" not in stored
    dump = str(con.execute("SELECT * FROM accounts").fetchall())
    assert "secret-pass-1" not in dump
    assert accounts.password_matches(stored, "secret-pass-1")
    assert not accounts.password_matches(stored, "secret-pass-2")
    assert accounts.hash_password("x" * 8) != accounts.hash_password("x" * 8)  # salted


@pytest.mark.parametrize(("kwargs", "refusal", "message"), [
    ({"username": "a b"}, accounts.BadUsername, "用户名“a b”无效：2–64 个字符，只能包含字母、数字和 _ . @ -。"),
    ({"password": "short"}, accounts.ShortPassword, "密码太短：至少 8 个字符。"),
    ({"role": "老板"}, accounts.BadRole, "角色“老板”无效，应为 领导、分析员 或 管理员。"),
    ({"unit_code": "Z9"}, accounts.UnknownUnit, "单位编码“Z9”不存在。"),
    ({"username": "taken"}, accounts.UsernameTaken, "用户名“taken”已存在。"),
])
def test_create_account_refusals(con, rules, kwargs, refusal, message):
    accounts.create_account(con, rules, "taken", "long-enough", LEADER, None, by=None)
    args = {"username": "new_user", "password": "long-enough", "role": LEADER, "unit_code": None, **kwargs}
    with pytest.raises(refusal) as err:
        accounts.create_account(con, rules, **args, by=None)
    assert err.value.message("zh") == message


def test_sign_in_success_sets_last_login_and_forgives_only_the_earlier_failures(con, rules):
    accounts.create_account(con, rules, "li", "right-pass", LEADER, "G", "李四", by=None)
    with pytest.raises(accounts.BadCredentials) as err:
        accounts.authenticate(con, rules, "li", "wrong-pass", NOW)
    assert err.value.message("zh") == "用户名或密码错误。"
    account = accounts.authenticate(con, rules, " li ", "right-pass", NOW)
    assert account == Account("li", "李四", LEADER, "G")
    assert con.execute("SELECT last_login FROM accounts WHERE username = 'li'").fetchone() == (NOW,)
    # The failure is kept (a success erases nothing); it no longer counts towards the lock.
    assert con.execute("SELECT username, outcome, clears_before FROM login_attempts ORDER BY attempt_id"
                       ).fetchall() == [("li", "failure", None), ("li", "success", 2)]
    assert accounts.counted_failures(con, rules, "li", NOW) == (0, None)


def test_unknown_user_gets_the_same_message_as_a_wrong_password(con, rules):
    with pytest.raises(accounts.BadCredentials) as err:
        accounts.authenticate(con, rules, "nobody", "whatever-1", NOW)
    assert err.value.message("zh") == "用户名或密码错误。"
    assert err.value.message("en") == "Wrong user name or password."


@pytest.mark.both_kinds
def test_five_failures_lock_the_name_for_fifteen_minutes_even_with_the_right_password(con, rules):
    accounts.create_account(con, rules, "wang", "right-pass", ANALYST, "A", by=None)
    assert (rules.max_failed_logins, rules.lockout_minutes) == (5, 15)
    messages = []
    for i in range(5):
        with pytest.raises(accounts.SignInRefused) as err:
            accounts.authenticate(con, rules, "wang", "bad", NOW + dt.timedelta(seconds=i))
        messages.append((type(err.value), err.value.message("zh")))
    assert messages == [(accounts.BadCredentials, "用户名或密码错误。")] * 4 + [
        (accounts.SignInLocked, "登录失败次数过多，账号“wang”已锁定，请 15 分钟后再试。")]
    with pytest.raises(accounts.SignInLocked) as err:
        accounts.authenticate(con, rules, "wang", "right-pass", NOW + dt.timedelta(minutes=10))
    assert err.value.message("zh") == "登录失败次数过多，账号“wang”已锁定，请 6 分钟后再试。"
    assert err.value.message("en") == "Too many failed sign-ins: “wang” is locked; try again in 6 minutes."
    # 15 minutes after the last failure the lock is gone.
    account = accounts.authenticate(con, rules, "wang", "right-pass", NOW + dt.timedelta(minutes=15, seconds=5))
    assert account.username == "wang"


def test_disabled_account_answers_the_right_password_as_a_wrong_one(con, rules):
    accounts.create_account(con, rules, "admin", "admin-pass", ADMIN, None, by=None)
    accounts.create_account(con, rules, "zhao", "zhao-pass-1", LEADER, "B", by=None)
    accounts.update_account(con, rules, "zhao", role=LEADER, unit_code="B", display_name="", email=None,
                                 disabled=True, by=None)
    answers = []
    for password in ("zhao-pass-1", "wrong-pass"):
        with pytest.raises(accounts.BadCredentials) as err:
            accounts.authenticate(con, rules, "zhao", password, NOW)
        answers.append((type(err.value), err.value.message("zh"), err.value.message("en"), err.value.reason))
    # Exactly the wrong-password answer; only the audit's reason (server side) tells them apart.
    wrong = (accounts.BadCredentials, "用户名或密码错误。", "Wrong user name or password.")
    assert answers == [(*wrong, "disabled"),
                       (*wrong, "bad_credentials")]
    assert accounts.counted_failures(con, rules, "zhao", NOW)[0] == 2
    assert accounts.active_account(con, "zhao") is None


def test_last_admin_cannot_be_removed_or_demoted(con, rules):
    accounts.create_account(con, rules, "root", "root-pass-1", ADMIN, None, by=None)
    for change in (lambda: accounts.delete_account(con, "root", by=None),
                   lambda: accounts.update_account(con, rules, "root", role=LEADER, unit_code=None,
                                                        display_name="", email=None, disabled=False, by=None)):
        with pytest.raises(accounts.LastAdmin) as err:
            change()
        assert err.value.message("zh") == "不能停用、删除或降级最后一个管理员账号。"


def test_update_reports_changed_fields_and_rehashes_password(con, rules):
    accounts.create_account(con, rules, "qian", "old-pass-1", LEADER, "A", by=None)
    old = con.execute("SELECT password_hash FROM accounts WHERE username='qian'").fetchone()[0]
    changed = accounts.update_account(con, rules, "qian", role=ANALYST, unit_code="B", display_name="钱",
                                           email="qian@example.com", disabled=False, new_password="new-pass-1", by=None)
    assert changed == ["role", "unit_code", "display_name", "email", "password"]
    new = con.execute("SELECT password_hash FROM accounts WHERE username='qian'").fetchone()[0]
    assert new != old and accounts.password_matches(new, "new-pass-1")
    assert accounts.account_by_email(con, "QIAN@example.com").username == "qian"


def test_scoped_root_clamps_to_the_subtree(con):
    bound = Account("a", "", LEADER, "A")
    assert roles.scoped_root(bound, None, con) == "A"
    assert roles.scoped_root(bound, "A", con) == "A"
    assert roles.scoped_root(bound, "A1", con) == "A1"
    for outside in ("G", "B", "B1", "' OR 1=1 --", "Z"):
        with pytest.raises(roles.OutsideScope) as err:
            roles.scoped_root(bound, outside, con)
        assert err.value.message("zh") == f"单位“{outside}”不在您的数据范围内。"
    everything = Account("x", "", ADMIN, None)
    assert roles.scoped_root(everything, None, con) is None
    assert roles.scoped_root(everything, "B", con) == "B"


def test_analyst_upload_with_rows_outside_the_subtree_is_refused_naming_them(con, rules):
    parsed = _upload(con, rules, "单位编码,会议类型,日期,应到人数,实到人数\n"
                                 "A1,主题党日,2025-03-05,30,28\n"
                                 "B1,主题党日,2025-03-06,40,39\n"
                                 "B,党课,2025-03-07,40,38\n")
    analyst = Account("ana", "", ANALYST, "A")
    before = store.table_checksums(con)
    with pytest.raises(UploadRefused) as err:
        check_upload_scope(con, analyst, parsed)
    assert [e.message("zh") for e in err.value.errors] == [
        "第 3 行，“单位编码”列，值“B1”：该单位不在您的数据范围（甲公司）内，不能上传",
        "第 4 行，“单位编码”列，值“B”：该单位不在您的数据范围（甲公司）内，不能上传",
    ]
    assert store.table_checksums(con) == before
    check_upload_scope(con, Account("ana2", "", ANALYST, "G"), parsed)  # the group sees all: no error
    with pytest.raises(roles.Forbidden):
        check_upload_scope(con, Account("boss", "", LEADER, None), parsed)


def test_units_upload_checks_the_parent_of_new_units(con, rules):
    parsed = _upload(con, rules, "单位编码,单位名称,上级单位编码,层级,组织类型\n"
                                 "A2,甲二支部,A,4,党支部\n"
                                 "B2,乙二支部,B,4,党支部\n", "units")
    errors = scope_errors(con, Account("ana", "", ANALYST, "A"), parsed)
    assert [e.message("zh") for e in errors] == [
        "第 3 行，“上级单位编码”列，值“B”：该单位不在您的数据范围（甲公司）内，不能上传"]


def test_undo_only_own_batches_for_analysts(con, rules):
    parsed = _upload(con, rules, "单位编码,会议类型,日期,应到人数,实到人数\nA1,主题党日,2025-03-05,30,28\n")
    batch = commit_upload(con, parsed, "ana").batch_id
    with pytest.raises(roles.NotOwnBatch) as err:
        roles.check_undo_allowed(con, Account("other", "", ANALYST, "A"), batch)
    assert err.value.message("zh") == f"批次 #{batch} 不是您上传的，分析员只能撤销自己上传的批次。"
    with pytest.raises(roles.Forbidden):
        roles.check_undo_allowed(con, Account("boss", "", LEADER, None), batch)
    roles.check_undo_allowed(con, Account("ana", "", ANALYST, "A"), batch)
    roles.check_undo_allowed(con, Account("root", "", ADMIN, None), batch)
    undo_batch(con, batch, "ana")
    assert con.execute("SELECT undone_by FROM batches WHERE batch_id = ?", [batch]).fetchone() == ("ana",)


def test_problem_edit_outside_the_subtree_is_refused(con, rules):
    parsed = _upload(con, rules, "问题编号,单位编码,问题来源,发现日期,问题描述,整改状态,整改时限\n"
                                 "P1,B1,巡察,2025-03-01,台账不全,整改中,2025-09-30\n", "problems")
    commit_upload(con, parsed, "setup")
    with pytest.raises(roles.OutsideScope) as err:
        roles.check_problem_editable(con, Account("ana", "", ANALYST, "A"), "P1")
    assert err.value.message("zh") == "单位“B1”不在您的数据范围内。"
    with pytest.raises(roles.Forbidden) as err:
        roles.check_problem_editable(con, Account("boss", "", LEADER, None), "P1")
    assert err.value.message("zh") == "您的角色无权进行此操作。"
    roles.check_problem_editable(con, Account("ana", "", ANALYST, "B"), "P1")


def test_visible_batches_for_analysts_are_their_own(con):
    batches = pd.DataFrame({"batch_id": [1, 2, 3], "user_name": ["ana", "bob", "ana"]})
    assert list(roles.visible_batches(con, Account("ana", "", ANALYST, None), batches).batch_id) == [1, 3]
    assert list(roles.visible_batches(con, Account("root", "", ADMIN, None), batches).batch_id) == [1, 2, 3]


def test_page_roles():
    leader, analyst, admin = (Account("u", "", r, None) for r in (LEADER, ANALYST, ADMIN))
    assert may_open(leader, "overview.py") and may_open(leader, "briefing.py")
    assert not may_open(leader, "upload.py") and not may_open(leader, "history.py")
    assert may_open(analyst, "upload.py") and not may_open(analyst, "accounts.py")
    assert may_open(admin, "accounts.py") and may_open(admin, "audit.py")
    assert not may_open(admin, "_ui.py") and not may_open(None, "overview.py")


def test_demo_accounts_bound_as_documented(con, rules):
    made = accounts.create_demo_accounts(con, rules)
    assert [(a.username, a.role, a.unit_code, a.demo) for a in made] == [
        ("admin", ADMIN, None, True), ("leader", LEADER, "G", True), ("analyst", ANALYST, "G", True),
        ("analyst01", ANALYST, "A", True)]
    assert accounts.authenticate(con, rules, "admin", "admin-demo", NOW).username == "admin"
    accounts.create_account(con, rules, "real", "real-pass-1", ADMIN, None, by=None)
    assert accounts.delete_demo_accounts(con) == 4
    assert list(accounts.account_table(con).username) == ["real"]


@pytest.mark.both_kinds
def test_command_line_import_by_an_account_keeps_its_scope(con, store_spec, rules, tmp_path, capsys):
    from kpi.cli import main  # noqa: PLC0415

    accounts.create_account(con, rules, "ana", "ana-pass-1", ANALYST, "A", by=None)
    accounts.create_account(con, rules, "boss", "boss-pass-1", LEADER, None, by=None)
    db = str(store_spec)  # a file's path or a lake's spec
    csv = tmp_path / "meetings.csv"
    csv.write_text("单位编码,会议类型,日期,应到人数,实到人数\nA1,主题党日,2025-03-05,30,28\nB1,党课,2025-03-06,40,39\n")
    before = store.table_checksums(con)
    assert main(["import", "meetings", str(csv), "--db", db, "--user", "ana"]) == 2
    assert capsys.readouterr().err.splitlines()[-2:] == [
        "行号,列,值,原因", "3,单位编码,B1,该单位不在您的数据范围（甲公司）内，不能上传"]
    assert main(["import", "meetings", str(csv), "--db", db, "--user", "boss"]) == 2
    assert capsys.readouterr().err.strip().endswith("您的角色无权进行此操作。")
    assert store.table_checksums(con) == before
    assert main(["import", "meetings", str(csv), "--db", db, "--user", "cli"]) == 0  # the operator, no account
    assert con.execute("SELECT username, action, detail FROM audit_log").fetchall() == [
        ("cli", "upload", "meetings: +2 ~0 =0")]  # the same text as an upload in the browser
