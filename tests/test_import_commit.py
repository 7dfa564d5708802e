"""Committing parsed uploads as batches, diffing against the store, undoing a batch."""
from __future__ import annotations

import datetime as dt

import pytest

from kpi import store
from kpi.importing import commit
from kpi.importing.commit import (
    BatchResult,
    DiffCounts,
    canonical_frame,
    commit_frame,
    commit_upload,
    diff_counts,
    find_same_file,
    list_batches,
    undo_batch,
)
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.model import ParsedUpload

D = dt.date

# Everything except the rows that record batches and the data version.
CONTENT_TABLES = ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators",
                  "units_undo", "annual_undo", "meetings_undo", "problems_undo", "supervision_undo",
                  "ratings_undo", "indicators_undo", "problem_snapshots")


def parsed(dataset: str, rows: list[dict], sha: str = "sha-a", errors: list[CellError] | None = None,
           file_name: str = "f.csv") -> ParsedUpload:
    frame = canonical_frame(dataset, rows)
    return ParsedUpload(dataset=dataset, file_name=file_name, sha256=sha, frame=frame,
                        file_rows=list(range(2, len(rows) + 2)), row_sheets=[None] * len(rows),
                        mapping={}, errors=errors or [])


DUE = D(2025, 6, 30)


def problem(pid: str, status: str = "整改中", due: dt.date = DUE, **extra) -> dict:
    return {"problem_id": pid, "unit_code": "B1", "source": "巡察", "found_date": D(2025, 1, 10),
            "description": f"问题{pid}", "due_date": due, "status": status, **extra}


def content(con) -> dict:
    sums = store.table_checksums(con)
    return {name: sums[name] for name in CONTENT_TABLES}


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.fixture
def con(store_spec):
    s = store.open_store(store_spec)
    yield s.cursor()
    s.close()


def test_diff_counts_by_natural_key_with_null_safe_equality(con):
    commit_upload(con, parsed("problems", [problem("P1"), problem("P2", owner=None), problem("P3")]), "ana")
    upload = parsed("problems", [
        problem("P1"),                      # unchanged
        problem("P2", owner=None),          # unchanged: NULL equals NULL
        problem("P3", status="已完成待验收"),  # updated
        problem("P4"), problem("P5"),       # new
    ], sha="sha-b", errors=[CellError(7, "日期", "x", "not_date"), CellError(7, "整改状态", "y", "not_date"),
                            CellError(9, "日期", "z", "not_date")])
    assert diff_counts(con, upload) == DiffCounts(new=2, updated=1, unchanged=2, errors=2)


def test_commit_writes_rows_batch_and_snapshots(con):
    result = commit_upload(con, parsed("problems", [problem("P1"), problem("P2", status="未启动")]),
                           "ana", as_of=D(2025, 3, 31))
    assert result == BatchResult(batch_id=1, dataset="problems", rows_total=2, inserted=2, updated=0, unchanged=0)
    assert rows(con, "SELECT problem_id, status, batch_id FROM problems ORDER BY 1") == [
        ("P1", "整改中", 1), ("P2", "未启动", 1)]
    assert rows(con, "SELECT problem_id, status, due_date, as_of, batch_id FROM problem_snapshots ORDER BY 1") == [
        ("P1", "整改中", D(2025, 6, 30), D(2025, 3, 31), 1), ("P2", "未启动", D(2025, 6, 30), D(2025, 3, 31), 1)]
    assert rows(con, """SELECT batch_id, dataset, file_name, sha256, rows_total, rows_inserted, rows_updated,
                               rows_unchanged, user_name, kind, undone_at, as_of FROM batches""") == [
        (1, "problems", "f.csv", "sha-a", 2, 2, 0, 0, "ana", "upload", None, D(2025, 3, 31))]
    assert store.data_version(con) == 1


def test_update_keeps_unchanged_rows_in_their_old_batch(con):
    commit_upload(con, parsed("problems", [problem("P1"), problem("P2")]), "ana")
    result = commit_upload(con, parsed("problems", [problem("P1"), problem("P2", status="已销号",
                                                                           closed_date=D(2025, 5, 1))], sha="b"), "bo")
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert rows(con, "SELECT problem_id, status, closed_date, batch_id FROM problems ORDER BY 1") == [
        ("P1", "整改中", None, 1), ("P2", "已销号", D(2025, 5, 1), 2)]
    assert rows(con, "SELECT problem_id, status, batch_id, undo_batch_id FROM problems_undo") == [
        ("P2", "整改中", 1, 2)]
    # Every problem in the file is snapshotted, the unchanged one too.
    assert rows(con, "SELECT batch_id, count(*) FROM problem_snapshots GROUP BY 1 ORDER BY 1") == [(1, 2), (2, 2)]


