"""The briefing's command line (files written, exit 2 with a message otherwise) and the 周报 page."""
from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from pptx import Presentation
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from kpi.cli import main
from kpi.display.matrix_text import matrix_rows
from kpi.metrics.matrix import rule_matrix
from kpi.periods import last_full_week, week_bounds
from kpi.rules import load_rules
from kpi.store import open_store
from tests.fixtures.apptest_helpers import signed_in
from tests.fixtures.briefing_fixture import WEEK, make_briefing_store


@pytest.fixture()
def db(tmp_path):
    store = make_briefing_store(tmp_path / "t.duckdb")
    store.close()
    return tmp_path / "t.duckdb"


def test_cli_writes_zip_pptx_and_pdf(db, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["briefing", "--db", str(db), "--week", WEEK, "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["briefing-2026-W10.pdf", "briefing-2026-W10.pptx", "briefing-2026-W10.zip"]
    assert len(Presentation(out / "briefing-2026-W10.pptx").slides) == 12   # issue 15: matrix, changes, lists
    assert len(zipfile.ZipFile(out / "briefing-2026-W10.zip").namelist()) == 4
    assert (out / "briefing-2026-W10.pdf").read_bytes().startswith(b"%PDF")
    assert f"已生成周报：{out / 'briefing-2026-W10.pptx'}" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--week", "2025-W10"],
     "2025-W10 没有可用数据：所选范围内没有截至 2025-03-09 的组织生活、问题、督查或年度指标记录。"),
    (["--week", "2026-10"], "周次格式不正确：“2026-10”，应为 YYYY-Www，例如 2026-W47。"),
    (["--week", WEEK, "--unit", "X9"], "单位编码不存在：X9"),
    (["--week", WEEK, "--unit", "X9", "--lang", "en"], "Unknown unit code: X9"),
])
def test_cli_refuses_with_exit_2_and_one_message(db, tmp_path, capsys, args, message):
    assert main(["briefing", "--db", str(db), "--out", str(tmp_path / "out"), *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message
    assert not (tmp_path / "out").exists()


def test_page_previews_and_offers_three_downloads(db, monkeypatch):
    week = last_full_week(dt.date.today())   # the page's default week
    store = open_store(db)
    try:
        matrix = rule_matrix(store.cursor(), load_rules(), week_bounds(week)[1])
        expected = [[name] + [text for text, _ in cells] for name, cells in matrix_rows(matrix, "zh")]
    finally:
        store.close()
    assert [row[0] for row in expected] == ["第二分公司", "第一分公司"]
    monkeypatch.setenv("DJ_DB", str(db))
    at = signed_in(AppTest.from_file("../app.py"))
    at.run(timeout=60)
    at.switch_page("pages/briefing.py").run(timeout=60)
    assert not at.exception
    assert [m.label for m in at.metric][:2] == ["经费达标单位占比", "考核权重达标单位占比"]
    # issue 15: the matrix first, with the cells of the metric at the chosen week's Sunday, and its
    # coloured XLSX to download
    matrix = at.dataframe[0].value
    assert list(matrix.columns) == ["单位", "经费", "考核权重", "专职党务", "三会一课", "标准化", "问题整改",
                                    "督查调研", "巡察覆盖", "未报送"]
    assert at.selectbox(key="briefing_week").value == week
    assert matrix.values.tolist() == expected
    assert [b.proto.label for b in at.get("download_button") if "briefing_matrix_xlsx" in b.proto.id] == [
        "下载单位×规则矩阵（XLSX）"]
    assert at.get("download_button") == [] or all(not b.key.startswith("briefing_download")
                                                  for b in at.get("download_button"))
    at.button(key="briefing_generate").click().run(timeout=90)
    assert not at.exception
    assert [s.value for s in at.success] == ["周报文件已生成，可下载。"]
    labels = [b.proto.label for b in at.get("download_button") if b.proto.id and "briefing_download" in b.proto.id]
    assert labels == ["下载图表 ZIP（PNG 1920×1080）", "下载 PPTX", "下载 PDF"]


def test_page_offers_the_weeks_of_the_sidebar_as_of_date(db, monkeypatch):
    """At a past as-of date the page's weeks end with the last week over by then (the briefing of that time)."""
    monkeypatch.setenv("DJ_DB", str(db))
    at = signed_in(AppTest.from_file("../app.py"))
    at.session_state["as_of"] = dt.date(2026, 3, 11)
    at.run(timeout=60)
    at.switch_page("pages/briefing.py").run(timeout=60)
    assert not at.exception
    picker = at.selectbox(key="briefing_week")
    assert picker.value == "2026-W10"
    # shown as the UI says a week, with its year (the list spans years)
    assert picker.options[:2] == ["2026年第10周（3.2–3.8）", "2026年第9周（2.23–3.1）"]
    # the headline numbers of that week: "unchanged" has no arrow (one would read as a rise), a change has one
    arrows = {m.label: (m.delta, MetricProto.MetricDirection.Name(m.proto.direction)) for m in at.metric}
    assert arrows["经费达标单位占比"] == ("与上周持平", "NONE")
    assert arrows["组织生活完成率"] == ("较上周 +5.8 个百分点", "UP")
