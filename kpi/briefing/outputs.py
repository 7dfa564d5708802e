"""Render a briefing into its three files: a ZIP of 1920×1080 PNG charts, a PPTX and a PDF.

Chart images are rendered once (one browser for all of them) and reused by all three files.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpi.briefing.fonts import cjk_face
from kpi.briefing.model import Briefing
from kpi.briefing.render_png import render_pngs, zip_bytes
from kpi.briefing.slides_pdf import pdf_bytes
from kpi.briefing.slides_pptx import pptx_bytes


@dataclass(frozen=True)
class BriefingFiles:
    """The three outputs of one briefing, as bytes, and the stem of their file names."""

    stem: str
    zip: bytes
    pptx: bytes
    pdf: bytes

    def named(self) -> dict[str, bytes]:
        return {f"{self.stem}.zip": self.zip, f"{self.stem}.pptx": self.pptx, f"{self.stem}.pdf": self.pdf}


def chart_images(briefing: Briefing) -> dict[str, bytes]:
    """section key → 1920×1080 PNG of its chart, for the sections that have one."""
    return render_pngs({s.key: s.figure for s in briefing.sections if s.figure is not None})


def png_file_names(briefing: Briefing) -> dict[str, str]:
    """section key → file name in the ZIP, numbered in slide order."""
    return {s.key: f"{i:02d}-{s.key}.png" for i, s in enumerate(briefing.sections, start=1) if s.figure is not None}


def render_briefing(briefing: Briefing) -> BriefingFiles:
    """ZIP, PPTX and PDF of `briefing`; `FontMissingError` first if no CJK face is installed."""
    cjk_face()
    images = chart_images(briefing)
    names = png_file_names(briefing)
    archive = zip_bytes({names[key]: png for key, png in images.items()})
    return BriefingFiles(briefing.file_stem(), archive, pptx_bytes(briefing, images), pdf_bytes(briefing, images))


def write_files(files: BriefingFiles, out_dir: str | Path) -> list[Path]:
    """Write the three files into `out_dir` (created if needed); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.named().items():
        path = out / name
        path.write_bytes(content)
        paths.append(path)
    return paths


def briefing_files(con, rules, week: str, root: str | None = None, lang: str = "zh") -> BriefingFiles:
    """Build and render the briefing of `week` for the subtree of `root` (errors as `build_briefing`)."""
    from kpi.briefing.content import build_briefing  # noqa: PLC0415  (content pulls in every metric module)

    return render_briefing(build_briefing(con, rules, week, root, lang))


def matrix_xlsx(con, rules, week: str, root: str | None = None, lang: str = "zh") -> bytes:
    """The unit × rule matrix of the briefing of `week` (at its Sunday) as a coloured XLSX workbook
    (`kpi.display.matrix_xlsx`); errors as `build_briefing` for a bad week or unit."""
    from kpi.briefing.content import parse_week, scope_name  # noqa: PLC0415  (as briefing_files)
    from kpi.display.matrix_xlsx import matrix_xlsx_bytes  # noqa: PLC0415
    from kpi.i18n import t  # noqa: PLC0415
    from kpi.metrics.matrix import rule_matrix  # noqa: PLC0415

    end = parse_week(week)[1]
    caption = t("matrix.as_of", lang, as_of=end.isoformat(), scope=scope_name(con, root, lang))
    return matrix_xlsx_bytes(rule_matrix(con, rules, end, root), lang, caption)