@pytest.mark.both_kinds
def test_upload_then_undo_restores_content_exactly(con):
    commit_upload(con, parsed("problems", [problem("P1"), problem("P2")]), "ana")
    commit_upload(con, parsed("meetings", [{"unit_code": "B1", "meeting_type": "党课", "date": D(2025, 2, 1),
                                            "expected": 10, "attended": 9}]), "ana")
    before = content(con)
    result = commit_upload(con, parsed("problems", [problem("P2", status="已完成待验收",
                                                            completed_date=D(2025, 4, 2)), problem("P3")], sha="b"),
                           "ana")
    assert content(con) != before
    undo_batch(con, result.batch_id, "ana")
    assert content(con) == before
    assert rows(con, "SELECT problem_id, status, batch_id FROM problems ORDER BY 1") == [
        ("P1", "整改中", 1), ("P2", "整改中", 1)]
    assert rows(con, "SELECT batch_id, undone_at IS NOT NULL FROM batches ORDER BY 1") == [
        (1, False), (2, False), (3, True)]
    assert store.data_version(con) == 4


def test_undo_of_units_restores_founded_date_column(con):
    unit = {"unit_code": "B1", "unit_name": "第一支部", "parent_code": "G", "level": 4, "org_type": "党支部",
            "member_count": 12, "staff_count": 30, "founded_date": D(2020, 7, 1)}
    commit_upload(con, parsed("units", [unit]), "ana")
    before = content(con)
    result = commit_upload(con, parsed("units", [{**unit, "member_count": 13, "founded_date": None}], sha="b"), "ana")
    assert rows(con, "SELECT member_count, founded_date, batch_id FROM units") == [(13, None, 2)]
    undo_batch(con, result.batch_id, "ana")
    assert content(con) == before
    assert rows(con, "SELECT member_count, founded_date, batch_id FROM units") == [(12, D(2020, 7, 1), 1)]


def test_commit_failing_midway_changes_nothing(con, monkeypatch):
    commit_upload(con, parsed("problems", [problem("P1"), problem("P2")]), "ana")
    before = store.table_checksums(con)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(commit, "_insert_rows", fail)  # after the overwritten rows were deleted
    with pytest.raises(RuntimeError, match="disk full"):
        commit_upload(con, parsed("problems", [problem("P1", status="已销号", closed_date=D(2025, 5, 1)),
                                               problem("P9")], sha="b"), "ana")
    assert store.table_checksums(con) == before


