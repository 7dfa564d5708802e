"""The store: schema versions, migrations that never lose a row, the org tree table."""
import shutil
from pathlib import Path

import pytest

from kpi import config
from kpi.org import breadcrumb, find_units, units_in_subtree
from kpi.store import (
    DATASET_TABLES,
    StoreError,
    StoreTooNew,
    bump_data_version,
    data_version,
    is_empty,
    open_store,
    quote_identifier,
    schema_version,
    set_meta,
    table_checksums,
)
from kpi.store.migrations import LATEST_VERSION

V1_FILE = Path(__file__).parent / "data" / "store_v1.duckdb"
V2_FILE = Path(__file__).parent / "data" / "store_v2.duckdb"


def test_new_store_has_latest_schema_and_no_rows(tmp_path):
    con = open_store(tmp_path / "new.duckdb").cursor()
    assert schema_version(con) == LATEST_VERSION == 7
    assert is_empty(con)
    assert data_version(con) == 0
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'units'").fetchall()}
    assert columns == {"unit_code", "unit_name", "parent_code", "level", "org_type", "member_count",
                       "staff_count", "founded_date", "batch_id"}


def test_v1_file_upgrades_without_losing_a_row(tmp_path):
    copy = tmp_path / "old.duckdb"
    shutil.copy(V1_FILE, copy)
    import duckdb
    raw = duckdb.connect(str(copy))
    before = {t: raw.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
              for t in (*DATASET_TABLES, "batches", "problem_snapshots")}
    assert raw.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
    raw.close()

    con = open_store(copy).cursor()
    assert schema_version(con) == LATEST_VERSION
    for table, rows in before.items():
        after = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        # v2 appends columns; the v1 part of every row is untouched.
        assert [row[:len(rows[0])] for row in after] == rows, table
    assert con.execute("SELECT founded_date FROM units WHERE unit_code = 'B0101'").fetchone() == (None,)
    assert con.execute("SELECT kind, undone_at FROM batches WHERE batch_id = 4").fetchone() == ("upload", None)
    assert con.execute("SELECT count(*) FROM meetings").fetchone() == (2,)
    assert breadcrumb(con, "B0101") == [("G01", "示例集团"), ("S01", "第一分公司"), ("B0101", "第一党支部")]


