"""kpi.store.memo.versioned: one result per store file, data version and (normalised) arguments."""
import duckdb
import pytest

from kpi import store
from kpi.store import memo


@pytest.fixture()
def counted():
    calls = []

    @memo.versioned(maxsize=2)
    def count_units(con, level, root=None):
        calls.append((level, root))
        return con.execute("SELECT count(*) FROM units WHERE level = ?", [level]).fetchall()[0][0]

    count_units.cache_clear()
    return count_units, calls


@pytest.fixture()
def st(tmp_path):
    s = store.open_store(tmp_path / "memo.duckdb")
    s.cursor().execute("INSERT INTO units (unit_code, unit_name, parent_code, level) VALUES ('G', '集团', NULL, 1)")
    yield s
    s.close()


def test_same_call_is_computed_once_with_defaults_normalised(st, counted):
    count_units, calls = counted
    assert count_units(st.cursor(), 1) == 1
    assert count_units(st.cursor(), 1, None) == 1
    assert count_units(st.cursor(), level=1, root=None) == 1
    assert calls == [(1, None)]


def test_a_write_that_bumps_the_data_version_is_seen(st, counted):
    count_units, calls = counted
    assert count_units(st.cursor(), 2) == 0
    con = st.cursor()
    con.execute("INSERT INTO units (unit_code, unit_name, parent_code, level) VALUES ('S1', '一公司', 'G', 2)")
    store.bump_data_version(con)
    assert count_units(st.cursor(), 2) == 1
    assert calls == [(2, None), (2, None)]


def test_at_most_maxsize_entries_least_recently_used_dropped(st, counted):
    count_units, calls = counted
    count_units(st.cursor(), 1)
    count_units(st.cursor(), 2)
    count_units(st.cursor(), 1)      # 1 is now the most recent
    count_units(st.cursor(), 3)      # drops 2
    count_units(st.cursor(), 1)
    count_units(st.cursor(), 2)
    assert calls == [(1, None), (2, None), (3, None), (2, None)]


def test_two_store_files_do_not_share_entries(tmp_path, st, counted):
    count_units, calls = counted
    other = store.open_store(tmp_path / "other.duckdb")
    try:
        assert count_units(st.cursor(), 1) == 1
        assert count_units(other.cursor(), 1) == 0
    finally:
        other.close()
    assert len(calls) == 2


def test_in_memory_databases_are_never_cached(counted):
    count_units, calls = counted
    con = duckdb.connect()
    con.execute("CREATE TABLE units (unit_code VARCHAR, level INTEGER)")
    count_units(con, 1)
    count_units(con, 1)
    assert len(calls) == 2
