"""Load or clear the demo group: `python -m kpi demo [--as-of YYYY-MM-DD] [--db PATH] [--clear]`.

Loading writes the fictitious group into an empty store and prints the rows per table;
--clear removes it (only when the store holds the demo group). With `admin create`, the one command
that may create a new store file. Exit 0 done, 2 refused.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from kpi import actions, demo, store
from kpi.cli import common
from kpi.cli.common import EXIT_OK
from kpi.datasets import DATASETS
from kpi.i18n import t


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                        help="as-of date of the demo data, YYYY-MM-DD (default: today)")
    parser.add_argument("--seed", type=int, default=demo.DEMO_SEED, help="random seed (default: the demo's own)")
    parser.add_argument("--clear", action="store_true", help="remove the demo data instead of loading it")


def _clear(con, path: Path, lang: str) -> int:
    # the demo accounts go with the demo data: their passwords are public. A refusal (DemoRefused)
    # is reported by kpi.cli.main like any command's.
    actions.clear_demo(con, None, where=str(path))
    print(t("demo.cleared", lang, path=str(path)))
    return EXIT_OK


def _load(con, path: Path, as_of: dt.date, seed: int, lang: str) -> int:
    started = time.perf_counter()
    actions.load_demo(con, as_of, seed, where=str(path))
    seconds = f"{time.perf_counter() - started:.2f}"
    print(t("demo.loaded", lang, as_of=as_of.isoformat(), seed=seed, seconds=seconds, path=str(path)))
    for name in DATASETS:
        rows = con.execute(store.with_identifiers("SELECT count(*) FROM {table}", table=name)).fetchone()[0]
        print(t("demo.table_rows", lang, table=t(f"common.dataset.{name}", lang), rows=rows))
    rows = con.execute("SELECT count(*) FROM problem_snapshots").fetchone()[0]
    print(t("demo.table_rows", lang, table=t("demo.snapshots", lang), rows=rows))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    path = common.db_path(args)
    with common.opened_store(path, create=not args.clear) as s:  # clearing a missing store is a mistyped --db
        con = s.cursor()
        if args.clear:
            return _clear(con, path, args.lang)
        return _load(con, path, args.as_of or dt.date.today(), args.seed, args.lang)
