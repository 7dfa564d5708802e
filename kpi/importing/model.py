"""What parsing an uploaded file produces; the contract between parse.py and commit.py."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi.importing.errors import CellError

# The canonical dtype of each column kind, in pandas and in Arrow.
DTYPES = {"text": "string", "enum": "string", "code": "string", "period": "string", "int": "Int64",
          "year": "Int64", "number": "Float64", "money": "Float64", "pct": "Float64", "score": "Float64",
          "date": "datetime64[s]", "bool": "boolean"}
ARROW_TYPES = {"string": pa.string(), "Int64": pa.int64(), "Float64": pa.float64(),
               "datetime64[s]": pa.timestamp("s"), "boolean": pa.bool_()}
_PANDAS_TYPES = {pa.string(): pd.StringDtype(), pa.large_string(): pd.StringDtype(), pa.int64(): pd.Int64Dtype(),
                 pa.int32(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}


def table_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of parsed rows as a pandas frame in the canonical dtypes."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
    frame = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    for name, field in zip(table.column_names, table.schema):
        if pa.types.is_timestamp(field.type):
            frame[name] = frame[name].astype("datetime64[s]")
    return frame


class ParsedUpload:
    """A file read and validated against one dataset, not yet written anywhere.

    table: the rows that passed validation as an Arrow table (what commit inserts from);
    frame: the same rows as a pandas frame, built when first asked for. Columns exactly
        `Dataset.names` (English names), canonical dtypes — text/enum/code/period: "string";
        int/year: "Int64"; number, money, pct, score: "Float64"; date: "datetime64[s]" (NaT when
        empty); bool: "boolean". Give either when constructing one.
    row_count: the number of those rows.
    file_rows: for each row, the row number the user sees in the file (1-based).
    row_sheets: for each row, its worksheet name (XLSX) or None.
    mapping: header as written in the file → dataset column name; unmapped: headers ignored.
    encoding: the detected text encoding ('utf-8', 'utf-8-sig', 'gb18030', 'utf-16'), None for XLSX.
    dropped: rows dropped on purpose, by reason: {'title': n, 'total': n, 'empty': n, 'duplicate': n}.
    errors: every validation error; an upload with any error is refused as a whole.
    """

    def __init__(self, dataset: str, file_name: str, sha256: str, frame: pd.DataFrame | None = None,
                 file_rows: Sequence[int] | np.ndarray = (), row_sheets: Sequence[str | None] | np.ndarray = (),
                 mapping: dict[str, str] | None = None, unmapped: list[str] | None = None,
                 encoding: str | None = None, delimiter: str | None = None, sheets: list[str] | None = None,
                 dropped: dict[str, int] | None = None, errors: list[CellError] | None = None,
                 table: pa.Table | None = None):
        if (frame is None) == (table is None):
            raise ValueError("give exactly one of frame and table")
        self.dataset = dataset
        self.file_name = file_name
        self.sha256 = sha256
        self._frame = frame
        self._table = table
        self._rows = np.asarray(file_rows, dtype=np.int64)
        self._sheets = np.asarray(row_sheets, dtype=object)
        self.mapping = mapping or {}
        self.unmapped = unmapped or []
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheets = sheets or []
        self.dropped = dropped or {}
        self.errors = errors or []
        self._file_rows: list[int] | None = None
        self._row_sheets: list[str | None] | None = None

    def __repr__(self) -> str:
        return (f"ParsedUpload(dataset={self.dataset!r}, file_name={self.file_name!r}, rows={self.row_count}, "
                f"errors={len(self.errors)})")

    @property
    def table(self) -> pa.Table:
        if self._table is None:
            self._table = pa.Table.from_pandas(self._frame, preserve_index=False)
        return self._table

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = table_frame(self._table)
        return self._frame

    @property
    def row_count(self) -> int:
        return len(self._frame) if self._frame is not None else self._table.num_rows

    def head(self, limit: int) -> pd.DataFrame:
        """The first `limit` rows as a frame (without building the whole frame)."""
        if self._frame is not None:
            return self._frame.head(limit).copy()
        return table_frame(self._table.slice(0, limit))

    @property
    def file_rows(self) -> list[int]:
        if self._file_rows is None:
            self._file_rows = self._rows.tolist()
        return self._file_rows

    @property
    def row_sheets(self) -> list[str | None]:
        if self._row_sheets is None:
            self._row_sheets = self._sheets.tolist()
        return self._row_sheets

    @property
    def sheets_loaded(self) -> list[str]:
        """The worksheets the rows came from, each once in file order (empty for a CSV)."""
        return [s for s in pd.unique(self._sheets) if s is not None] if len(self._sheets) else []

    def head_rows(self, limit: int) -> tuple[list[int], list[str | None]]:
        """(file rows, sheets) of the first `limit` rows."""
        return self._rows[:limit].tolist(), self._sheets[:limit].tolist()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        """Number of distinct file rows with at least one error (the 'E' of the diff)."""
        return len({(e.sheet, e.row) for e in self.errors if e.row is not None})