def test_v2_file_upgrades_to_the_latest_without_losing_a_row(tmp_path):
    copy = tmp_path / "v2.duckdb"
    shutil.copy(V2_FILE, copy)
    import duckdb
    raw = duckdb.connect(str(copy))
    tables = [r[0] for r in raw.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    before = {t: raw.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables if t != "meta"}
    assert raw.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)
    paths_view = raw.execute("SELECT * FROM unit_paths ORDER BY ALL").fetchall()
    raw.close()
    assert sum(len(rows) for rows in before.values()) == 15

    con = open_store(copy).cursor()
    assert schema_version(con) == LATEST_VERSION
    # v4 turns the unit_paths view into a table holding exactly the rows the view gave.
    assert con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'unit_paths'"
                       ).fetchall() == [("BASE TABLE",)]
    assert con.execute("SELECT * FROM unit_paths ORDER BY ALL").fetchall() == paths_view
    assert len(paths_view) > 0
    for table, rows in before.items():
        after = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        # v3 appends batches.undone_by and v7 batches.sheets_loaded only; every v2 row keeps all its values.
        assert [row[:len(row) - 2 * (table == "batches")] for row in after] == rows, table
    assert con.execute("SELECT batch_id, undone_by, sheets_loaded FROM batches ORDER BY 1").fetchall() == [
        (1, None, None), (4, None, None), (5, None, None)]
    assert data_version(con) == 5
    # v7 records every dataset as last written at the version the file had.
    assert con.execute("SELECT key, value FROM meta WHERE key LIKE 'changed_at.%' ORDER BY key").fetchall() == [
        (f"changed_at.{name}", "5") for name in sorted(DATASET_TABLES)]
    for table in ("accounts", "login_attempts", "audit_log"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def test_reopening_a_migrated_store_changes_nothing(tmp_path):
    path = tmp_path / "s.duckdb"
    store = open_store(path)
    con = store.cursor()
    con.execute("INSERT INTO units (unit_code, unit_name, level) VALUES ('G', '集团', 1)")
    bump_data_version(con)
    sums = table_checksums(con)
    store.close()
    assert table_checksums(open_store(path).cursor()) == sums


def test_store_newer_than_app_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    store = open_store(path)
    set_meta(store.cursor(), "schema_version", str(LATEST_VERSION + 1))
    store.close()
    with pytest.raises(StoreTooNew, match="newer than this app") as refused:
        open_store(path)
    assert isinstance(refused.value, StoreError)
    assert refused.value.message("zh") == (f"数据库结构 v{LATEST_VERSION + 1} 比本程序支持的版本（v{LATEST_VERSION}）"
                                           "新，本程序不能打开：请升级看板程序。")


def test_data_version_counts_up(tmp_path):
    con = open_store(tmp_path / "v.duckdb").cursor()
    assert bump_data_version(con) == 1
    assert bump_data_version(con) == 2
    assert data_version(con) == 2


def test_checksum_sees_any_change(tmp_path):
    con = open_store(tmp_path / "c.duckdb").cursor()
    con.execute("INSERT INTO units (unit_code, unit_name, level) VALUES ('G', '集团', 1)")
    before = table_checksums(con)
    con.execute("UPDATE units SET unit_name = '集团公司'")
    assert table_checksums(con)["units"] != before["units"]
    assert table_checksums(con)["meetings"] == before["meetings"] == (0, 0)


def test_quote_identifier_escapes_quotes():
    assert quote_identifier('a"b') == '"a""b"'


def test_subtree_and_rollup(tmp_path):
    con = open_store(tmp_path / "t.duckdb").cursor()
    con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES
        ('G', '集团', NULL, 1, '党委'), ('A', '甲公司', 'G', 2, '党委'), ('B', '乙公司', 'G', 2, '党委'),
        ('A1', '甲一厂', 'A', 3, '党总支'), ('A1x', '甲一厂第一支部', 'A1', 4, '党支部'),
        ('B1x', '乙公司机关支部', 'B', 4, '党支部')""")
    bump_data_version(con)   # every writer bumps the version, which brings unit_paths up to date
    assert list(units_in_subtree(con, "A").unit_code) == ["A", "A1", "A1x"]
    assert list(units_in_subtree(con, None, level=4).unit_code) == ["A1x", "B1x"]
    # A SQL-injection attempt as a root code matches nothing and raises nothing.
    assert units_in_subtree(con, "A' OR '1'='1").empty
    # Roll-ups read unit_paths by ancestor level (the overview's ranking counts flags this way).
    rollup = con.execute("SELECT unit_code, ancestor_code FROM unit_paths WHERE ancestor_level = 2").fetchall()
    assert dict(rollup) == {
        "A": "A", "A1": "A", "A1x": "A", "B": "B", "B1x": "B"}


def test_db_path_from_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DJ_DB", str(tmp_path / "env.duckdb"))
    assert config.db_path(["--db", "/x/y.duckdb"]) == Path("/x/y.duckdb")
    assert config.db_path(["--db=/x/z.duckdb"]) == Path("/x/z.duckdb")
    assert config.db_path([]) == tmp_path / "env.duckdb"
    monkeypatch.delenv("DJ_DB")
    assert config.db_path([]) == config.DEFAULT_DB_PATH


def test_find_units_searches_code_and_name_literally(tmp_path):
    con = open_store(tmp_path / "f.duckdb").cursor()
    con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES
        ('G', '集团', NULL, 1, '党委'), ('A', '甲公司', 'G', 2, '党委'), ('B', '乙公司', 'G', 2, '党委'),
        ('A01', '甲公司机关党支部', 'A', 4, '党支部'), ('A02', '甲公司车间党支部', 'A', 4, '党支部'),
        ('B01', '乙公司机关党支部', 'B', 4, '党支部'), ('B02', '100%_党支部', 'B', 4, '党支部')""")
    bump_data_version(con)
    found, total = find_units(con, None, 4, "机关")
    assert (found.unit_code.tolist(), total) == (["A01", "B01"], 2)
    found, total = find_units(con, "A", 4, "")
    assert (found.unit_code.tolist(), total) == (["A01", "A02"], 2)
    found, total = find_units(con, None, 4, "", limit=3)
    assert (found.unit_code.tolist(), total) == (["A01", "A02", "B01"], 4)   # the first 3 of 4
    assert find_units(con, None, 4, "%_")[0].unit_code.tolist() == ["B02"]   # literal, not wildcards
    assert find_units(con, None, 4, "' OR '1'='1")[1] == 0


def test_unit_paths_follow_the_tree_on_every_bump_and_on_opening(tmp_path):
    path = tmp_path / "p.duckdb"
    store = open_store(path)
    con = store.cursor()
    con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level) VALUES
        ('G', '集团', NULL, 1), ('A', '甲公司', 'G', 2), ('A1', '甲一支部', 'A', 4)""")
    bump_data_version(con)
    assert con.execute("SELECT unit_code, ancestor_code, ancestor_level, depth FROM unit_paths ORDER BY ALL"
                       ).fetchall() == [("A", "A", 2, 0), ("A", "G", 1, 1), ("A1", "A", 2, 1), ("A1", "A1", 4, 0),
                                        ("A1", "G", 1, 2), ("G", "G", 1, 0)]
    # A branch moved to another parent by a program that does not bump: seen on the next opening.
    con.execute("INSERT INTO units (unit_code, unit_name, parent_code, level) VALUES ('B', '乙公司', 'G', 2)")
    con.execute("UPDATE units SET parent_code = 'B' WHERE unit_code = 'A1'")
    store.close()
    con = open_store(path).cursor()
    assert units_in_subtree(con, "B").unit_code.tolist() == ["A1", "B"]
    assert units_in_subtree(con, "A").unit_code.tolist() == ["A"]
