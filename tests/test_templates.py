"""Upload templates: headers, notes row, example rows; a template filled in by hand loads as is."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kpi import store
from kpi.datasets import DATASETS
from kpi.importing.commit import canonical_frame, commit_upload
from kpi.importing.parse import parse_upload
from kpi.importing.templates import EXAMPLES, GUIDE_SHEET, NOTES_MARKER, column_note, template_xlsx
from kpi.rules import load_rules

RULES = load_rules()


@pytest.fixture
def con(tmp_path):
    s = store.open_store(tmp_path / "t.duckdb")
    yield s.cursor()
    s.close()


def _load_units(con) -> None:
    units = template_xlsx("units")
    commit_upload(con, parse_upload(units, "组织架构.xlsx", "units", con, RULES), "ana")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_template_loads_to_exactly_its_example_rows(con, dataset, lang):
    if dataset != "units":
        _load_units(con)
    parsed = parse_upload(template_xlsx(dataset, lang, RULES), f"{dataset}.xlsx", dataset, con, RULES)
    assert [e.message("zh") for e in parsed.errors] == []
    assert parsed.dropped["notes"] == 1
    assert parsed.unmapped == []
    assert parsed.file_rows == list(range(3, 3 + len(EXAMPLES[dataset])))
    pd.testing.assert_frame_equal(parsed.frame, canonical_frame(dataset, EXAMPLES[dataset]))


def test_template_layout_headers_notes_and_guide_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx("meetings", "zh", RULES)))
    assert wb.sheetnames == ["组织生活记录", GUIDE_SHEET]
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ["单位编码", "会议类型", "日期", "应到人数", "实到人数", "主题"]
    assert ws["A2"].value == "说明：必填；单位编码，须为组织架构中已有的编码（也可填唯一的单位名称）；填党支部编码。"
    assert ws["B2"].value == ("必填；可选值：支部党员大会 / 支部委员会会议 / 党小组会 / 党课 / 主题党日 / "
                              "组织生活会 / 民主评议党员 / 谈心谈话。")
    assert ws["E2"].value == "选填；整数；不小于 0；不大于应到人数。"
    assert [c.value for c in ws[3]][:3] == ["HY010101", "支部委员会会议", pd.Timestamp("2025-03-05")]
    assert ws["C3"].number_format == "yyyy-mm-dd"
    guide = wb[GUIDE_SHEET]
    assert guide["A1"].value == "组织生活记录"
    assert guide["A2"].value.startswith("组织生活记录：每召开一次会议一行")


def test_english_notes_and_indicator_catalogue():
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx("indicators", "en", RULES)))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "单位编码"
    assert ws["A2"].value.startswith(NOTES_MARKER["en"] + "Required; a unit code")
    guide = [[c for c in row] for row in wb[GUIDE_SHEET].iter_rows(values_only=True)]
    assert ["theory_study_coverage", "Theory study coverage", "%"] in guide
    assert len([row for row in guide if row[0] in {i.code for i in RULES.indicators}]) == len(RULES.indicators)


def test_column_note_for_range_and_closed_date():
    units, problems = DATASETS["units"], DATASETS["problems"]
    assert column_note(units, units.column("level")) == (
        "必填；整数；范围 1–4；1 集团、2 二级单位、3 三级单位、4 党支部。")
    assert column_note(problems, problems.column("closed_date"), "en") == (
        "Optional; a date such as 2025-03-05 (2025/3/5 and 2025年3月5日 are accepted too); "
        "required when the status is 已销号 (closed out).")


def test_committed_templates_match_the_generator():
    folder = Path(__file__).resolve().parent.parent / "data" / "templates"
    for dataset in DATASETS:
        stored = pd.read_excel(folder / f"{dataset}.xlsx", sheet_name=None, header=None, engine="calamine")
        fresh = pd.read_excel(io.BytesIO(template_xlsx(dataset, "zh", RULES)), sheet_name=None, header=None,
                              engine="calamine")
        assert list(stored) == list(fresh)
        for name in fresh:
            pd.testing.assert_frame_equal(stored[name], fresh[name])
