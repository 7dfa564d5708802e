"""The CJK font every output names: found through fontconfig, with its glyph coverage.

Charts, slides and the PDF all name `CJK_FAMILY`; when fontconfig cannot resolve it to an
installed CJK face, Chinese would print as boxes, so rendering stops with a clear message.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from kpi.i18n import TranslatedError

CJK_FAMILY = "Noto Sans CJK SC"


class FontMissingError(TranslatedError):
    """No CJK font is installed (or fontconfig is missing): outputs would show boxes. `family` names
    the font that was looked for."""

    key = "briefing.error.no_cjk_font"

    def __init__(self, family: str = CJK_FAMILY):
        super().__init__(family=family)


@dataclass(frozen=True)
class FontFace:
    """An installed face: its family, file and index inside a .ttc collection."""

    family: str
    path: str
    index: int


def _fc_match(pattern: str, fmt: str) -> str:
    if shutil.which("fc-match") is None:
        raise FontMissingError(CJK_FAMILY)
    done = subprocess.run(["fc-match", "-f", fmt, pattern], capture_output=True, text=True, check=False)
    return done.stdout.strip()


@lru_cache(maxsize=8)
def matched_face(family: str = CJK_FAMILY) -> FontFace:
    """The face fontconfig uses for `family` (possibly a substitute)."""
    out = _fc_match(family, "%{family[0]}|%{file}|%{index}")
    name, path, index = (out.split("|") + ["", "", "0"])[:3]
    return FontFace(name, path, int(index or 0))


@lru_cache(maxsize=8)
def _charset(family: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in _fc_match(family, "%{charset}").split():
        low, _, high = part.partition("-")
        ranges.append((int(low, 16), int(high or low, 16)))
    return tuple(ranges)


def missing_characters(text: str, family: str = CJK_FAMILY) -> str:
    """The characters of `text` (whitespace aside) that the face fontconfig picks for `family`
    has no glyph for — what would print as boxes."""
    ranges = _charset(family)
    out = []
    for ch in dict.fromkeys(text):
        code = ord(ch)
        if not ch.isspace() and not any(low <= code <= high for low, high in ranges):
            out.append(ch)
    return "".join(out)


def cjk_face() -> FontFace:
    """The installed CJK face named by the charts' theme; `FontMissingError` when there is none
    (the face fontconfig substitutes then lacks Chinese glyphs)."""
    face = matched_face(CJK_FAMILY)
    if not face.path or missing_characters("党建督导周报", CJK_FAMILY):
        raise FontMissingError(CJK_FAMILY)
    return face
