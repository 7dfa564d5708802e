"""Chart images: every figure of a briefing rendered by ONE headless Chromium (kaleido's sync
server), each a PNG of exactly 1920×1080 pixels, then zipped.

Figures are laid out at 960×540 CSS pixels and rendered at scale 2, so the text keeps the size
it has on screen relative to the chart and stays readable when the image fills a slide.
"""
from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

import kaleido
import plotly.graph_objects as go

PNG_WIDTH, PNG_HEIGHT = 1920, 1080
LAYOUT_SCALE = 2

# kaleido's sync server is a process-wide singleton whose reply queue is shared: one image at a
# time, and only the last `image_server()` block to end stops the browser.
_lock = threading.RLock()
_depth = 0


@contextmanager
def image_server() -> Iterator[None]:
    """Keep one headless browser running for every image rendered inside the block (any thread)."""
    global _depth
    with _lock:
        if _depth == 0:
            # mathjax=False: MathJax would be fetched from a CDN, which an offline machine waits on.
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                kaleido.stop_sync_server(silence_warnings=True)


def png_bytes(fig: go.Figure) -> bytes:
    """`fig` as a 1920×1080 PNG (uses the running image server when there is one)."""
    opts = {"format": "png", "width": PNG_WIDTH // LAYOUT_SCALE, "height": PNG_HEIGHT // LAYOUT_SCALE,
            "scale": LAYOUT_SCALE}
    with _lock:
        return kaleido.calc_fig_sync(fig, opts=opts)


def render_pngs(figures: dict[str, go.Figure]) -> dict[str, bytes]:
    """name → PNG bytes for every figure, all rendered by one browser."""
    with image_server():
        return {name: png_bytes(fig) for name, fig in figures.items()}


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A ZIP archive holding `files` (name → content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buf.getvalue()
