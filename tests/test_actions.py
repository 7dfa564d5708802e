"""kpi.actions: every user action checks its permission, writes, and records its audit row in one
transaction, and refuses with a named error and its exact message. Real DuckDB files, real accounts."""
from __future__ import annotations

import datetime as dt

import pytest

from kpi import actions, store
from kpi.access import accounts, audit
from kpi.access.roles import (
    ADMIN,
    ANALYST,
    LEADER,
    AccountOutside,
    BindOutside,
    Forbidden,
    NotOwnBatch,
    OutsideScope,
)
from kpi.importing.commit import SameFile, UndoLaterFirst
from kpi.importing.errors import UploadRefused
from kpi.store import StaleWrite
from tests.fixtures.problem_fixtures import AS_OF, make_store

MEETINGS = "单位编码,会议类型,日期,应到人数,实到人数\nT11,主题党日,2025-03-05,30,28\nB111,党课,2025-03-06,40,39\n"
STALE = "数据在您预览之后已被修改，本次未写入。请核对按最新数据重新显示的内容后再确认。"
BAD_CREDENTIALS = "用户名或密码错误。"
FORBIDDEN = "您的角色无权进行此操作。"
ORDER = "只能撤销该数据集最近的一次上传：请先撤销批次 #5（again.csv），再撤销批次 #4。"
EDIT_OUTSIDE = "单位“T11”不在您的数据范围内。"
BIND_OUTSIDE = "单位“S2”不在您的管理范围（第一公司及其下级单位）内，不能把账号绑定到该单位。"
MANAGE_OUTSIDE = "账号“bob”不在您的管理范围（第一公司及其下级单位）内，不能修改或删除。"
BAD_TOKEN = ("设置令牌不正确，未创建账号。令牌打印在服务器日志中；也可以在服务器上运行 python -m kpi admin create "
             "--user 用户名 创建管理员。")
SETUP_CLOSED = "看板已有账号，不能再用设置令牌创建管理员；请用已有账号登录。"
MISMATCH = "两次输入的密码不一致。"
NOT_DEMO = "数据库 x.duckdb 中的数据不是演示数据，未清除任何内容。"
NOT_EMPTY = "数据库 x.duckdb 中已有数据，演示数据只能写入空数据库。如需重新载入演示数据，请先加 --clear 清除。"
MEETINGS_S2 = "单位编码,会议类型,日期,应到人数,实到人数\nT21,主题党日,2025-03-05,30,28\n"


@pytest.fixture
def con(store_spec, rules):
    s = make_store(store_spec)
    c = s.cursor()
    for username, role, unit in (("root", ADMIN, None), ("ana", ANALYST, "S1"), ("bob", ANALYST, "S2"),
                                 ("boss", LEADER, None), ("chief", ADMIN, "S1")):
        accounts.create_account(c, rules, username, f"{username}-pass-1", role, unit, by=None)
    yield c
    s.close()


def _account(con, username):
    return accounts.get_account(con, username)


def _log(con) -> list[tuple]:
    """(username, action, target, detail) of every audit row, oldest first."""
    return con.execute("SELECT username, action, target, detail FROM audit_log ORDER BY id").fetchall()


def _parsed(con, rules, username, text=MEETINGS, name="meetings.csv"):
    return actions.parse_for_upload(con, rules, _account(con, username), text.encode(), name, "meetings")


def _message(exc_info) -> str:
    return exc_info.value.message("zh")


# --- upload ---------------------------------------------------------------------------------------

@pytest.mark.both_kinds
def test_upload_writes_the_batch_and_its_audit_row(con, rules):
    result = actions.upload(con, _account(con, "ana"), "ana", _parsed(con, rules, "ana"))
    assert (result.batch_id, result.inserted) == (4, 2)
    assert con.execute("SELECT unit_code, batch_id FROM meetings ORDER BY unit_code").fetchall() == [
        ("B111", 4), ("T11", 4)]
    assert _log(con) == [("ana", "upload", "#4 meetings.csv", "meetings: +2 ~0 =0")]


