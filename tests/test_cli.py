"""`python -m kpi import` / `export`: exit codes and exact output lines. The commands run in-process
(kpi.cli.main, output captured); one smoke test per command runs them as real subprocesses."""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from kpi import store
from kpi.cli import main
from kpi.importing.commit import canonical_frame, commit_frame

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "data" / "templates"
UNITS_READ = ("已读取 units.xlsx（Excel，工作表 组织架构、说明）：有效数据 4 行；"
              "跳过标题行 0、说明行 1、合计行 0、空行 0、重复行 0。")


@dataclass(frozen=True)
class Ran:
    """What a command left behind: its exit code and its raw output (bytes, as a subprocess gives)."""
    returncode: int
    stdout: bytes
    stderr: bytes


@pytest.fixture
def kpi(capsysbinary, monkeypatch):
    """`kpi(*args, db=path)` runs `python -m kpi *args --db path` in this process; DJ_DB points elsewhere,
    so only --db can name the store."""
    def run(*args: str, db: Path) -> Ran:
        monkeypatch.setenv("DJ_DB", str(db.parent / "unused.duckdb"))
        capsysbinary.readouterr()
        code = main([*args, "--db", str(db)])
        out, err = capsysbinary.readouterr()
        return Ran(code, out, err)
    return run


def kpi_subprocess(*args: str, db: Path) -> subprocess.CompletedProcess:
    """`python -m kpi *args --db db` as a real subprocess (the smoke tests)."""
    env = {**os.environ, "DJ_DB": str(db.parent / "unused.duckdb")}
    return subprocess.run([sys.executable, "-m", "kpi", *args, "--db", str(db)], cwd=ROOT, env=env,
                          capture_output=True, timeout=120)


def lines(stream: bytes) -> list[str]:
    return stream.decode("utf-8").splitlines()


@pytest.fixture
def db(tmp_path) -> Path:
    """An empty store: only `demo` and `admin create` may create one."""
    path = tmp_path / "s.duckdb"
    store.open_store(path).close()
    return path


def checksums(db: Path) -> dict:
    s = store.open_store(db)
    try:
        return store.table_checksums(s.cursor())
    finally:
        s.close()


def test_import_commits_and_prints_counts_then_recognises_the_same_file(kpi, db):
    done = kpi("import", "units", str(TEMPLATES / "units.xlsx"), "--user", "ana", db=db)
    assert (done.returncode, lines(done.stdout), lines(done.stderr)) == (
        0, [UNITS_READ, "已写入批次 #1（组织架构）：新增 4，更新 0，不变 0。"], [])
    s = store.open_store(db)
    when = s.cursor().execute("SELECT strftime(created_at, '%Y-%m-%d %H:%M') FROM batches").fetchone()[0]
    assert s.cursor().execute("SELECT count(*), min(batch_id) FROM units").fetchone() == (4, 1)
    s.close()

    again = kpi("import", "units", str(TEMPLATES / "units.xlsx"), db=db)
    assert (again.returncode, lines(again.stderr)) == (
        2, [f"此文件已于 {when} 作为批次 #1 上传，未重复写入。", "如确需再次写入，请加 --force。"])
    forced = kpi("import", "units", str(TEMPLATES / "units.xlsx"), "--force", "--lang", "en", db=db)
    assert (forced.returncode, lines(forced.stdout)[1]) == (
        0, "Committed batch #2 (Organisation tree): 0 new, 0 updated, 4 unchanged.")


def test_refused_file_prints_every_error_and_writes_nothing(kpi, db, tmp_path):
    kpi("import", "units", str(TEMPLATES / "units.xlsx"), db=db)
    before = checksums(db)
    bad = tmp_path / "问题.csv"
    bad.write_bytes("问题编号,单位编码,问题来源,发现日期,问题描述,整改时限,整改状态\n"
                    "P1,HY01,巡察,2025-13-01,记录不全,2025-05-01,整改中\n"
                    "P2,XX,巡察,2025-01-01,\"台账, 未更新\",2025-05-01,整改中\n"
                    "P3,HY01,巡察,2025-01-01,经费,2025-05-01,整改中\n".encode("gbk"))
    result = kpi("import", "problems", str(bad), db=db)
    assert result.returncode == 2
    assert lines(result.stdout) == [
        "已读取 问题.csv（CSV，编码 gb18030）：有效数据 1 行；跳过标题行 0、说明行 0、合计行 0、空行 0、重复行 0。"]
    assert lines(result.stderr) == [
        "已拒绝：共 2 个错误，未写入任何数据。",
        "行号,列,值,原因",
        "2,发现日期,2025-13-01,不是有效日期，可写作 2025-03-05、2025/3/5、2025年3月5日 或 20250305",
        "3,单位编码,XX,未知单位编码 XX，单位须先在“组织架构”中登记",
    ]
    assert checksums(db) == before


