"""Writes one at a time and never over a changed store (issue 12, items 7–9), on a real DuckDB file:
two commits at once, a DuckDB write conflict, a stale preview / confirmation / edit form, a ROLLBACK
that fails after a full disk, undoing units that later data still uses, the same workbook loaded
with another sheet choice."""
from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from kpi import actions, store
from kpi.access import accounts
from kpi.access.roles import ANALYST, Account
from kpi.cli import main
from kpi.importing import commit, edit
from kpi.importing.commit import (
    BatchRefused,
    SameFile,
    UnitsBound,
    UnitsInUse,
    canonical_frame,
    commit_upload,
    find_same_upload,
    undo_batch,
)
from kpi.importing.model import ParsedUpload
from kpi.importing.parse import parse_upload
from kpi.importing.templates import template_xlsx
from kpi.rules import load_rules

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()
CONFLICT_ZH = "另一项写入刚刚完成，请重新预览后再写入。"
CONFLICT_EN = "Another write has just finished; preview again, then write."
STALE_ZH = "数据在您预览之后已被修改，本次未写入。请核对按最新数据重新显示的内容后再确认。"
STALE_EN = ("The data changed after you previewed it; nothing was written. "
            "Check what is now shown from the latest data, then confirm again.")
# Long enough for a thread that is not held back to reach the point the other one waits at.
OVERLAP_WAIT_S = 2.0


def parsed(dataset: str, rows: list[dict], sha: str) -> ParsedUpload:
    frame = canonical_frame(dataset, rows)
    return ParsedUpload(dataset=dataset, file_name=f"{sha}.csv", sha256=sha, frame=frame,
                        file_rows=list(range(2, len(rows) + 2)), row_sheets=[None] * len(rows))


def unit(code: str, parent: str | None, level: int) -> dict:
    return {"unit_code": code, "unit_name": f"单位{code}", "parent_code": parent, "level": level,
            "org_type": "党委" if level < 4 else "党支部"}


def meeting(code: str, day: int, attended: int = 9) -> dict:
    return {"unit_code": code, "meeting_type": "党小组会", "date": D(2025, 3, day), "expected": 10,
            "attended": attended}


def problem(pid: str, code: str) -> dict:
    return {"problem_id": pid, "unit_code": code, "source": "巡察", "found_date": D(2025, 1, 10),
            "description": f"问题{pid}", "due_date": D(2025, 6, 30), "status": "整改中"}


def supervision(aid: str, code: str) -> dict:
    return {"activity_id": aid, "unit_code": code, "kind": "督查", "start_date": D(2025, 2, 1)}


@pytest.fixture
def opened(store_spec):
    """An empty store, once of each kind (the DuckDB file, a DuckLake)."""
    s = store.open_store(store_spec)
    yield s
    s.close()


@pytest.fixture
def con(opened):
    con = opened.cursor()
    commit_upload(con, parsed("units", [unit("G01", None, 1), unit("G0101", "G01", 2)], "units-1"), "ana")
    return con


# --- item 7: one writer at a time ----------------------------------------------------------------

@pytest.mark.both_kinds
def test_two_commits_at_once_on_different_datasets_both_succeed_one_after_the_other(opened, con, monkeypatch):
    # Thread A stops inside its transaction, right after rewriting the data version, until thread B
    # has reached the same point or OVERLAP_WAIT_S has passed. Before the write lock B got there at
    # once and hit DuckDB's "Conflict on tuple deletion!" on the data version (the English error page
    # of the second analyst); now B is held at the lock until A has committed.
    real_bump = store.bump_data_version
    a_inside, b_inside = threading.Event(), threading.Event()
    overlapped = []

    def bump(c, *datasets):
        (a_inside if threading.current_thread().name == "A" else b_inside).set()
        version = real_bump(c, *datasets)
        if threading.current_thread().name == "A":
            overlapped.append(b_inside.wait(OVERLAP_WAIT_S))
        return version

    monkeypatch.setattr(store, "bump_data_version", bump)
    outcomes: dict[str, object] = {}

    def run(name: str, upload: ParsedUpload) -> None:
        try:
            outcomes[name] = commit_upload(opened.cursor(), upload, name)
        except Exception as exc:  # noqa: BLE001  (the outcome is what the test checks)
            outcomes[name] = exc

    a = threading.Thread(target=run, name="A", args=("A", parsed("meetings", [meeting("G0101", 5)], "m")))
    b = threading.Thread(target=run, name="B", args=("B", parsed("problems", [problem("P1", "G0101")], "p")))
    a.start()
    assert a_inside.wait(60)  # B starts only once A is inside its transaction
    b.start()
    a.join()
    b.join()
    assert overlapped == [False]  # B never got inside while A's transaction was open
    assert {n: (r.dataset, r.inserted) for n, r in outcomes.items()} == {"A": ("meetings", 1), "B": ("problems", 1)}
    assert con.execute("SELECT unit_code, attended FROM meetings").fetchall() == [("G0101", 9)]
    assert con.execute("SELECT problem_id, status FROM problems").fetchall() == [("P1", "整改中")]
    assert con.execute("SELECT dataset FROM batches ORDER BY batch_id").fetchall() == [
        ("units",), ("meetings",), ("problems",)]
    assert store.data_version(con) == 3


