"""The upload, history and problem pages through AppTest when the store changes under a preview, a
confirmation or an edit form (issue 12, item 7), and the upload page's same-file check with a sheet
choice (item 9)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_upload_page import GOOD
from test_writes import STALE_ZH, _two_month_workbook

from kpi import store
from kpi.access.roles import ANALYST, Account
from kpi.importing import edit
from kpi.importing.commit import commit_upload, undo_batch
from kpi.importing.parse import parse_upload
from kpi.importing.templates import template_xlsx
from kpi.rules import load_rules
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.import_fixtures import template_store
from tests.fixtures.problem_fixtures import AS_OF, make_store

RULES = load_rules()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _batches(db) -> list[tuple]:
    s = store.open_store(db)
    try:
        return s.cursor().execute("SELECT batch_id, dataset, undone_at IS NULL FROM batches ORDER BY 1").fetchall()
    finally:
        s.close()


def _write(db, action) -> None:
    """Another analyst's write, through the library on the same store."""
    s = store.open_store(db)
    try:
        action(s.cursor())
    finally:
        s.close()


@pytest.fixture
def db(tmp_path, monkeypatch):
    """Batch 1: the units template (HY … HY010101); batch 2: the meetings template."""
    path = template_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("DJ_DB", str(path))
    return path


def _page(path: str) -> AppTest:
    at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
    at.run()
    at.switch_page(path).run()
    assert not at.exception
    return at


def _metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def test_commit_on_a_preview_made_before_an_undo_is_refused_and_previewed_again(db):
    at = _page("pages/upload.py")
    at.selectbox(key="upload_dataset").set_value("meetings").run()
    at.file_uploader[0].set_value(("三月会议.csv", GOOD, "text/csv")).run()
    assert _metrics(at) == [("新增", "1"), ("更新", "1"), ("不变", "1"), ("错误", "0")]

    _write(db, lambda con: undo_batch(con, 2, "A"))  # analyst A undoes the meetings template batch
    at.button(key="upload_commit").click().run()  # B confirms what the old preview showed
    assert not at.exception
    assert [e.value for e in at.error] == [STALE_ZH]
    assert _metrics(at) == [("新增", "3"), ("更新", "0"), ("不变", "0"), ("错误", "0")]  # the new preview
    assert _batches(db) == [(1, "units", True), (2, "meetings", False)]

    at.button(key="upload_commit").click().run()  # confirmed again, on the new preview
    assert [s.value for s in at.success] == ["已写入批次 #3：新增 3，更新 0，不变 0。可在“上传历史”中撤销。"]
    assert _batches(db) == [(1, "units", True), (2, "meetings", False), (3, "meetings", True)]


def test_undo_confirmed_before_another_write_is_refused_and_asked_again(db):
    at = _page("pages/history.py")
    at.selectbox(key="history_batch").set_value(2).run()
    at.button(key="history_undo").click().run()
    confirm = at.warning[0].value
    assert confirm.startswith(r"确认撤销批次 #2（meetings\.xlsx）？")  # the file name is user text, escaped

    def meanwhile(con):  # analyst A writes a meetings batch and takes it back: batch 2 is the latest again
        undo_batch(con, commit_upload(con, parse_upload(GOOD, "三月会议.csv", "meetings", con, RULES), "A").batch_id,
                   "A")

    _write(db, meanwhile)
    at.button(key="history_yes").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [STALE_ZH]
    assert [w.value for w in at.warning] == [confirm]  # still asked, on the current store
    assert _batches(db) == [(1, "units", True), (2, "meetings", True), (3, "meetings", False)]

    at.button(key="history_yes").click().run()
    assert [s.value for s in at.success] == ["批次 #2 已撤销，数据已恢复到该批次写入之前。"]
    assert _batches(db)[1] == (2, "meetings", False)


def test_undo_confirmed_before_a_write_to_another_dataset_goes_through(db):
    at = _page("pages/history.py")
    at.selectbox(key="history_batch").set_value(2).run()
    at.button(key="history_undo").click().run()
    _write(db, lambda con: commit_upload(con, parse_upload(template_xlsx("problems"), "problems.xlsx", "problems",
                                                           con, RULES), "A"))
    at.button(key="history_yes").click().run()
    assert [s.value for s in at.success] == ["批次 #2 已撤销，数据已恢复到该批次写入之前。"]


def test_all_sheets_of_a_workbook_whose_first_sheet_is_stored_can_be_committed(db):
    at = _page("pages/upload.py")
    at.selectbox(key="upload_dataset").set_value("meetings").run()
    at.file_uploader[0].set_value(("会议.xlsx", _two_month_workbook(), XLSX)).run()
    assert at.selectbox(key="upload_sheet").value == "一月"
    at.button(key="upload_commit").click().run()
    assert [s.value for s in at.success] == ["已写入批次 #3：新增 1，更新 0，不变 0。可在“上传历史”中撤销。"]

    at.selectbox(key="upload_sheet").set_value("").run()  # 全部工作表
    assert not at.warning
    assert _metrics(at) == [("新增", "1"), ("更新", "0"), ("不变", "1"), ("错误", "0")]
    at.button(key="upload_commit").click().run()
    assert [s.value for s in at.success] == ["已写入批次 #4：新增 1，更新 0，不变 1。可在“上传历史”中撤销。"]

    at.selectbox(key="upload_sheet").set_value("一月").run()  # the first choice again: already uploaded
    assert [w.value for w in at.warning][0].endswith("作为批次 #3 上传，未重复写入。")
    assert not [b for b in at.button if b.key == "upload_commit"]


def test_problem_edit_saved_over_someone_elses_edit_is_refused_as_stale(tmp_path, monkeypatch):
    path = tmp_path / "problems.duckdb"
    make_store(path).close()
    monkeypatch.setenv("DJ_DB", str(path))
    at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
    at.session_state["as_of"] = AS_OF
    at.run()
    at.switch_page("pages/problems.py").run()
    at.selectbox(key="pl_selected").set_value("P2").run()
    at.text_area(key="pe_measures_P2").set_value("B 的措施")

    _write(path, lambda con: edit.save_problem_edit(con, RULES, "P2", {"measures": "A 的措施"},
                                                            Account("A", "", ANALYST, None)))
    at.button[-1].click().run()  # B saves the form drawn before A's edit
    assert not at.exception
    assert [e.value for e in at.error] == [STALE_ZH]
    assert _stored_measures(path) == "A 的措施"

    at.button[-1].click().run()  # saved again, having seen A's measures on the page
    assert at.success[0].value.startswith("问题 P2 已更新（批次 #")
    assert _stored_measures(path) == "B 的措施"


def _stored_measures(path) -> str:
    s = store.open_store(path)
    try:
        return s.cursor().execute("SELECT measures FROM problems WHERE problem_id = 'P2'").fetchone()[0]
    finally:
        s.close()
