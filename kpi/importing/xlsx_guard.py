"""Look inside an uploaded workbook before any reader parses it, with the standard library only.

The ZIP's central directory gives every part's sizes without unpacking anything; the parts are
then inflated chunk by chunk (never more than a part declares) and scanned as bytes. A workbook
is refused — WorkbookRefusal, a message key of kpi/messages/import.toml and its params — when
- its parts unpack to more than `max_unpacked_mb`, or to more than `max_compression_ratio` times
  the file's size, or a part inflates beyond the size the directory declares for it;
- xl/workbook.xml lists more than `max_sheets` sheets;
- a sheet declares (<dimension ref>) or holds a cell beyond `max_rows` × `max_columns`;
- xl/sharedStrings.xml holds a string longer than `max_text_chars` characters.
The reader (calamine) finds parts by name without regard to case, so every part is scanned for
cells and names are compared in lower case.

Cells are found the way calamine finds them: a cell's position is its `r` attribute (the last one
when repeated), else the next column of the current row. A Python loop over every cell of a
50 000-row sheet would cost more than parsing it, so a part is first scanned with a few regular
expressions, each a C-speed search for a rare pattern (about 0.1 s of CPU for the 18 MB of sheet
XML of a 50 000-row workbook). They find nothing in a sheet written by Excel, WPS, openpyxl or
xlsxwriter whose cells all lie within the limits: every cell starts `<c r="A1"`, each `r` is
written ` r="…"`, none lies beyond the limits. Anything else — a cell beyond the limits, a cell
without `r` or with `r` written otherwise, a namespace prefix — sends the part to the exact
reading, tag by tag, which decides.
"""
from __future__ import annotations

import functools
import io
import posixpath
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from kpi.rules import WorkbookLimits

ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 1 << 20  # inflated bytes handed to the scanners at a time
MB = 1024 * 1024
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS_PART = "xl/sharedstrings.xml"

