"""问题清单, 整改进度 and 督查覆盖 in AppTest on the hand-computed fixture store (tests/fixtures/problem_fixtures.py),
in Chinese and English: numbers on screen equal the hand-computed ones, filters drive the list."""
from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.display.exports import to_csv_bytes
from kpi.display.problems import problem_table
from kpi.metrics import problems as pm
from tests.fixtures.apptest_helpers import decoded, signed_in
from tests.fixtures.problem_fixtures import AS_OF, make_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "fixture.duckdb"
    make_store(path).close()
    return path


@pytest.fixture
def open_page(db, monkeypatch):
    def _open(page: str, lang: str = "zh", path=db) -> AppTest:
        monkeypatch.setenv("DJ_DB", str(path))
        at = signed_in(AppTest.from_file("../app.py", default_timeout=60))
        at.session_state["as_of"] = AS_OF
        at.run()
        at.session_state["lang"] = lang
        at.switch_page(f"pages/{page}").run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return _open


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _table_with(at, column: str) -> pd.DataFrame:
    """The first table on screen having `column` (charts' data tables are on screen too)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _charts(at) -> dict[str, dict]:
    specs = [decoded(json.loads(c.proto.spec)) for c in at.get("plotly_chart")]
    return {s["layout"]["title"]["text"].split("<br>")[0]: s for s in specs}


def test_problem_list_zh(open_page):
    at = open_page("problems.py")
    assert at.title[0].value == "问题清单"
    assert _metrics(at) == {"筛选出的问题": "8", "其中逾期": "3", "范围内全部问题": "8"}
    table = at.dataframe[0].value
    assert table["问题编号"].tolist() == ["P3", "P2", "P7", "P4", "P5", "P9", "P6", "P1"]
    assert table["逾期"].tolist()[:4] == ["逾期 61 天", "逾期 30 天", "逾期 15 天", ""]
    assert table["严重程度"].tolist()[:2] == ["较重", "严重"]


def test_overdue_only_filter_drives_the_list(open_page):
    at = open_page("problems.py")
    at.checkbox(key="pl_overdue_only").check().run()
    assert not at.exception
    assert at.dataframe[0].value["问题编号"].tolist() == ["P3", "P2", "P7"]
    assert _metrics(at)["筛选出的问题"] == "3"
    at.multiselect(key="pl_severity").set_value(["严重"]).run()
    assert at.dataframe[0].value["问题编号"].tolist() == ["P2"]


def test_search_with_sql_injection_lists_nothing(open_page):
    at = open_page("problems.py")
    at.text_input(key="pl_text").input("' OR 1=1 --").run()
    assert not at.exception
    assert _metrics(at)["筛选出的问题"] == "0"
    assert at.info[0].value == "没有符合筛选条件的问题。"
    at.text_input(key="pl_text").input("台账").run()
    assert at.dataframe[0].value["问题编号"].tolist() == ["P7", "P4"]


def test_detail_panel_shows_status_history(open_page):
    at = open_page("problems.py")
    at.selectbox(key="pl_selected").set_value("P7").run()
    assert not at.exception
    history = at.dataframe[1].value
    assert history["整改状态"].tolist() == ["已销号", "整改中", "整改中"]
    assert history["变化"].tolist() == ["", "销号后重新打开；整改时限延期：2025-04-30 → 2025-06-15", ""]
    # user text is shown as plain text, never rendered
    assert "谈心谈话记录缺失" in [t.value for t in at.text]


def test_problem_list_en(open_page):
    at = open_page("problems.py", "en")
    assert at.title[0].value == "Problem list"
    assert _metrics(at) == {"Problems listed": "8", "Of which overdue": "3", "All problems in scope": "8"}
    table = at.dataframe[0].value
    assert table["Overdue"].tolist()[0] == "61 days overdue"
    assert table["Status"].tolist()[:2] == ["Done, awaiting verification", "In progress"]
    # Stored categories in English, in the table and the filter; Streamlit's own placeholder translated.
    assert table["Category"].tolist()[:2] == ["Funds management", "Organisation building"]
    categories = at.multiselect(key="pl_category")
    assert categories.placeholder == "Choose options"
    assert "Organisation building" in categories.options  # the options as drawn


def test_filters_say_choose_in_chinese(open_page):
    at = open_page("problems.py")
    assert {at.multiselect(key=k).placeholder for k in ("pl_source", "pl_category", "pl_severity", "pl_status")} \
        == {"请选择（可多选）"}
    assert "组织建设" in at.multiselect(key="pl_category").options


def test_export_holds_exactly_the_filtered_rows(tmp_path):
    st = make_store(tmp_path / "t.duckdb")
    listed = pm.problem_list(st.cursor(), AS_OF, filters=pm.ProblemFilter(overdue_only=True))
    exported = pd.read_csv(io.BytesIO(to_csv_bytes(problem_table(listed, "zh"))), encoding="utf-8-sig")
    assert exported["问题编号"].tolist() == ["P3", "P2", "P7"]
    assert exported["逾期天数"].tolist() == [61, 30, 15]


def test_rectification_zh(open_page):
    at = open_page("rectification.py")
    assert _metrics(at) == {"逾期问题": "3", "销号率": "25.0%", "未销号的严重问题": "2"}
    charts = _charts(at)
    # Per CURRENT status (issue 14 item 8), not "reached the stage" (8, 7, 3, 2 before).
    by_status = charts["各整改状态的问题数（按当前状态）"]
    assert by_status["data"][0]["x"] == [1, 4, 1, 2]
    assert by_status["data"][0]["y"] == ["未启动", "整改中", "已完成待验收", "已销号"]
    assert by_status["data"][0]["text"] == ["1（12.5%）", "4（50.0%）", "1（12.5%）", "2（25.0%）"]
    assert by_status["layout"]["xaxis"]["title"]["text"] == "问题数（按当前状态）"
    by_source = charts["按问题来源的完成率、销号率、按时完成率"]["data"]
    assert by_source[0]["x"] == ["巡察", "审计", "督查", "上级反馈"]
    assert by_source[1]["y"] == [pytest.approx(100 / 3), 50.0, 0.0, 0.0]
    assert by_source[2]["y"][:2] == [100.0, 0.0] and np.isnan(by_source[2]["y"][2])  # nothing completed: missing
    ageing = charts["未销号问题账龄分布"]["data"]
    assert ageing[0]["x"] == ["≤30 天", "31–90 天", "91–180 天", ">180 天"]
    assert ageing[1]["y"] == [0, 0, 3, 0]
    burn = charts["每周未销号问题与逾期问题（燃尽图）"]["data"]
    assert burn[0]["y"] == [0, 0, 0, 3, 3, 3, 3, 5, 5, 5, 6, 6]
    assert burn[1]["y"] == [0, 0, 0, 2, 2, 2, 2, 2, 2, 3, 3, 3]
    assert burn[0]["x"][0] == "第16周（4.14–4.20）" and burn[0]["x"][-1] == "第27周（6.30–7.6）"
    assert charts["每周未销号问题与逾期问题（燃尽图）"]["layout"]["yaxis"]["tickformat"] == ",d"
    assert [s.value for s in at.subheader] == ["未来 7 天到期（1 个）", "未来 30 天到期（2 个）"]


def test_rectification_en(open_page):
    at = open_page("rectification.py", "en")
    assert _metrics(at) == {"Overdue problems": "3", "Close-out rate": "25.0%", "Severe problems not closed": "2"}
    by_unit = _charts(at)["Completion, close-out and on-time rates by secondary unit"]["data"]
    assert by_unit[0]["x"] == ["第一公司", "第二公司", "第三公司", "Group level"]
    assert by_unit[0]["y"] == [50.0, 0.0, 100.0, 0.0]
    burn = _charts(at)["Open and overdue problems per week (burn-down)"]["data"]
    assert burn[0]["x"][0] == "Wk 16 (14–20 Apr)" and burn[0]["x"][-1] == "Wk 27 (30 Jun–6 Jul)"


def test_coverage_year_then_cycle(open_page):
    at = open_page("coverage.py")
    assert _metrics(at) == {"二级单位覆盖率": "66.7%", "已覆盖 / 单位数": "2 / 3", "尚未覆盖": "1"}
    uncovered = _table_with(at, "最近一次活动开始日期")
    assert uncovered["单位编码"].tolist() == ["S3"]
    assert uncovered["最近一次活动开始日期"].tolist() == [dt.date(2024, 12, 15)]
    heat = _charts(at)["各单位每月督查活动次数（含下属单位）"]["data"][0]
    assert heat["y"] == ["第一公司", "第二公司", "第三公司"]
    assert heat["z"][0][-4:] == [1, 1, 2, 2]
    at.radio(key="cov_window").set_value("cycle").run()
    assert not at.exception
    assert at.multiselect(key="cov_kinds").value == ["巡察"]
    assert _metrics(at) == {"二级单位覆盖率": "33.3%", "已覆盖 / 单位数": "1 / 3", "尚未覆盖": "2"}
    by_level = _charts(at)["各层级覆盖率"]["data"][0]
    assert by_level["x"][:2] == [pytest.approx(100 / 3), pytest.approx(100 / 3)]
    tree = _charts(at)["组织架构覆盖情况"]["data"][0]
    assert tree["ids"] == ["G", "S1", "S2", "S3"]
    at.selectbox(key="cov_level").set_value(3).run()
    uncovered = _table_with(at, "最近一次活动开始日期")
    assert uncovered["单位编码"].tolist() == ["T12", "T21"]
    assert pd.isna(uncovered["最近一次活动开始日期"].iloc[0])


def test_coverage_en(open_page):
    at = open_page("coverage.py", "en")
    assert _metrics(at)["Covered / units"] == "2 / 3"
    findings = _charts(at)["Findings per activity by kind"]["data"][0]
    assert findings["x"] == ["Internal inspection", "Supervision check", "Research visit", "Special verification"]
    assert findings["y"][:2] == [3.0, 2.0] and np.isnan(findings["y"][2])


def test_due_tables_draw_the_soonest_and_count_all(open_page, tmp_path):
    # 1,001 more problems (S3) due in 3 days: 1,002 due within 7 days, 1,003 within 30; each table
    # draws the 1,000 due soonest and says of how many.
    path = tmp_path / "many_due.duckdb"
    st = make_store(path)
    st.cursor().executemany(
        "INSERT INTO problems (problem_id, unit_code, found_date, due_date, status) VALUES (?, 'S3', ?, ?, '整改中')",
        [(f"M{i:04d}", dt.date(2025, 6, 1), AS_OF + dt.timedelta(days=3)) for i in range(1001)])
    st.close()
    at = open_page("rectification.py", path=path)
    assert [s.value for s in at.subheader] == ["未来 7 天到期（1,002 个）", "未来 30 天到期（1,003 个）"]
    assert [c.value for c in at.caption if c.value.startswith("表中显示最先到期")] == [
        "表中显示最先到期的 1,000 个，共 1,002 个。", "表中显示最先到期的 1,000 个，共 1,003 个。"]
    tables = [d.value for d in at.dataframe if "剩余天数" in d.value.columns]
    assert [len(t) for t in tables] == [1000, 1000]
    assert tables[0]["剩余天数"].tolist()[:1] == [3] and "P4" not in tables[0]["问题编号"].tolist()


@pytest.mark.parametrize(("page", "message"), [
    ("problems.py", "暂无问题清单数据：请在“数据上传”页上传“问题清单”。"),
    ("rectification.py", "暂无问题清单数据：请在“数据上传”页上传“问题清单”。"),
    ("coverage.py", "暂无督查记录数据：请在“数据上传”页上传“督查记录”。"),
])
def test_empty_store_says_what_to_upload(open_page, tmp_path, page, message):
    empty = store.open_store(tmp_path / "empty.duckdb")
    store.set_meta(empty.cursor(), "demo_cleared", "1")
    empty.close()
    at = open_page(page, path=tmp_path / "empty.duckdb")
    assert at.info[0].value == message


@pytest.fixture
def own_db(tmp_path):
    """A fresh fixture store for tests that write (the module's store stays untouched)."""
    path = tmp_path / "edit.duckdb"
    make_store(path).close()
    return path


# Bookkeeping, not data: batches, meta, and the test account signed in by open_page.
NOT_DATA = ("batches", "meta", "accounts", "audit_log", "login_attempts")


def _data_checksums(path) -> dict:
    st = store.open_store(path)
    try:
        return {t: v for t, v in store.table_checksums(st.cursor()).items() if t not in NOT_DATA}
    finally:
        st.close()


def test_editor_refuses_invalid_change_and_writes_nothing(open_page, own_db):
    before = _data_checksums(own_db)
    at = open_page("problems.py", path=own_db)
    at.selectbox(key="pl_selected").set_value("P2").run()
    at.selectbox(key="pe_status_P2").set_value("已销号")
    at.button[-1].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["未保存：修改不符合问题清单的规则，数据未作任何改动。",
                                           "“整改状态”列，值“已销号”：状态为“已销号”，但没有填写销号日期"]
    assert _data_checksums(own_db) == before


def test_editor_saves_then_undoes(open_page, own_db):
    before = _data_checksums(own_db)
    at = open_page("problems.py", path=own_db)
    at.selectbox(key="pl_selected").set_value("P2").run()
    at.selectbox(key="pe_status_P2").set_value("已销号")
    at.date_input(key="pe_completed_P2").set_value(dt.date(2025, 6, 20))
    at.date_input(key="pe_closed_P2").set_value(dt.date(2025, 6, 28))
    at.button[-1].click().run()
    assert not at.exception
    assert at.success[0].value == "问题 P2 已更新（批次 #4），可在“上传历史”页或下方按钮撤销。"
    assert _table_with(at, "变化")["整改状态"].tolist()[-1] == "已销号"
    # As of means as of (issue 14): the closing is recorded today, after the as-of date 2025-06-30,
    # so the figures of that date still show P2 open — three overdue (P2, P3, P7).
    assert _metrics(at)["其中逾期"] == "3"
    # As of today P2 is closed: overdue are P3, P4, P5, P7, P8, P9 — six instead of seven.
    at.session_state["as_of"] = dt.date.today()
    at.run()
    assert _metrics(at)["其中逾期"] == "6"
    at.button(key="pe_undo").click().run()
    assert not at.exception
    assert at.success[0].value == "已撤销批次 #4，问题 P2 已恢复原状。"
    at.session_state["as_of"] = dt.date.today()   # the undo's rerun shows the sidebar's date again
    at.run()
    assert _metrics(at)["其中逾期"] == "7"
    assert _data_checksums(own_db) == before
