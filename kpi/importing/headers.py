"""Find the header row of a grid and map the file's headers to a dataset's columns.

Headers are compared after `normalise_header`: NFKC (full-width → half-width), whitespace and
newlines removed, bracket styles （）()【】[] unified, required-field stars dropped, English
lower-cased. A header that still does not match is tried once more without a trailing unit in
brackets ("上年度职工工资总额（万元）" ↔ "上年度职工工资总额").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kpi.datasets import Dataset

HEADER_SEARCH_ROWS = 20
_SPACES = re.compile(r"\s+")
_TRAILING_UNIT = re.compile(r"\([^()]*\)$")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")", "{": "(", "}": ")"})
# Words a template's notes row (under the header) is made of; a data row never holds them in most cells.
_NOTE_WORDS = ("必填", "选填", "可选", "可空", "说明", "填写", "格式", "例如", "如：", "如:", "示例",
               "required", "optional", "e.g.", "format")
_NOTE_MARKERS = ("说明：", "说明:", "填写说明", "注：", "注:", "note:", "notes:")

# Match quality: exact header / English name beats an alias, which beats a match without the unit.
EXACT, ALIAS, LOOSE = 3, 2, 1


def normalise_header(text: str) -> str:
    """The comparable form of a header cell (see module docstring)."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS)
    text = _SPACES.sub("", text).strip("*:：").lower()
    return text


def _without_unit(norm: str) -> str:
    return _TRAILING_UNIT.sub("", norm)


def header_lookup(dataset: Dataset) -> dict[str, tuple[str, int]]:
    """Normalised header → (column name, match quality) for every way a column may be written."""
    out: dict[str, tuple[str, int]] = {}

    def add(text: str, name: str, quality: int) -> None:
        for norm, q in ((normalise_header(text), quality), (_without_unit(normalise_header(text)), LOOSE)):
            if norm and out.get(norm, ("", 0))[1] < q:
                out[norm] = (name, q)

    for col in dataset.columns:
        add(col.header, col.name, EXACT)
        add(col.name, col.name, EXACT)
        for alias in col.aliases:
            add(alias, col.name, ALIAS)
    return out


def match_header(cell: str, lookup: dict[str, tuple[str, int]]) -> tuple[str, int] | None:
    norm = normalise_header(cell)
    if not norm:
        return None
    if norm in lookup:
        return lookup[norm]
    loose = lookup.get(_without_unit(norm))
    return (loose[0], LOOSE) if loose else None


@dataclass
class HeaderMatch:
    """The header row chosen in a grid and what its cells mean.

    index: grid row index of the header; columns: grid column → dataset column name;
    headers: grid column → header as written; unmapped: written headers that match nothing.
    """

    index: int
    columns: dict[int, str]
    headers: dict[int, str]
    unmapped: list[str]


def _row_mapping(row: list[str], lookup: dict[str, tuple[str, int]]) -> dict[int, str]:
    """grid column → dataset column, the best-matching file column winning when two map to one."""
    best: dict[str, tuple[int, int]] = {}
    for i, cell in enumerate(row):
        hit = match_header(cell, lookup)
        if hit and (hit[0] not in best or best[hit[0]][1] < hit[1]):
            best[hit[0]] = (i, hit[1])
    return {i: name for name, (i, _) in sorted(best.items(), key=lambda kv: kv[1][0])}


def find_header(head: list[list[str]], dataset: Dataset) -> HeaderMatch | None:
    """The first row among the first rows of the grid (`head`, at least HEADER_SEARCH_ROWS of
    them when the grid has that many) that matches the most known headers."""
    lookup = header_lookup(dataset)
    best: tuple[int, dict[int, str]] | None = None
    for index, cells in enumerate(head[:HEADER_SEARCH_ROWS]):
        mapping = _row_mapping(cells, lookup)
        if mapping and (best is None or len(mapping) > len(best[1])):
            best = (index, mapping)
    if best is None:
        return None
    index, mapping = best
    row = [str(c).strip() for c in head[index]]
    headers = {i: row[i] for i in mapping}
    unmapped = [text for i, text in enumerate(row) if text and i not in mapping]
    return HeaderMatch(index, mapping, headers, unmapped)


def is_notes_row(cells: list[str]) -> bool:
    """True for a template's notes row: its first cell starts with 说明/Note (as the templates of
    kpi/importing/templates.py write it), or most of its cells explain how to fill a column."""
    filled = [c.strip().lower() for c in cells if c.strip()]
    if filled and filled[0].startswith(_NOTE_MARKERS):
        return True
    noted = sum(any(w in c for w in _NOTE_WORDS) for c in filled)
    return bool(filled) and noted * 2 >= len(filled)
