"""Load test: N signed-in browser sessions walking the pages at once (run by hand, not part of the test suite).

    python benchmarks/load.py --url http://127.0.0.1:8501 [--url http://127.0.0.1:8502 ...] [--sessions 1,2,4]
        [--rounds 2] [--user admin --password admin-demo]
        [--pages funds,meetings,problems,coverage,unit_profile,overview] [--timeout 120] [--out FILE] [--json FILE]

The servers must already run (`streamlit run app.py`, each with its DJ_DB or DJ_STORE; several servers
on one DuckLake are the cluster setup), best with `--server.fileWatcherType none`: with Streamlit's
file watcher on, a change to any of the app's modules (an edit, a checkout) makes the next script run
drop them all from sys.modules, and a run of another session importing at that moment fails
(KeyError: 'kpi.…'), which shows here as errors. Drives Debian's chromium (/usr/bin/chromium, with the
test suite's flags from tests/fixtures/browser.py) through Playwright's async API; never downloads a browser.

First a warm-up (unless --no-warmup; not counted): one session per server walks the pages once, so
that every page's figures are in that server's page cache. Then, for each N of --sessions, in one
chromium: N browser contexts (each its own Streamlit session), spread round-robin over the --url
servers, sign in through the form (用户名 / 密码 / 登录) and wait for the cockpit to render; then all N
at the same time walk the --pages list --rounds times, each page opened by a click on its sidebar link
(the cockpit "overview" is the link to the app's root). The sessions are closed before the next N.

- **page time** = from the click to the page rendered: the click is followed by a new script run
  (Streamlit's app element says `data-test-script-state="running"`, watched by a MutationObserver
  armed before the click, or the address changed), then tests/fixtures/browser.py's RENDERED_JS
  holds (run over, no stale element, fonts loaded, every plotly chart laid out). Measured in this
  process with time.perf_counter, so it includes the browser's work, on the same cores as the
  server when both run on one machine.
- **visits** = page visits made (sessions signed in × rounds × pages); **errors** = visits that timed
  out (--timeout), failed in the browser, or showed a Python exception (`stException`). The
  percentiles are over the visits without error, nearest-rank (p50 = the ceil(0.5·n)-th smallest).
- **p50 / p95 / max s** over all pages of that N; then p95 per page. **wall s** = the walk of all N
  sessions, first click to last render.
- **sign-in s** (not in the page times): the slowest sign-in of that N, form filled to cockpit rendered.

The page cache (`pages._ui.compute`, per server process, until the data change) is shared by the
sessions: the first visit of a page after a server start computes it (the warm-up's visits), the others
are served from the cache, so the numbers show the cost of rendering (script run, transfer, browser)
under load, not of computing the figures (benchmarks/run.py measures that).

Sign-in rate limits (data/rules.toml: `sign_in_per_client` attempts per `sign_in_window_seconds` from
one address — every session from localhost counts as one client —, `sign_in_global` in all): the
script starts at most min(per_client, global) sign-ins per window (read with kpi.rules.load_rules,
so DJ_RULES applies; --sign-in-limit overrides), waiting for the window to move on, and retries
a sign-in refused for its rate (up to 3 times, after the seconds the message gives). For a large N,
point the servers' DJ_RULES to a copy of the rules with higher limits, and pass --sign-in-limit.

Prints the machine (platform, CPUs, /proc/loadavg at start and end), the command line and a markdown
report; --out writes the report, --json the raw visits.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import re
import sys
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, RENDERED_JS  # noqa: E402

DEFAULT_PAGES = "funds,meetings,problems,coverage,unit_profile,overview"
OVERVIEW, OVERVIEW_TITLE = "overview", "领导驾驶舱"
NAV = "[data-testid='stSidebarNav']"
USER_FIELD = "[data-testid='stTextInput'] input"
SIGN_IN_TRIES = 3

# Before a click: a MutationObserver on the app's `data-test-script-state` sets a flag once a script run
# has started (a run shorter than a frame is still seen: the record's old value is 'running'); returns the
# address, so that a change of address also counts as started.
ARM_JS = """
() => {
  window.__loadStarted = false;
  if (window.__loadObserver) window.__loadObserver.disconnect();
  window.__loadObserver = new MutationObserver(records => {
    for (const r of records) {
      if (r.oldValue === 'running' || r.target.getAttribute('data-test-script-state') === 'running') {
        window.__loadStarted = true;
      }
    }
  });
  window.__loadObserver.observe(document.body, {attributes: true, subtree: true, attributeOldValue: true,
                                                attributeFilter: ['data-test-script-state']});
  return location.href;
}
"""
# After the click: a run has started (or the address changed) and the page has rendered since.
DONE_JS = f"(before) => (window.__loadStarted || location.href !== before) && ({RENDERED_JS.strip()})()"
REFUSAL_SECONDS = re.compile(r"(\d+)\s*(?:秒|seconds)")


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the ceil(p/100 · n)-th smallest value; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class SignInGate:
    """At most `limit` sign-in attempts started in any `window` seconds (by this script)."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.started: deque[float] = deque()
        self.waited = 0.0

    async def enter(self) -> None:
        while True:
            now = time.monotonic()
            while self.started and self.started[0] <= now - self.window:
                self.started.popleft()
            if len(self.started) < self.limit:
                self.started.append(now)
                return
            pause = self.started[0] + self.window - now + 0.5
            self.waited += pause
            await asyncio.sleep(pause)