@pytest.mark.both_kinds
def test_a_write_conflict_is_one_translated_refusal_and_writes_nothing(opened, con, monkeypatch):
    # A writer outside this process's lock (another program; on a lake, another server) rewrites the
    # data version and commits while this commit's transaction is open: the store refuses this commit's
    # own rewrite of it as a conflict — the file at once, a lake at COMMIT.
    other = opened.cursor()
    real_bump = store.bump_data_version

    def bump_after_another_writer(c, *datasets):
        other.execute("BEGIN TRANSACTION")
        store.set_meta(other, "data_version", "99")
        other.execute("COMMIT")
        return real_bump(c, *datasets)

    def checksums_besides_meta() -> dict:  # meta holds the other writer's data version
        return {table: sums for table, sums in store.table_checksums(con).items() if table != "meta"}

    before = checksums_besides_meta()
    monkeypatch.setattr(store, "bump_data_version", bump_after_another_writer)
    with pytest.raises(store.WriteConflict) as info:
        commit_upload(con, parsed("meetings", [meeting("G0101", 5)], "m"), "ana")
    monkeypatch.undo()
    assert (type(info.value), info.value.message("zh"), info.value.message("en")) == (
        store.WriteConflict, CONFLICT_ZH, CONFLICT_EN)
    assert isinstance(info.value.__cause__, duckdb.TransactionException)
    assert checksums_besides_meta() == before
    assert store.data_version(con) == 99  # the other writer's commit stands
    # The refusal left no transaction open behind it: the next commit goes through.
    assert commit_upload(con, parsed("meetings", [meeting("G0101", 5)], "m"), "ana").inserted == 1
    assert store.data_version(con) == 100


def _another_writer_commits_once(opened, monkeypatch, *datasets: str) -> list[int]:
    """Make the next commit meet another writer's (another server's) commit, once: inside that commit's
    transaction, before it rewrites the data version, the other writer bumps it for `datasets` and
    commits. Returns the list the data versions the other writer wrote are appended to."""
    other = opened.cursor()
    real_bump = store.bump_data_version
    written: list[int] = []

    def bump(c, *args):
        if not written:
            other.execute("BEGIN TRANSACTION")
            written.append(real_bump(other, list(datasets)))
            other.execute("COMMIT")
        return real_bump(c, *args)

    monkeypatch.setattr(store, "bump_data_version", bump)
    return written


@pytest.mark.both_kinds
def test_an_upload_that_meets_another_writers_commit_is_written_on_its_second_try(opened, con, monkeypatch):
    version = store.data_version(con)
    other = _another_writer_commits_once(opened, monkeypatch, "problems")
    result = actions.upload(con, None, "ana", parsed("meetings", [meeting("G0101", 5)], "m"),
                            expected_version=version)
    # The first try conflicted (nothing of it kept), the second was written once, audited once.
    assert other == [version + 1]
    assert (result.batch_id, result.inserted) == (2, 1)
    assert con.execute("SELECT unit_code, attended FROM meetings").fetchall() == [("G0101", 9)]
    assert con.execute("SELECT action, target FROM audit_log").fetchall() == [("upload", "#2 m.csv")]
    assert store.data_version(con) == version + 2


@pytest.mark.both_kinds
def test_a_retried_upload_whose_preview_went_stale_is_refused_and_writes_nothing(opened, con, monkeypatch):
    version = store.data_version(con)
    before = store.table_checksums(con)
    other = _another_writer_commits_once(opened, monkeypatch, "meetings")  # the dataset previewed
    with pytest.raises(store.StaleWrite):
        actions.upload(con, None, "ana", parsed("meetings", [meeting("G0101", 5)], "m"), expected_version=version)
    assert other == [version + 1]
    after = store.table_checksums(con)
    assert {t: after[t] for t in after if t != "meta"} == {t: before[t] for t in before if t != "meta"}


