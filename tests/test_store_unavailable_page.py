"""The app when its store cannot be opened (issue 16, item 4): one message on the page saying what is wrong
and what to do — never Streamlit's English error page — and once the store is back, the next run works
(the failure is not cached). AppTest on the real app, a real DuckDB file, a real holding process.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.display.textsafe import markdown_text
from kpi.store.migrations import LATEST_VERSION
from kpi.store.unavailable import page_refusal

pytestmark = pytest.mark.slow
APP = "../app.py"
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
# Opens the file given and holds it (DuckDB's lock) until its standard input is closed.
HOLDER = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\nprint('ready', flush=True)\nsys.stdin.read()\n"


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A store (demo cleared, so the app starts at the first-administrator sign-in page), named by $DJ_DB."""
    path = tmp_path / "page-store.duckdb"
    s = store.open_store(path)
    store.set_meta(s.cursor(), "demo_cleared", "1")
    s.close()
    monkeypatch.setenv("DJ_DB", str(path))
    return path


def _errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [e.value for e in at.error]


def _works(at: AppTest) -> bool:
    """The app drew its sign-in page: no error, no exception, the user-name field shown."""
    return not at.exception and not at.error and any(w.label == "用户名" for w in at.text_input)


def test_a_store_held_by_another_program_names_it_and_the_next_click_works_once_it_is_gone(db):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        program = os.path.realpath(f"/proc/{holder.pid}/exe")
        at = AppTest.from_file(APP, default_timeout=90).run()
        assert _errors(at) == [
            f"看板无法打开数据库 {markdown_text(str(db))}：它正被另一个程序占用（{markdown_text(program)}，PID "
            f"{holder.pid}），例如 DuckDB 命令行、Python 脚本或另一个看板进程。请等该程序结束或关闭它，"
            "然后点击页面上的任意按钮或刷新页面。"]
        assert len(at.main.children) <= 1  # the message only: no page drawn under it
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    at.run()
    assert _works(at)


def test_a_file_that_is_not_a_duckdb_store_says_so(tmp_path, monkeypatch):
    path = tmp_path / "notes.duckdb"
    path.write_text("单位编码,单位名称\n" * 200, encoding="utf-8")
    monkeypatch.setenv("DJ_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert _errors(at) == [
        f"看板无法打开 {markdown_text(str(path))}：它不是 DuckDB 数据库文件。请检查启动看板时的 --db 或环境变量 "
        "DJ_DB 是否指向看板的数据库（默认 data/dashboard.duckdb），改正后重启看板。"]
    # put right (the folder's real store in its place): the next run opens it
    path.unlink()
    s = store.open_store(path)
    store.set_meta(s.cursor(), "demo_cleared", "1")
    s.close()
    at.run()
    assert _works(at)


def test_a_store_from_a_newer_schema_asks_for_an_upgrade(db):
    s = store.open_store(db)
    s.cursor().execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    s.close()
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert _errors(at) == [
        f"数据库结构 v999 比本程序支持的版本（v{LATEST_VERSION}）新，本程序不能打开：请升级看板程序。"]