async def sign_in(page, url: str, user: str, password: str, gate: SignInGate, timeout_ms: float,
                  refused: list[str]) -> float:
    """Open `url`, sign in, wait for the cockpit to render; the seconds from the (last) click on 登录 to
    rendered. A refusal for the rate limit is appended to `refused` and tried again after the seconds it
    names; raises RuntimeError with the page's message for any other refusal."""
    await page.goto(url, timeout=timeout_ms)
    for attempt in range(SIGN_IN_TRIES):
        await page.get_by_label("用户名").fill(user, timeout=timeout_ms)
        await page.get_by_label("密码").fill(password, timeout=timeout_ms)
        await gate.enter()
        start = time.perf_counter()
        await page.get_by_role("button", name="登录").click(timeout=timeout_ms)
        await page.wait_for_selector(f"{NAV}, [data-testid='stAlertContentError'], [data-testid='stException']",
                                     timeout=timeout_ms)
        if await page.locator(NAV).count():
            await page.wait_for_function(RENDERED_JS, timeout=timeout_ms)
            return time.perf_counter() - start
        message = " ".join((await page.locator("[data-testid='stAlertContentError'], [data-testid='stException']")
                            .first.inner_text()).split())
        seconds = REFUSAL_SECONDS.search(message)
        if seconds is None or attempt + 1 == SIGN_IN_TRIES:  # not a rate limit, or refused every time
            raise RuntimeError(f"sign-in refused: {message}")
        refused.append(message)
        await asyncio.sleep(int(seconds.group(1)) + 1)
        # Seen once in trials: a session shown the refusal was signed in a moment later without a new click.
        await page.wait_for_selector(f"{NAV}, {USER_FIELD}", timeout=timeout_ms)
        if await page.locator(NAV).count():
            await page.wait_for_function(RENDERED_JS, timeout=timeout_ms)
            return time.perf_counter() - start
    raise AssertionError("unreachable")


async def visit(page, base: str, name: str, timeout_ms: float) -> tuple[float, str | None]:
    """Open page `name` through the sidebar; (seconds from click to rendered, error or None)."""
    nav = page.locator(NAV)
    if name == OVERVIEW:  # the default page: its link is the app's root
        link = nav.locator(f"a[href='{base}/']")
        if not await link.count():
            link = nav.locator("a", has_text=OVERVIEW_TITLE)
    else:
        link = nav.locator(f"a[href$='/{name}']")
    if not await link.count():  # not in this account's navigation (or no such page)
        return 0.0, f"no sidebar link to {name!r}"
    link = link.first
    before = await page.evaluate(ARM_JS)
    start = time.perf_counter()
    try:
        await link.click(timeout=timeout_ms)
        await page.wait_for_function(DONE_JS, arg=before, timeout=timeout_ms)
        seconds = time.perf_counter() - start
    except Exception as exc:  # a timeout or a browser error: counted, the walk goes on
        return time.perf_counter() - start, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    if await page.locator("[data-testid='stException']").count():
        text = " ".join((await page.locator("[data-testid='stException']").first.inner_text()).split())
        return seconds, f"exception shown: {text[:200]}"
    return seconds, None


async def walk(page, session: int, base: str, pages: list[str], rounds: int, timeout_ms: float) -> list[dict]:
    visits = []
    for round_no in range(rounds):
        for name in pages:
            seconds, error = await visit(page, base, name, timeout_ms)
            visits.append({"session": session, "server": base, "round": round_no + 1, "page": name,
                           "seconds": seconds, "error": error})
    return visits


