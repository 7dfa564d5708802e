"""The command line on a store the dashboard holds (issue 16, item 2, default file): the job is handed to
the process holding the store over a Unix socket beside it (kpi/cli/handoff.py).

Here this test process plays the dashboard: it opens the store and serves jobs on it exactly as
pages/_ui/context.py does, and `python -m kpi …` runs as a real subprocess. The whole path with
`streamlit run` and a browser is tests/test_e2e_handoff.py.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_upload_page import GOOD

from kpi import store
from kpi.cli import admin as admin_command
from kpi.cli import build_parser, handoff, main
from kpi.cli.common import StoreLocked
from kpi.cli.export import export_bytes
from kpi.config import DEFAULT_RULES_PATH
from kpi.store.unavailable import LockHolder, holder_kind
from tests.fixtures.briefing_fixture import WEEK, make_briefing_store
from tests.fixtures.import_fixtures import template_store

ROOT = Path(__file__).resolve().parent.parent


def kpi(*argv: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m kpi ARGV…` as cron would run it, from `cwd`."""
    return subprocess.run([sys.executable, "-m", "kpi", *argv], cwd=cwd, capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture
def stores(tmp_path):
    """(the store this process will serve, an identical copy nobody holds): a run on the copy is what
    the same command prints without a dashboard."""
    served = template_store(tmp_path / "served.duckdb")
    twin = tmp_path / "twin" / "served.duckdb"
    twin.parent.mkdir()
    shutil.copy(served, twin)
    return served, twin


@pytest.fixture
def serving(stores):
    """This process holds the served store and takes jobs on it, as the dashboard does."""
    opened = store.open_store(stores[0])
    path = handoff.serve(opened, main)
    try:
        yield opened, path
    finally:
        handoff.stop(opened)
        opened.close()


def test_the_socket_sits_beside_the_store_for_its_user_only(stores, serving):
    _, path = serving
    assert path == stores[0].with_name("served.duckdb.sock")
    assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_export_is_handed_to_the_holder_and_prints_what_it_would_alone(stores, serving, tmp_path):
    opened, _ = serving
    expected = export_bytes(opened.cursor(), "meetings", "csv")
    done = kpi("export", "meetings", "--db", str(stores[0]), cwd=tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (0, b"", expected)
    alone = kpi("export", "meetings", "--db", str(stores[1]), cwd=tmp_path)
    assert (alone.returncode, alone.stdout) == (0, expected)
    # recorded like any export, in the holder's store
    assert opened.cursor().execute(
        "SELECT username, action, target, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone() == (
        "cli", "export", "meetings.csv", "stdout")


def test_an_import_from_a_relative_path_is_committed_by_the_holder_and_pages_see_it(stores, serving, tmp_path):
    opened, _ = serving
    work = tmp_path / "work"
    work.mkdir()
    (work / "meetings.csv").write_bytes(GOOD)
    version = store.data_version(opened.cursor())
    done = kpi("import", "meetings", "meetings.csv", "--db", str(stores[0]), cwd=work)
    alone = kpi("import", "meetings", "meetings.csv", "--db", str(stores[1]), cwd=work)
    assert done.returncode == alone.returncode == 0
    assert done.stdout.decode().splitlines() == alone.stdout.decode().splitlines() == [
        "已读取 meetings.csv（CSV，编码 gb18030）：有效数据 3 行；跳过标题行 1、说明行 0、合计行 1、空行 0、重复行 0。",
        "已写入批次 #3（组织生活记录）：新增 1，更新 1，不变 1。"]
    # the holder's data version moved on: every page's cached figures are recomputed on their next run
    assert store.data_version(opened.cursor()) > version
    assert opened.cursor().execute("SELECT count(*) FROM meetings WHERE topic = '学习党章'").fetchone() == (1,)


def test_a_refusal_comes_back_with_its_exit_code(stores, serving, tmp_path):
    done = kpi("demo", "--db", str(stores[0]), cwd=tmp_path)  # the store holds data: no demo over it
    alone = kpi("demo", "--db", str(stores[1]), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (alone.returncode, alone.stdout) == (2, b"")
    assert done.stderr.replace(b"/twin", b"") == alone.stderr.replace(b"/twin", b"")
    assert done.stderr.decode().count("\n") == 1
    assert b"Traceback" not in done.stderr


@pytest.fixture
def briefing_serving(tmp_path):
    """A store with a week of briefing data, held and served by this process."""
    opened = make_briefing_store(tmp_path / "briefing.duckdb")
    handoff.serve(opened, main)
    try:
        yield opened
    finally:
        handoff.stop(opened)
        opened.close()


def test_a_briefing_without_out_is_written_where_the_command_runs(briefing_serving, tmp_path):
    work = tmp_path / "week"
    work.mkdir()
    done = kpi("briefing", "--week", WEEK, "--db", str(briefing_serving.path), cwd=work)
    assert (done.returncode, done.stderr) == (0, b""), done.stderr.decode()
    names = [f"briefing-{WEEK}.zip", f"briefing-{WEEK}.pptx", f"briefing-{WEEK}.pdf"]
    assert sorted(p.name for p in work.iterdir()) == sorted(names)
    lines = done.stdout.decode().splitlines()
    assert lines[:3] == [f"已生成周报：{work / name}" for name in names]
    assert len(lines) == 4 and lines[3].startswith("用时 ") and lines[3].endswith(" 秒")


# --- the job's arguments ----------------------------------------------------------------------------

def _parsed(argv: list[str]) -> argparse.Namespace:
    return build_parser()[0].parse_args(argv)


def test_every_path_of_a_job_is_made_absolute_and_the_store_named(tmp_path, monkeypatch):
    monkeypatch.setenv("DJ_DB", "data/x.duckdb")
    argv = ["import", "meetings", "in/m.csv", "--user", "in/m.csv", "--sheet", "S"]
    assert handoff.job_argv(argv, _parsed(argv), tmp_path) == [
        "import", "meetings", str(tmp_path / "in/m.csv"), "--user", "in/m.csv", "--sheet", "S",
        "--db", str(tmp_path / "data/x.duckdb")]
    argv = ["export", "units", "--out=u.csv", "--db", "other.duckdb"]
    assert handoff.job_argv(argv, _parsed(argv), tmp_path) == [
        "export", "units", f"--out={tmp_path / 'u.csv'}", "--db", str(tmp_path / "other.duckdb")]
    argv = ["briefing", "--week", "2026-W47"]
    assert handoff.job_argv(argv, _parsed(argv), tmp_path)[:5] == [
        "briefing", "--week", "2026-W47", "--out", str(tmp_path)]


def test_a_store_path_too_long_for_a_socket_gets_one_in_the_temporary_folder(tmp_path):
    deep = tmp_path / ("d" * 120) / "s.duckdb"
    path = handoff.socket_path(deep)
    assert len(os.fsencode(path)) <= 107 and path.parent.name == f"dj-kpi-{os.geteuid()}"
    assert path == handoff.socket_path(deep)  # both sides find the same one


# --- who may hand a job over ------------------------------------------------------------------------

class _FakePeer:
    """A connection whose peer credentials (SO_PEERCRED: pid, uid, gid) are the given ones."""

    def __init__(self, uid: int):
        self.uid = uid

    def getsockopt(self, level, option, size):
        assert (level, option, size) == (socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.pack("3i", 4321, self.uid, self.uid)


def test_another_users_process_is_refused_and_our_own_is_not():
    own = os.geteuid()
    other = own + 1000
    assert handoff.peer_refusal(_FakePeer(own)) is None
    assert handoff.peer_refusal(_FakePeer(other)) == (
        f"看板服务只接受与它同一系统用户（uid {own}）运行的命令，本命令以 uid {other} 运行，已拒绝，未做任何改动。"
        "请以该用户运行本命令。")
    assert handoff.peer_refusal(_FakePeer(other), "en") == (
        f"The dashboard takes commands only from its own system user (uid {own}); this command runs as uid "
        f"{other} and was refused; nothing was changed. Run it as that user.")


def test_the_real_socket_reports_this_process_as_its_peer(tmp_path):
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert handoff.peer_uid(a) == os.geteuid()


def test_a_refused_peer_gets_the_message_and_exit_2_and_nothing_runs(stores, serving, monkeypatch, capsys):
    opened, path = serving
    monkeypatch.setattr(handoff, "peer_refusal", lambda conn, lang="zh": f"拒绝（测试，{lang}）")
    before = store.data_version(opened.cursor())
    argv = ["demo", "--clear", "--db", str(stores[0]), "--lang", "en"]
    assert handoff.hand_off(argv, _parsed(argv)) == 2
    assert capsys.readouterr() == ("", "拒绝（测试，en）\n")
    assert store.data_version(opened.cursor()) == before


# --- no dashboard answering -------------------------------------------------------------------------

HOLDER = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\nprint('ready', flush=True)\nsys.stdin.read()\n"


def test_a_stale_socket_and_a_plain_holder_end_in_the_holders_name_within_the_wait(stores, tmp_path):
    db = stores[1]
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(os.fspath(handoff.socket_path(db)))  # left behind by a dashboard that was killed
    stale.close()
    rules = (ROOT / "data" / "rules.toml").read_text(encoding="utf-8").replace(
        "lock_wait_seconds = 30\n", "lock_wait_seconds = 1\n")
    (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        started = time.monotonic()
        done = kpi("export", "meetings", "--db", str(db), cwd=tmp_path, env={"DJ_RULES": str(tmp_path / "rules.toml")})
        elapsed = time.monotonic() - started
        program = os.path.realpath(f"/proc/{holder.pid}/exe")
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode().splitlines() == [
        f"数据库 {db} 正被另一个程序 {program}（PID {holder.pid}）使用；已等待 1 秒仍未释放，本命令未做任何改动。"
        "请关闭该程序（例如 DuckDB 命令行或 Python 脚本）后再运行本命令。"]
    assert 1 <= elapsed < 60


# --- which process holds the store ------------------------------------------------------------------

@pytest.mark.parametrize(("command_line", "kind"), [
    (["/srv/dashboard/.venv/bin/python", "-m", "streamlit", "run", "app.py"], "dashboard"),
    (["/srv/dashboard/.venv/bin/streamlit", "run", "app.py", "--server.port", "8501"], "dashboard"),
    (["python", "-m", "tests.fixtures.fast_hash_streamlit", "run", "app.py"], "dashboard"),
    (["/usr/bin/python3", "-m", "kpi", "import", "units", "u.csv"], "command"),
    (["duckdb", "data/dashboard.duckdb"], "other"),
    (["python3", "-c", "import duckdb"], "other"),
    ([], "other"),
])
def test_the_holder_is_told_apart_by_its_command_line(command_line, kind):
    assert holder_kind(command_line) == kind


def test_admin_on_a_store_the_dashboard_holds_is_refused_at_once_pointing_to_the_accounts_page(
        tmp_path, monkeypatch, capsys):
    path = tmp_path / "s.duckdb"

    def held_by_the_dashboard(args):
        raise StoreLocked(path, LockHolder(4321, "/usr/bin/python3.11", "dashboard"))

    monkeypatch.setattr(admin_command, "run", held_by_the_dashboard)
    started = time.monotonic()
    assert main(["admin", "create", "--user", "chief", "--db", str(path)]) == 2
    assert time.monotonic() - started < 10  # not the 30 s wait of data/rules.toml: nothing would come of it
    assert capsys.readouterr() == ("", (
        f"数据库 {path} 正被看板服务（PID 4321）使用；账号管理命令不会交给看板执行，本命令未做任何改动。"
        "请在看板的“账号管理”页面操作（还没有管理员时，用看板启动日志中打印的一次性设置令牌在登录页创建第一个管理员），"
        "或先停止看板再运行本命令。\n"))


def test_a_job_reading_other_rules_than_the_dashboard_is_refused_and_a_copy_is_not(stores, serving, tmp_path):
    """Handed over, a job runs with the dashboard's rules file: a command line given another one
    ($DJ_RULES) is refused, naming both, instead of silently counting by the dashboard's thresholds; a
    copy of the same file is the same rules."""
    opened, _ = serving
    other = tmp_path / "stricter.toml"
    rules_text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    other.write_text(rules_text.replace("min_ratio_pct = 1.0", "min_ratio_pct = 2.0", 1), encoding="utf-8")
    done = kpi("export", "meetings", "--db", str(stores[0]), cwd=tmp_path, env={"DJ_RULES": str(other)})
    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == (
        f"本命令使用的规则文件 {other} 与正在运行的看板使用的 {DEFAULT_RULES_PATH.resolve()} 不同；"
        "交给看板执行会按看板的规则计算，已拒绝，未做任何改动。"
        "请让两者使用同一个规则文件（环境变量 DJ_RULES），或先停止看板再运行本命令。\n")
    copy = tmp_path / "same.toml"
    shutil.copy(DEFAULT_RULES_PATH, copy)
    same = kpi("export", "meetings", "--db", str(stores[0]), cwd=tmp_path, env={"DJ_RULES": str(copy)})
    assert (same.returncode, same.stdout) == (0, export_bytes(opened.cursor(), "meetings", "csv"))
