"""Typefaces of the PPTX: 微软雅黑 (Microsoft YaHei, on every Chinese Windows office PC) named as the
Latin, East-Asian (`<a:ea>`) and complex-script face of every run, of every chart's text and of the
theme, so PowerPoint and WPS lay Chinese out with it instead of substituting another face.

The fallback travels with the name: each `<a:ea>` / `<a:latin>` carries YaHei's PANOSE class, pitch
family and the GB2312 character set (charset -122 = 0x86), which is what PowerPoint and WPS use to
pick a substitute Chinese sans-serif (等线, 黑体, or Noto Sans CJK SC / 思源黑体 through fontconfig on
Linux) when 微软雅黑 is absent; the theme also maps the Simplified-Chinese script (`Hans`) to it.
"""
from __future__ import annotations

import re

from lxml import etree
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn

SLIDE_FONT = "微软雅黑"
# Microsoft YaHei's PANOSE (sans-serif, medium weight) and pitch family (variable pitch, Swiss).
PANOSE = "020B0503020204020204"
PITCH_FAMILY = "34"
GB2312_CHARSET = "-122"
_FACE_ATTRIBUTES = {"typeface": SLIDE_FONT, "panose": PANOSE, "pitchFamily": PITCH_FAMILY,
                    "charset": GB2312_CHARSET}


def name_faces(rpr) -> None:
    """Name the slide font as Latin, East-Asian and complex-script face of a run or default run
    properties element (`a:rPr`, `a:defRPr`, `a:endParaRPr`), in schema order."""
    anchor = None
    for tag in ("a:latin", "a:ea", "a:cs"):
        element = rpr.find(qn(tag))
        if element is None:
            element = etree.Element(qn(tag))
            if anchor is not None:
                anchor.addnext(element)
            else:
                _insert_first_face(rpr, element)
        for key, value in _FACE_ATTRIBUTES.items():
            element.set(key, value)
        anchor = element


def _insert_first_face(rpr, element) -> None:
    # a:latin follows the fill / effect / highlight children and precedes a:ea, a:cs, a:sym, hyperlinks.
    followers = [qn(t) for t in ("a:ea", "a:cs", "a:sym", "a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst")]
    for i, child in enumerate(rpr):
        if child.tag in followers:
            rpr.insert(i, element)
            return
    rpr.append(element)


def set_run_font(run) -> None:
    """The slide font on one run (python-pptx `_Run`)."""
    run.font.name = SLIDE_FONT
    name_faces(run._r.get_or_add_rPr())


def set_chart_font(chart, size_pt: float) -> None:
    """The slide font and a size on a chart's text (axis labels, data labels, legend, title default)."""
    chart.font.size = size_pt
    name_faces(chart.font._rPr)


def set_theme_fonts(prs) -> None:
    """The theme's major and minor fonts: Latin, East-Asian and the Hans script as the slide font, so
    text added later in PowerPoint or WPS (a new text box, a table) also uses it."""
    part = prs.slide_master.part.part_related_by(RT.THEME)
    xml = part.blob.decode("utf-8")
    face = " ".join(f'{k}="{v}"' for k, v in _FACE_ATTRIBUTES.items())
    for tag in ("latin", "ea"):
        xml = re.sub(rf'<a:{tag} typeface="[^"]*"[^/]*/>', f"<a:{tag} {face}/>", xml)
    xml = re.sub(r'<a:font script="Hans" typeface="[^"]*"/>', f'<a:font script="Hans" typeface="{SLIDE_FONT}"/>', xml)
    part._blob = xml.encode("utf-8")
