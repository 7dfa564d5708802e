"""Helpers for end-to-end tests: start the real server, drive Debian chromium via Playwright."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(db_path: Path, log_path: Path, extra_env: dict | None = None):
    """Run `streamlit run app.py` on a free loopback port until the block ends; yields its URL."""
    port = free_port()
    env = {**os.environ, "DJ_DB": str(db_path), **(extra_env or {})}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {log_path}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


# Draws `text` on a canvas in the page's own font and compares it with the same number of
# private-use characters no font has (drawn as the .notdef box): equal pixels mean tofu.
GLYPH_CHECK_JS = """
([text, font]) => {
  const draw = (s) => {
    const c = document.createElement('canvas'); c.width = 400; c.height = 60;
    const g = c.getContext('2d'); g.font = font; g.fillStyle = '#000'; g.fillText(s, 5, 40);
    return c.toDataURL();
  };
  return draw(text) !== draw('\\ue000'.repeat(text.length));
}
"""


# True once the page has settled: the script run is over (Streamlit marks its app element
# `data-test-script-state="notRunning"`), no element is still stale from the previous run, the
# fonts are loaded and every plotly chart has been laid out.
RENDERED_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector("[data-stale='true']") === null
    && document.fonts.status === 'loaded'
    && [...document.querySelectorAll('.js-plotly-plot')].every(p => p._fullLayout !== undefined);
}
"""


def wait_until_rendered(page, timeout: float = 60_000) -> None:
    """Wait for the events that end a render (RENDERED_JS), then for two animation frames so the
    last layout is painted — instead of a fixed sleep before reading text or taking a picture."""
    page.wait_for_function(RENDERED_JS, timeout=timeout)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


DEMO_ADMIN = ("admin", "admin-demo")
DEMO_LEADER = ("leader", "leader-demo")


def sign_in(page, username: str, password: str) -> None:
    """Fill the sign-in form of the page that is open (a new browser tab is a new, signed-out session)."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)


def open_in_app(page, url_path: str) -> None:
    """Go to a page through the sidebar navigation, keeping the signed-in session (typing the URL
    would start a new session, which is signed out)."""
    more = page.locator("[data-testid='stSidebarNavViewButton']")
    if more.count() and "more" in more.first.inner_text().lower():  # long lists are collapsed
        more.first.click()
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']").first.click()
