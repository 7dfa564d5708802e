"""Bytes → grids of cell text: decode CSV text, sniff the delimiter, read workbook sheets.

A grid is every cell of one sheet as text (columns c0..c{n-1}, no header chosen yet) in an
Arrow table, plus the row number the user sees for each grid row. Workbook cells are turned into
text the way Excel shows them (45721 not 45721.0, a date cell as 2025-03-05) so one normaliser
serves CSV and XLSX alike.

CSV text is split into cells by DuckDB's `read_csv` (every column VARCHAR, no header, the sniffed
delimiter, RFC 4180 quoting, short rows padded) from a UTF-8 temporary file: a UTF-8 upload is
written as it came, GBK/GB18030 and UTF-16 are decoded here first (DuckDB's CSV reader reads UTF-8
only, and has no GBK). So that DuckDB reads records exactly as Excel numbers them, every blank line
gets a marker cell (DuckDB would skip it; the marker is removed from every text read) and a
marker record is appended after the last line (a quoted value left open swallows it: that is how
a file ending inside quotes is told from a complete one). A file DuckDB would read otherwise than
Excel — its strict parser refuses the quoting, line ends are mixed, or a quote follows a space
(`a, "b, c"`: DuckDB takes the quote, Excel the text) — is split by pandas' C parser instead,
as it always was: slower, the same grid, and nothing that loaded before is refused now.
"""
from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import os
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi.importing.errors import CellError, UploadRefused, quoted
from kpi.importing.xlsx_child import ChildFailure, run_in_child
from kpi.rules import WorkbookLimits
from kpi.store import DUCKDB_CONFIG

DELIMITERS = (",", "\t", ";")
HEADER_REGION_LINES = 20
MAX_SNIFF_LINE = 65_536
MAX_WIDTH_RETRIES = 50
EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
# Known binary signatures → the name the refusal message shows.
BINARY_MAGIC = {
    b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"%PDF": "PDF", b"PK\x03\x04": "ZIP",
    b"\xd0\xcf\x11\xe0": "OLE (Excel 97-2003 / Word)", b"\x1f\x8b": "GZIP", b"Rar!": "RAR",
    b"7z\xbc\xaf": "7Z", b"\x7fELF": "ELF",
}
# Control characters that may mark blank lines and the end of the file (the first two a file does not hold).
MARKER_CANDIDATES = tuple(chr(c) for c in (0x1F, 0x1E, 0x1D, 0x1C, 0x1A, 0x19, 0x18, 0x17, 0x16, 0x15))
_BYTES_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # what bytes.strip() strips
_ASCII_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c\x1c-\x1f]*")  # the ASCII characters str.strip() strips
_DUCKDB_WIDTH = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@functools.cache
def _threads() -> ThreadPoolExecutor:
    """Two workers for Arrow and hashlib work, which runs without the GIL."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="kpi-import")


def _same_array(a: pa.Array, b: pa.Array) -> bool:
    """True when two Arrow arrays hold the same values (the same buffers, or equal)."""
    same_buffers = len(a) == len(b) and [x.address if x else None for x in a.buffers()] == \
        [x.address if x else None for x in b.buffers()]
    return same_buffers or a.equals(b)


@dataclass
class Grid:
    """One sheet's cells as text. `table` has string columns c0..c{n-1} (an empty cell is "" or
    null); `rows[i]` is the file row number of grid row i (1-based). `marker`, when set, is a
    character added to blank CSV lines that no cell text holds: it is removed from every text read."""

    sheet: str | None
    table: pa.Table
    rows: np.ndarray
    marker: str | None = None

    @property
    def width(self) -> int:
        return self.table.num_columns

    def __len__(self) -> int:
        return self.table.num_rows

    def _clean(self, value: str | None) -> str:
        if value is None:
            return ""
        return value.replace(self.marker, "") if self.marker else value

    def head(self, stop: int, start: int = 0) -> list[list[str]]:
        """Grid rows start..stop-1 as lists of cell text."""
        start, stop = min(start, len(self)), min(stop, len(self))
        part = self.table.slice(start, stop - start)
        columns = [[self._clean(v) for v in part.column(i).to_pylist()] for i in range(self.width)]
        return [list(row) for row in zip(*columns)] if columns else [[] for _ in range(stop - start)]

    def distinct(self, columns: list[int], start: int) -> dict[int, tuple[np.ndarray, list[str]]]:
        """For each grid column in `columns`, from grid row `start` on: (codes, texts), the cell of
        body row k reading texts[codes[k]]; `texts` are distinct, in order of first appearance.
        The columns are dictionary-encoded by Arrow on two threads."""
        cells = [self.table.column(i).slice(start) for i in columns]
        encoded = _threads().map(lambda c: pc.dictionary_encode(c, null_encoding="encode") if len(c) else None, cells)
        return {i: self._codes_texts(e) for i, e in zip(columns, encoded)}

    def _codes_texts(self, encoded: pa.ChunkedArray | None) -> tuple[np.ndarray, list[str]]:
        if encoded is None:
            return np.zeros(0, dtype=np.int64), []
        chunks = encoded.chunks
        last = chunks[-1].dictionary
        if all(_same_array(c.dictionary, last) for c in chunks[:-1]):
            # Arrow encodes the chunks with one dictionary: every chunk's indices point into it.
            codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks]) \
                if len(chunks) > 1 else chunks[0].indices.to_numpy(zero_copy_only=False)
            texts, merge = last.to_pylist(), False
        else:  # a dictionary per chunk: number them one after the other, equal texts merged below
            parts, texts = [], []
            for c in chunks:
                parts.append(c.indices.to_numpy(zero_copy_only=False).astype(np.int64) + len(texts))
                texts += c.dictionary.to_pylist()
            codes, merge = np.concatenate(parts), True
        if self.marker:
            texts, merge = [self._clean(v) for v in texts], True
        elif None in texts:
            texts, merge = ["" if v is None else v for v in texts], True
        if not merge:
            return codes, texts
        ids, unique = pd.factorize(np.asarray(texts, dtype=object))
        if len(unique) == len(texts):
            return codes, texts
        return ids[codes], list(unique)

    def has_text(self) -> bool:
        """True when some cell holds some text."""
        for column in self.table.columns:
            if self.marker:
                column = pc.replace_substring(column, self.marker, "")
            if len(column) and (pc.max(pc.utf8_length(column)).as_py() or 0) > 0:
                return True
        return False


@dataclass
class RawFile:
    """What `read_file` found: the grids to parse and how the file was read."""

    grids: list[Grid]
    encoding: str | None
    delimiter: str | None
    sheets: list[str]


def refuse(reason: str, **params: object) -> UploadRefused:
    return UploadRefused([CellError(None, None, None, reason, params)])


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of the uploaded bytes: the same file uploaded twice has the same digest."""
    return hashlib.sha256(data).hexdigest()


