"""The store as a DuckLake on a private PostgreSQL catalog (kpi.store.lake; issue 16):
the lake's schema dialect, several processes committing at once, uniqueness held by the writer claim.

Runs only where DuckDB's ducklake and postgres extension packages exist for the installed DuckDB
(1.5.5; there are none for 2.0) and PostgreSQL's server programs are installed (see lake_fixture).
"""
import multiprocessing
import sys
import time
import types

import duckdb
import pytest
from lake_fixture import (
    commit_batches,
    commit_then_get_killed,
    create_same_account,
    new_lake,
    pgcluster,
    running_cluster,
)

from kpi import store
from kpi.store import lake
from kpi.store.migrations import MIGRATIONS

SPAWN = multiprocessing.get_context("spawn")  # each child its own DuckDB instance, like another server


@pytest.fixture(autouse=True)
def bare_main(monkeypatch):
    """A spawned child first runs its parent's __main__ again, by path. After an AppTest in the same
    pytest worker that is app.py (AppTest runs the page as __main__), and the dashboard's bootstrap
    then fails in the child before its target runs — its siblings wait at their barrier for ever.
    A bare __main__ gives the children nothing to run but their target."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


@pytest.fixture(scope="module")
def pg_cluster():
    with running_cluster() as cluster:
        yield cluster


def _columns(con) -> list[tuple]:
    return con.execute(
        """SELECT table_name, column_name, data_type FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main' ORDER BY ALL""").fetchall()


def _run_children(target, argsets) -> list[tuple]:
    """Start one spawned process per argument tuple (a barrier of their number is appended before the
    results queue), wait for all, return what they reported, sorted."""
    barrier = SPAWN.Barrier(len(argsets))
    results = SPAWN.Queue()
    children = [SPAWN.Process(target=target, args=(*args, barrier, results)) for args in argsets]
    for child in children:
        child.start()
    reported = [results.get(timeout=240) for _ in children]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    return sorted(reported)


def test_lake_dialect_keeps_nothing_ducklake_refuses():
    text = "\n".join(lake.LAKE_MIGRATIONS)
    for refused in ("PRIMARY KEY", "UNIQUE", "CREATE SEQUENCE", "nextval", "CREATE INDEX", "CHECK (", "RETURNING"):
        assert refused not in text
    assert "PRIMARY KEY" in "\n".join(MIGRATIONS)  # the file schema keeps its key
    assert len(lake.LAKE_MIGRATIONS) == len(MIGRATIONS)


def test_ducklake_refuses_a_primary_key_and_a_sequence(pg_cluster, tmp_path):
    spec, data = new_lake(pg_cluster, tmp_path)
    con = lake.connect_lake(spec, data)
    with pytest.raises(duckdb.NotImplementedException,
                       match="PRIMARY KEY/UNIQUE constraints are not supported in DuckLake"):
        con.execute("CREATE TABLE t (a INTEGER PRIMARY KEY)")
    with pytest.raises(duckdb.NotImplementedException, match="DuckLake does not support sequences"):
        con.execute("CREATE SEQUENCE s START 1")
    con.close()


def test_a_new_lake_gets_the_file_stores_schema(pg_cluster, tmp_path):
    spec, data = new_lake(pg_cluster, tmp_path)
    opened = lake.open_lake(spec, data)
    file_store = store.open_store(tmp_path / "file.duckdb")
    try:
        assert store.schema_version(opened.cursor()) == len(MIGRATIONS)
        assert _columns(opened.cursor()) == _columns(file_store.cursor())
        assert store.data_version(opened.cursor()) == 0
    finally:
        opened.close()
        file_store.close()


def test_v6_numbers_the_failed_sign_ins_it_copies(pg_cluster, tmp_path):
    spec, data = new_lake(pg_cluster, tmp_path)
    con = lake.connect_lake(spec, data)
    for version in range(5):
        with store.transaction(con):
            con.execute(lake.LAKE_MIGRATIONS[version])
    with store.transaction(con):
        con.execute("INSERT INTO login_failures VALUES ('li', TIMESTAMP '2026-12-01 09:00'), "
                    "('wang', TIMESTAMP '2026-12-01 08:00')")
    with store.transaction(con):
        con.execute(lake.LAKE_MIGRATIONS[5])
    assert con.execute("SELECT attempt_id, username, outcome FROM login_attempts ORDER BY attempt_id").fetchall() \
        == [(1, "wang", "failure"), (2, "li", "failure")]
    with store.transaction(con):
        assert lake.next_id(con, "login_attempt_ids") == 3
    con.close()


def test_three_processes_commit_into_one_lake_at_once(pg_cluster, tmp_path):
    spec, data = new_lake(pg_cluster, tmp_path)
    lake.open_lake(spec, data).close()
    reported = _run_children(commit_batches, [(spec, worker, 5) for worker in range(3)])
    assert [worker for worker, _ in reported] == [0, 1, 2]
    reader = lake.open_lake(spec)
    cur = reader.cursor()
    assert cur.execute("SELECT unit_code, count(*) FROM meetings GROUP BY ALL ORDER BY ALL").fetchall() \
        == [("W0", 5), ("W1", 5), ("W2", 5)]
    # Every commit bumped the version once: none was lost to another process's.
    assert store.data_version(cur) == 15
    # Audit ids, counted in meta on a lake (no sequences), were never given out twice.
    assert cur.execute("SELECT list(id ORDER BY id) FROM audit_log").fetchall()[0][0] == list(range(1, 16))
    reader.close()


