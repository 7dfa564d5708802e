"""The importer's own error types: every problem names the row, the column, the value and why."""
from __future__ import annotations

from dataclasses import dataclass, field

from kpi.i18n import t


@dataclass(frozen=True)
class CellError:
    """One problem found in an uploaded file.

    row: the row number as the user sees it in the file (Excel/editor line number, 1-based);
         None for a problem of the whole file or of a column.
    column: the header exactly as written in the user's file (None when not about one column).
    value: the offending cell text as the user typed it (None when not about one cell).
    reason: a message key under `import.` in kpi/messages/import.toml; params fill it.
    sheet: the worksheet name for an XLSX with several sheets, else None.
    """

    row: int | None
    column: str | None
    value: str | None
    reason: str
    params: dict = field(default_factory=dict)
    sheet: str | None = None

    def reason_text(self, lang: str = "zh") -> str:
        return t(f"import.{self.reason}", lang, **self.params)

    def message(self, lang: str = "zh") -> str:
        """'第 5 行，“日期”列，值“2025-13-01”：不是有效日期' — one line, in `lang`."""
        return t("import.error_line", lang,
                 where=self.where(lang), reason=self.reason_text(lang))

    def where(self, lang: str = "zh") -> str:
        parts = []
        if self.sheet:
            parts.append(t("import.where_sheet", lang, sheet=self.sheet))
        if self.row is not None:
            parts.append(t("import.where_row", lang, row=self.row))
        if self.column is not None:
            parts.append(t("import.where_column", lang, column=self.column))
        if self.value is not None:
            parts.append(t("import.where_value", lang, value=self.value))
        return t("import.where_sep", lang).join(parts) if parts else t("import.where_file", lang)


class UploadRefused(Exception):
    """The importer's only error type: the upload is refused and nothing was written."""

    def __init__(self, errors: list[CellError]):
        super().__init__("; ".join(e.message("en") for e in errors[:5]))
        self.errors = errors
