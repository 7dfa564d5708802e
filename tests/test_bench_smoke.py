"""The benchmark (benchmarks/run.py) at size S, end to end: every dataset import and every page is
measured and reported, and every number is finite and positive. No timing thresholds: machines
are noisy; the figures themselves are read by hand (benchmarks/README.md)."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from kpi.datasets import DATASETS
from kpi.demo.sizes import SIZES
from pages._ui import PAGES, PAGES_DIR

ROOT = Path(__file__).resolve().parent.parent
IMPORT_NUMBERS = ("file_mb", "seconds", "parse", "commit", "max_rss_mb")
PAGE_NUMBERS = ("apptest_first", "apptest_rerun", "apptest_rss_mb", "max_rss_mb")
# Pages that draw figures: each must have made kpi calls through _ui.compute.
FIGURE_PAGES = ("overview.py", "meetings.py", "rectification.py", "coverage.py")

pytestmark = pytest.mark.slow


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_benchmark_at_size_s_reports_every_dataset_and_page(tmp_path):
    out, raw = tmp_path / "results.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--size", "S", "--out", str(out), "--json", str(raw),
         "--work", str(tmp_path / "work")],
        # The timeout only stops a hung run: generous, so a busy machine (CI's other worker, other jobs)
        # slows the test down instead of failing it.
        capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(raw.read_text(encoding="utf-8"))
    markdown = out.read_text(encoding="utf-8")

    counts = results["generate"]["counts"]
    assert results["branches"] == SIZES["S"] == 300
    assert all(counts[name] > 0 for name in [*DATASETS, "problem_snapshots"])
    assert _positive(results["generate"]["db_mb"]) and _positive(results["generate"]["seconds"])

    imports = {r["dataset"]: r for r in results["imports"]}
    assert list(imports) == [*DATASETS, "problems_gbk"]
    for name, row in imports.items():
        assert row["rows"] == counts[name.removesuffix("_gbk")], name
        assert all(_positive(row[k]) for k in IMPORT_NUMBERS), (name, row)
        if name in DATASETS:
            assert _positive(row["baseline"]) and _positive(row["ratio"]), (name, row)
        assert f"| {name} | {row['rows']:,} |" in markdown

    expected_pages = [file for file, *_ in PAGES if (PAGES_DIR / file).exists()]
    assert list(results["pages"]) == expected_pages
    for page, row in results["pages"].items():
        assert all(_positive(row[k]) for k in PAGE_NUMBERS), (page, row)
        if row["calls"]:
            assert _positive(row["cold"]) and _positive(row["warm"]), (page, row)
        else:
            assert row["cold"] == row["warm"] == 0, (page, row)
        assert f"| {page} | {row['calls']} |" in markdown
    assert all(results["pages"][p]["calls"] > 0 for p in FIGURE_PAGES if p in results["pages"])

    briefing = results["briefing"]
    assert all(_positive(briefing[k]) for k in ("seconds", "build", "render", "max_rss_mb"))
    assert "Briefing (last full week, whole group)" in markdown
