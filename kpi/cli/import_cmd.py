"""Import a CSV/XLSX file into the store: `python -m kpi import DATASET FILE`.

Exit 0 when committed (or a clean --dry-run), 2 when refused: every error is printed as
row, column, value, reason (CSV lines on standard error) and nothing is written.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

from kpi import actions
from kpi.access import accounts
from kpi.cli import common
from kpi.cli.common import EXIT_OK, EXIT_REFUSED
from kpi.datasets import DATASETS
from kpi.i18n import t
from kpi.importing.commit import diff_counts
from kpi.importing.error_report import error_frame
from kpi.importing.errors import CellError, UploadRefused
from kpi.importing.model import ParsedUpload
from kpi.rules import load_rules


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=list(DATASETS), help="dataset to load")
    parser.add_argument("file", type=Path, help="CSV or XLSX file")
    parser.add_argument("--sheet", help="worksheet to read (XLSX; default: the first)")
    parser.add_argument("--all-sheets", action="store_true", help="read every worksheet (one per month)")
    parser.add_argument("--dry-run", action="store_true", help="check and show the counts; write nothing")
    parser.add_argument("--force", action="store_true", help="commit even if this file was already uploaded")
    parser.add_argument("--user", default="cli",
                        help="user name recorded with the batch; an account's name applies its role and scope")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="snapshot date for problems (YYYY-MM-DD)")


def error_lines(errors: list[CellError], lang: str) -> list[list[str]]:
    """Header plus one row per error: row, column, value, reason (sheet first when any has one)."""
    frame = error_frame(errors, lang).astype("string").fillna("")
    if not any(e.sheet for e in errors):
        frame = frame.iloc[:, 1:]
    return [list(frame.columns), *frame.to_numpy().tolist()]


def _print_refused(errors: list[CellError], lang: str) -> int:
    print(t("cli.refused", lang, n=len(errors)), file=sys.stderr)
    csv.writer(sys.stderr, lineterminator="\n").writerows(error_lines(errors, lang))
    return EXIT_REFUSED


def _describe(parsed: ParsedUpload, lang: str) -> str:
    how = t("cli.read_xlsx", lang, sheets="、".join(parsed.sheets)) if parsed.encoding is None \
        else t("cli.read_csv", lang, encoding=parsed.encoding)
    return t("cli.read", lang, file=parsed.file_name, how=how, rows=parsed.row_count, **parsed.dropped)


def _import(args: argparse.Namespace, lang: str) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(t("cli.file_unreadable", lang, file=str(args.file), detail=exc.strerror or str(exc)), file=sys.stderr)
        return EXIT_REFUSED
    rules = load_rules()
    with common.opened_store(common.db_path(args)) as s:
        con = s.cursor()
        # An account's upload keeps its role and data scope on the command line too: checked before
        # the parse, which then resolves units only within the scope (a dry run shows nothing outside it).
        account = accounts.get_account(con, args.user)
        parsed = actions.parse_for_upload(con, rules, account, data, args.file.name, args.dataset,
                                          sheet=args.sheet, all_sheets=args.all_sheets)
        print(_describe(parsed, lang))
        if parsed.errors:
            return _print_refused(parsed.errors, lang)
        if args.dry_run:
            d = diff_counts(con, parsed)
            print(t("cli.dry_run", lang, new=d.new, updated=d.updated, unchanged=d.unchanged))
            return EXIT_OK
        # role and scope checked again inside the write's transaction, with the audit row (on a DuckLake,
        # tried again when a server commits at the same moment: actions.upload)
        result = actions.upload(con, account, args.user, parsed, as_of=args.as_of, force=args.force)
        print(t("cli.committed", lang, batch_id=result.batch_id, dataset=t(f"common.dataset.{result.dataset}", lang),
                new=result.inserted, updated=result.updated, unchanged=result.unchanged))
        return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Import; the refusal only an import has is shown here (every error of the file as CSV lines),
    every other failure (the same file again: with the --force hint) by kpi.cli.main like any command's."""
    lang = args.lang
    try:
        return _import(args, lang)
    except UploadRefused as exc:
        return _print_refused(exc.errors, lang)
