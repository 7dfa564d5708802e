"""Downloads open right in Excel and cannot smuggle formulas."""
import io

import pandas as pd
from openpyxl import load_workbook

from kpi.display.exports import neutralised, to_csv_bytes, to_xlsx_bytes

RISKY = pd.DataFrame({"描述": ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "正常文本", None],
                      "数值": [1.5, -2.0, 3.0, 4.0, 5.0, 6.0]})


def test_csv_has_bom_and_neutralised_cells():
    data = to_csv_bytes(RISKY)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig").splitlines()
    assert text == ["描述,数值", "\"'=HYPERLINK(\"\"http://x\"\")\",1.5", "'+1,-2.0", "'-2+3,3.0",
                    "'@SUM(A1),4.0", "正常文本,5.0", ",6.0"]


def test_negative_numbers_stay_numbers():
    assert neutralised(RISKY)["数值"].tolist() == [1.5, -2.0, 3.0, 4.0, 5.0, 6.0]


def test_xlsx_cells_are_text_not_formulas():
    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(RISKY))).active
    values = [sheet.cell(row=r, column=1).value for r in range(2, 7)]
    assert values == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "正常文本"]
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 7))
    assert sheet.cell(row=3, column=2).value == -2.0
