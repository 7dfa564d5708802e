"""What guarding a workbook costs (run by hand, not part of the test suite).

    python benchmarks/xlsx_guard_bench.py [--rows 50000] [--runs 7]

Writes a meetings workbook of `rows` rows with openpyxl (inline strings, as openpyxl and
xlsxwriter write them), then times, median of `runs` after one warm-up (the fork server starts
once per server process):
- in process: pandas + calamine reading the sheets into text tables, exactly what the server did
  before (xlsx_child.read_sheets, now run in the child);
- the inspection alone (xlsx_guard.inspect_workbook), CPU seconds;
- the guarded reading (read.read_workbook_grids: child process, inspection, reading, tables back
  through a pipe) and the guarded sheet-name listing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi.importing import read, xlsx_child, xlsx_guard  # noqa: E402
from kpi.rules import load_rules  # noqa: E402


def make_workbook(path: Path, rows: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("会议")
    sheet.append(["单位编码", "会议类型", "日期", "应到人数", "实到人数", "主题"])
    kinds = ["支部党员大会", "支部委员会会议", "党小组会", "党课", "主题党日"]
    rnd = random.Random(1)
    for i in range(rows):
        sheet.append([f"G01{i % 900:04d}", rnd.choice(kinds), dt.date(2025, 1, 1) + dt.timedelta(days=i % 365),
                      30, rnd.randint(10, 30), f"学习主题第{i}期"])
    book.save(path)


def timed(fn, runs: int, clock=time.perf_counter) -> float:
    seconds = []
    for _ in range(runs):
        start = clock()
        fn()
        seconds.append(clock() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    limits = load_rules().workbook
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "meetings.xlsx"
        make_workbook(path, args.rows)
        data = path.read_bytes()
    read.read_workbook_grids(data, None, False, limits)  # starts the fork server
    before = timed(lambda: xlsx_child.read_sheets(data, None, False), args.runs)
    inspect = timed(lambda: xlsx_guard.inspect_workbook(data, limits), args.runs, time.process_time)
    guarded = timed(lambda: read.read_workbook_grids(data, None, False, limits), args.runs)
    names = timed(lambda: read.workbook_sheet_names(data, limits), args.runs)
    print(f"{args.rows} rows, {len(data) / 1e6:.1f} MB file, median of {args.runs}")
    print(f"  in process (before):          {before:.3f} s")
    print(f"  inspection alone (CPU):       {inspect:.3f} s")
    print(f"  guarded, in a child (now):    {guarded:.3f} s  (+{guarded - before:.3f} s)")
    print(f"  sheet names, in a child:      {names:.3f} s")


if __name__ == "__main__":
    main()