def test_upload_refusals_name_their_reason_and_write_nothing(con, rules):
    parsed = _parsed(con, rules, "ana")
    before = store.table_checksums(con)
    with pytest.raises(Forbidden) as refused:
        actions.upload(con, _account(con, "boss"), "boss", parsed)
    assert _message(refused) == FORBIDDEN
    with pytest.raises(Forbidden) as refused:
        actions.parse_for_upload(con, rules, _account(con, "boss"), MEETINGS.encode(), "m.csv", "meetings")
    assert _message(refused) == FORBIDDEN
    with pytest.raises(UploadRefused) as outside:  # parsed by root, committed by bob: rows outside S2
        actions.upload(con, _account(con, "bob"), "bob", _parsed(con, rules, "root"))
    assert [e.message("zh") for e in outside.value.errors] == [
        "第 2 行，“单位编码”列，值“T11”：该单位不在您的数据范围（第二公司）内，不能上传",
        "第 3 行，“单位编码”列，值“B111”：该单位不在您的数据范围（第二公司）内，不能上传"]
    version = store.data_version(con)
    actions.upload(con, _account(con, "bob"), "bob", _parsed(con, rules, "bob", MEETINGS_S2, "s2.csv"))
    after_bob = store.table_checksums(con)
    with pytest.raises(StaleWrite) as stale:  # the preview was made before bob's batch
        actions.upload(con, _account(con, "ana"), "ana", parsed, expected_version=version)
    assert _message(stale) == STALE
    with pytest.raises(SameFile) as same:
        actions.upload(con, _account(con, "bob"), "bob", _parsed(con, rules, "bob", MEETINGS_S2, "s2.csv"))
    assert _message(same).startswith("此文件已于 ")
    assert store.table_checksums(con) != before and store.table_checksums(con) == after_bob
    assert [row[:2] for row in _log(con)] == [("bob", "upload")]


# --- undo -----------------------------------------------------------------------------------------

def test_undo_removes_the_batch_and_records_it(con, rules):
    batch = actions.upload(con, _account(con, "ana"), "ana", _parsed(con, rules, "ana")).batch_id
    actions.undo(con, _account(con, "ana"), batch)
    assert con.execute("SELECT count(*) FROM meetings").fetchone()[0] == 0
    assert con.execute("SELECT undone_at IS NOT NULL FROM batches WHERE batch_id = ?", [batch]).fetchone()[0]
    assert _log(con)[-1] == ("ana", "undo", f"#{batch}", "meetings.csv")


def test_undo_refusals(con, rules):
    first = actions.upload(con, _account(con, "ana"), "ana", _parsed(con, rules, "ana")).batch_id
    again = MEETINGS.replace("28", "29")
    actions.upload(con, _account(con, "ana"), "ana", _parsed(con, rules, "ana", again, "again.csv"))
    before, log = store.table_checksums(con), _log(con)
    with pytest.raises(NotOwnBatch) as refused:
        actions.undo(con, _account(con, "bob"), first)
    assert _message(refused) == f"批次 #{first} 不是您上传的，分析员只能撤销自己上传的批次。"
    with pytest.raises(UndoLaterFirst) as order:
        actions.undo(con, _account(con, "ana"), first)
    assert _message(order) == ORDER
    assert (store.table_checksums(con), _log(con)) == (before, log)


# --- problem edit ---------------------------------------------------------------------------------

def test_edit_problem_saves_and_records_the_changed_fields(con, rules):
    result = actions.edit_problem(con, rules, _account(con, "ana"), "P2", {"status": "已完成待验收",
                                  "completed_date": dt.date(2025, 6, 1)}, AS_OF)
    assert con.execute("SELECT status, completed_date FROM problems WHERE problem_id = 'P2'").fetchone() == (
        "已完成待验收", dt.date(2025, 6, 1))
    assert _log(con) == [("ana", "edit", "P2", f"#{result.batch_id} status, completed_date")]


def test_edit_problem_refusals(con, rules):
    before = store.table_checksums(con)
    with pytest.raises(OutsideScope) as outside:
        actions.edit_problem(con, rules, _account(con, "bob"), "P2", {"status": "已完成待验收"}, AS_OF)
    assert _message(outside) == EDIT_OUTSIDE
    with pytest.raises(Forbidden) as leader:
        actions.edit_problem(con, rules, _account(con, "boss"), "P2", {"status": "已完成待验收"}, AS_OF)
    assert _message(leader) == FORBIDDEN
    with pytest.raises(StaleWrite) as stale:
        actions.edit_problem(con, rules, _account(con, "ana"), "P2", {"status": "已完成待验收"}, AS_OF,
                             expected_version=store.data_version(con) - 1)
    assert _message(stale) == STALE
    assert store.table_checksums(con) == before and _log(con) == []
    assert (actions.can_edit_problems(_account(con, "ana")), actions.can_edit_problems(_account(con, "boss"))) \
        == (True, False)


# --- sessions -------------------------------------------------------------------------------------

