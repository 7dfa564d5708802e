"""Every command reports every failure the same way: exit 2 and one translated message, never a traceback.

In-process through `kpi.cli.main` (capsys), one failure at a time per command: a missing store (a mistyped
--db), a store held by another process, a read-only store, a file that is not a store, an unwritable
--out, a bad rules file. One subprocess per command proves the `python -m kpi` entry point.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpi import store
from kpi.cli import main
from tests.fixtures.briefing_fixture import WEEK, make_briefing_store

ROOT = Path(__file__).resolve().parent.parent
UNITS_XLSX = ROOT / "data" / "templates" / "units.xlsx"
# Opens the file given and holds it (DuckDB's lock) until its standard input is closed.
HOLDER = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\nprint('ready', flush=True)\nsys.stdin.read()\n"


def command(name: str, db: Path, tmp_path: Path) -> list[str]:
    """The arguments of a run of `name` on the store `db` that would succeed on a good store."""
    return {
        "import": ["import", "units", str(UNITS_XLSX)],
        "export": ["export", "units"],
        "briefing": ["briefing", "--week", WEEK, "--out", str(tmp_path / "out")],
        "demo": ["demo", "--as-of", "2026-11-21"],
        "demo --clear": ["demo", "--clear"],
        "admin create": ["admin", "create", "--user", "chief"],
    }[name] + ["--db", str(db)]


EVERY_COMMAND = ["import", "export", "briefing", "demo", "demo --clear", "admin create"]


@pytest.fixture(autouse=True)
def _admin_password(monkeypatch):
    """`admin create` reads its password before it opens the store: give it one."""
    monkeypatch.setenv("DJ_ADMIN_PASSWORD", "chief-pass-1")


def refusal(capsys, argv: list[str]) -> tuple[int, list[str], str]:
    """(exit code, the lines on standard error, standard output) of `main(argv)`."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


def missing(path: Path) -> str:
    return (f"数据库文件不存在：{path}。请检查 --db 或环境变量 DJ_DB 是否写错；"
            "要新建数据库，请运行 python -m kpi demo（演示数据）或 python -m kpi admin create（第一个管理员）。")


def locked(path: Path) -> str:
    """The refusal when DuckDB's lock error names no holder."""
    return (f"数据库 {path} 正被另一个程序使用（通常是正在运行的看板），本命令无法打开它，未做任何改动。"
            "请先停止看板（或那个程序），或等它结束后再运行本命令。")


def locked_by_program(path: Path, pid: int) -> str:
    """The refusal when a program that is neither the dashboard nor a command holds the store, after
    the [store] lock_wait_seconds of SHORT_WAIT_RULES."""
    program = os.path.realpath(f"/proc/{pid}/exe")  # DuckDB names the holder's executable
    return (f"数据库 {path} 正被另一个程序 {program}（PID {pid}）使用；已等待 0.5 秒仍未释放，本命令未做任何改动。"
            "请关闭该程序（例如 DuckDB 命令行或 Python 脚本）后再运行本命令。")


@pytest.fixture
def short_lock_wait(tmp_path, monkeypatch) -> float:
    """The rules with [store] lock_wait_seconds = 0.5 (30 in data/rules.toml): how long a command waits."""
    rules = (ROOT / "data" / "rules.toml").read_text(encoding="utf-8")
    assert "lock_wait_seconds = 30\n" in rules
    path = tmp_path / "rules.toml"
    path.write_text(rules.replace("lock_wait_seconds = 30\n", "lock_wait_seconds = 0.5\n"), encoding="utf-8")
    monkeypatch.setenv("DJ_RULES", str(path))
    return 0.5


def read_only(path: Path) -> str:
    return (f"无法写入数据库 {path}：文件或其所在文件夹是只读的，或当前用户没有写权限，未做任何改动。"
            "打开数据库时需要写入（更新结构），请检查权限，或换有写权限的用户运行。")