def test_whole_file_refusal_and_missing_file_are_one_line_each(kpi, db, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = kpi("import", "meetings", str(empty), "--lang", "en", db=db)
    assert (result.returncode, lines(result.stdout), lines(result.stderr)) == (
        2, [], ["Refused: 1 errors; nothing was written.", "Row,Column,Value,Reason", ",,,the file is empty"])
    missing = kpi("import", "meetings", str(tmp_path / "nope.csv"), db=db)
    assert (missing.returncode, lines(missing.stderr)) == (
        2, [f"无法读取文件 {tmp_path / 'nope.csv'}：No such file or directory"])


def test_a_file_that_is_not_a_store_is_one_line_never_a_traceback(kpi, tmp_path):
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("这不是数据库")
    result = kpi("import", "units", str(TEMPLATES / "units.xlsx"), db=not_a_store)
    assert (result.returncode, lines(result.stderr)) == (2, [
        f"{not_a_store} 不是 DuckDB 数据库文件，无法打开，未做任何改动。"
        "请检查 --db 或环境变量 DJ_DB 是否指向看板的数据库（默认 data/dashboard.duckdb）。"])


def test_dry_run_prints_the_diff_and_writes_nothing(kpi, db):
    kpi("import", "units", str(TEMPLATES / "units.xlsx"), db=db)
    before = checksums(db)
    result = kpi("import", "meetings", str(TEMPLATES / "meetings.xlsx"), "--dry-run", db=db)
    assert (result.returncode, lines(result.stdout)[1]) == (0, "试运行，未写入：新增 3，更新 0，不变 0。")
    assert checksums(db) == before


def test_export_csv_english_names_iso_dates_bom_and_neutralised_formulas(kpi, db):
    s = store.open_store(db)
    commit_frame(s.cursor(), "problems", canonical_frame("problems", [
        {"problem_id": "P2", "unit_code": "HY01", "source": "审计", "found_date": dt.date(2025, 1, 15),
         "description": "=HYPERLINK(\"http://x\")", "due_date": dt.date(2025, 4, 30), "status": "已销号",
         "closed_date": dt.date(2025, 4, 28)},
        {"problem_id": "P1", "unit_code": "HY0101", "source": "巡察", "found_date": dt.date(2025, 2, 20),
         "description": "记录不规范", "due_date": dt.date(2025, 5, 31), "status": "整改中"},
    ]), "t", "ana")
    s.close()
    result = kpi("export", "problems", db=db)
    assert result.returncode == 0
    assert result.stdout.startswith(b"\xef\xbb\xbf")
    assert lines(result.stdout[3:]) == [
        "problem_id,unit_code,source,found_date,category,description,severity,owner,measures,due_date,status,"
        "completed_date,closed_date",
        "P1,HY0101,巡察,2025-02-20,,记录不规范,,,,2025-05-31,整改中,,",
        "P2,HY01,审计,2025-01-15,,\"'=HYPERLINK(\"\"http://x\"\")\",,,,2025-04-30,已销号,,2025-04-28",
    ]


def test_export_xlsx_to_file(kpi, db, tmp_path):
    kpi("import", "units", str(TEMPLATES / "units.xlsx"), db=db)
    out = tmp_path / "units.xlsx"
    result = kpi("export", "units", "--format", "xlsx", "--out", str(out), db=db)
    assert (result.returncode, result.stdout) == (0, b"")
    frame = pd.read_excel(io.BytesIO(out.read_bytes()), engine="openpyxl", dtype={"unit_code": str})
    assert list(frame.columns) == ["unit_code", "unit_name", "parent_code", "level", "org_type", "member_count",
                                   "staff_count", "founded_date"]
    assert frame.iloc[3].tolist()[:4] == ["HY010101", "第一发电厂运行部党支部", "HY0101", 4]
    assert str(frame.at[0, "founded_date"])[:10] == "2001-06-18"


def test_export_of_a_missing_store_is_refused(kpi, tmp_path):
    result = kpi("export", "units", db=tmp_path / "nope.duckdb")
    assert (result.returncode, lines(result.stderr)) == (2, [
        f"数据库文件不存在：{tmp_path / 'nope.duckdb'}。请检查 --db 或环境变量 DJ_DB 是否写错；"
        "要新建数据库，请运行 python -m kpi demo（演示数据）或 python -m kpi admin create（第一个管理员）。"])
    assert not (tmp_path / "nope.duckdb").exists()


def test_smoke_import_as_a_subprocess(db):
    done = kpi_subprocess("import", "units", str(TEMPLATES / "units.xlsx"), "--lang", "en", db=db)
    assert (done.returncode, lines(done.stdout)[1], lines(done.stderr)) == (
        0, "Committed batch #1 (Organisation tree): 4 new, 0 updated, 0 unchanged.", [])


def test_smoke_export_as_a_subprocess(kpi, db):
    kpi("import", "units", str(TEMPLATES / "units.xlsx"), db=db)
    result = kpi_subprocess("export", "units", db=db)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.startswith(b"\xef\xbb\xbf")
    assert lines(result.stdout[3:])[:2] == [
        "unit_code,unit_name,parent_code,level,org_type,member_count,staff_count,founded_date",
        lines(kpi("export", "units", db=db).stdout[3:])[1]]