def test_sign_in_records_success_and_the_true_reason_of_a_failure(con, rules):
    assert actions.sign_in(con, rules, "ana", "ana-pass-1").username == "ana"
    with pytest.raises(accounts.BadCredentials) as refused:
        actions.sign_in(con, rules, " ana ", "wrong")
    assert _message(refused) == BAD_CREDENTIALS
    actions.update_account(con, rules, _account(con, "root"), "bob", role=ANALYST, unit_code="S2",
                           display_name="", email=None, disabled=True)
    with pytest.raises(accounts.BadCredentials) as disabled:  # the message hides it; the log keeps it
        actions.sign_in(con, rules, "bob", "bob-pass-1")
    assert _message(disabled) == BAD_CREDENTIALS
    actions.sign_out(con, _account(con, "ana"))
    actions.session_expired(con, "ana")
    actions.sso_refused(con, "x@example.com")
    actions.signed_in(con, _account(con, "root"), "sso")
    assert _log(con) == [("ana", "sign_in", "", "password"), ("ana", "sign_in_failed", "", "bad_credentials"),
                         ("root", "account_changed", "bob", "disabled"), ("bob", "sign_in_failed", "", "disabled"),
                         ("ana", "sign_out", "", ""), ("ana", "session_expired", "", ""),
                         ("x@example.com", "sign_in_failed", "", "sso"), ("root", "sign_in", "", "sso")]


# --- accounts -------------------------------------------------------------------------------------

@pytest.mark.both_kinds
def test_account_actions_write_and_record(con, rules):
    root = _account(con, "root")
    made = actions.create_account(con, rules, root, "cara", "cara-pass-1", ANALYST, "S2", "卡拉")
    assert (made.role, made.unit_code, made.display_name) == (ANALYST, "S2", "卡拉")
    assert actions.update_account(con, rules, root, "cara", role=LEADER, unit_code="S2", display_name="卡拉",
                                  email=None, disabled=False, new_password="cara-pass-2") == ["role", "password"]
    assert actions.update_account(con, rules, root, "cara", role=LEADER, unit_code="S2", display_name="卡拉",
                                  email=None, disabled=False) == []  # nothing changed: nothing recorded
    actions.delete_account(con, root, "cara")
    assert _account(con, "cara") is None
    assert _log(con) == [("root", "account_created", "cara", f"{ANALYST} S2"),
                         ("root", "account_changed", "cara", "role, password"),
                         ("root", "account_deleted", "cara", "")]


def test_account_refusals(con, rules):
    chief, before = _account(con, "chief"), store.table_checksums(con)
    with pytest.raises(BindOutside) as bind:
        actions.create_account(con, rules, chief, "cara", "cara-pass-1", ANALYST, "S2")
    assert _message(bind) == BIND_OUTSIDE
    with pytest.raises(AccountOutside) as manage:
        actions.delete_account(con, chief, "bob")
    assert _message(manage) == MANAGE_OUTSIDE
    with pytest.raises(accounts.UsernameTaken) as taken:
        actions.create_account(con, rules, chief, "ana", "ana-pass-1", ANALYST, "S1")
    assert _message(taken) == "用户名“ana”已存在。"
    assert store.table_checksums(con) == before and _log(con) == []


def test_first_admin_and_cli_admin(tmp_path, rules):
    s = store.open_store(tmp_path / "empty.duckdb")
    c = s.cursor()
    token = accounts.ensure_setup_token(c)
    with pytest.raises(accounts.BadSetupToken) as bad:
        actions.create_first_admin(c, rules, "not-the-token", "first", "first-pass-1", "first-pass-1")
    assert _message(bad) == BAD_TOKEN
    made = actions.create_first_admin(c, rules, token, "first", "first-pass-1", "first-pass-1", "第一")
    assert (made.role, made.unit_code) == (ADMIN, None)
    with pytest.raises(accounts.SetupClosed) as closed:
        actions.create_first_admin(c, rules, token, "second", "second-pass-1", "second-pass-1")
    assert _message(closed) == SETUP_CLOSED
    with pytest.raises(accounts.PasswordMismatch) as mismatch:
        actions.create_admin(c, rules, "chief", "chief-pass-1", repeated="chief-pass-2")
    assert _message(mismatch) == MISMATCH
    actions.create_admin(c, rules, "chief", "chief-pass-1")
    assert _log(c) == [("first", "sign_in_failed", "", "setup: bad_setup_token"),
                       ("first", "admin_created", "first", "setup_token"),
                       ("second", "sign_in_failed", "", "setup: setup_closed"),
                       ("chief", "admin_created", "chief", "cli")]
    s.close()


