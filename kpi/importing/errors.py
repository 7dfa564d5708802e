"""The importer's own error types: every problem names the row, the column, the value and why."""
from __future__ import annotations

from dataclasses import dataclass, field

from kpi.i18n import DEFAULT_LANGUAGE, TranslatedError, t

# A message quotes at most this many characters of a value from the file: one 20 MB cell once
# made a 42 MB refusal (page, log and stderr alike).
QUOTE_MAX_CHARS = 100
# Message parameters that carry text from the file (cells, keys, sheet and part names, a reader's
# own error text): quoted(), never whole.
QUOTED_PARAMS = frozenset({"value", "key", "name", "sheet", "first_sheet", "detail", "part", "ref"})


def quoted(value: object) -> str:
    """`value` as text, cut to its first QUOTE_MAX_CHARS characters; a cut ends in '…'."""
    text = str(value)
    return text if len(text) <= QUOTE_MAX_CHARS else text[:QUOTE_MAX_CHARS] + "…"


def quoted_params(params: dict) -> dict:
    """`params` with every QUOTED_PARAMS value quoted()."""
    return {k: quoted(v) if k in QUOTED_PARAMS and v is not None else v for k, v in params.items()}


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
        return t(f"import.{self.reason}", lang, **quoted_params(self.params))

    def message(self, lang: str = "zh") -> str:
        """'第 5 行，“日期”列，值“2025-13-01”：不是有效日期' — one line, in `lang`."""
        return t("import.error_line", lang,
                 where=self.where(lang), reason=self.reason_text(lang))

    def where(self, lang: str = "zh") -> str:
        parts = []
        if self.sheet:
            parts.append(t("import.where_sheet", lang, sheet=quoted(self.sheet)))
        if self.row is not None:
            parts.append(t("import.where_row", lang, row=self.row))
        if self.column is not None:
            parts.append(t("import.where_column", lang, column=quoted(self.column)))
        if self.value is not None:
            parts.append(t("import.where_value", lang, value=quoted(self.value)))
        return t("import.where_sep", lang).join(parts) if parts else t("import.where_file", lang)


class UploadRefused(TranslatedError):
    """The importer's only error type: the upload is refused and nothing was written. `errors` name
    every cell or file problem (the pages and the command line list them all); the message counts
    them and quotes the first, so a caller that shows only the message still says why."""

    prefix = "import."
    key = "refused"
    composed = True  # the first error is a message of its own

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        super().__init__(n=len(errors))

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        first = self.errors[0].message(lang) if self.errors else ""
        return t(self.message_key, lang, n=len(self.errors), first=first)