def sha256_later(data: bytes) -> Future:
    """`sha256_of(data)` computed on a worker thread while the file is read."""
    return _threads().submit(sha256_of, data)


def _megabytes(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 100 * 1024 else f"{n / 1024 / 1024:.3g} MB"


def check_size(data: bytes, max_file_mb: float) -> None:
    if len(data) > max_file_mb * 1024 * 1024:
        raise refuse("too_large", size=_megabytes(len(data)), cap=f"{max_file_mb:g} MB")
    if _BYTES_SPACE.match(data).end() == len(data):
        raise refuse("empty_file")


def is_workbook(data: bytes) -> bool:
    return data.startswith(EXCEL_MAGIC)


def _binary_kind(data: bytes) -> str | None:
    """Name of the binary format when `data` is clearly not text, else None."""
    for magic, name in BINARY_MAGIC.items():
        if data.startswith(magic):
            return name
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    head = data[:4096]
    if b"\x00" in head and not _utf16_without_bom(head):
        return "binary"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when every other byte is NUL (UTF-16 text of ASCII/CJK mix)."""
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def is_utf8(data: bytes) -> bool:
    """True when `data` is strict UTF-8 (as `data.decode('utf-8')` would accept), checked by Arrow
    without building the text."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def decode_text(data: bytes) -> tuple[str | None, str]:
    """(text, encoding): strict UTF-8 (with or without BOM), UTF-16 by BOM, strict GB18030, then
    charset-normalizer as a last resort (it misreads short files, so it never goes first).
    For UTF-8 the text is None: the bytes are used as they are."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise refuse("bad_encoding") from None
    bare16 = _utf16_without_bom(data[:4096])
    if bare16:
        try:
            return data.decode(bare16), "utf-16"
        except UnicodeDecodeError:
            pass
    if is_utf8(data):
        return None, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise refuse("bad_encoding")
    return str(best), best.encoding


def head_lines(text: str, count: int = HEADER_REGION_LINES) -> list[str]:
    """`text.splitlines()[:count]` without splitting the whole text (a large upload is tens of MB):
    a prefix is split, doubled until it holds more than `count` lines or is the whole text."""
    size = 1 << 16
    while True:
        lines = text[:size].splitlines()
        if len(lines) > count or size >= len(text):
            return lines[:count]
        size *= 2


def _utf8_head(data: bytes, count: int = HEADER_REGION_LINES) -> str:
    """A prefix of UTF-8 `data` decoded, holding more than `count` lines or the whole file."""
    size = 1 << 16
    while True:
        text = data[:size].decode("utf-8-sig", errors="ignore")
        if len(text.splitlines()) > count or size >= len(data):
            return text
        size *= 2


def _region_width(text: str, delimiter: str) -> int:
    """Most cells in one line of the header region. Lines are cut short first: the csv module
    refuses fields over 128 KB, and a giant cell says nothing about the delimiter."""
    lines = [line[:MAX_SNIFF_LINE] for line in head_lines(text)]
    try:
        return max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=0)
    except csv.Error:
        return max((line.count(delimiter) + 1 for line in lines), default=0)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits some line of the header region into the most cells (title lines
    above the header hold none, so the header and data lines decide)."""
    best, best_count = ",", 0
    for delim in DELIMITERS:
        count = _region_width(text, delim)
        if count > best_count:
            best, best_count = delim, count
    return best


_TEXT_SPACE = re.compile(r"\s*")  # what str.strip() strips


def _is_blank_text(data: bytes, text: str | None) -> bool:
    """`not text.strip()` for the decoded file, without copying it (or decoding a UTF-8 one)."""
    if text is not None:
        return _TEXT_SPACE.match(text).end() == len(text)
    start = _ASCII_SPACE.match(data).end()
    if start == len(data):
        return True
    return not data[:start + 4096].decode("utf-8-sig", errors="ignore").strip() and \
        not data.decode("utf-8-sig").strip()


def _line_end(body: bytes) -> bytes | None:
    """The one line end the file uses (LF, CRLF or CR); None when they are mixed."""
    if b"\r" not in body:
        return b"\n"
    cr, crlf = body.count(b"\r"), body.count(b"\r\n")
    if cr == crlf:
        # LF alone may still end a line, or sit inside a quoted cell: DuckDB refuses the first.
        return b"\r\n" if not re.search(b"\n\n", body) else None
    return b"\r" if b"\n" not in body else None


def _markers(body: bytes) -> tuple[str, str] | None:
    """Two control characters the file does not hold: one for blank lines, one for the end."""
    free = []
    for mark in MARKER_CANDIDATES:
        if mark.encode() not in body:
            free.append(mark)
            if len(free) == 2:
                return free[0], free[1]
    return None


def _space_before_quote(body: bytes, delimiter: str) -> bool:
    """True when a quote follows a space: DuckDB reads `a, "b, c"` as two cells, Excel and the
    pandas parser as three (a cell starts quoted only when its first character is the quote)."""
    pads = (b" ", b"\t") if delimiter != "\t" else (b" ",)
    return any(re.search(re.escape(pad + b'"'), body) for pad in pads)


@dataclass
class _Regular:
    """A CSV body DuckDB reads record for record as Excel does (see module docstring)."""

    body: bytes
    tail: bytes
    marker: str | None
    end_marker: str
    quoted: bool


def _regular(body: bytes, delimiter: str) -> _Regular | None:
    """The body with a marker cell on every blank line and an end-marker record after the last
    line; None for a file DuckDB would read otherwise than Excel (mixed line ends, a quote after
    a space)."""
    end = _line_end(body)
    markers = _markers(body)
    quoted = b'"' in body
    if end is None or markers is None or (quoted and _space_before_quote(body, delimiter)):
        return None
    blank_marker, end_marker = markers
    marker = None
    if re.search(re.escape(end + end), body) or body.startswith(end):
        mark = blank_marker.encode()
        for _ in range(2):  # a run of blank lines: the second pass marks those the first skipped
            body = body.replace(end + end, end + mark + end)
        if body.startswith(end):
            body = mark + body
        marker = blank_marker
    tail = (b"" if body.endswith(end) else end) + end_marker.encode() + end
    return _Regular(body, tail, marker, end_marker, quoted)


@functools.cache
def _csv_reader() -> duckdb.DuckDBPyConnection:
    """The process's one in-memory DuckDB for reading uploaded CSVs, started on the first read.
    Starting a DuckDB instance takes ~15 ms, a cursor on a running one microseconds; every read
    still gets a connection of its own (`cursor()`), which is how DuckDB is shared across threads."""
    return duckdb.connect(config=DUCKDB_CONFIG)


def _duckdb_cells(path: str, delimiter: str, width: int, parallel: bool) -> pa.Table:
    columns = {f"c{i}": "VARCHAR" for i in range(width)}
    con = _csv_reader().cursor()
    try:
        return con.sql(
            """SELECT * FROM read_csv($path, header = false, auto_detect = false, columns = $columns,
                   delim = $delim, quote = '"', escape = '"', null_padding = true, strict_mode = true,
                   parallel = $parallel, encoding = 'utf-8')""",
            params={"path": path, "columns": columns, "delim": delimiter, "parallel": parallel}).to_arrow_table()
    finally:
        con.close()


def _duckdb_table(body: bytes, delimiter: str, width: int) -> tuple[pa.Table, str | None] | None:
    """The cells of UTF-8 `body` (no BOM) read by DuckDB, and the blank-line marker; None when
    DuckDB cannot read the file record for record as Excel does (the pandas parser then does)."""
    regular = _regular(body, delimiter)
    if regular is None:
        return None
    handle = tempfile.NamedTemporaryFile(prefix="kpi-upload-", suffix=".csv", delete=False)
    try:
        with handle:
            handle.write(regular.body)
            handle.write(regular.tail)
        table = None
        for _ in range(MAX_WIDTH_RETRIES):
            try:
                # In parallel DuckDB cannot pad short rows when a quoted cell spans lines.
                table = _duckdb_cells(handle.name, delimiter, width, parallel=not regular.quoted)
                break
            except duckdb.Error as exc:
                wider = _DUCKDB_WIDTH.search(str(exc))
                if not wider or int(wider.group(2)) <= width:
                    return None
                width = int(wider.group(2))
    finally:
        os.unlink(handle.name)
    if table is None or not table.num_rows or table.column(0)[-1].as_py() != regular.end_marker:
        return None  # a quoted value never closed swallowed the end marker
    return table.slice(0, table.num_rows - 1), regular.marker


_EXPECTED_FIELDS = re.compile(r"Expected \d+ fields in line \d+, saw (\d+)")


def _pandas_table(body: bytes, delimiter: str, width: int) -> pa.Table:
    """The cells of UTF-8 `body` read by pandas' C parser, for files DuckDB does not read as
    Excel does (odd quoting, mixed line ends): slower, the same cells for a regular file."""
    for _ in range(MAX_WIDTH_RETRIES):
        try:
            frame = pd.read_csv(io.BytesIO(body), encoding="utf-8", encoding_errors="surrogatepass",
                                sep=delimiter, header=None, names=range(width), dtype=str,
                                keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                engine="c", quoting=csv.QUOTE_MINIMAL)
            if not isinstance(frame.index, pd.RangeIndex):
                # The first line holds more cells than `width`: pandas took the extra ones for an index.
                width += frame.index.nlevels
                continue
            frame = frame.fillna("")
            return pa.table({f"c{i}": pa.array(frame[i].tolist(), pa.string()) for i in range(width)})
        except pd.errors.ParserError as exc:
            match = _EXPECTED_FIELDS.search(str(exc))
            if not match:
                raise refuse("csv_unreadable", detail=_parser_detail(str(exc))) from None
            width = int(match.group(1))
        except (ValueError, UnicodeError, OverflowError, csv.Error) as exc:
            raise refuse("csv_unreadable", detail=_parser_detail(str(exc))) from None
    raise refuse("csv_unreadable", detail="too many columns")


def _parser_detail(message: str) -> str:
    return message.replace("Error tokenizing data. C error: ", "").strip()[:200]


def read_csv_grid(data: bytes) -> tuple[Grid, str, str]:
    kind = _binary_kind(data)
    if kind:
        raise refuse("binary_file", kind=kind)
    text, encoding = decode_text(data)
    if (b"\x00" in data) if text is None else ("\x00" in text):
        raise refuse("binary_file", kind="binary")
    if _is_blank_text(data, text):
        raise refuse("empty_file")
    head = _utf8_head(data) if text is None else text
    delimiter = sniff_delimiter(head)
    width = max(_region_width(head, delimiter), 1)
    if text is None:
        body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    else:
        body = text.encode("utf-8", "surrogatepass")
        del text, head
    read = _duckdb_table(body, delimiter, width)
    table, marker = read if read is not None else (_pandas_table(body, delimiter, width), None)
    # A record spanning quoted newlines is one row, as Excel numbers it.
    return Grid(None, table, np.arange(1, table.num_rows + 1), marker), encoding, delimiter


def _workbook(task: str, data: bytes, limits: WorkbookLimits, sheet: str | None = None,
              all_sheets: bool = False) -> tuple:
    """The child process's ('ok', …) answer for `task` (see xlsx_child.run_in_child); every other
    answer, and a child that died or ran out of time, is an UploadRefused."""
    try:
        answer = run_in_child(task, data, limits, sheet, all_sheets)
    except ChildFailure as failure:
        raise refuse(failure.reason, **failure.params) from None
    if answer[0] == "refused":
        raise refuse(answer[1], **answer[2])
    if answer[0] == "unreadable":
        raise refuse("xlsx_unreadable", detail=answer[1])
    if answer[0] == "memory":
        raise refuse("xlsx_memory", cap=f"{limits.parse_memory_mb} MB")
    return answer


def read_workbook_grids(data: bytes, sheet: str | None, all_sheets: bool,
                        limits: WorkbookLimits) -> tuple[list[Grid], list[str]]:
    """(the chosen sheets as grids, every sheet name). The workbook is inspected and read in a
    child process with a memory and a time limit (xlsx_guard, xlsx_child): whatever it holds,
    the server's own process never parses it."""
    _, names, tables = _workbook("read", data, limits, sheet, all_sheets)
    if sheet is not None and sheet not in names:
        raise refuse("sheet_not_found", sheet=sheet, sheets="、".join(quoted(n) for n in names))
    chosen = names if all_sheets else [sheet if sheet is not None else names[0]] if names else []
    grids = [Grid(name, tables[name], np.arange(1, tables[name].num_rows + 1)) for name in chosen]
    if not any(g.has_text() for g in grids):
        raise refuse("xlsx_no_rows", sheets="、".join(quoted(n) for n in chosen) or "—")
    return grids, names


def workbook_sheet_names(data: bytes, limits: WorkbookLimits) -> list[str]:
    """The sheet names of a workbook, read in a child process after the workbook's directory,
    sheet list and shared strings were inspected; UploadRefused as read_workbook_grids."""
    return _workbook("names", data, limits)[1]


def read_file(data: bytes, file_name: str, max_file_mb: float, sheet: str | None = None,
              all_sheets: bool = False, *, limits: WorkbookLimits) -> RawFile:
    """Read an upload into grids; raises UploadRefused for files that cannot be read at all.

    The format is decided by content, not by the file name: a real workbook renamed .csv is read
    as a workbook; any other binary content (PNG, PDF, ZIP, …) named .csv is refused. `limits`
    bound what a workbook may hold and what reading it may use.
    """
    check_size(data, max_file_mb)
    if is_workbook(data):
        try:
            grids, sheets = read_workbook_grids(data, sheet, all_sheets, limits)
        except UploadRefused as exc:
            if exc.errors[0].reason == "xlsx_unreadable" and not file_name.lower().endswith((".xlsx", ".xls", ".xlsm")):
                raise refuse("binary_file", kind=BINARY_MAGIC.get(data[:4], "ZIP")) from None
            raise
        return RawFile(grids, None, None, sheets)
    if file_name.lower().endswith((".xlsx", ".xlsm", ".xls")) and _binary_kind(data):
        raise refuse("xlsx_unreadable", detail=f"{_binary_kind(data)}")
    grid, encoding, delimiter = read_csv_grid(data)
    return RawFile([grid], encoding, delimiter, [])
