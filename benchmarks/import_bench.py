"""Import benchmark (run by hand, not part of the test suite).

    python benchmarks/import_bench.py [--rows 1000000] [--problems 200000]

Generates a 1,000,000-row meetings CSV (UTF-8) and a 200,000-row problems CSV (GBK) against an
organisation tree of 1,000 branches, then measures, each in a fresh subprocess on a fresh copy
of the store: our import (parse_upload + commit_upload) of both files, and the baseline of plain
DuckDB `read_csv` + `INSERT` of the same UTF-8 meetings file. Prints a markdown table: seconds,
peak memory (VmHWM of the subprocess, which includes the file's bytes held in memory) and the
ratio to the baseline.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi import store  # noqa: E402
from kpi.datasets import MEETING_TYPES, PROBLEM_SOURCES, PROBLEM_STATUSES, SEVERITIES  # noqa: E402
from kpi.importing.commit import canonical_frame, commit_frame  # noqa: E402

BRANCHES = 1000


def branch_codes() -> list[str]:
    return [f"B{i:04d}" for i in range(BRANCHES)]


def make_store(path: Path) -> None:
    """A store holding the group, 10 secondary units and 1,000 branches under them."""
    rows = [{"unit_code": "G", "unit_name": "基准集团", "level": 1, "org_type": "党委"}]
    rows += [{"unit_code": f"S{i}", "unit_name": f"二级单位{i}", "parent_code": "G", "level": 2, "org_type": "党委"}
             for i in range(10)]
    rows += [{"unit_code": code, "unit_name": f"第{i}党支部", "parent_code": f"S{i % 10}", "level": 4,
              "org_type": "党支部", "member_count": 20, "staff_count": 60} for i, code in enumerate(branch_codes())]
    s = store.open_store(path)
    con = s.cursor()
    commit_frame(con, "units", canonical_frame("units", rows), "org", "bench", kind="upload")
    store.set_meta(con, "demo_cleared", "1")
    s.close()


def make_meetings_csv(path: Path, n: int) -> None:
    i = np.arange(n)
    codes = np.array(branch_codes())
    types = np.array(MEETING_TYPES)
    expected = 10 + (i % 30)
    frame = pd.DataFrame({
        "单位编码": codes[i % BRANCHES],
        "会议类型": types[(i // BRANCHES) % len(types)],
        "日期": (pd.Timestamp("2020-01-01")
               + pd.to_timedelta(i // (BRANCHES * len(types)), unit="D")).strftime("%Y-%m-%d"),
        "应到人数": expected,
        "实到人数": expected - (i % 3),
        "主题": np.where(i % 2 == 0, "学习贯彻党的二十大精神", "研究部署季度党建工作"),
    })
    frame.to_csv(path, index=False, encoding="utf-8")


def make_problems_csv(path: Path, n: int) -> None:
    i = np.arange(n)
    codes = np.array(branch_codes())
    status = np.array(PROBLEM_STATUSES)[i % len(PROBLEM_STATUSES)]
    found = pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 365, unit="D")
    closed = np.where(status == "已销号", (found + pd.Timedelta(days=60)).strftime("%Y/%m/%d"), "")
    frame = pd.DataFrame({
        "问题编号": [f"WT{k:07d}" for k in i],
        "单位编码": codes[i % BRANCHES],
        "问题来源": np.array(PROBLEM_SOURCES)[i % len(PROBLEM_SOURCES)],
        "发现日期": found.strftime("%Y/%m/%d"),
        "问题类别": "组织建设",
        "问题描述": np.where(i % 2 == 0, "会议记录不规范", "党员学习台账更新不及时"),
        "严重程度": np.array(SEVERITIES)[i % len(SEVERITIES)],
        "责任人": "张三",
        "整改措施": "建立台账，按月检查",
        "整改时限": (found + pd.Timedelta(days=90)).strftime("%Y年%m月%d日"),
        "整改状态": status,
        "完成日期": closed,
        "销号日期": closed,
    })
    frame.to_csv(path, index=False, encoding="gbk")


def measure_ours(db: str, dataset: str, file: str) -> dict:
    from kpi.importing.commit import commit_upload  # noqa: PLC0415
    from kpi.importing.parse import parse_upload  # noqa: PLC0415
    from kpi.rules import load_rules  # noqa: PLC0415

    # The 1M-row file (~67 MB) is above the default 50 MB upload cap, which is configurable.
    rules = dataclasses.replace(load_rules(), max_file_mb=1024)
    s = store.open_store(db)
    con = s.cursor()
    start = time.perf_counter()
    data = Path(file).read_bytes()
    parsed = parse_upload(data, Path(file).name, dataset, con, rules)
    parsed_at = time.perf_counter()
    assert not parsed.errors, parsed.errors[:3]
    result = commit_upload(con, parsed, "bench")
    end = time.perf_counter()
    s.close()
    return {"seconds": end - start, "parse": parsed_at - start, "commit": end - parsed_at, "rows": result.inserted}


def measure_baseline(db: str, file: str) -> dict:
    s = store.open_store(db)
    con = s.cursor()
    start = time.perf_counter()
    con.execute("""INSERT INTO meetings (unit_code, meeting_type, date, expected, attended, topic)
                   SELECT * FROM read_csv(?, header = true)""", [file])
    end = time.perf_counter()
    rows = con.execute("SELECT count(*) FROM meetings").fetchone()[0]
    s.close()
    return {"seconds": end - start, "rows": rows}


def peak_rss_mb() -> float:
    """Peak resident memory of this process. VmHWM, not getrusage's ru_maxrss: after fork + exec
    the latter still holds the parent's peak (the parent built the 1M-row CSV in pandas)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: list[str]) -> None:
    kind, db = args[0], args[1]
    out = measure_ours(db, args[2], args[3]) if kind == "ours" else measure_baseline(db, args[2])
    out["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def run_child(kind: str, seed: Path, work: Path, *args: str) -> dict:
    db = work / f"{kind}-{args[-1].split('/')[-1]}.duckdb"
    shutil.copy(seed, db)
    proc = subprocess.run([sys.executable, __file__, "--child", kind, str(db), *args],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def median_run(runs: list[dict]) -> dict:
    """The run with the median total time (its parse/commit split and memory come with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--problems", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement, alternating baseline and ours; the median is shown")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seed = work / "seed.duckdb"
        make_store(seed)
        meetings, problems = work / "meetings.csv", work / "problems_gbk.csv"
        make_meetings_csv(meetings, opts.rows)
        make_problems_csv(problems, opts.problems)
        bases, ourses, gbks = [], [], []
        for _ in range(opts.repeat):  # alternating, so both sides see the same load on a shared machine
            bases.append(run_child("baseline", seed, work, str(meetings)))
            ourses.append(run_child("ours", seed, work, "meetings", str(meetings)))
            gbks.append(run_child("ours", seed, work, "problems", str(problems)))
        assert all(r["rows"] == opts.rows for r in bases + ourses) and all(r["rows"] == opts.problems for r in gbks)
        base, ours, gbk = median_run(bases), median_run(ourses), median_run(gbks)
        mb = {p: p.stat().st_size / 1024 / 1024 for p in (meetings, problems)}
    print(f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}; "
          f"median of {opts.repeat} alternating runs\n")
    print("| measurement | rows | file MB | seconds (parse + commit) | peak RSS MB | ratio to baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| DuckDB read_csv + INSERT (baseline), meetings UTF-8 | {base['rows']:,} | {mb[meetings]:.1f} | "
          f"{base['seconds']:.2f} | {base['max_rss_mb']:.0f} | 1.00 |")
    print(f"| parse_upload + commit_upload, meetings UTF-8 | {ours['rows']:,} | {mb[meetings]:.1f} | "
          f"{ours['seconds']:.2f} ({ours['parse']:.2f} + {ours['commit']:.2f}) | {ours['max_rss_mb']:.0f} | "
          f"{ours['seconds'] / base['seconds']:.2f} |")
    print(f"| parse_upload + commit_upload, problems GBK | {gbk['rows']:,} | {mb[problems]:.1f} | "
          f"{gbk['seconds']:.2f} ({gbk['parse']:.2f} + {gbk['commit']:.2f}) | {gbk['max_rss_mb']:.0f} | — |")
    print("\nEvery run (seconds): baseline " + ", ".join(f"{r['seconds']:.2f}" for r in bases)
          + "; meetings " + ", ".join(f"{r['seconds']:.2f}" for r in ourses)
          + "; problems GBK " + ", ".join(f"{r['seconds']:.2f}" for r in gbks))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
