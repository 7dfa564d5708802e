"""The cockpit (领导驾驶舱) on the demo group through AppTest: the unit × rule matrix shows exactly the
cells of `kpi.metrics.matrix.rule_matrix`, a click on a unit opens its profile, the XLSX download is
`matrix_xlsx_bytes`; and the presentation view (URL view=present, or the sidebar button) of the
shared frame: title with scope and as-of date, no sidebar button, no details, a way back."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from kpi import store
from kpi.display.matrix_text import matrix_frames
from kpi.display.matrix_xlsx import FILLS, matrix_xlsx_bytes
from kpi.metrics.matrix import rule_matrix
from tests.fixtures.apptest_helpers import signed_in

pytestmark = pytest.mark.slow
AS_OF = dt.date(2026, 11, 21)
APP = "../app.py"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_store):
    return demo_store(tmp_path_factory.mktemp("cockpit") / "demo.duckdb", AS_OF)


@pytest.fixture(scope="module")
def matrix(demo_db, rules):
    opened = store.open_store(demo_db)
    try:
        return rule_matrix(opened.cursor(), rules, AS_OF)
    finally:
        opened.close()


def _cockpit(db, monkeypatch, lang: str = "zh", **query) -> AppTest:
    monkeypatch.setenv("DJ_DB", str(db))
    at = signed_in(AppTest.from_file(APP, default_timeout=90))
    at.session_state["as_of"] = AS_OF
    at.session_state["lang"] = lang
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_matrix_shows_the_cells_of_rule_matrix(demo_db, matrix, monkeypatch):
    at = _cockpit(demo_db, monkeypatch)
    assert at.title[0].value == "领导驾驶舱"
    assert at.subheader[0].value == "单位×规则矩阵"
    shown = at.dataframe(key="overview_matrix").value
    texts, _ = matrix_frames(matrix, "zh")
    assert shown.to_dict("split") == texts.to_dict("split")
    # The ten secondary units, worst first; two rows cell by cell.
    # G10 sent none of this year's annual figures: 未报送 counts as failing all three (as the cards count
    # it), so it heads the matrix.
    assert list(matrix.units.unit_code) == ["G10", "G01", "G03", "G05", "G02", "G09", "G04", "G07", "G08", "G06"]
    assert list(shown.columns) == ["单位", "经费", "考核权重", "专职党务", "三会一课", "标准化", "问题整改", "督查调研",
                                   "巡察覆盖", "未报送"]
    assert shown.iloc[1].tolist() == ["示范电力有限公司", "0.86%", "12.0%", "1.24%", "97.1%", "92.0%", "无超期",
                                      "未覆盖", "4/5", "已报送"]
    assert shown.iloc[0].tolist() == ["示范国际贸易有限公司", "未报送", "未报送", "未报送", "97.9%", "89.7%", "无超期",
                                      "已覆盖", "5/5", "全部未报"]
    statuses = {(c["unit_code"], c["rule"]): c["status"] for c in matrix.cells.to_dict("records")}
    assert [statuses[("G01", rule)] for rule in ("funds", "weight", "supervision", "inspection")] == [
        "red", "green", "red", "amber"]
    # The legend: st.badge is Markdown's coloured badge directive.
    assert [m.value for m in at.markdown][:4] == [":red-badge[红 未达标]", ":orange-badge[黄 临近]",
                                                  ":green-badge[绿 达标]", ":gray-badge[灰 无数据]"]


def _cell_fills(styles: str) -> dict[tuple[int, int], str]:
    """(row, column) → background colour, from the CSS a Styler sends with a table ('#T_x_row0_col1,
    #T_x_row2_col3 { background-color: #F4C7C3; … }')."""
    fills = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", styles):
        colour = re.search(r"background-color:\s*#(\w+)", body)
        for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
            if colour:
                fills[(int(row), int(col))] = colour.group(1)
    return fills


def test_matrix_cells_are_coloured_by_status(demo_db, matrix, monkeypatch):
    # The Styler's CSS travels with the table: every rule cell in the colour of its status (the XLSX's
    # and the slide's fills), the unit names uncoloured.
    at = _cockpit(demo_db, monkeypatch)
    fills = _cell_fills(at.dataframe(key="overview_matrix").proto.arrow_data.styler.styles)
    _, statuses = matrix_frames(matrix, "zh")
    expected = {(r, c): FILLS[statuses.iat[r, c]] for r in range(len(statuses)) for c in range(1, statuses.shape[1])}
    assert fills == expected
    assert fills[(1, 1)] == "F4C7C3" and fills[(1, 2)] == "C7E6CB"  # G01: funds red, weight green
    assert fills[(0, 1)] == "F4C7C3"  # G10: funds not reported, red as the cards count it


def test_matrix_in_english(demo_db, monkeypatch):
    at = _cockpit(demo_db, monkeypatch, lang="en")
    shown = at.dataframe(key="overview_matrix").value
    assert list(shown.columns)[:3] == ["Unit", "Funds", "Weight"]
    assert shown.iloc[0].tolist() == ["示范国际贸易有限公司", "not reported", "not reported", "not reported", "97.9%",
                                      "89.7%", "none", "visited", "5/5", "all missing"]


def test_a_click_on_a_unit_opens_its_profile(demo_db, matrix, monkeypatch):
    at = _cockpit(demo_db, monkeypatch)
    # A click on the name of the third unit (the cell selection of st.dataframe).
    at.session_state["overview_matrix"] = {"selection": {"rows": [], "columns": [], "cells": [[2, "单位"]]}}
    at.run()
    assert not at.exception
    assert at.title[0].value == "单位画像"
    assert at.selectbox(key="profile_picker").value == "G03" == matrix.units.unit_code[2]
    # A click on a rule's cell of another unit opens that unit.
    at.switch_page("pages/overview.py").run()
    at.session_state["overview_matrix"] = {"selection": {"rows": [], "columns": [], "cells": [[6, "经费"]]}}
    at.run()
    assert at.title[0].value == "单位画像" and at.selectbox(key="profile_picker").value == "G04"


def test_matrix_download_is_the_coloured_workbook(demo_db, matrix, monkeypatch):
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        stored[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    at = _cockpit(demo_db, monkeypatch)
    [button] = [b for b in at.get("download_button") if "overview_matrix_xlsx" in b.proto.id]
    assert button.proto.label == "下载矩阵（XLSX）"
    shown = stored["matrix-2026-11-21.xlsx"]
    expected = matrix_xlsx_bytes(matrix, "zh", "数据截至 2026-11-21 · 全集团")
    # Byte for byte, but for the workbook's creation time (docProps/core.xml), which openpyxl stamps.
    with zipfile.ZipFile(io.BytesIO(shown)) as got, zipfile.ZipFile(io.BytesIO(expected)) as want:
        assert got.namelist() == want.namelist()
        for name in want.namelist():
            if name != "docProps/core.xml":
                assert got.read(name) == want.read(name), name


def test_presentation_view_from_the_url(demo_db, monkeypatch):
    at = _cockpit(demo_db, monkeypatch, view="present")
    # The frame's title names the page, the scope and the as-of date; the page's own title is hidden by CSS.
    assert at.title[0].value == "领导驾驶舱 · 全集团 · 数据截至 2026-11-21"
    styles = [h.proto.body for h in at.get("html")]
    assert any('[data-testid="stSidebar"]' in body and "display: none" in body for body in styles)
    assert [b.key for b in at.button if b.key == "present_enter"] == []
    # Matrix and cards only: no red-flag list, no ranking.
    assert at.dataframe(key="overview_matrix").value.shape == (10, 10)
    assert len(at.metric) == 10 and len(at.tabs) == 0 and at.get("plotly_chart") == []
    # The way back. (After its first run AppTest reruns the page alone, without the entry point and its
    # frame; the frame on every page is checked in the browser: tests/test_e2e_cockpit.py.)
    at.button(key="present_exit").click().run()
    assert not at.exception
    assert "view" not in at.query_params and at.session_state["present_view"] is False
    assert len(at.tabs) == 2  # the page is back to its details


def test_presentation_view_from_the_sidebar_button(demo_db, monkeypatch):
    at = _cockpit(demo_db, monkeypatch)
    assert at.title[0].value == "领导驾驶舱" and len(at.tabs) == 2
    at.button(key="present_enter").click().run()
    assert not at.exception
    assert at.query_params["view"] == "present"  # the link now opens the view
    assert len(at.tabs) == 0 and len(at.metric) == 10
