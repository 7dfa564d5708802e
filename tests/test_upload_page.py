"""The upload and history pages driven through AppTest: preview, diff, commit, errors, undo."""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.display.textsafe import markdown_text
from kpi.rules import load_rules
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.import_fixtures import stored_checksums, template_store

RULES = load_rules()
CONTENT_TABLES = ("units", "meetings", "meetings_undo", "problems", "problem_snapshots")

# A WPS export: GBK, a title line, mixed date styles, a 合计 row. Against the store (the meetings
# template) row 3 is unchanged, row 4 changes 实到人数 26 → 27, row 5 is new.
GOOD = ("2025年3月组织生活记录\n"
        "单位编码,会议类型,日期,应到人数,实到人数,主题\n"
        "HY010101,支部委员会会议,2025/3/5,5,5,研究部署一季度党建工作\n"
        "HY010101,主题党日,2025年3月18日,28,27,学习贯彻全会精神\n"
        "HY010101,党小组会,20250320,9,9,学习党章\n"
        "合计,,,42,41,\n").encode("gbk")
BAD = ("单位编码,会议类型,日期,应到人数,实到人数,主题\n"
       "HY010101,党小组会,2025-02-30,9,9,学习党章\n"
       "HY010101,党课,2025-03-27,20,25,党课\n").encode()


def _content(db) -> dict:
    return stored_checksums(db, CONTENT_TABLES)


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = template_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("DJ_DB", str(path))
    return path


def _upload_page() -> AppTest:
    at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
    at.run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    at.selectbox(key="upload_dataset").set_value("meetings").run()
    return at


def test_good_file_preview_diff_and_commit(db):
    at = _upload_page()
    at.file_uploader[0].set_value(("三月会议.csv", GOOD, "text/csv")).run()
    assert not at.exception
    assert [c.value for c in at.caption][1:3] == [
        "CSV 文件，编码 gb18030，分隔符 逗号",
        "已跳过：标题行 1，说明行 0，合计行 1，空行 0，重复行 0。"]
    assert [(m.label, m.value) for m in at.metric] == [("新增", "1"), ("更新", "1"), ("不变", "1"), ("错误", "0")]
    preview = at.dataframe[1].value
    assert list(preview.columns) == ["行号", "单位编码", "会议类型", "日期", "应到人数", "实到人数", "主题"]
    assert preview["行号"].tolist() == [3, 4, 5]
    assert preview["实到人数"].tolist() == [5, 27, 9]
    assert len(at.error) == 0

    at.button(key="upload_commit").click().run()
    assert not at.exception
    assert at.success[0].value == "已写入批次 #3：新增 1，更新 1，不变 1。可在“上传历史”中撤销。"
    s = store.open_store(db)
    con = s.cursor()
    assert con.execute("SELECT meeting_type, strftime(date, '%Y-%m-%d'), attended, batch_id FROM meetings "
                       "ORDER BY date").fetchall() == [
        ("支部委员会会议", "2025-03-05", 5, 2), ("主题党日", "2025-03-18", 27, 3), ("党小组会", "2025-03-20", 9, 3),
        ("党课", "2025-03-27", 25, 2)]
    when = con.execute("SELECT strftime(created_at, '%Y-%m-%d %H:%M') FROM batches WHERE batch_id = 3").fetchone()[0]
    s.close()
    # The same file again is recognised; no commit button is offered.
    assert [w.value for w in at.warning] == [f"此文件已于 {markdown_text(when)} 作为批次 #3 上传，未重复写入。"]
    assert not [b for b in at.button if b.key == "upload_commit"]


def test_bad_file_shows_errors_and_writes_nothing(db):
    before = _content(db)
    at = _upload_page()
    at.file_uploader[0].set_value(("坏文件.csv", BAD, "text/csv")).run()
    assert not at.exception
    assert at.error[0].value == "发现 2 个错误，整个文件不会写入。请按下表修正后重新上传。"
    errors = at.dataframe[1].value
    assert errors.values.tolist() == [
        [2, "日期", "2025-02-30", "不是有效日期，可写作 2025-03-05、2025/3/5、2025年3月5日 或 20250305"],
        [3, "实到人数", "25", "实到人数大于应到人数（20）"]]
    assert [(m.label, m.value) for m in at.metric][3] == ("错误", "2")
    assert not [b for b in at.button if b.key == "upload_commit"]
    assert _content(db) == before


def test_unreadable_file_is_refused_with_its_message(db):
    at = _upload_page()
    at.file_uploader[0].set_value(("空.csv", b"", "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["文件未被接受：整个文件：文件是空的，没有任何内容"]


def test_history_undo_restores_the_store(db):
    before = _content(db)
    at = _upload_page()
    at.file_uploader[0].set_value(("三月会议.csv", GOOD, "text/csv")).run()
    at.button(key="upload_commit").click().run()
    assert _content(db) != before

    at.switch_page("pages/history.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["批次"].tolist() == [3, 2, 1]
    assert table["数据集"].tolist() == ["组织生活记录", "组织生活记录", "组织架构"]
    assert table["状态"].tolist() == ["有效", "有效", "有效"]

    at.selectbox(key="history_batch").set_value(2).run()
    at.button(key="history_undo").click().run()
    at.button(key="history_yes").click().run()
    # The file name is user text: escaped for Markdown ('.' as '\.'), shown as typed.
    assert [e.value for e in at.error] == [
        "只能撤销该数据集最近的一次上传：请先撤销批次 #3（三月会议\\.csv），再撤销批次 #2。"]

    at.selectbox(key="history_batch").set_value(3).run()
    at.button(key="history_undo").click().run()
    assert at.warning[0].value == ("确认撤销批次 #3（三月会议\\.csv）？该批次写入的 2 行将被撤回，"
                                   "被它覆盖的数据将恢复原值。")
    at.button(key="history_yes").click().run()
    assert not at.exception
    assert at.success[0].value == "批次 #3 已撤销，数据已恢复到该批次写入之前。"
    assert _content(db) == before


def test_uploader_states_the_rules_files_cap_in_the_ui_language(db):
    """Streamlit's uploader says "200MB per file" and "Upload" in English: its browser-side limit is the
    rules file's cap and its texts are drawn in the UI language (pages/_ui/widgets.py)."""
    cap = load_rules().max_file_mb
    at = _upload_page()
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == math.ceil(cap)
    css = " ".join(element.proto.body for element in at.get("html"))
    assert f'content: "或将文件拖放到此处 · 单个文件最大 {cap:g} MB · CSV、TSV、TXT、XLSX"' in css
    assert 'content: "选择文件"' in css
    at.session_state["lang"] = "en"
    at.run()
    css = " ".join(element.proto.body for element in at.get("html"))
    assert f'content: "or drag and drop a file here · at most {cap:g} MB per file · CSV, TSV, TXT, XLSX"' in css


def test_web_servers_ceiling_is_at_least_the_rules_cap():
    """The server refuses bodies above server.maxUploadSize before the importer can say why: the
    rules' cap (what the uploader states) must fit under it."""
    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] >= math.ceil(load_rules().max_file_mb)