def test_commit_over_a_preview_made_before_an_undo_is_refused_as_stale(con):
    # B previews a file while batch 2 (A's meetings) is stored: its row shows as unchanged.
    first = commit_upload(con, parsed("meetings", [meeting("G0101", 5)], "a"), "A")
    b_file = parsed("meetings", [meeting("G0101", 5), meeting("G0101", 6)], "b")
    preview_version = store.data_version(con)
    assert commit.diff_counts(con, b_file) == commit.DiffCounts(1, 0, 1, 0)
    undo_batch(con, first.batch_id, "A")  # A undoes it
    before = store.table_checksums(con)
    with pytest.raises(store.StaleWrite) as info:  # B clicks 确认写入 on the old preview
        commit_upload(con, b_file, "B", expected_version=preview_version)
    assert (type(info.value), info.value.message("zh"), info.value.message("en")) == (
        store.StaleWrite, STALE_ZH, STALE_EN)
    assert store.table_checksums(con) == before
    # Previewed again (now two new rows) and confirmed against the current version: written.
    assert commit.diff_counts(con, b_file) == commit.DiffCounts(2, 0, 0, 0)
    result = commit_upload(con, b_file, "B", expected_version=store.data_version(con))
    assert (result.inserted, result.unchanged) == (2, 0)


def test_a_preview_stays_valid_across_writes_to_datasets_it_was_not_computed_from(con):
    b_file = parsed("meetings", [meeting("G0101", 5)], "b")
    preview_version = store.data_version(con)
    commit_upload(con, parsed("supervision", [supervision("DC-1", "G0101")], "s"), "A")
    commit_upload(con, parsed("problems", [problem("P1", "G0101")], "p"), "A")
    assert store.data_version(con) == preview_version + 2
    assert commit_upload(con, b_file, "B", expected_version=preview_version).inserted == 1


def test_a_preview_is_stale_once_the_unit_tree_changes(con):
    # Unit codes were resolved (and the scope checked) against the tree the preview saw.
    b_file = parsed("meetings", [meeting("G0101", 5)], "b")
    preview_version = store.data_version(con)
    commit_upload(con, parsed("units", [unit("G0102", "G01", 2)], "units-2"), "A")
    with pytest.raises(store.StaleWrite) as info:
        commit_upload(con, b_file, "B", expected_version=preview_version)
    assert type(info.value) is store.StaleWrite


def test_undo_confirmed_before_another_write_is_refused_as_stale(con):
    batch = commit_upload(con, parsed("meetings", [meeting("G0101", 5)], "a"), "A")
    confirmed_at = store.data_version(con)
    # Meanwhile B writes a meetings batch and takes it back: batch `batch` is the latest again,
    # but the meetings the confirmation was computed from have changed twice.
    undo_batch(con, commit_upload(con, parsed("meetings", [meeting("G0101", 6)], "c"), "B").batch_id, "B")
    before = store.table_checksums(con)
    with pytest.raises(store.StaleWrite) as info:
        undo_batch(con, batch.batch_id, "A", expected_version=confirmed_at)
    assert info.value.message("zh") == STALE_ZH
    assert store.table_checksums(con) == before
    undo_batch(con, batch.batch_id, "A", expected_version=store.data_version(con))
    assert con.execute("SELECT count(*) FROM meetings").fetchone() == (0,)


def test_problem_edit_drawn_before_another_write_is_refused_as_stale(con):
    commit_upload(con, parsed("problems", [problem("P1", "G0101")], "p"), "A")
    form_version = store.data_version(con)
    # Someone else records measures; the form, drawn before, still shows none.
    commit_upload(con, parsed("problems", [{**problem("P1", "G0101"), "measures": "立行立改"}], "q"), "A")
    with pytest.raises(store.StaleWrite) as info:
        edit.save_problem_edit(con, RULES, "P1", {"status": "未启动", "measures": ""},
                                       Account("B", "", ANALYST, None),
                                       expected_version=form_version)
    assert info.value.message("zh") == STALE_ZH
    assert con.execute("SELECT status, measures FROM problems").fetchall() == [("整改中", "立行立改")]


