"""User text shown as text: the one escape for Markdown sinks and the one for Plotly's text.

Unit names and codes, file and sheet names, problem texts, account names and audit details are typed
by users. Streamlit renders Markdown (links, images, HTML, KaTeX `$…$`, `:material/…:` icons,
GitHub autolinks) in every title, caption, alert and widget label; Plotly renders a subset of HTML
(`<a href>`, `<b>`, `<sup>`…) in titles, tick labels, legends, hover text and annotations. Both
escapes leave the text reading exactly as typed.
"""
from __future__ import annotations

import html
import re

# CommonMark lets a backslash escape any ASCII punctuation character, and the backslash is not shown.
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# U+2060 WORD JOINER: invisible and not a line-break opportunity, so the text reads and wraps as typed.
WORD_JOINER = "\u2060"
# GitHub autolinks are found in the text *after* escapes are resolved (remark-gfm searches the text
# nodes), so a backslash cannot stop them; an invisible joiner after ':' and '@' and between 'www'
# and '.' breaks every form ('http://', 'https://', 'mailto:', 'xmpp:', 'www.', 'a@b.cn') and the
# ':emoji:' / ':material/icon:' shortcodes.
_AUTOLINK_JOINTS = re.compile(r"(?<=[:@])|(?<=www)(?=\\\.)", re.IGNORECASE)


def markdown_text(value: object) -> str:
    """`value` as Markdown that renders exactly as the text typed: every ASCII punctuation character
    backslash-escaped (no emphasis, code, links, images, HTML, headings, lists, tables, entities,
    `$` formulas or `:color[…]` directives) and autolinks broken by an invisible word joiner."""
    escaped = _ASCII_PUNCTUATION.sub(r"\\\1", str(value))
    return _AUTOLINK_JOINTS.sub(WORD_JOINER, escaped)


# Plotly decodes HTML entities in text it draws (after finding its tags), so these show as typed.
_PLOTLY_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;",
                    "%": "&#37;",  # '%{…}' would be a hovertemplate placeholder
                    "$": "&#36;"}  # '$…$' would be typeset where MathJax is loaded
_PLOTLY_SPECIALS = re.compile(r"[&<>$]|%(?=\{)")


def plotly_text(value: object) -> str:
    """`value` for any text Plotly draws (titles, axis and tick labels, legend names, hover text,
    annotations, treemap labels): `&`, `<`, `>` as entities, so no tag renders; `$` and the `%`
    of `%{` as entities, so no formula or hovertemplate placeholder is formed. `plotly_value` reverses it."""
    return _PLOTLY_SPECIALS.sub(lambda m: _PLOTLY_ENTITIES[m.group()], str(value))


def plotly_value(text: str) -> str:
    """The original text of `plotly_text(text)`: e.g. a unit code read back from a clicked point's
    customdata."""
    return html.unescape(text)
