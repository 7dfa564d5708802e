"""The first administrator (issue 12 item 5): never whoever reaches the form first. The sign-in page's
setup form needs the one-time token printed to the server's log (AppTest, real store); the CLI
`python -m kpi admin create` run as a real subprocess (once) and in-process; the token spent by either.
Also the sign-in page's side of item 2: a disabled account's answer, the true reason in the audit."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.access import accounts, audit
from kpi.access.roles import ADMIN, LEADER
from kpi.cli import main
from kpi.i18n import t
from kpi.store.meta import meta_value

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
APP = "../app.py"
TOKEN_LINE = re.compile(r"^看板还没有任何账号。创建第一个管理员的一次性设置令牌：(\S+)$", re.M)
BAD_TOKEN = ("设置令牌不正确，未创建账号。令牌打印在服务器日志中；也可以在服务器上运行 "
             "python -m kpi admin create --user 用户名 创建管理员。")
NO_PASSWORD = ("无法读取密码：请在终端中运行此命令，或设置环境变量 DJ_ADMIN_PASSWORD，或加 --password-stdin "
               "从标准输入传入。未创建账号。")


@pytest.fixture
def fresh_db(tmp_path, monkeypatch) -> Path:
    """A store without accounts and without the demo (as after clearing it), named by $DJ_DB."""
    path = tmp_path / "fresh.duckdb"
    s = store.open_store(path)
    store.set_meta(s.cursor(), "demo_cleared", "1")
    s.close()
    monkeypatch.setenv("DJ_DB", str(path))
    return path


def _open(path: Path):
    s = store.open_store(path)
    return s, s.cursor()


def _fill_setup(at: AppTest, token: str, username: str = "chief", password: str = "chief-pass-1",
                confirm: str | None = None) -> AppTest:
    at.text_input(key="setup_token").set_value(token)
    at.text_input(key="setup_username").set_value(username)
    at.text_input(key="setup_password").set_value(password)
    at.text_input(key="setup_confirm").set_value(password if confirm is None else confirm)
    return at.button[0].click().run()


def test_setup_form_creates_nothing_without_the_token_printed_to_the_log(fresh_db, capsys, rules):
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert at.title[0].value == "创建管理员账号"
    log = capsys.readouterr().err
    tokens = TOKEN_LINE.findall(log)
    assert len(tokens) == 1 and len(tokens[0]) == 32  # 24 random bytes, URL-safe base64
    assert f"The dashboard has no account yet. One-time setup token for the first administrator: {tokens[0]}" in log
    token = tokens[0]
    # The first visitor, without the token, with a wrong one, or with another server's old one: nothing.
    for guess in ("", "guess", token[:-1], token + "x"):
        _fill_setup(at, guess)
        assert [e.value for e in at.error] == [BAD_TOKEN]
        assert at.title[0].value == "创建管理员账号"
    s, con = _open(fresh_db)
    assert not accounts.has_accounts(con)
    assert audit.entries(con, "chief", ("sign_in_failed",)).detail.tolist() == ["setup: bad_setup_token"] * 4
    s.close()
    # Reopening the page in the same server process prints no second token; the first stays valid.
    again = AppTest.from_file(APP, default_timeout=90)
    again.run()
    assert TOKEN_LINE.findall(capsys.readouterr().err) == []
    _fill_setup(again, f"  {token} ", confirm="chief-pass-2")
    assert [e.value for e in again.error] == ["两次输入的密码不一致。"]
    _fill_setup(again, f"  {token} ")
    assert not again.exception
    assert again.title[0].value == t("overview.page_title", "zh")  # signed in as the new administrator
    s, con = _open(fresh_db)
    account = accounts.get_account(con, "chief")
    assert (account.role, account.unit_code, account.disabled) == (ADMIN, None, False)
    assert meta_value(con, accounts.SETUP_TOKEN_HASH) is None  # spent
    assert audit.entries(con, "chief", ("admin_created",)).detail.tolist() == ["setup_token"]
    with pytest.raises(accounts.SetupClosed) as err:
        accounts.create_first_admin(con, rules, token, "second", "second-pass", "second-pass")
    assert err.value.message("zh") == "看板已有账号，不能再用设置令牌创建管理员；请用已有账号登录。"
    s.close()
    late = AppTest.from_file(APP, default_timeout=90)
    late.run()
    assert late.title[0].value == "登录"
    assert TOKEN_LINE.findall(capsys.readouterr().err) == []


def test_the_store_keeps_only_a_hash_of_the_token(fresh_db):
    s, con = _open(fresh_db)
    token = accounts.ensure_setup_token(con)
    dump = str(con.execute("SELECT * FROM meta").fetchall())
    assert token not in dump
    assert accounts.setup_token_matches(con, token) and not accounts.setup_token_matches(con, token[1:])
    assert accounts.ensure_setup_token(con) is None  # once per process
    s.close()


def _kpi(*args: str, db: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "DJ_ADMIN_PASSWORD"}
    return subprocess.run([sys.executable, "-m", "kpi", "admin", "create", *args, "--db", str(db)], cwd=ROOT,
                          env={**clean, **(env or {})}, capture_output=True, timeout=120,
                          input=None if stdin is None else stdin.encode(),
                          stdin=subprocess.DEVNULL if stdin is None else None)


def test_cli_creates_the_administrator_and_spends_the_setup_token(fresh_db, rules):
    s, con = _open(fresh_db)
    token = accounts.ensure_setup_token(con)
    s.close()
    done = _kpi("--user", "chief", "--display-name", "总管理员", "--password-stdin", db=fresh_db,
                stdin="chief-pass-1\n")
    assert (done.returncode, done.stdout.decode().splitlines(), done.stderr.decode()) == (
        0, [f"已创建管理员账号“chief”（数据范围：全部），数据库：{fresh_db}"], "")
    s, con = _open(fresh_db)
    account = accounts.authenticate(con, rules, "chief", "chief-pass-1")
    assert (account.role, account.unit_code, account.display_name) == (ADMIN, None, "总管理员")
    assert audit.entries(con, "chief", ("admin_created",)).detail.tolist() == ["cli"]
    assert meta_value(con, accounts.SETUP_TOKEN_HASH) is None
    with pytest.raises(accounts.SetupClosed) as err:
        accounts.create_first_admin(con, rules, token, "intruder", "intruder-1", "intruder-1")
    assert type(err.value) is accounts.SetupClosed
    s.close()


def test_cli_reads_the_password_from_the_environment_and_refuses_without_one(fresh_db, rules, monkeypatch,
                                                                             capsysbinary):
    def kpi(*args: str, stdin: str = "", env: dict | None = None) -> tuple[int, bytes, list[str]]:
        """`python -m kpi admin create *args --db fresh_db` in-process, standard input not a terminal."""
        monkeypatch.delenv("DJ_ADMIN_PASSWORD", raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsysbinary.readouterr()
        code = main(["admin", "create", *args, "--db", str(fresh_db)])
        out, err = capsysbinary.readouterr()
        return code, out, err.decode().splitlines()

    assert kpi("--user", "chief") == (2, b"", [NO_PASSWORD])
    assert kpi("--user", "chief", "--password-stdin", "--lang", "en")[::2] == (2, [
        "No password to read: run this command in a terminal, set the environment variable DJ_ADMIN_PASSWORD, "
        "or add --password-stdin and pipe it in. No account was created."])
    assert kpi("--user", "chief", env={"DJ_ADMIN_PASSWORD": "short"})[::2] == (2, ["密码太短：至少 8 个字符。"])
    s, con = _open(fresh_db)
    assert not accounts.has_accounts(con)
    s.close()
    assert kpi("--user", "chief", env={"DJ_ADMIN_PASSWORD": "env-pass-12"})[0] == 0
    assert kpi("--user", "chief", env={"DJ_ADMIN_PASSWORD": "env-pass-12"})[::2] == (2, ["用户名“chief”已存在。"])
    s, con = _open(fresh_db)
    assert accounts.authenticate(con, rules, "chief", "env-pass-12").role == ADMIN
    s.close()


def test_cli_asks_the_terminal_twice(fresh_db, monkeypatch, capsys):
    answers = iter(["term-pass-1", "term-pass-2", "term-pass-1", "term-pass-1"])
    monkeypatch.delenv("DJ_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["admin", "create", "--user", "ops", "--db", str(fresh_db)]) == 2
    assert capsys.readouterr().err.splitlines() == ["两次输入的密码不一致。"]
    assert main(["admin", "create", "--user", "ops", "--db", str(fresh_db)]) == 0
    s, con = _open(fresh_db)
    assert accounts.get_account(con, "ops").role == ADMIN
    s.close()


def test_sign_in_page_gives_a_disabled_account_the_wrong_password_answer(fresh_db, rules):
    s, con = _open(fresh_db)
    accounts.create_admin(con, rules, "chief", "chief-pass-1")
    accounts.create_account(con, rules, "zhao", "zhao-pass-1", LEADER, None, by=None)
    accounts.update_account(con, rules, "zhao", role=LEADER, unit_code=None, display_name="", email=None,
                                 disabled=True, by=None)
    s.close()
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    shown = []
    for password in ("zhao-pass-1", "wrong-pass"):
        at.text_input(key="login_username").set_value("zhao")
        at.text_input(key="login_password").set_value(password)
        at.button[0].click().run()
        shown.append([e.value for e in at.error])
    assert shown == [["用户名或密码错误。"]] * 2
    s, con = _open(fresh_db)
    # Server side only: the audit keeps the true reason; the attempt is the client "unknown" (AppTest).
    assert audit.entries(con, "zhao", ("sign_in_failed",)).detail.tolist() == ["bad_credentials", "disabled"]
    assert con.execute("SELECT client, outcome FROM login_attempts ORDER BY attempt_id").fetchall() == [
        ("unknown", "failure")] * 2
    s.close()
