"""The whole error list of an upload as an XLSX the analyst can sort and fix from."""
from __future__ import annotations

import io

import pandas as pd

from kpi.display.exports import neutralised
from kpi.i18n import t
from kpi.importing.errors import CellError, quoted

REPORT_COLUMNS = ("sheet", "row", "column", "value", "reason")


def error_frame(errors: list[CellError], lang: str = "zh") -> pd.DataFrame:
    """One row per error: sheet, row, column, value, reason — headers in `lang`; text from the file
    is quoted() (at most QUOTE_MAX_CHARS characters), as in the messages."""
    records = [(quoted(e.sheet or ""), e.row, quoted(e.column or ""), quoted(e.value) if e.value is not None else "",
                e.reason_text(lang)) for e in errors]
    frame = pd.DataFrame(records, columns=list(REPORT_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame.rename(columns={c: t(f"import.report.{c}", lang) for c in REPORT_COLUMNS})


def error_report_xlsx(errors: list[CellError], lang: str = "zh") -> bytes:
    """The error list as XLSX bytes (one sheet, translated headers, widened columns)."""
    # Cell values come from the user's file: a value starting with = would become a live formula.
    frame = neutralised(error_frame(errors, lang))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        sheet = t("import.report.title", lang)
        frame.to_excel(writer, sheet_name=sheet, index=False)
        ws = writer.sheets[sheet]
        for letter, width in zip("ABCDE", (14, 8, 24, 24, 60)):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
    return buffer.getvalue()