def test_undo_failing_midway_changes_nothing(con, monkeypatch):
    commit_upload(con, parsed("problems", [problem("P1")]), "ana")
    result = commit_upload(con, parsed("problems", [problem("P1", status="未启动")], sha="b"), "ana")
    before = store.table_checksums(con)
    monkeypatch.setattr(store, "bump_data_version", lambda c, *_: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        undo_batch(con, result.batch_id, "ana")
    assert store.table_checksums(con) == before


def test_upload_with_errors_is_refused_and_writes_nothing(con):
    before = store.table_checksums(con)
    errors = [CellError(3, "整改时限", "2025-13-01", "not_date")]
    with pytest.raises(UploadRefused) as info:
        commit_upload(con, parsed("problems", [problem("P1")], errors=errors), "ana")
    assert info.value.errors == errors
    assert store.table_checksums(con) == before


def test_same_file_twice_is_recognised_and_refused_unless_forced(con):
    first = commit_upload(con, parsed("problems", [problem("P1")], sha="abc"), "ana")
    same = find_same_file(con, "problems", "abc")
    assert same["batch_id"] == first.batch_id
    assert find_same_file(con, "meetings", "abc") is None
    when = same["created_at"].strftime("%Y-%m-%d %H:%M")
    with pytest.raises(commit.SameFile) as info:
        commit_upload(con, parsed("problems", [problem("P1")], sha="abc"), "ana")
    assert info.value.message("zh") == f"此文件已于 {when} 作为批次 #1 上传，未重复写入。"
    assert info.value.message("en") == (f"This file was already uploaded on {when} as batch #1; "
                                        "nothing was written again.")
    forced = commit_upload(con, parsed("problems", [problem("P1")], sha="abc"), "ana", force=True)
    assert (forced.batch_id, forced.unchanged) == (2, 1)


def test_same_file_after_undo_can_be_uploaded_again(con):
    first = commit_upload(con, parsed("problems", [problem("P1")], sha="abc"), "ana")
    undo_batch(con, first.batch_id, "ana")
    assert find_same_file(con, "problems", "abc") is None
    assert commit_upload(con, parsed("problems", [problem("P1")], sha="abc"), "ana").batch_id == 2


def test_only_latest_batch_of_a_dataset_can_be_undone(con):
    commit_upload(con, parsed("problems", [problem("P1")], sha="a", file_name="一月.xlsx"), "ana")
    commit_upload(con, parsed("problems", [problem("P1", status="未启动")], sha="b", file_name="二月.xlsx"), "ana")
    commit_upload(con, parsed("meetings", [{"unit_code": "B1", "meeting_type": "党课", "date": D(2025, 2, 1)}],
                              sha="c"), "ana")
    with pytest.raises(commit.UndoLaterFirst) as info:
        undo_batch(con, 1, "ana")
    assert info.value.message("zh") == "只能撤销该数据集最近的一次上传：请先撤销批次 #2（二月.xlsx），再撤销批次 #1。"
    assert info.value.message("en") == ("Only the latest upload of a dataset can be undone: "
                                        "undo batch #2 (二月.xlsx) first, then batch #1.")
    undo_batch(con, 2, "ana")  # another dataset's later batch does not block it
    undo_batch(con, 1, "ana")
    assert rows(con, "SELECT count(*) FROM problems") == [(0,)]


def test_undo_twice_and_unknown_batch_are_refused(con):
    commit_upload(con, parsed("problems", [problem("P1")]), "ana")
    undo_batch(con, 1, "ana")
    when = con.execute("SELECT undone_at FROM batches").fetchone()[0].strftime("%Y-%m-%d %H:%M")
    with pytest.raises(commit.AlreadyUndone) as info:
        undo_batch(con, 1, "ana")
    assert info.value.message("zh") == f"批次 #1 已于 {when} 撤销，不能重复撤销。"
    with pytest.raises(commit.UnknownBatch) as info:
        undo_batch(con, 99, "ana")
    assert info.value.message("zh") == "没有批次 #99。"


def test_demo_batch_is_refused(con):
    commit_frame(con, "problems", canonical_frame("problems", [problem("P1")]), "demo", "system", kind="demo")
    with pytest.raises(commit.DemoBatch) as info:
        undo_batch(con, 1, "ana")
    assert info.value.message("zh") == "批次 #1 是演示数据，不能撤销；请用侧栏的“清除演示数据”清除。"


def test_commit_frame_edit_is_a_batch_that_can_be_undone(con):
    commit_upload(con, parsed("problems", [problem("P1"), problem("P2")]), "ana")
    before = content(con)
    edit = canonical_frame("problems", [problem("P2", status="整改中", owner="张三")])
    result = commit_frame(con, "problems", edit, "问题编辑", "bo", as_of=D(2025, 4, 1))
    assert (result.batch_id, result.inserted, result.updated, result.unchanged) == (2, 0, 1, 0)
    assert rows(con, "SELECT owner, batch_id FROM problems WHERE problem_id = 'P2'") == [("张三", 2)]
    assert rows(con, "SELECT kind, file_name, user_name FROM batches WHERE batch_id = 2") == [
        ("edit", "问题编辑", "bo")]
    undo_batch(con, 2, "bo")
    assert content(con) == before


def test_list_batches_marks_only_latest_active_non_demo_batch_undoable(con):
    commit_frame(con, "units", canonical_frame("units", [{"unit_code": "G", "unit_name": "集团", "level": 1,
                                                          "org_type": "党委"}]), "demo", "system", kind="demo")
    commit_upload(con, parsed("problems", [problem("P1")], sha="a"), "ana")
    commit_upload(con, parsed("problems", [problem("P1", status="未启动")], sha="b"), "ana")
    commit_upload(con, parsed("problems", [problem("P1", status="已完成待验收")], sha="c"), "ana")
    undo_batch(con, 4, "ana")
    listed = list_batches(con)
    assert list(zip(listed.batch_id, listed.dataset, listed.undoable)) == [
        (4, "problems", False), (3, "problems", True), (2, "problems", False), (1, "units", False)]