async def run_level(browser, urls: list[str], n: int, opts, gate: SignInGate, rounds: int) -> dict:
    """N sessions: sign in (paced by `gate`), then all walk the pages at the same time."""
    timeout_ms = opts.timeout * 1000
    load_before = loadavg()
    contexts = [await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                for _ in range(n)]
    try:
        tabs = [await context.new_page() for context in contexts]
        bases = [urls[i % len(urls)] for i in range(n)]
        refused: list[list[str]] = [[] for _ in range(n)]
        signed = await asyncio.gather(*(sign_in(tab, base, opts.user, opts.password, gate, timeout_ms, refused[i])
                                        for i, (tab, base) in enumerate(zip(tabs, bases))), return_exceptions=True)
        sign_ins, walkers = [], []
        for i, (tab, base, result) in enumerate(zip(tabs, bases, signed)):
            if isinstance(result, BaseException):
                sign_ins.append({"session": i, "server": base, "seconds": None, "refused": refused[i],
                                 "error": f"{type(result).__name__}: {str(result).splitlines()[0][:200]}"})
            else:
                sign_ins.append({"session": i, "server": base, "seconds": result, "refused": refused[i],
                                 "error": None})
                walkers.append(walk(tab, i, base, opts.pages, rounds, timeout_ms))
        start = time.perf_counter()
        walked = await asyncio.gather(*walkers)
        wall = time.perf_counter() - start
    finally:
        for context in contexts:
            await context.close()
    return {"sessions": n, "sign_ins": sign_ins, "visits": [v for w in walked for v in w], "wall_seconds": wall,
            "loadavg_before": load_before, "loadavg_after": loadavg()}


def summarise(level: dict, pages: list[str]) -> dict:
    ok = [v for v in level["visits"] if v["error"] is None]
    times = [v["seconds"] for v in ok]
    signed = [s["seconds"] for s in level["sign_ins"] if s["error"] is None]
    return {"visits": len(level["visits"]), "errors": len(level["visits"]) - len(ok),
            "signed_in": len(signed), "sign_in_max": max(signed) if signed else None,
            "sign_in_refusals": sum(len(s["refused"]) for s in level["sign_ins"]),
            "p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times) if times else None,
            "p95_page": {p: percentile([v["seconds"] for v in ok if v["page"] == p], 95) for p in pages}}


