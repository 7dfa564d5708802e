"""How much room a text takes on a slide, measured with the installed CJK face (kpi.briefing.fonts).

The slides name 微软雅黑 (Microsoft YaHei), which this server does not have; the face measured is
Noto Sans CJK SC, whose CJK glyphs have the same 1 em advance and whose Latin digits are as wide
within a few percent, so widths are padded by `WIDTH_SAFETY` and lines counted at `LINE_HEIGHT_EM`
(Noto's ascent + descent, the larger of the two faces). A text that fits here fits in PowerPoint
and WPS with either face.
"""
from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

from kpi.briefing.fonts import cjk_face

POINTS_PER_INCH = 72
LINE_HEIGHT_EM = 1.45
WIDTH_SAFETY = 1.08
BOLD_WIDENING = 1.06
_UNITS = 1000  # the face is loaded at 1000 px: widths come out in thousandths of an em
ELLIPSIS = "…"


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    face = cjk_face()
    return ImageFont.truetype(face.path, _UNITS, index=face.index)


@lru_cache(maxsize=8192)
def _em(text: str) -> float:
    return _font().getlength(text) / _UNITS


def width_in(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of one line of `text` at `size_pt`, in inches, padded for the face difference."""
    return _em(text) * size_pt / POINTS_PER_INCH * WIDTH_SAFETY * (BOLD_WIDENING if bold else 1.0)


def line_count(text: str, size_pt: float, box_width_in: float, bold: bool = False) -> int:
    """Lines `text` takes when wrapped into `box_width_in` (CJK text breaks between any two
    characters, Latin words are kept whole when they fit a line); explicit newlines start a line."""
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        current = ""
        for token in _tokens(paragraph):
            trial = current + token
            if current and width_in(trial.rstrip(), size_pt, bold) > box_width_in:
                lines += 1
                current = token.lstrip()
            else:
                current = trial
    return lines


def _tokens(text: str) -> list[str]:
    """Break opportunities: each CJK character alone, runs of other characters up to a space."""
    out, word = [], ""
    for ch in text:
        if ord(ch) > 0x2E7F or ch == " ":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def height_in(lines: int, size_pt: float) -> float:
    """Height of `lines` lines at `size_pt`, in inches."""
    return lines * size_pt * LINE_HEIGHT_EM / POINTS_PER_INCH


def clipped(text: str, size_pt: float, box_width_in: float, bold: bool = False) -> str:
    """`text` cut to one line of `box_width_in`, ending in '…' when cut."""
    if width_in(text, size_pt, bold) <= box_width_in:
        return text
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if width_in(text[:mid] + ELLIPSIS, size_pt, bold) <= box_width_in:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + ELLIPSIS


def fitted_size(text: str, max_pt: float, box_width_in: float, bold: bool = False, lines: int = 1,
                min_pt: float = 12) -> float:
    """The largest size from `max_pt` down (whole points, not below `min_pt`) at which `text` takes at
    most `lines` lines of `box_width_in`: a long title shrinks rather than running out of its box."""
    size = max_pt
    while size > min_pt and line_count(text, size, box_width_in, bold) > lines:
        size -= 1
    return size
