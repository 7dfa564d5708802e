"""Bytes → grids of cell text: decode CSV text, sniff the delimiter, read workbook sheets.

A grid is every cell of one sheet as text (columns 0..n-1, no header chosen yet) plus the row
number the user sees for each grid row. Workbook cells are turned into text the way Excel shows
them (45721 not 45721.0, a date cell as 2025-03-05) so one normaliser serves CSV and XLSX alike.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi.importing.errors import CellError, UploadRefused

DELIMITERS = (",", "\t", ";")
HEADER_REGION_LINES = 20
MAX_SNIFF_LINE = 65_536
EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
# Known binary signatures → the name the refusal message shows.
BINARY_MAGIC = {
    b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"%PDF": "PDF", b"PK\x03\x04": "ZIP",
    b"\xd0\xcf\x11\xe0": "OLE (Excel 97-2003 / Word)", b"\x1f\x8b": "GZIP", b"Rar!": "RAR",
    b"7z\xbc\xaf": "7Z", b"\x7fELF": "ELF",
}


@dataclass
class Grid:
    """One sheet's cells as text. `rows[i]` is the file row number of grid row i (1-based)."""

    sheet: str | None
    cells: pd.DataFrame
    rows: np.ndarray


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


def _megabytes(n: float) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 100 * 1024 else f"{n / 1024 / 1024:.3g} MB"


def check_size(data: bytes, max_file_mb: float) -> None:
    if len(data) > max_file_mb * 1024 * 1024:
        raise refuse("too_large", size=_megabytes(len(data)), cap=f"{max_file_mb:g} MB")
    if not data.strip():
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


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): strict UTF-8 (with or without BOM), UTF-16 by BOM, strict GB18030, then
    charset-normalizer as a last resort (it misreads short files, so it never goes first)."""
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
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
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


_EXPECTED_FIELDS = re.compile(r"Expected \d+ fields in line \d+, saw (\d+)")


def _csv_frame(text: str, delimiter: str) -> pd.DataFrame:
    width = max(_region_width(text, delimiter), 1)
    encoded = text.encode("utf-8", "surrogatepass")
    for _ in range(50):
        try:
            # Bytes, not a StringIO: pandas re-encodes a text stream through a slow Python wrapper.
            frame = pd.read_csv(io.BytesIO(encoded), encoding="utf-8", encoding_errors="surrogatepass",
                                sep=delimiter, header=None, names=range(width), dtype=str,
                                keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                engine="c", quoting=csv.QUOTE_MINIMAL)
            return frame.fillna("")
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
    if "\x00" in text:
        raise refuse("binary_file", kind="binary")
    if not text.strip():
        raise refuse("empty_file")
    delimiter = sniff_delimiter(text)
    cells = _csv_frame(text, delimiter)
    # A record spanning quoted newlines is one row, as Excel numbers it.
    return Grid(None, cells, np.arange(1, len(cells) + 1)), encoding, delimiter


def _cell_text(value: object) -> str:
    """A workbook cell as the user sees it: integers without '.0', dates as YYYY-MM-DD."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def read_workbook_grids(data: bytes, sheet: str | None, all_sheets: bool) -> tuple[list[Grid], list[str]]:
    try:
        book = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine", header=None, dtype=object)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine's own errors, and Rust panics (PanicException is a BaseException)
        raise refuse("xlsx_unreadable", detail=str(exc)[:200]) from None
    names = list(book)
    if sheet is not None and sheet not in book:
        raise refuse("sheet_not_found", sheet=sheet, sheets="、".join(names))
    chosen = names if all_sheets else [sheet if sheet is not None else names[0]] if names else []
    grids = []
    for name in chosen:
        frame = book[name]
        cells = frame.map(_cell_text) if frame.size else frame
        cells.columns = range(cells.shape[1])
        grids.append(Grid(name, cells.astype(str) if cells.size else cells, np.arange(1, len(cells) + 1)))
    if not any(g.cells.size and (g.cells != "").any().any() for g in grids):
        raise refuse("xlsx_no_rows", sheets="、".join(chosen) or "—")
    return grids, names


def read_file(data: bytes, file_name: str, max_file_mb: float, sheet: str | None = None,
              all_sheets: bool = False) -> RawFile:
    """Read an upload into grids; raises UploadRefused for files that cannot be read at all.

    The format is decided by content, not by the file name: a real workbook renamed .csv is read
    as a workbook; any other binary content (PNG, PDF, ZIP, …) named .csv is refused.
    """
    check_size(data, max_file_mb)
    if is_workbook(data):
        try:
            grids, sheets = read_workbook_grids(data, sheet, all_sheets)
        except UploadRefused as exc:
            if exc.errors[0].reason == "xlsx_unreadable" and not file_name.lower().endswith((".xlsx", ".xls", ".xlsm")):
                raise refuse("binary_file", kind=BINARY_MAGIC.get(data[:4], "ZIP")) from None
            raise
        return RawFile(grids, None, None, sheets)
    if file_name.lower().endswith((".xlsx", ".xlsm", ".xls")) and _binary_kind(data):
        raise refuse("xlsx_unreadable", detail=f"{_binary_kind(data)}")
    grid, encoding, delimiter = read_csv_grid(data)
    return RawFile([grid], encoding, delimiter, [])
