"""Hardening of what leaves the app: every tabular download path neutralises formula cells, and user
text shown through markdown is escaped."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from kpi.display.exports import FORMULA_PREFIXES, to_csv_bytes, to_xlsx_bytes
from kpi.importing.error_report import error_report_xlsx
from kpi.importing.errors import CellError
from pages._ui import md

PAYLOADS = [f"{p}HYPERLINK(\"http://x\")" for p in FORMULA_PREFIXES]


def _xlsx_cells(data: bytes) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_table_downloads_neutralise_formulas(payload):
    frame = pd.DataFrame({"问题描述": [payload], "数值": [-3]})
    assert pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig").iloc[0].tolist() == ["'" + payload, -3]
    assert _xlsx_cells(to_xlsx_bytes(frame)) == [("'" + payload, "s"), (-3, "n")]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_upload_error_report_neutralises_the_users_cell_values(payload):
    error = CellError(3, "主题", payload, "required")
    values = [v for v, _ in _xlsx_cells(error_report_xlsx([error]))]
    assert "'" + payload in values
    assert not any(isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in values)


def test_markdown_escape_shows_user_text_as_typed():
    # Every ASCII punctuation escaped; a word joiner after ':' breaks the autolink (tests/test_user_text.py).
    assert md("![x](http://e/x.png)") == "\\!\\[x\\]\\(http\\:\u2060\\/\\/e\\/x\\.png\\)"
    assert md("$x$ *b* <b>") == "\\$x\\$ \\*b\\* \\<b\\>"
    assert md("示范电力有限公司") == "示范电力有限公司"