def not_a_store(path: Path) -> str:
    return (f"{path} 不是 DuckDB 数据库文件，无法打开，未做任何改动。"
            "请检查 --db 或环境变量 DJ_DB 是否指向看板的数据库（默认 data/dashboard.duckdb）。")


@pytest.fixture
def empty_store(tmp_path) -> Path:
    path = tmp_path / "s.duckdb"
    store.open_store(path).close()
    return path


@pytest.fixture
def holder(empty_store):
    """A Python process (not the dashboard) holding the store open; released after the test."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(empty_store)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        yield holder
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@pytest.fixture
def read_only_store(empty_store):
    """A store this process cannot open for writing. chmod does not stop root, so as root the file is
    made immutable (chattr +i; root cannot write it either); skipped where neither takes effect."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(empty_store)], capture_output=True).returncode == 0
    else:
        empty_store.chmod(0o444)
        made = True
    try:
        try:
            with empty_store.open("r+b"):
                writable = True
        except OSError:
            writable = False
        if not made or writable:
            pytest.skip("cannot make a file read-only for this user on this file system")
        yield empty_store
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(empty_store)], capture_output=True)
        empty_store.chmod(0o644)


# --- the store cannot be used ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["import", "export", "briefing", "demo --clear"])
def test_a_missing_store_is_named_with_how_to_fix_and_not_created(tmp_path, capsys, name):
    typo = tmp_path / "dashbord.duckdb"
    assert refusal(capsys, command(name, typo, tmp_path)) == (2, [missing(typo)], "")
    assert not typo.exists()


@pytest.mark.parametrize("name", ["demo", "admin create"])
def test_only_demo_and_admin_create_make_a_new_store(tmp_path, capsys, name):
    new = tmp_path / "new" / "s.duckdb"
    assert main(command(name, new, tmp_path)) == 0
    assert new.exists()


@pytest.fixture
def held_store(empty_store, holder):
    return empty_store


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_a_store_in_use_by_another_program_waits_then_names_it_and_what_to_do(
        held_store, holder, short_lock_wait, tmp_path, capsys, name):
    started = time.monotonic()
    assert refusal(capsys, command(name, held_store, tmp_path)) == (
        2, [locked_by_program(held_store, holder.pid)], "")
    assert short_lock_wait <= time.monotonic() - started < short_lock_wait + 20  # bounded, not forever


def test_a_store_in_use_in_english(held_store, holder, short_lock_wait, tmp_path, capsys):
    program = os.path.realpath(f"/proc/{holder.pid}/exe")
    assert refusal(capsys, command("briefing", held_store, tmp_path) + ["--lang", "en"]) == (2, [
        f"The database {held_store} is in use by another program {program} (PID {holder.pid}); waited 0.5 s "
        "and it was not released; nothing was changed. Close that program (such as the DuckDB command line or "
        "a Python script), then run this command again."], "")


def test_a_lock_error_naming_no_holder_keeps_the_general_message(tmp_path):
    from kpi.cli.common import StoreLocked
    path = tmp_path / "s.duckdb"
    assert StoreLocked(path).message("zh") == locked(path)
    assert StoreLocked(path).message("en") == (
        f"The database {path} is in use by another program (usually the running dashboard); this command "
        "cannot open it and changed nothing. Stop the dashboard (or that program) first, or run this command "
        "once it has finished.")


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_a_read_only_store_is_refused_in_one_message(read_only_store, tmp_path, capsys, name):
    assert refusal(capsys, command(name, read_only_store, tmp_path)) == (2, [read_only(read_only_store)], "")


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path, capsys, name):
    notes = tmp_path / "notes.txt"
    notes.write_text("这不是数据库", encoding="utf-8")
    assert refusal(capsys, command(name, notes, tmp_path)) == (2, [not_a_store(notes)], "")
    assert notes.read_text(encoding="utf-8") == "这不是数据库"


# --- the output cannot be written --------------------------------------------------------------

