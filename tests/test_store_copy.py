"""Moving a DuckDB file store into a new DuckLake (issue 16: from one server to several):
`python -m kpi copy --to <lake>` and kpi.store.copying, on a real file and a real lake (private PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest

from kpi import demo, store
from kpi.access import accounts, audit
from kpi.cli import common, main
from kpi.store.copying import TargetNotEmpty, copy_file_into_lake
from kpi.store.unavailable import LockHolder

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture
def file_store(tmp_path, rules):
    """The demo group as of AS_OF with the demo accounts, one audit entry and one sign-in attempt."""
    path = tmp_path / "one-server.duckdb"
    opened = store.open_store(path)
    con = opened.cursor()
    demo.load_demo(con, AS_OF)
    accounts.create_demo_accounts(con, rules)
    with store.transaction(con):
        audit.record(con, "admin", "export", "meetings.csv")
    with pytest.raises(accounts.SignInRefused):
        accounts.authenticate(con, rules, "admin", "wrong", dt.datetime(2026, 11, 20, 9, 0))
    opened.close()
    return path


def _contents(spec) -> dict:
    """Every table's (rows, hash) except meta, and meta without the lake's own keys."""
    opened = store.open_store(spec)
    try:
        con = opened.cursor()
        sums = {t: v for t, v in store.table_checksums(con).items() if t != "meta"}
        meta = con.execute("SELECT key, value FROM meta WHERE key NOT IN ('writer') AND key NOT LIKE 'seq.%' "
                           "ORDER BY key").fetchall()
        return {"tables": sums, "meta": meta}
    finally:
        opened.close()


def test_a_copy_holds_every_row_and_ids_continue_after_the_copied_ones(file_store, lake_factory, rules):
    spec = lake_factory.new_spec()
    before = _contents(file_store)
    lake_store = store.open_store(spec)
    try:
        copied = copy_file_into_lake(file_store, lake_store.cursor())
    finally:
        lake_store.close()
    assert _contents(spec) == before
    assert copied["meetings"] == before["tables"]["meetings"][0] > 0
    assert (copied["audit_log"], copied["login_attempts"]) == (1, 1)
    lake_store = store.open_store(spec)
    try:
        con = lake_store.cursor()
        with store.transaction(con):
            audit.record(con, "admin", "export", "problems.csv")
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(con, rules, "admin", "wrong", dt.datetime(2026, 11, 20, 9, 1))
        assert con.execute("SELECT id, target FROM audit_log ORDER BY id").fetchall() == [
            (1, "meetings.csv"), (2, "problems.csv")]
        assert con.execute("SELECT attempt_id FROM login_attempts ORDER BY 1").fetchall() == [(1,), (2,)]
        assert accounts.authenticate(con, rules, "admin", "admin-demo").username == "admin"
    finally:
        lake_store.close()


def test_a_lake_that_holds_data_is_refused_and_nothing_is_written(file_store, lake_factory):
    spec = lake_factory.new_spec()
    lake_store = store.open_store(spec)
    try:
        con = lake_store.cursor()
        con.execute("INSERT INTO units (unit_code, unit_name, level) VALUES ('X', '另一个集团', 1)")
        before = store.table_checksums(con)
        with pytest.raises(TargetNotEmpty) as refused:
            copy_file_into_lake(file_store, con)
        assert refused.value.message("zh") == (
            "目标数据湖已有数据（表 units 不为空），未复制任何内容：复制只写入新建的空数据湖，以免两份数据混在一起。"
            "请换一个新的目录数据库。")
        assert store.table_checksums(con) == before
    finally:
        lake_store.close()


def test_the_copy_command_prints_what_it_copied(file_store, lake_factory, capsys):
    spec = lake_factory.new_spec()
    rows = _contents(file_store)["tables"]
    assert main(["copy", "--db", str(file_store), "--to", spec]) == 0
    out = capsys.readouterr().out.splitlines()
    public = spec  # no password in it
    assert out[0].startswith(f"已把 {file_store} 的全部数据复制到数据湖 {public}：")
    assert out[0].endswith("各服务器现在可以用 DJ_STORE 指向该数据湖启动。")
    assert out[1:] == [f"  {name}：{rows[table][0]} 行" for name, table in (
        ("组织架构", "units"), ("年度指标", "annual"), ("组织生活记录", "meetings"), ("问题清单", "problems"),
        ("督查记录", "supervision"), ("达标创星", "ratings"), ("其他指标", "indicators"))]


@pytest.mark.parametrize("argv, message", [
    (["copy", "--to", "/tmp/another.duckdb"], "只能复制到 DuckLake 数据湖：--to 需写成 ducklake:postgres:<连接串>。"),
])
def test_the_copy_command_refuses_a_target_that_is_no_lake(argv, message, file_store, capsys):
    assert main([*argv, "--db", str(file_store)]) == 2
    assert capsys.readouterr().err.strip() == message


def test_a_copy_while_the_dashboard_holds_the_file_says_to_stop_it_first(tmp_path):
    refused = common.StoreLocked(tmp_path / "x.duckdb", LockHolder(4242, "streamlit", "dashboard"),
                                 not_handed_over="copy")
    assert refused.message("zh") == (
        f"数据库 {tmp_path / 'x.duckdb'} 正被看板服务（PID 4242）使用；复制期间数据不能再变化，"
        "所以复制命令不会交给看板执行，本命令未做任何改动。"
        "请先停止看板，复制完成后让各服务器用 DJ_STORE 指向新的数据湖启动。")
