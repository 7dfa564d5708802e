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

from kpi import actions
from kpi.cli import common
from kpi.cli.common import EXIT_OK
from kpi.datasets import DATASETS, get_dataset
from kpi.display.exports import to_csv_bytes, to_xlsx_bytes
from kpi.store import dataset_select_sql

_DTYPES = {"int": "Int64", "year": "Int64", "bool": "boolean"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=list(DATASETS), help="dataset to export")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="output format (default csv)")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")


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
    with common.opened_store(common.db_path(args)) as s:
        data = export_bytes(s.cursor(), args.dataset, args.format)
        if args.out:
            common.write_output(args.out, data)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        # recorded once the file is written, like a download button's click in the app
        actions.record_export(s.cursor(), "cli", f"{args.dataset}.{args.format}", str(args.out or "stdout"))
    return EXIT_OK
