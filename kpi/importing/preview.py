"""What the upload page shows before a commit: sheet names, header mapping, parsed-row preview."""
from __future__ import annotations

import pandas as pd

from kpi.datasets import get_dataset
from kpi.i18n import t
from kpi.importing import read
from kpi.importing.error_report import error_frame
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.model import ParsedUpload
from kpi.rules import WorkbookLimits

PREVIEW_ROWS = 200


def workbook_sheet_names(data: bytes, limits: WorkbookLimits) -> list[str]:
    """The worksheet names of an XLSX upload; [] for a CSV or a workbook that cannot be opened or
    is refused (parse_upload then refuses it with its own message). Like every reading of a
    workbook, this one runs in a child process after the workbook was inspected (read.py)."""
    if not read.is_workbook(data):
        return []
    try:
        return read.workbook_sheet_names(data, limits)
    except UploadRefused:
        return []


def column_label(dataset: str, name: str, lang: str) -> str:
    """A column as the UI shows it: the Chinese template header, or the English name."""
    return get_dataset(dataset).column(name).header if lang == "zh" else name


def mapping_frame(parsed: ParsedUpload, lang: str = "zh") -> pd.DataFrame:
    """One row per header of the file: the header as written → the dataset column it fills."""
    ds = get_dataset(parsed.dataset)
    rows = [(written, ds.column(name).header, name) for written, name in parsed.mapping.items()]
    return pd.DataFrame(rows, columns=[t("upload.mapping.file_header", lang), t("upload.mapping.column", lang),
                                       t("upload.mapping.name", lang)])


def preview_frame(parsed: ParsedUpload, lang: str = "zh", limit: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first `limit` parsed rows with the file row number first, columns labelled for `lang`."""
    head = parsed.head(limit)
    rows, sheets = parsed.head_rows(limit)
    for name in head.columns:
        if pd.api.types.is_datetime64_any_dtype(head[name]):
            head[name] = head[name].dt.date
    head = head.rename(columns={c: column_label(parsed.dataset, c, lang) for c in head.columns})
    head.insert(0, t("upload.preview.row", lang), rows)
    if any(sheets):
        head.insert(0, t("upload.preview.sheet", lang), sheets)
    return head


def error_table(errors: list[CellError], lang: str = "zh") -> pd.DataFrame:
    """The error list as shown on the page: row, column, value, reason (sheet first when any)."""
    frame = error_frame(errors, lang)
    return frame if any(e.sheet for e in errors) else frame.iloc[:, 1:]