# --- export ---------------------------------------------------------------------------------------

def test_export_is_recorded(con):
    actions.record_export(con, "boss", "problems.csv")
    assert _log(con) == [("boss", "export", "problems.csv", "")]


# --- one transaction ------------------------------------------------------------------------------

def test_a_failing_audit_insert_rolls_the_data_write_back(con, rules, monkeypatch):
    parsed = _parsed(con, rules, "ana")
    before = store.table_checksums(con)

    def broken(*args, **kwargs):
        raise RuntimeError("audit insert failed")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError, match="audit insert failed"):
        actions.upload(con, _account(con, "ana"), "ana", parsed)
    with pytest.raises(RuntimeError, match="audit insert failed"):
        actions.delete_account(con, _account(con, "root"), "bob")
    assert store.table_checksums(con) == before
    monkeypatch.undo()
    assert actions.upload(con, _account(con, "ana"), "ana", parsed).inserted == 2  # the store is usable again


def test_a_transaction_inside_another_joins_it(con):
    before = store.table_checksums(con)
    with pytest.raises(ZeroDivisionError), store.transaction(con):
        with store.transaction(con):  # joined: no second BEGIN, no commit of its own
            store.set_meta(con, "probe", "1")
        1 / 0  # noqa: B018
    assert store.meta_value(con, "probe") is None and store.table_checksums(con) == before


# --- demo -----------------------------------------------------------------------------------------

def test_clearing_the_demo_on_the_command_line_removes_the_demo_accounts(tmp_path, rules, capsys):
    from kpi.cli import main  # noqa: PLC0415

    db = tmp_path / "demo.duckdb"
    assert main(["demo", "--db", str(db), "--as-of", "2025-06-30"]) == 0
    s = store.open_store(db)
    c = s.cursor()
    actions.start_store(c, rules, dt.date(2025, 6, 30))  # the server's first run: the demo accounts
    assert actions.sign_in(c, rules, "admin", "admin-demo").username == "admin"
    s.close()
    capsys.readouterr()
    assert main(["demo", "--db", str(db), "--clear"]) == 0
    s = store.open_store(db)
    c = s.cursor()
    with pytest.raises(accounts.BadCredentials) as refused:
        actions.sign_in(c, rules, "admin", "admin-demo")
    assert _message(refused) == BAD_CREDENTIALS
    assert store.is_empty(c) and not accounts.has_accounts(c)
    assert [row[:2] for row in _log(c)][-2:] == [("cli", "demo_cleared"), ("admin", "sign_in_failed")]
    s.close()


def test_clear_demo_refusals(con, rules):
    before = store.table_checksums(con)
    with pytest.raises(Forbidden) as forbidden:
        actions.clear_demo(con, _account(con, "ana"))
    assert _message(forbidden) == FORBIDDEN
    with pytest.raises(actions.NotADemoStore) as real:
        actions.clear_demo(con, _account(con, "root"), where="x.duckdb")
    assert _message(real) == NOT_DEMO
    with pytest.raises(actions.DemoStoreNotEmpty) as full:
        actions.load_demo(con, AS_OF, where="x.duckdb")
    assert _message(full) == NOT_EMPTY
    assert store.table_checksums(con) == before
    assert (actions.can_clear_demo(_account(con, "root")), actions.can_clear_demo(_account(con, "ana"))) \
        == (True, False)


def test_two_first_visitors_at_once_load_the_demo_once(tmp_path, rules):
    """Two sessions open a fresh store at the same moment: the second waits for the first's start-up
    transaction and finds the demo and its accounts there (no error page, nothing written twice)."""
    import threading  # noqa: PLC0415

    s = store.open_store(tmp_path / "fresh.duckdb")
    errors, start = [], threading.Barrier(2)

    def visit() -> None:
        cur = s.cursor()
        start.wait()
        try:
            actions.start_store(cur, rules, AS_OF)
        except Exception as exc:  # noqa: BLE001  (collected: the assertion below names it)
            errors.append(exc)

    threads = [threading.Thread(target=visit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    con = s.cursor()
    assert errors == []
    assert con.execute("SELECT count(*), count(DISTINCT dataset) FROM batches").fetchone() == (7, 7)
    assert con.execute("SELECT count(*) FROM accounts WHERE demo").fetchone() == (len(accounts.DEMO_ACCOUNTS),)
    s.close()