class DiskFullOnCommit:
    """A cursor whose COMMIT fails as on a full disk: DuckDB ends the transaction and reports the IO
    error, so the ROLLBACK that follows really fails ("cannot rollback - no transaction is active")."""

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *params):
        if sql == "COMMIT":
            self._con.execute("ROLLBACK")
            raise duckdb.IOException('IO Error: Could not write file "w.duckdb.wal": No space left on device')
        return self._con.execute(sql, *params)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_failed_rollback_never_hides_the_real_error(con):
    before = store.table_checksums(con)
    disk_full = DiskFullOnCommit(con)
    with pytest.raises(duckdb.IOException, match="No space left on device") as info:
        commit_upload(disk_full, parsed("meetings", [meeting("G0101", 5)], "m"), "ana")
    assert any("cannot rollback - no transaction is active" in note for note in info.value.__notes__)
    assert store.table_checksums(con) == before
    batch = commit_upload(con, parsed("meetings", [meeting("G0101", 5)], "m"), "ana")
    with pytest.raises(duckdb.IOException, match="No space left on device"):
        undo_batch(disk_full, batch.batch_id, "ana")
    assert con.execute("SELECT undone_at FROM batches WHERE batch_id = ?", [batch.batch_id]).fetchone() == (None,)


# --- item 8: undo keeps the store loadable --------------------------------------------------------

def _add_units(con) -> int:
    """Batch 2: a new unit G019999 and its branch G01999901 (both added by the same batch)."""
    return commit_upload(con, parsed("units", [unit("G019999", "G01", 2), unit("G01999901", "G019999", 4)],
                                     "units-2"), "ana").batch_id


def test_undoing_units_still_used_by_later_batches_is_refused_naming_them(con):
    added = _add_units(con)
    meetings = commit_upload(con, parsed("meetings", [meeting("G01999901", 5)], "m"), "ana").batch_id
    checks = commit_upload(con, parsed("supervision", [supervision("DC-1", "G019999")], "s"), "ana").batch_id
    commit_upload(con, parsed("problems", [problem("P1", "G0101")], "p"), "ana")  # elsewhere: not listed
    before = store.table_checksums(con)
    with pytest.raises(UnitsInUse) as info:
        undo_batch(con, added, "ana")
    assert (added, meetings, checks) == (2, 3, 4)
    assert info.value.message("zh") == ("批次 #2 新增的单位 G019999 等 2 个 仍被批次 #3（组织生活记录）、"
                                        "#4（督查记录）使用，请先撤销这些批次。")
    assert info.value.message("en") == ("Units added by batch #2 (G019999 and others, 2 in all) are still used by "
                                        "batch #3 (Meeting records), #4 (Supervision records); "
                                        "undo those batches first.")
    assert isinstance(info.value, BatchRefused)
    assert store.table_checksums(con) == before
    undo_batch(con, checks, "ana")
    with pytest.raises(UnitsInUse) as info:
        undo_batch(con, added, "ana")
    assert info.value.message("zh") == ("批次 #2 新增的单位 G01999901 仍被批次 #3（组织生活记录）使用，"
                                        "请先撤销这些批次。")
    undo_batch(con, meetings, "ana")
    undo_batch(con, added, "ana")
    assert con.execute("SELECT unit_code FROM units ORDER BY 1").fetchall() == [("G01",), ("G0101",)]


def test_a_row_an_active_batch_would_restore_on_its_undo_counts_as_a_use(con):
    added = _add_units(con)
    first = commit_upload(con, parsed("problems", [problem("P1", "G019999")], "p1"), "ana").batch_id
    moved = commit_upload(con, parsed("problems", [problem("P1", "G0101")], "p2"), "ana").batch_id
    # No stored row names G019999 now, but undoing batch `moved` would bring P1 back to it.
    with pytest.raises(UnitsInUse) as info:
        undo_batch(con, added, "ana")
    assert info.value.message("zh") == "批次 #2 新增的单位 G019999 仍被批次 #4（问题清单）使用，请先撤销这些批次。"
    undo_batch(con, moved, "ana")
    with pytest.raises(UnitsInUse) as info:
        undo_batch(con, added, "ana")
    assert info.value.users == [(first, "problems")]


def test_undoing_units_an_account_is_bound_to_is_refused(con):
    added = _add_units(con)
    accounts.create_account(con, RULES, "zhang", "long-password-1", "分析员", "G01999901", by=None)
    with pytest.raises(UnitsBound) as info:
        undo_batch(con, added, "ana")
    assert info.value.message("zh") == "批次 #2 新增的单位 G01999901 仍绑定着账号 zhang，请先为这些账号改绑单位。"
    assert info.value.message("en") == ("Units added by batch #2 (G01999901) are still bound to account zhang; "
                                        "bind those accounts to other units first.")


