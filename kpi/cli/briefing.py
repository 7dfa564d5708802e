"""Write the weekly briefing (周报): briefing-<week>.zip (PNG charts), .pptx and .pdf.

    python -m kpi briefing [--week 2026-W47] [--unit CODE] [--out DIR] [--db PATH] [--lang zh|en]

Default week: the one ending last Sunday. Exit 0 when written; 2 with a message when the week
is invalid, the unit unknown, no data covers the week, no CJK font is installed, the store cannot be
opened (missing, in use, read-only, not a store) or --out cannot be written.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from kpi.briefing.content import build_briefing
from kpi.briefing.fonts import cjk_face
from kpi.briefing.outputs import render_briefing, write_files
from kpi.cli import common
from kpi.i18n import t
from kpi.periods import last_full_week
from kpi.rules import load_rules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", help="ISO week YYYY-Www (default: the week ending last Sunday)")
    parser.add_argument("--unit", help="unit code of the subtree (default: the whole group)")
    parser.add_argument("--out", default=".", help="output folder (default: current folder)")


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    week = args.week or last_full_week(dt.date.today())
    started = time.perf_counter()
    rules = load_rules()
    with common.opened_store(common.db_path(args)) as st:
        briefing = build_briefing(st.cursor(), rules, week, args.unit, lang)
    # The font and the output folder before the render: the render starts a browser and takes
    # seconds (minutes for a large group), a refusal should not wait for it. The folder is made only
    # once the briefing is known to exist, so a refused week or unit leaves nothing behind.
    cjk_face()
    try:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise common.OutputUnwritable(args.out, exc) from exc
    files = render_briefing(briefing)
    try:
        paths = write_files(files, args.out)
    except OSError as exc:
        raise common.OutputUnwritable(args.out, exc) from exc
    for path in paths:
        print(t("briefing.cli.written", lang, path=path))
    print(t("briefing.cli.timing", lang, seconds=f"{time.perf_counter() - started:.1f}"))
    return common.EXIT_OK
