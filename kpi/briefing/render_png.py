"""Chart images: every figure of a briefing rendered by ONE headless Chromium, each a PNG of
exactly 1920×1080 pixels, then zipped.

Figures are laid out at 960×540 CSS pixels and rendered at scale 2, so the text keeps the size
it has on screen relative to the chart and stays readable when the image fills a slide.
"""
from __future__ import annotations

import asyncio
import io
import zipfile

import kaleido
import plotly.graph_objects as go

PNG_WIDTH, PNG_HEIGHT = 1920, 1080
LAYOUT_SCALE = 2
# A figure that takes longer than this is a hung browser, not a slow one: fail, never block.
RENDER_TIMEOUT_S = 60
_OPTS = {"format": "png", "width": PNG_WIDTH // LAYOUT_SCALE, "height": PNG_HEIGHT // LAYOUT_SCALE,
         "scale": LAYOUT_SCALE}


async def _render_all(figures: dict[str, go.Figure]) -> dict[str, bytes]:
    # mathjax=False: MathJax would be fetched from a CDN, which an offline machine waits on.
    async with kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT_S, mathjax=False) as browser:
        return {name: await browser.calc_fig(fig, opts=_OPTS) for name, fig in figures.items()}


def render_pngs(figures: dict[str, go.Figure]) -> dict[str, bytes]:
    """name → 1920×1080 PNG for every figure, all rendered by ONE headless Chromium started for
    this call and closed after it.

    Deliberately not kaleido's process-wide sync server: in a multi-session Streamlit server a
    shared singleton needs a global lock, and one stuck render then blocks every session.
    """
    if not figures:
        return {}
    return asyncio.run(_render_all(figures))


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A ZIP archive holding `files` (name → content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buf.getvalue()