def test_the_writer_claim_keeps_a_user_name_unique_across_processes(pg_cluster, tmp_path):
    spec, data = new_lake(pg_cluster, tmp_path)
    lake.open_lake(spec, data).close()
    reported = _run_children(create_same_account, [(spec, 0, True), (spec, 1, True)])
    assert sorted(outcome for _, outcome in reported) == ["conflict", "created"]
    con = lake.connect_lake(spec)
    assert con.execute("SELECT count(*) FROM accounts WHERE username = 'zhang'").fetchall() == [(1,)]
    con.close()


def test_without_the_writer_claim_two_processes_create_the_same_user(pg_cluster, tmp_path):
    """The control: what DuckLake alone allows (why the claim exists)."""
    spec, data = new_lake(pg_cluster, tmp_path)
    lake.open_lake(spec, data).close()
    reported = _run_children(create_same_account, [(spec, 0, False), (spec, 1, False)])
    assert [outcome for _, outcome in reported] == ["created", "created"]
    con = lake.connect_lake(spec)
    assert con.execute("SELECT count(*) FROM accounts WHERE username = 'zhang'").fetchall() == [(2,)]
    con.close()


def test_an_open_connection_sees_another_process_commit(pg_cluster, tmp_path):
    spec, data = new_lake(pg_cluster, tmp_path)
    server = lake.open_lake(spec, data)
    cur = server.cursor()
    assert store.data_version(cur) == 0
    _run_children(commit_batches, [(spec, 7, 2)])
    assert store.data_version(cur) == 2  # no reopen: the next read is on the latest snapshot
    server.close()


def test_a_lake_at_a_catalog_that_is_down_is_refused(pg_cluster, tmp_path):
    dead_port = pgcluster.free_port()  # nothing listens there
    started = time.monotonic()
    spec = f"ducklake:postgres:dbname=x host=127.0.0.1 port={dead_port} user=lake"
    with pytest.raises(lake.LakeCatalogDown) as refused:
        lake.connect_lake(spec + " password=secret", tmp_path / "d")
    assert time.monotonic() - started < 30
    assert refused.value.message("zh") == (f"无法连接数据湖的目录数据库（{spec}）：PostgreSQL 没有应答或拒绝了连接。"
                                           "请确认它正在运行、地址端口和用户正确，然后重试。")
    assert "secret" not in refused.value.message("en")
    assert "Connection refused" in str(refused.value.__cause__)


def test_a_private_cluster_starts_on_loopback_and_stops_cleanly(pg_cluster):
    """scripts/pgcluster.py: a second cluster beside the module's, in its own folder and port."""
    import shutil  # noqa: PLC0415
    import socket  # noqa: PLC0415
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    root = Path(tempfile.mkdtemp(prefix="dj-pg-"))
    cluster = pgcluster.Cluster(root, dbname="catalog_x").start()
    try:
        assert cluster.port != pg_cluster.port
        assert cluster.psql("SELECT datname FROM pg_database WHERE datname = 'catalog_x'") == "catalog_x\n"
        assert cluster.psql("SHOW listen_addresses") == "127.0.0.1\n"
    finally:
        cluster.stop()
    assert not cluster.running()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", cluster.port)) != 0  # nothing listens any more
    shutil.rmtree(root)


def test_every_cursor_starts_on_the_lake(pg_cluster, tmp_path):
    """Figures run on `con.cursor()`s in threads (kpi.metrics.overview): a cursor of a cursor must
    see the lake's tables, as on the file store (an attached lake would leave it on 'memory')."""
    spec, data = new_lake(pg_cluster, tmp_path)
    opened = lake.open_lake(spec, data)
    nested = opened.cursor().cursor()
    assert nested.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [(str(len(MIGRATIONS)),)]
    assert lake.is_lake_connection(nested)
    opened.close()


def test_a_writer_killed_mid_commit_leaves_all_or_nothing(pg_cluster, tmp_path):
    """kill -9 of a process in the middle of committing 200,000 rows: the lake holds either none of them
    and the old data version, or all of them and the new one; the next writer commits normally."""
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415

    spec, data = new_lake(pg_cluster, tmp_path)
    lake.open_lake(spec, data).close()
    barrier = SPAWN.Barrier(1)
    results = SPAWN.Queue()
    child = SPAWN.Process(target=commit_then_get_killed, args=(spec, 200_000, barrier, results))
    child.start()
    assert results.get(timeout=240) == "committing"
    os.kill(child.pid, signal.SIGKILL)
    child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL
    con = lake.connect_lake(spec)
    state = (con.execute("SELECT count(*) FROM meetings").fetchall()[0][0], store.data_version(con))
    assert state in {(0, 0), (200_000, 1)}
    with store.transaction(con):
        con.execute("INSERT INTO meetings (unit_code, meeting_type, date) VALUES ('A', '党员大会', DATE '2026-02-01')")
        store.bump_data_version(con, ["meetings"])
    assert store.data_version(con) == state[1] + 1
    con.close()


def test_open_store_opens_a_file_or_a_lake_by_its_spec(pg_cluster, tmp_path, monkeypatch):
    spec, data = new_lake(pg_cluster, tmp_path)
    monkeypatch.setenv(lake.DATA_ENV_VAR, str(data))
    opened = [store.open_store(spec), store.open_store(tmp_path / "file.duckdb")]
    assert [(type(s).__name__, s.kind) for s in opened] == [("LakeStore", "ducklake"), ("Store", "file")]
    assert [lake.is_lake_connection(s.cursor()) for s in opened] == [True, False]
    for s in opened:
        s.close()