def test_a_store_written_by_duckdb_2_says_how_to_convert_it_and_the_script_converts_it(tmp_path, monkeypatch):
    # tests/data/store_written_by_duckdb2.duckdb: a store this dashboard wrote with DuckDB 2.0, before the pin
    path = tmp_path / "old-install.duckdb"
    shutil.copyfile(DATA / "store_written_by_duckdb2.duckdb", path)
    monkeypatch.setenv("DJ_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=90).run()
    shown = markdown_text(str(path))
    assert _errors(at) == [
        f"看板无法打开数据库 {shown}：它由更新版本的 DuckDB（2.0 或以上）写入，而本程序使用 DuckDB "
        f"{markdown_text(duckdb.__version__)}（为支持多台服务器共用的 DuckLake 数据湖而固定的版本），不能直接读取。"
        f"若它是本看板旧版本的数据库，请先停止看板，运行 bash scripts/convert-store.sh {shown} 转换"
        "（原文件会保留为备份），然后重新启动看板。"]
    # The command line says the same, and writes nothing.
    done = subprocess.run([sys.executable, "-m", "kpi", "export", "meetings", "--db", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", (
        f"数据库 {path} 由更新版本的 DuckDB（2.0 或以上）写入，本程序使用的 DuckDB {duckdb.__version__} 不能读取，"
        f"未做任何改动。若它是本看板旧版本的数据库，请先停止看板，运行 bash scripts/convert-store.sh {path} 转换"
        "（原文件会保留为备份），然后重试。"))
    # The script (DuckDB 2.0 from the package registry, in a virtualenv of its own) converts it.
    converted = subprocess.run(["bash", str(ROOT / "scripts" / "convert-store.sh"), str(path)], cwd=ROOT,
                               capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert converted.returncode == 0, converted.stderr
    assert converted.stdout.splitlines()[-1] == (
        f"已转换 {path}（原文件保留为 {path}.duckdb2-backup）。/ Converted {path} (the original kept as "
        f"{path}.duckdb2-backup).")
    at.run()
    assert _works(at)
    s = store.open_store(path)
    try:
        assert store.schema_version(s.cursor()) == LATEST_VERSION
        assert s.cursor().execute("SELECT count(*) FROM meetings").fetchall() == [(2,)]
    finally:
        s.close()


def test_the_message_follows_the_language_of_the_session(db):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        at = AppTest.from_file(APP, default_timeout=90)
        at.session_state["lang"] = "en"
        at.run()
        assert _errors(at)[0].startswith(f"The dashboard cannot open the database {markdown_text(str(db))}: "
                                         "another program holds it (")
        # A run stopped before the sidebar draws its language radio must not lose the language: the
        # next click is still in English (Streamlit forgets the value of a widget a run did not draw).
        at.run()
        assert _errors(at)[0].startswith("The dashboard cannot open the database")
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    at.run()  # the store is back: the first administrator's form (no account yet), still in English
    assert not at.exception and not at.error
    assert [w.label for w in at.text_input][:1] == ["Setup token (see the server's log)"]


@pytest.mark.parametrize(("duckdb_says", "key"), [
    ('IO Error: Could not set lock on file "/s.duckdb": Conflicting lock is held in /usr/bin/python3.11 '
     '(PID 16141). See also https://duckdb.org/docs/current/connect/concurrency', "store.unavailable.locked"),
    ('IO Error: Could not set lock on file "/s.duckdb": Resource temporarily unavailable',
     "store.unavailable.locked_unknown"),
    ('IO Error: Cannot open file "/s.duckdb": Permission denied', "store.unavailable.read_only"),
    ('IO Error: Cannot open file "/s.duckdb": Read-only file system', "store.unavailable.read_only"),
    ("IO Error: Trying to read a database file with version number 999, but we can only read versions between "
     "64 and 68. The database file was created with an newer version of DuckDB.", "store.unavailable.newer_duckdb"),
    ('IO Error: The file "/s.duckdb" exists, but it is not a valid DuckDB database file!',
     "store.unavailable.not_a_store"),
])
def test_duckdbs_words_pick_the_pages_message(duckdb_says, key, tmp_path):
    refusal = page_refusal(duckdb.IOException(duckdb_says), tmp_path / "s.duckdb")
    assert refusal.message_key == key
    if key == "store.unavailable.locked":
        assert refusal.params == {"path": str(tmp_path / "s.duckdb"), "pid": 16141, "program": "/usr/bin/python3.11"}


def test_an_unknown_duckdb_error_is_not_dressed_as_an_unavailable_store(tmp_path):
    assert page_refusal(duckdb.IOException("IO Error: disk on fire"), tmp_path / "s.duckdb") is None
