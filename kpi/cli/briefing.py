"""Write the weekly briefing (周报): briefing-<week>.zip (PNG charts), .pptx and .pdf.

    python -m kpi briefing [--week 2026-W47] [--unit CODE] [--out DIR] [--db PATH] [--lang zh|en]

Default week: the one ending last Sunday. Exit 0 when written; 2 with a message when the week
is invalid, the unit unknown, no data covers the week, or no CJK font is installed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from kpi import config, store
from kpi.briefing.content import BriefingError, build_briefing
from kpi.briefing.fonts import FontMissingError
from kpi.briefing.outputs import render_briefing, write_files
from kpi.i18n import LANGUAGES, t
from kpi.periods import last_full_week
from kpi.rules import RulesError, load_rules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", help="ISO week YYYY-Www (default: the week ending last Sunday)")
    parser.add_argument("--unit", help="unit code of the subtree (default: the whole group)")
    parser.add_argument("--out", default=".", help="output folder (default: current folder)")
    parser.add_argument("--db", help="DuckDB store (default: $DJ_DB or data/dashboard.duckdb)")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the briefing")


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    week = args.week or last_full_week(dt.date.today())
    started = time.perf_counter()
    try:
        rules = load_rules()
        st = store.open_store(args.db or config.db_path([]))
        try:
            briefing = build_briefing(st.cursor(), rules, week, args.unit, lang)
        finally:
            st.close()
        paths = write_files(render_briefing(briefing), args.out)
    except (BriefingError, FontMissingError, RulesError) as exc:
        print(exc.message(lang), file=sys.stderr)
        return 2
    except store.StoreError as exc:
        print(t("common.store_error", lang, detail=str(exc)), file=sys.stderr)
        return 2
    for path in paths:
        print(t("briefing.cli.written", lang, path=path))
    print(t("briefing.cli.timing", lang, seconds=f"{time.perf_counter() - started:.1f}"))
    return 0