# One XML attribute list, quotes respected (a quoted value may hold > and <).
_ATTRS = rb'(?:[^>"\']|"[^"]*"|\'[^\']*\')*'
_NAME = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
# Every piece of markup, for the exact reading: comments, CDATA, processing instructions and
# declarations are skipped whole; a tag gives (closing slash, name, attributes).
_MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!" + _ATTRS + rb">"
                     rb"|<(/?)([^\s/>]+)(" + _ATTRS + rb")>", re.S)
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_REF = re.compile(rb"([A-Za-z]*)([0-9]+)")
_DIMENSION = re.compile(rb"<" + _NAME + rb"dimension(?=[\s/>])(" + _ATTRS + rb")>")
_REF_ATTR = re.compile(rb'(?:^|\s)ref\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_SHEET = re.compile(rb"<" + _NAME + rb"sheet(?=[\s/>])(" + _ATTRS + rb")>")
_RELATIONSHIP = re.compile(rb"<" + _NAME + rb"Relationship(?=[\s/>])(" + _ATTRS + rb")>")
# Patterns a canonical sheet never holds (see module docstring): a cell tag not starting
# `<c r="`, a prefixed cell tag, an `r` attribute written with spaces around `=`.
_ODD = (re.compile(rb'<c(?! r=")[\s/>]'), re.compile(rb":c[\s/>]"), re.compile(rb"r[\t\n\r ]+=\s*[\"']"))


class WorkbookRefusal(Exception):
    """The workbook is over a limit: `reason` is a message key under import., `params` fill it."""

    def __init__(self, reason: str, params: dict):
        super().__init__(reason, params)
        self.reason, self.params = reason, params


class ZipUnreadable(Exception):
    """The standard library cannot read the ZIP (or a part it must look into); args[0] says why."""


@dataclass(frozen=True)
class Position:
    """A cell position, zero-based like calamine's: row, and column (None for a bare row number)."""

    row: int
    column: int | None

    def outside(self, limits: WorkbookLimits) -> bool:
        return self.row + 1 > limits.max_rows or (self.column is not None and self.column + 1 > limits.max_columns)

    def ref(self) -> str:
        """'XFD1048576' (or '1048576' for a bare row)."""
        return (column_letters(self.column + 1) if self.column is not None else "") + str(self.row + 1)


def column_letters(number: int) -> str:
    """1 → 'A', 26 → 'Z', 27 → 'AA', 16384 → 'XFD'."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def position(ref: bytes) -> Position | None:
    """A reference such as b'XFD1048576' or b'c7' read as calamine reads it; None when calamine
    refuses it (it then refuses the sheet too, so nothing gets allocated for it)."""
    match = _REF.fullmatch(ref)
    if not match or int(match.group(2)) == 0:
        return None
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + letter - 64
    return Position(int(match.group(2)) - 1, column - 1 if match.group(1) else None)


def _digits_above(n: int) -> bytes:
    """A pattern for the decimal numbers (without leading zeros) greater than n."""
    text = str(n).encode()
    options = [rb"[1-9][0-9]{%d,}" % len(text)]
    for i, digit in enumerate(text):
        if digit < ord("9"):
            rest = len(text) - i - 1
            options.append(text[:i] + rb"[%c-9]" % (digit + 1) + (rb"[0-9]{%d}" % rest if rest else b""))
    return b"(?:" + b"|".join(options) + b")"


def _letters_above(n: int) -> bytes:
    """A pattern for the column letters (either case) of the columns after column n. Letters of
    one length compare as text; a longer run of letters is always a later column."""
    text = column_letters(n).encode()
    options = [rb"[A-Za-z]{%d,}" % (len(text) + 1)]
    for i, letter in enumerate(text):
        if letter < ord("Z"):
            rest = len(text) - i - 1
            prefix = b"".join(rb"[%c%c]" % (c, c + 32) for c in text[:i])
            tail = rb"[A-Za-z]{%d}" % rest if rest else b""
            options.append(prefix + rb"[%c-Z%c-z]" % (letter + 1, letter + 33) + tail)
    return b"(?:" + b"|".join(options) + b")"


@functools.lru_cache(maxsize=8)
def _unusual_r(max_rows: int, max_columns: int) -> re.Pattern:
    """One search from the literal `r=` for what the canonical scan cannot judge: an `r` value not
    in double quotes, an `r` after a tab or line break, or a cell reference beyond the limits."""
    # The lookaheads skip the usual reference (fewer letters or digits than the limit's) at once.
    beyond = (rb"(?:(?=[A-Za-z]{%d})" % len(column_letters(max_columns)) + _letters_above(max_columns)
              + rb"[0-9]*|[A-Za-z]+0*(?=[0-9]{%d})" % len(str(max_rows)) + _digits_above(max_rows) + rb")")
    return re.compile(rb'r=(?:[^"]|(?<=[\t\n\r]r=)"|(?<= r=)"' + beyond + rb'")')


def _aligned(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The same bytes in pieces that each end just before a '<', so no tag name is ever cut."""
    pending: list[bytes] = []
    for chunk in chunks:
        cut = chunk.rfind(b"<")
        if cut <= 0:
            pending.append(chunk)
            continue
        yield b"".join([*pending, chunk[:cut]])
        pending = [chunk[cut:]]
    if pending:
        yield b"".join(pending)


def _attribute(attrs: bytes, pattern: re.Pattern) -> bytes | None:
    """The value of the last attribute `pattern` finds in a tag's attribute list."""
    found = None
    for match in pattern.finditer(attrs):
        found = match.group(1) if match.group(1) is not None else match.group(2)
    return found


class _Part:
    """One entry of the archive, inflated on demand, never beyond its declared size."""

    def __init__(self, data: bytes, info: zipfile.ZipInfo):
        self.data, self.info = data, info
        self.name = info.filename.replace("\\", "/").lower()

    def _raw(self) -> memoryview:
        info, start = self.info, self.info.header_offset
        if info.flag_bits & 0x1:
            raise ZipUnreadable(f"{info.filename}: encrypted")
        if self.data[start:start + 4] != ZIP_MAGIC:
            raise ZipUnreadable(f"{info.filename}: bad local header")
        name_len, extra_len = struct.unpack("<HH", self.data[start + 26:start + 30])
        begin = start + 30 + name_len + extra_len
        if begin + info.compress_size > len(self.data):
            raise ZipUnreadable(f"{info.filename}: truncated")
        return memoryview(self.data)[begin:begin + info.compress_size]

    def chunks(self) -> Iterator[bytes]:
        """The inflated bytes, CHUNK at a time; WorkbookRefusal when they outgrow the declared size."""
        raw, method = self._raw(), self.info.compress_type
        if method == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (bytes(raw[i:i + CHUNK]) for i in range(0, len(raw), CHUNK))
        elif method == zipfile.ZIP_DEFLATED:
            pieces = self._inflate(raw)
        else:
            raise ZipUnreadable(f"{self.info.filename}: compression method {method}")
        produced = 0
        for piece in pieces:
            produced += len(piece)
            if produced > self.info.file_size:
                raise WorkbookRefusal("xlsx_part_lies", {"part": self.info.filename, "size": self.info.file_size})
            yield piece

    @staticmethod
    def _inflate(raw: memoryview) -> Iterator[bytes]:
        inflater = zlib.decompressobj(-15)
        try:
            for i in range(0, len(raw), CHUNK):
                pending = bytes(raw[i:i + CHUNK])
                while pending:
                    out = inflater.decompress(pending, CHUNK)
                    pending = inflater.unconsumed_tail
                    if out:
                        yield out
                    if inflater.eof:
                        return
            while not inflater.eof and (out := inflater.decompress(b"", CHUNK)):
                yield out
        except zlib.error as exc:
            raise ZipUnreadable(f"inflate: {exc}") from None

    def read(self) -> bytes:
        return b"".join(self.chunks())


def inspect_workbook(data: bytes, limits: WorkbookLimits, cells: bool = True) -> None:
    """Return when `data` may be parsed; raise WorkbookRefusal when it is over a limit, and
    ZipUnreadable when the standard library cannot read the ZIP. An Excel 97-2003 (OLE) file
    is not a ZIP: nothing to inspect (the child process's limits still hold it).

    `cells=False` skips the worksheets, enough before reading only the sheet names (the reader
    opens the workbook, its relationships and shared strings then, no worksheet)."""
    if not data.startswith(ZIP_MAGIC):
        return
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception as exc:  # noqa: BLE001  (whatever stops the standard library: not inspectable)
        raise ZipUnreadable(str(exc) or type(exc).__name__) from None
    check_sizes(infos, len(data), limits)
    parts = [_Part(data, info) for info in infos if not info.is_dir()]
    sheet_names = check_sheet_count(parts, limits)
    for part in parts:
        if part.name == SHARED_STRINGS_PART:
            check_shared_strings(part, limits)
    if cells:
        for part in parts:
            check_cells(part, limits, sheet_names.get(part.name, part.info.filename))


def check_sizes(infos: list[zipfile.ZipInfo], file_size: int, limits: WorkbookLimits) -> None:
    """Total unpacked size and compression ratio, from the central directory alone."""
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unpacked_mb * MB:
        raise WorkbookRefusal("xlsx_unpacked_too_large", {
            "size": f"{unpacked / MB:.1f} MB", "cap": f"{limits.max_unpacked_mb:g} MB"})
    ratio = unpacked / max(file_size, 1)
    if ratio > limits.max_compression_ratio:
        raise WorkbookRefusal("xlsx_compression_ratio", {
            "ratio": f"{ratio:.0f}", "cap": f"{limits.max_compression_ratio:g}"})


def check_sheet_count(parts: list[_Part], limits: WorkbookLimits) -> dict[str, str]:
    """Refuse more than `max_sheets` sheets in xl/workbook.xml; return part name → sheet name
    (for messages: a sheet is named as the user knows it, not by its part)."""
    targets: dict[bytes, str] = {}
    for part in parts:
        if part.name == WORKBOOK_RELS:
            for match in _RELATIONSHIP.finditer(part.read()):
                rid, target = _attribute(match.group(1), _attr_pattern(b"Id")), \
                    _attribute(match.group(1), _attr_pattern(b"Target"))
                if rid is not None and target is not None:
                    targets[rid] = _part_path(target.decode("utf-8", "replace"))
    names: dict[str, str] = {}
    for part in parts:
        if part.name != WORKBOOK_PART:
            continue
        count = 0
        for piece in _aligned(part.chunks()):
            for match in _SHEET.finditer(piece):
                count += 1
                if count > limits.max_sheets:
                    raise WorkbookRefusal("xlsx_too_many_sheets", {"count": _count_all(part), "cap": limits.max_sheets})
                name = _attribute(match.group(1), _attr_pattern(b"name"))
                rid = _attribute(match.group(1), _attr_pattern(rb"r:id"))
                if name is not None and rid in targets:
                    names[targets[rid]] = _xml_text(name)
    return names


def _count_all(part: _Part) -> int:
    return sum(len(_SHEET.findall(piece)) for piece in _aligned(part.chunks()))


@functools.lru_cache(maxsize=8)
def _attr_pattern(name: bytes) -> re.Pattern:
    return re.compile(rb"(?:^|\s)" + re.escape(name) + rb'\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _part_path(target: str) -> str:
    """A relationship target of xl/workbook.xml as a lower-case part name."""
    path = target.replace("\\", "/")
    path = path.lstrip("/") if path.startswith("/") else posixpath.normpath(posixpath.join("xl", path))
    return path.lower()


def _xml_text(raw: bytes) -> str:
    """An attribute value as text (the five XML entities and character references resolved)."""
    parser = xml.parsers.expat.ParserCreate()
    found: list[str] = []
    parser.StartElementHandler = lambda _name, attrs: found.append(attrs.get("v", ""))
    try:
        parser.Parse(b'<x v="' + raw.replace(b'"', b"&quot;") + b'"/>', True)
    except xml.parsers.expat.ExpatError:
        return raw.decode("utf-8", "replace")
    return found[0] if found else ""


def check_shared_strings(part: _Part, limits: WorkbookLimits) -> None:
    """Refuse a shared string longer than `max_text_chars` characters."""
    chars = longest_shared_string(part)
    if chars > limits.max_text_chars:
        raise WorkbookRefusal("xlsx_text_too_long", {"chars": chars, "cap": limits.max_text_chars})


def longest_shared_string(part: _Part) -> int:
    """The characters of the longest string in a shared-strings part, read as calamine reads it:
    the text of its <t> elements outside phonetic runs (<rPh>), entities resolved. expat reads
    the part as it is inflated and keeps only counts, whatever the length of a string. (Counting
    bytes between <si> tags would be faster but can be fooled: the reader accepts a '<' inside an
    attribute value, so a fake '<si' could split one long string into short pieces.)"""
    state = {"si": False, "t": 0, "rph": 0, "length": 0, "longest": 0}

    def local(name: str) -> str:
        return name.rsplit(":", 1)[-1]

    def start(name: str, _attrs: dict) -> None:
        tag = local(name)
        if tag == "si":
            state["si"], state["length"] = True, 0
        elif tag == "t":
            state["t"] += 1
        elif tag == "rPh":
            state["rph"] += 1

    def end(name: str) -> None:
        tag = local(name)
        if tag == "si":
            state["si"], state["longest"] = False, max(state["longest"], state["length"])
        elif tag == "t":
            state["t"] -= 1
        elif tag == "rPh":
            state["rph"] -= 1

    def text(data: str) -> None:
        if state["si"] and state["t"] > 0 and not state["rph"]:
            state["length"] += len(data)

    def no_doctype(*_args) -> None:
        raise ZipUnreadable(f"{part.info.filename}: DOCTYPE")

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text, parser.buffer_size = True, 1 << 16
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = text, no_doctype
    try:
        for piece in part.chunks():
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise ZipUnreadable(f"{part.info.filename}: {exc}") from None
    return max(state["longest"], state["length"])


def check_cells(part: _Part, limits: WorkbookLimits, sheet: str) -> None:
    """Refuse a declared dimension or a cell of `part` beyond the limits (see module docstring)."""
    unusual = _unusual_r(limits.max_rows, limits.max_columns)
    exact = False
    for piece in _aligned(part.chunks()):
        _check_dimensions(piece, limits, sheet)
        if not exact and (unusual.search(piece) or any(p.search(piece) for p in _ODD)):
            exact = True
    if exact:
        beyond = first_cell_beyond(part.read(), limits)
        if beyond is not None:
            raise WorkbookRefusal("xlsx_cell_beyond", {
                "sheet": sheet, "ref": beyond.ref(), **_limit_params(limits)})


def _check_dimensions(piece: bytes, limits: WorkbookLimits, sheet: str) -> None:
    if b"dimension" not in piece:
        return
    for match in _DIMENSION.finditer(piece):
        ref = _attribute(match.group(1), _REF_ATTR)
        if ref is None:
            continue
        corners = [position(corner) for corner in ref.split(b":")]
        if any(p is not None and p.outside(limits) for p in corners):
            raise WorkbookRefusal("xlsx_dimension_beyond", {
                "sheet": sheet, "ref": ref.decode("ascii", "replace"), **_limit_params(limits)})


def _limit_params(limits: WorkbookLimits) -> dict:
    return {"rows": limits.max_rows, "columns": limits.max_columns, "last_column": column_letters(limits.max_columns)}


def first_cell_beyond(xml_bytes: bytes, limits: WorkbookLimits) -> Position | None:
    """The first non-empty cell of the first <sheetData> beyond the limits, tag by tag as
    calamine reads it: a row's `r` sets the current row and its end moves to the next; a cell's
    `r` (the last one when repeated) gives its position, else the current row and the column after
    the previous cell; a self-closing cell holds nothing but still takes its column."""
    row, column, inside = 0, 0, False
    for match in _MARKUP.finditer(xml_bytes):
        name = match.group(2)
        if name is None:
            continue
        tag, closing, attrs = name.rsplit(b":", 1)[-1], bool(match.group(1)), match.group(3)
        empty = attrs.endswith(b"/")
        if tag == b"sheetData":
            if inside or closing or empty:
                return None
            inside = True
        elif not inside:
            continue
        elif tag == b"row":
            if closing:
                row, column = row + 1, 0
                continue
            ref = _attribute(attrs, _R_ATTR)
            if ref is not None:
                at = position(ref)
                if at is None:
                    return None  # calamine refuses the sheet
                row = at.row
            if empty:  # <row/> is a start and an end
                row, column = row + 1, 0
        elif tag == b"c" and not closing:
            ref = _attribute(attrs, _R_ATTR)
            at = position(ref) if ref is not None else Position(row, column)
            if at is None or at.column is None:
                return None  # calamine refuses the sheet
            if not empty and at.outside(limits):
                return at
            column = at.column + 1
    return None
