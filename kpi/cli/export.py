"""Export a dataset's stored rows: `python -m kpi export DATASET [--format csv|xlsx] [--out FILE]`.

Columns carry the data model's English names (kpi.datasets; no batch bookkeeping), dates are YYYY-MM-DD,
CSV is UTF-8 with BOM, and text cells that Excel would run as formulas are neutralised.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

from kpi import actions, config, store
from kpi.datasets import DATASETS, get_dataset
from kpi.display.exports import to_csv_bytes, to_xlsx_bytes
from kpi.i18n import LANGUAGES, t
from kpi.store import dataset_select_sql

EXIT_OK, EXIT_REFUSED = 0, 2
_DTYPES = {"int": "Int64", "year": "Int64", "bool": "boolean"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=list(DATASETS), help="dataset to export")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="output format (default csv)")
    parser.add_argument("--db", type=Path, help="DuckDB store (default: $DJ_DB or data/dashboard.duckdb)")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the messages")


def export_frame(con: duckdb.DuckDBPyConnection, dataset: str) -> pd.DataFrame:
    """The stored rows of `dataset` by natural key: English column names, dates as datetime.date."""
    ds = get_dataset(dataset)
    frame = con.execute(dataset_select_sql(ds.name, ds.names, list(ds.key))).df()
    for column in ds.columns:
        if column.kind == "date":
            frame[column.name] = pd.to_datetime(frame[column.name]).dt.date.astype(object)
            frame[column.name] = frame[column.name].where(frame[column.name].notna(), None)
        elif column.kind in _DTYPES:
            frame[column.name] = frame[column.name].astype(_DTYPES[column.kind])
    return frame


def export_bytes(con: duckdb.DuckDBPyConnection, dataset: str, fmt: str) -> bytes:
    """The file an export writes: CSV (UTF-8 with BOM) or XLSX."""
    frame = export_frame(con, dataset)
    return to_csv_bytes(frame) if fmt == "csv" else to_xlsx_bytes(frame, dataset)


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    path = args.db or config.db_path([])
    if not Path(path).exists():
        print(t("cli.db_missing", lang, path=str(path)), file=sys.stderr)
        return EXIT_REFUSED
    try:
        s = store.open_store(path)
        try:
            data = export_bytes(s.cursor(), args.dataset, args.format)
            if args.out:
                args.out.write_bytes(data)
            else:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            # recorded once the file is written, like a download button's click in the app
            actions.record_export(s.cursor(), "cli", f"{args.dataset}.{args.format}", str(args.out or "stdout"))
        finally:
            s.close()
    except Exception as exc:  # noqa: BLE001  (one line, never a traceback)
        print(t("cli.unexpected", lang, kind=type(exc).__name__, detail=str(exc)), file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK
