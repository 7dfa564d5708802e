"""kpi.store.derived: problem_changes kept equal to the change rows of every snapshot, whatever the writers do."""
import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.store import bump_data_version, derived, migrate, open_store

D = dt.date
PROBLEMS = ("P1", "P2", "P3")
STATUSES = ("未开始", "整改中", "已销号")
DUES = (None, D(2026, 2, 1), D(2026, 3, 1))


def _fresh() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    migrate(con)
    return con


def _changes(con) -> list[tuple]:
    return con.execute("SELECT * FROM problem_changes ORDER BY ALL").fetchall()


def _expected(con) -> list[tuple]:
    return con.execute(f"SELECT * FROM ({derived.CHANGES_OF_ALL}) ORDER BY ALL").fetchall()


def _add(con, batch_id, rows):
    con.executemany("INSERT INTO problem_snapshots VALUES (?, ?, ?, ?, ?)",
                    [(pid, status, due, as_of, batch_id) for pid, status, due, as_of in rows])


def test_hand_case_weekly_uploads_then_undo():
    con = _fresh()
    # Week 1: P1 整改中 due 03-01, P2 未开始. Week 2: P1 unchanged, P2 整改中. Week 3: P1 已销号, P2 unchanged.
    _add(con, 1, [("P1", "整改中", D(2026, 3, 1), D(2026, 1, 5)), ("P2", "未开始", None, D(2026, 1, 5))])
    derived.refresh_problem_changes(con)
    _add(con, 2, [("P1", "整改中", D(2026, 3, 1), D(2026, 1, 12)), ("P2", "整改中", None, D(2026, 1, 12))])
    derived.refresh_problem_changes(con)
    _add(con, 3, [("P1", "已销号", D(2026, 3, 1), D(2026, 1, 19)), ("P2", "整改中", None, D(2026, 1, 19))])
    assert derived.refresh_problem_changes(con) is True
    assert derived.refresh_problem_changes(con) is False          # nothing new: nothing done
    assert _changes(con) == sorted([
        ("P1", "整改中", D(2026, 3, 1), D(2026, 1, 5), 1),
        ("P1", "已销号", D(2026, 3, 1), D(2026, 1, 19), 3),
        ("P2", "未开始", None, D(2026, 1, 5), 1),
        ("P2", "整改中", None, D(2026, 1, 12), 2)])
    con.execute("DELETE FROM problem_snapshots WHERE batch_id = 3")   # undo the last upload
    derived.refresh_problem_changes(con)
    assert _changes(con) == _expected(con) == sorted([
        ("P1", "整改中", D(2026, 3, 1), D(2026, 1, 5), 1),
        ("P2", "未开始", None, D(2026, 1, 5), 1),
        ("P2", "整改中", None, D(2026, 1, 12), 2)])


def test_back_dated_batch_makes_a_later_snapshot_a_change():
    con = _fresh()
    _add(con, 1, [("P1", "整改中", None, D(2026, 1, 5))])
    _add(con, 2, [("P1", "整改中", None, D(2026, 1, 19))])
    derived.refresh_problem_changes(con)
    assert len(_changes(con)) == 1
    # A batch dated between the two says 已销号: the 01-19 snapshot now re-opens the problem.
    _add(con, 3, [("P1", "已销号", None, D(2026, 1, 12))])
    derived.refresh_problem_changes(con)
    assert _changes(con) == sorted([("P1", "整改中", None, D(2026, 1, 5), 1), ("P1", "已销号", None, D(2026, 1, 12), 3),
                                    ("P1", "整改中", None, D(2026, 1, 19), 2)])
    con.execute("DELETE FROM problem_snapshots WHERE batch_id = 3")
    derived.refresh_problem_changes(con)
    assert _changes(con) == [("P1", "整改中", None, D(2026, 1, 5), 1)]


def test_every_writer_keeps_it_through_bump_and_open(tmp_path):
    path = tmp_path / "d.duckdb"
    store = open_store(path)
    con = store.cursor()
    _add(con, 1, [("P1", "整改中", None, D(2026, 1, 5))])
    bump_data_version(con)
    assert len(_changes(con)) == 1
    _add(con, 2, [("P1", "已销号", None, D(2026, 1, 12))])   # written without a bump …
    store.close()
    con = open_store(path).cursor()                           # … caught up on opening
    assert _changes(con) == _expected(con) and len(_changes(con)) == 2


snapshot_rows = st.lists(st.tuples(st.sampled_from(PROBLEMS), st.sampled_from(STATUSES), st.sampled_from(DUES),
                                   st.integers(1, 12).map(lambda d: D(2026, 1, d))),
                         min_size=1, max_size=6, unique_by=lambda r: (r[0], r[3]))
operations = st.lists(st.one_of(st.tuples(st.just("add"), snapshot_rows, st.booleans()),
                                st.tuples(st.just("undo"), st.integers(0, 10), st.booleans())),
                      min_size=1, max_size=8)


@settings(deadline=None)  # max_examples: the Hypothesis profile (tests/conftest.py)
@given(operations)
def test_incremental_upkeep_equals_a_full_rebuild(ops):
    """Uploads in any date order (some without a batch id), undos of any batch, several operations
    between two refreshes: problem_changes always equals the change rows of every snapshot."""
    con = _fresh()
    batches: list[int | None] = []
    # Writers never reuse a batch id (they come from the batches table): neither does this test.
    used: set[int | None] = set()
    for op in ops:
        if op[0] == "add":
            _, rows, without_id = op
            batch_id = None if without_id and None not in used else len(used) + 1
            used.add(batch_id)
            batches.append(batch_id)
            _add(con, batch_id, rows)
        elif batches:
            _, index, _ = op
            batch_id = batches.pop(index % len(batches))
            con.execute("DELETE FROM problem_snapshots WHERE batch_id IS NOT DISTINCT FROM ?", [batch_id])
        if op[2]:
            derived.refresh_problem_changes(con)
    derived.refresh_problem_changes(con)
    assert _changes(con) == _expected(con)


@pytest.mark.parametrize("refresh_between", [True, False])
def test_same_day_snapshots_follow_batch_order(refresh_between):
    con = _fresh()
    _add(con, 1, [("P1", "整改中", None, D(2026, 1, 5))])
    if refresh_between:
        derived.refresh_problem_changes(con)
    _add(con, 2, [("P1", "已销号", None, D(2026, 1, 5))])
    _add(con, 3, [("P1", "整改中", None, D(2026, 1, 5))])
    derived.refresh_problem_changes(con)
    assert _changes(con) == _expected(con) == sorted([
        ("P1", "整改中", None, D(2026, 1, 5), 1), ("P1", "已销号", None, D(2026, 1, 5), 2),
        ("P1", "整改中", None, D(2026, 1, 5), 3)])


def test_demo_group_changes_equal_a_full_rebuild(tmp_path, demo_store):
    store = open_store(demo_store(tmp_path / "demo.duckdb", D(2026, 11, 21)))
    con = store.cursor()
    snapshots, changes = con.execute("SELECT (SELECT count(*) FROM problem_snapshots), count(*) FROM problem_changes"
                                     ).fetchall()[0]
    assert _changes(con) == _expected(con)
    assert 0 < changes < snapshots      # weekly re-snapshots of unchanged problems are not repeated
    store.close()
