"""Copy the store into a new DuckLake: `python -m kpi copy --to ducklake:postgres:<dsn> [--db FILE]`.

For moving from one server to several (README "多台服务器"): every row of the DuckDB file (--db, default
data/dashboard.duckdb) goes into the new, empty lake in one transaction; the lake is created first when
it does not exist ($DJ_LAKE_DATA names its data folder). Stop the dashboard first: it holds the file.
Exit 0 done, 2 refused (nothing written).
"""
from __future__ import annotations

import argparse
import time

from kpi import config, store
from kpi.cli import common
from kpi.cli.common import EXIT_OK
from kpi.i18n import t
from kpi.store import lake
from kpi.store.copying import TargetNotLake, copy_file_into_lake


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, help="the new lake: ducklake:postgres:<dsn>")


def run(args: argparse.Namespace) -> int:
    source = common.db_path(args)
    if config.is_lake(source) or not config.is_lake(args.to):
        raise TargetNotLake()
    if not source.exists():
        raise common.StoreMissing(source)
    started = time.perf_counter()
    # The file is opened (and so checked: held, read-only, not a store) before the lake is touched.
    with common.opened_store(source):
        pass
    with common.opened_store(args.to) as target:
        copied = copy_file_into_lake(source, target.cursor())
    rows = sum(count for table, count in copied.items() if table != "meta")
    print(t("cli.copied", args.lang, source=str(source), target=lake.public_spec(args.to), tables=len(copied),
            rows=rows, seconds=f"{time.perf_counter() - started:.1f}"))
    for name in store.DATASET_TABLES:
        print(t("demo.table_rows", args.lang, table=t(f"common.dataset.{name}", args.lang), rows=copied.get(name, 0)))
    return EXIT_OK