@pytest.fixture
def briefing_db(tmp_path, monkeypatch) -> Path:
    """The briefing fixture store; a render of its briefing fails the test: an --out that cannot be a
    folder is refused before the render (which starts a browser and takes seconds)."""
    path = tmp_path / "briefing.duckdb"
    make_briefing_store(path).close()

    def no_render(briefing):
        raise AssertionError("rendered before the output folder was checked")
    monkeypatch.setattr("kpi.cli.briefing.render_briefing", no_render)
    return path


def test_briefing_into_a_folder_under_a_file_is_refused(briefing_db, tmp_path, capsys):
    blocker = tmp_path / "report.txt"
    blocker.write_text("x")
    out = blocker / "周报"
    assert refusal(capsys, ["briefing", "--db", str(briefing_db), "--week", WEEK, "--out", str(out)]) == (2, [
        f"无法写入 {out}：路径中有一段是文件而不是文件夹。请用 --out 换一个可写的位置。"], "")


def test_briefing_into_an_existing_file_is_refused(briefing_db, tmp_path, capsys):
    blocker = tmp_path / "report.txt"
    blocker.write_text("x")
    assert refusal(capsys, ["briefing", "--db", str(briefing_db), "--week", WEEK, "--out", str(blocker),
                            "--lang", "en"]) == (2, [
        f"Cannot write {blocker}: a file of that name exists where a folder is needed. "
        "Choose a writable place with --out."], "")
    assert blocker.read_text() == "x"


def test_export_to_a_file_under_a_file_is_refused(empty_store, tmp_path, capsys):
    blocker = tmp_path / "report.txt"
    blocker.write_text("x")
    out = blocker / "units.csv"
    assert refusal(capsys, ["export", "units", "--db", str(empty_store), "--out", str(out)]) == (2, [
        f"无法写入 {out}：路径中有一段是文件而不是文件夹。请用 --out 换一个可写的位置。"], "")


def test_export_to_a_folder_is_refused(empty_store, tmp_path, capsys):
    assert refusal(capsys, ["export", "units", "--db", str(empty_store), "--out", str(tmp_path)]) == (2, [
        f"无法写入 {tmp_path}：这是一个文件夹。请在 --out 中写出文件名。"], "")


# --- the rules file cannot be used -------------------------------------------------------------

@pytest.mark.parametrize("name", ["import", "briefing", "demo", "admin create"])
def test_a_bad_rules_file_gives_the_same_message_in_every_command(empty_store, tmp_path, capsys, monkeypatch,
                                                                    name):
    bad = tmp_path / "rules.toml"
    bad.write_text("[funds]\nmin_ratio_pct = 'one'\n", encoding="utf-8")
    monkeypatch.setenv("DJ_RULES", str(bad))
    assert refusal(capsys, command(name, empty_store, tmp_path)) == (2, ["规则文件有误：assessment — 缺少此项"], "")


@pytest.mark.parametrize("name", ["import", "briefing", "demo", "admin create"])
def test_a_rules_file_that_is_not_toml_is_one_translated_line(empty_store, tmp_path, capsys, monkeypatch, name):
    bad = tmp_path / "rules.toml"
    bad.write_text("[funds\n", encoding="utf-8")
    monkeypatch.setenv("DJ_RULES", str(bad))
    assert refusal(capsys, command(name, empty_store, tmp_path)) == (2, [
        f"规则文件有误：{bad} — 不是有效的 TOML：Expected ']' at the end of a table declaration (at line 1, column 7)"
    ], "")


# --- arguments and the entry point -------------------------------------------------------------

def test_bad_arguments_return_exit_2_instead_of_leaving_the_process(capsys):
    assert main(["briefing", "--week"]) == 2
    assert "expected one argument" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["import"], ["export"], ["briefing"], ["demo"], ["admin", "create"]])
def test_python_m_kpi_runs_every_command_with_the_shared_options(argv):
    done = subprocess.run([sys.executable, "-m", "kpi", *argv, "--help"], cwd=ROOT, capture_output=True,
                          timeout=120)
    help_text = done.stdout.decode("utf-8")
    assert (done.returncode, done.stderr) == (0, b"")
    assert "--db DB" in help_text and "--lang {zh,en}" in help_text