def test_undoing_units_whose_rows_only_changed_existing_units_is_allowed(con):
    # Batch 2 renames G0101 (an update, restored by the undo) — meetings of G0101 do not block it.
    renamed = commit_upload(con, parsed("units", [{**unit("G0101", "G01", 2), "unit_name": "新名称"}], "u2"),
                            "ana").batch_id
    commit_upload(con, parsed("meetings", [meeting("G0101", 5)], "m"), "ana")
    undo_batch(con, renamed, "ana")
    assert con.execute("SELECT unit_name FROM units WHERE unit_code = 'G0101'").fetchone() == ("单位G0101",)


# --- item 9: the same-file check and the sheet choice ---------------------------------------------

def _two_month_workbook() -> bytes:
    """A meetings workbook with the sheets 一月 and 二月, one meeting each."""
    book = Workbook()
    for index, (title, day) in enumerate((("一月", "2025-01-06"), ("二月", "2025-02-03"))):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(["单位编码", "会议类型", "日期", "应到人数", "实到人数"])
        sheet.append(["HY010101", "党小组会", day, 9, 9])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def template_store(opened):
    con = opened.cursor()
    commit_upload(con, parse_upload(template_xlsx("units"), "units.xlsx", "units", con, RULES), "ana")
    return con


def test_the_same_workbook_with_another_sheet_choice_is_not_already_uploaded(template_store):
    con, data = template_store, _two_month_workbook()
    first = parse_upload(data, "会议.xlsx", "meetings", con, RULES)  # the first sheet, as by default
    assert commit_upload(con, first, "ana").inserted == 1
    every = parse_upload(data, "会议.xlsx", "meetings", con, RULES, all_sheets=True)
    assert every.sha256 == first.sha256
    assert find_same_upload(con, every) is None
    assert commit_upload(con, every, "ana").inserted == 1  # 二月's meeting; 一月's is unchanged
    assert con.execute("SELECT batch_id, sheets_loaded FROM batches WHERE dataset = 'meetings' ORDER BY 1"
                       ).fetchall() == [(2, '["一月"]'), (3, '["一月", "二月"]')]
    # The same choice again is the same upload: naming the first sheet equals the default.
    for again in (parse_upload(data, "会议.xlsx", "meetings", con, RULES, sheet="一月"),
                  parse_upload(data, "会议.xlsx", "meetings", con, RULES, all_sheets=True)):
        with pytest.raises(SameFile) as info:
            commit_upload(con, again, "ana")
        assert type(info.value) is SameFile
    second = parse_upload(data, "会议.xlsx", "meetings", con, RULES, sheet="二月")
    assert commit_upload(con, second, "ana").unchanged == 1


def test_the_cli_takes_the_sheet_choice_into_account(tmp_path, capsys):
    book, db = tmp_path / "会议.xlsx", tmp_path / "cli.duckdb"
    book.write_bytes(_two_month_workbook())
    s = store.open_store(db)
    con = s.cursor()
    commit_upload(con, parse_upload(template_xlsx("units"), "units.xlsx", "units", con, RULES), "ana")
    s.close()

    def kpi(*args: str) -> tuple[int, str]:
        """`python -m kpi import meetings book *args` in-process (tests/test_cli.py runs it as a subprocess)."""
        capsys.readouterr()
        code = main(["import", "meetings", str(book), *args, "--db", str(db)])
        return code, capsys.readouterr().err

    assert kpi() == (0, "")
    assert kpi("--all-sheets") == (0, "")
    code, err = kpi("--sheet", "一月")
    assert (code, err.splitlines()[-1]) == (2, "如确需再次写入，请加 --force。")
    assert err.startswith("此文件已于 ") and "作为批次 #2 上传，未重复写入。" in err


def test_a_batch_from_before_the_sheet_choice_was_recorded_matches_any_choice(template_store):
    con, data = template_store, _two_month_workbook()
    commit_upload(con, parse_upload(data, "会议.xlsx", "meetings", con, RULES), "ana")
    con.execute("UPDATE batches SET sheets_loaded = NULL")  # as migrated from schema v5
    every = parse_upload(data, "会议.xlsx", "meetings", con, RULES, all_sheets=True)
    assert find_same_upload(con, every)["batch_id"] == 2
