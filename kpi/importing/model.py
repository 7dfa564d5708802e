"""What parsing an uploaded file produces; the contract between parse.py and commit.py."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kpi.importing.errors import CellError


@dataclass
class ParsedUpload:
    """A file read and validated against one dataset, not yet written anywhere.

    frame: the rows that passed validation, columns exactly `Dataset.names` (English names),
        canonical dtypes — text/enum/code/period: "string"; int/year: "Int64"; number, money,
        pct, score: "Float64"; date: "datetime64[s]" (NaT when empty); bool: "boolean".
    file_rows: for each frame row, the row number the user sees in the file (1-based).
    row_sheets: for each frame row, its worksheet name (XLSX) or None.
    mapping: header as written in the file → dataset column name; unmapped: headers ignored.
    encoding: the detected text encoding ('utf-8', 'utf-8-sig', 'gb18030', 'utf-16'), None for XLSX.
    dropped: rows dropped on purpose, by reason: {'title': n, 'total': n, 'empty': n, 'duplicate': n}.
    errors: every validation error; an upload with any error is refused as a whole.
    """

    dataset: str
    file_name: str
    sha256: str
    frame: pd.DataFrame
    file_rows: list[int]
    row_sheets: list[str | None]
    mapping: dict[str, str]
    unmapped: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheets: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        """Number of distinct file rows with at least one error (the 'E' of the diff)."""
        return len({(e.sheet, e.row) for e in self.errors if e.row is not None})