def _f(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def warmup_line(warmup: dict | None) -> str:
    if warmup is None:
        return "No warm-up: the first visit of each page on a server computes its figures."
    s = warmup["summary"]
    return (f"Warm-up (not counted): one session per server walked the pages once, {s['visits']} visits, "
            f"{s['errors']} errors, p50 {_f(s['p50'])} s, max {_f(s['max'])} s (a page's first visit on a server "
            "computes its figures; later visits, by any session, are served from the page cache).")


def report_markdown(results: dict) -> str:
    pages = results["pages"]
    lines = [f"### Load: {', '.join(str(x['sessions']) for x in results['levels'])} sessions × "
             f"{results['rounds']} rounds of {len(pages)} pages ({results['started']})", "",
             f"Machine: {results['machine']}. Load average (1/5/15 min) at start {results['loadavg_start']}, "
             f"at end {results['loadavg_end']}.", "",
             f"Command: `{results['command']}`.", "",
             f"Servers: {', '.join(results['urls'])}. Pages: {', '.join(pages)}. Signed in as "
             f"`{results['user']}`; at most {results['sign_in_limit']} sign-ins per {results['sign_in_window']:.0f} s"
             + (f" (waited {results['sign_in_waited']:.0f} s for the limit)." if results["sign_in_waited"] else "."),
             "", warmup_line(results["warmup"]), "",
             "| sessions | signed in | visits | errors | p50 s | p95 s | max s | wall s | sign-in s (max) | "
             "load avg after |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for level in results["levels"]:
        s = level["summary"]
        refusals = f" ({s['sign_in_refusals']} refused for the rate, retried)" if s["sign_in_refusals"] else ""
        lines.append(f"| {level['sessions']} | {s['signed_in']}/{level['sessions']} | {s['visits']} | {s['errors']} | "
                     f"{_f(s['p50'])} | {_f(s['p95'])} | {_f(s['max'])} | {_f(level['wall_seconds'], 1)} | "
                     f"{_f(s['sign_in_max'])}{refusals} | {level['loadavg_after']} |")
    lines += ["", "p95 page time per page, s:", "",
              "| sessions | " + " | ".join(pages) + " |", "|---:|" + "---:|" * len(pages)]
    for level in results["levels"]:
        p95 = level["summary"]["p95_page"]
        lines.append(f"| {level['sessions']} | " + " | ".join(_f(p95[p]) for p in pages) + " |")
    runs = ([("warm-up", results["warmup"])] if results["warmup"] else []) + [
        (f"N={level['sessions']}", level) for level in results["levels"]]
    problems = [(label, f"sign-in of session {s['session']} ({s['server']})", s["error"])
                for label, level in runs for s in level["sign_ins"] if s["error"]]
    problems += [(label, f"session {v['session']} round {v['round']} {v['page']} ({v['server']})", v["error"])
                 for label, level in runs for v in level["visits"] if v["error"]]
    if problems:
        lines += ["", "Errors:", ""]
        lines += [f"- {label}: {where}: {error}" for label, where, error in problems[:30]]
        if len(problems) > 30:
            lines.append(f"- … and {len(problems) - 30} more (see --json)")
    lines.append("")
    return "\n".join(lines)


async def run(opts, sessions: list[int]) -> tuple[list[dict], dict | None, str, float]:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    gate = SignInGate(opts.sign_in_limit, opts.sign_in_window)
    levels, warmup = [], None
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            version = browser.version
            if opts.warmup:
                warmup = await run_level(browser, opts.url, len(opts.url), opts, gate, rounds=1)
                warmup["summary"] = summarise(warmup, opts.pages)
            for n in sessions:
                level = await run_level(browser, opts.url, n, opts, gate, opts.rounds)
                level["summary"] = summarise(level, opts.pages)
                levels.append(level)
                s = level["summary"]
                print(f"N={n}: {s['visits']} visits, {s['errors']} errors, p50 {_f(s['p50'])} s, "
                      f"p95 {_f(s['p95'])} s", file=sys.stderr, flush=True)
        finally:
            await browser.close()
    return levels, warmup, version, gate.waited


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True,
                        help="a running server (repeat for several: sessions go round-robin)")
    parser.add_argument("--sessions", default="1,2,4", help="numbers of sessions at once, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="walks of the page list per session")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin-demo")
    parser.add_argument("--pages", default=DEFAULT_PAGES,
                        help="pages by URL path, comma-separated, in the order walked (overview = the cockpit)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a visit or sign-in is an error")
    parser.add_argument("--sign-in-limit", type=int,
                        help="sign-ins started per window (default: the smaller rate limit of the rules)")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="skip the warm-up walk (one session per server, not counted)")
    parser.add_argument("--out", help="write the markdown report here")
    parser.add_argument("--json", help="write the raw numbers here")
    opts = parser.parse_args(argv)
    opts.url = [u.rstrip("/") for u in opts.url]
    opts.pages = [p.strip().removesuffix(".py") for p in opts.pages.split(",") if p.strip()]
    sessions = [int(x) for x in opts.sessions.split(",") if x.strip()]
    if not sessions or min(sessions) < 1 or opts.rounds < 1 or not opts.pages:
        parser.error("--sessions needs numbers ≥ 1, --rounds ≥ 1, --pages at least one page")
    from kpi.rules import load_rules  # noqa: PLC0415

    rules = load_rules()
    opts.sign_in_window = float(rules.sign_in_window_seconds)
    if opts.sign_in_limit is None:
        opts.sign_in_limit = min(rules.sign_in_per_client, rules.sign_in_global)
    command = "python benchmarks/load.py " + " ".join(argv if argv is not None else sys.argv[1:])
    started, load_start = dt.datetime.now().isoformat(timespec="seconds"), loadavg()
    print(f"Command: {command}\nLoad average at start: {load_start}", file=sys.stderr, flush=True)
    levels, warmup, chromium, waited = asyncio.run(run(opts, sessions))
    results = {"command": command, "started": started, "urls": opts.url, "pages": opts.pages, "rounds": opts.rounds,
               "user": opts.user, "sign_in_limit": opts.sign_in_limit, "sign_in_window": opts.sign_in_window,
               "sign_in_waited": waited,
               "machine": f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu_model()}), Python "
                          f"{platform.python_version()}, Chromium {chromium}",
               "loadavg_start": load_start, "loadavg_end": loadavg(), "warmup": warmup, "levels": levels}
    markdown = report_markdown(results)
    print(markdown)
    if opts.out:
        Path(opts.out).write_text(markdown, encoding="utf-8")
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
