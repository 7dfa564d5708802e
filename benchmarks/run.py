"""Benchmark at one size of group (run by hand; size S also runs as a smoke test in the suite).

    python benchmarks/run.py --size S|M|L [--out benchmarks/results-S.md] [--json FILE] [--work DIR]

1. Generates the group of that size (kpi.demo.sizes: S 300, M 5,000, L 100,000 branches, three
   years of all seven datasets) into a store, and writes every dataset as a UTF-8 CSV with the
   template's Chinese headers (problems also as GBK).
2. Import: each file through parse_upload + commit_upload into a fresh copy of a store holding
   only the organisation tree (an empty store for units), and the baseline of plain DuckDB
   `read_csv` + `INSERT` of the same UTF-8 file into another fresh copy, in the same run.
3. Pages: every page runs in AppTest against the full store, with `pages._ui.compute` wrapped to
   record the kpi calls the page makes (and to time the page's run). Then, per page, a fresh
   process opens a fresh connection and runs exactly those calls: cold (first call) and warm
   (second call, DuckDB and the OS cache warmed; the page cache of `_ui.compute` is not used,
   it would make warm ~0).
4. Briefing: build_briefing (the figures) and render_briefing (PNG, PPTX, PDF) for last week.

Each measurement runs in its own subprocess; times are measured inside it (interpreter start and
imports excluded); memory is the subprocess's peak RSS (getrusage ru_maxrss). Prints a markdown
report, and writes it to --out; --json writes the raw numbers.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import pickle
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHILD_TIMEOUT_S = 3600
APPTEST_TIMEOUT_S = 1800
# A page whose first AppTest run takes longer than this is not run a second time (at L, a page
# that writes every problem into an XLSX on each run takes minutes; the first run says enough).
RERUN_MAX_FIRST_S = 60.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- children (run in subprocesses)

def child_generate(size: str, db: str, out_dir: str, as_of: str) -> dict:
    from kpi import store  # noqa: PLC0415
    from kpi.datasets import DATASETS  # noqa: PLC0415
    from kpi.demo import sizes  # noqa: PLC0415

    start = time.perf_counter()
    s = store.open_store(db)
    counts = sizes.load_sized(s.cursor(), size, dt.date.fromisoformat(as_of))
    s.close()
    generated = time.perf_counter() - start
    s = store.open_store(db)
    con = s.cursor()
    files = {}
    for name in DATASETS:
        path = Path(out_dir) / f"{name}.csv"
        sizes.export_csv(con, name, str(path))
        files[name] = str(path)
    gbk = Path(out_dir) / "problems_gbk.csv"
    gbk.write_bytes(Path(files["problems"]).read_text(encoding="utf-8").encode("gbk"))
    files["problems_gbk"] = str(gbk)
    s.close()
    return {"seconds": generated, "export_seconds": time.perf_counter() - start - generated, "counts": counts,
            "files": files, "db_mb": Path(db).stat().st_size / 1024 / 1024}


def child_import(db: str, dataset: str, file: str) -> dict:
    import dataclasses  # noqa: PLC0415

    from kpi import store  # noqa: PLC0415
    from kpi.importing.commit import commit_upload  # noqa: PLC0415
    from kpi.importing.parse import parse_upload  # noqa: PLC0415
    from kpi.rules import load_rules  # noqa: PLC0415

    # Benchmark files are far above the default 50 MB upload cap, which is configurable.
    rules = dataclasses.replace(load_rules(), max_file_mb=2048)
    s = store.open_store(db)
    con = s.cursor()
    start = time.perf_counter()
    parsed = parse_upload(Path(file).read_bytes(), Path(file).name, dataset, con, rules)
    parsed_at = time.perf_counter()
    if parsed.errors:
        raise SystemExit(f"{dataset}: {len(parsed.errors)} errors, first {parsed.errors[:3]}")
    result = commit_upload(con, parsed, "bench")
    end = time.perf_counter()
    s.close()
    return {"seconds": end - start, "parse": parsed_at - start, "commit": end - parsed_at, "rows": result.inserted}


def child_baseline(db: str, dataset: str, file: str) -> dict:
    from kpi import store  # noqa: PLC0415
    from kpi.datasets import DATASETS  # noqa: PLC0415

    columns = ", ".join(store.quote_identifier(n) for n in DATASETS[dataset].names)
    s = store.open_store(db)
    con = s.cursor()
    start = time.perf_counter()
    con.execute(f"INSERT INTO {store.quote_identifier(dataset)} ({columns}) "
                "SELECT * FROM read_csv(?, header = true)", [file])
    end = time.perf_counter()
    rows = con.execute(f"SELECT count(*) FROM {store.quote_identifier(dataset)}").fetchone()[0]
    s.close()
    return {"seconds": end - start, "rows": rows}


def _apptest(db: str):
    """An AppTest of the app on `db`, signed in as an administrator of the whole store when the
    app has sign-in (tests/fixtures/apptest_helpers.signed_in)."""
    os.environ["DJ_DB"] = db
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APPTEST_TIMEOUT_S)
    try:
        from tests.fixtures.apptest_helpers import signed_in  # noqa: PLC0415
    except ImportError:
        return at
    return signed_in(at)


def child_pages(db: str, calls_file: str, pages: str) -> dict:
    """Every page in AppTest: seconds of its first run and of a rerun, and the kpi calls it made."""
    import streamlit as st  # noqa: PLC0415

    from pages import _ui  # noqa: PLC0415

    recorded: list = []
    original = _ui.compute

    def recording(func, *args, **kwargs):
        recorded.append((func.__module__, func.__name__, args, kwargs))
        return original(func, *args, **kwargs)

    _ui.compute = recording
    out, calls = {}, {}
    for page in pages.split(","):
        st.cache_data.clear()
        at = _apptest(db)
        at.run(timeout=APPTEST_TIMEOUT_S)
        if at.exception:
            raise SystemExit(f"app start: {at.exception}")
        # The page's own first run starts with an empty page cache, as after a commit.
        st.cache_data.clear()
        recorded.clear()
        start = time.perf_counter()
        at.switch_page(f"pages/{page}").run(timeout=APPTEST_TIMEOUT_S)
        first = time.perf_counter() - start
        if at.exception:
            raise SystemExit(f"{page}: {at.exception}")
        calls[page] = list(recorded)
        rerun = None
        if first <= RERUN_MAX_FIRST_S:
            start = time.perf_counter()
            at.run(timeout=APPTEST_TIMEOUT_S)
            rerun = time.perf_counter() - start
        out[page] = {"apptest_first": first, "apptest_rerun": rerun, "calls": len(calls[page])}
    Path(calls_file).write_bytes(pickle.dumps(calls))
    return {"pages": out}


def child_kpi(db: str, calls_file: str, page: str) -> dict:
    """The page's recorded kpi calls on a fresh connection: cold (first) and warm (second)."""
    import importlib  # noqa: PLC0415

    from kpi import store  # noqa: PLC0415

    calls = pickle.loads(Path(calls_file).read_bytes())[page]
    funcs = [(getattr(importlib.import_module(m), n), a, k) for m, n, a, k in calls]
    s = store.open_store(db)
    timings = {}
    for label in ("cold", "warm"):
        per_call = []
        for func, args, kwargs in funcs:
            start = time.perf_counter()
            func(s.cursor(), *args, **kwargs)
            per_call.append((time.perf_counter() - start, func.__name__))
        timings[label] = per_call
    s.close()
    slowest = max(timings["warm"], default=(0.0, "—"))
    slowest_cold = max(timings["cold"], default=(0.0, "—"))
    return {"cold": sum(t for t, _ in timings["cold"]), "warm": sum(t for t, _ in timings["warm"]),
            "slowest_warm": slowest[1], "slowest_warm_s": slowest[0],
            "slowest_cold": slowest_cold[1], "slowest_cold_s": slowest_cold[0], "calls": len(funcs)}


def child_briefing(db: str) -> dict:
    from kpi import store  # noqa: PLC0415
    from kpi.briefing.content import build_briefing  # noqa: PLC0415
    from kpi.briefing.outputs import render_briefing  # noqa: PLC0415
    from kpi.periods import last_full_week  # noqa: PLC0415
    from kpi.rules import load_rules  # noqa: PLC0415

    s = store.open_store(db)
    start = time.perf_counter()
    briefing = build_briefing(s.cursor(), load_rules(), last_full_week(dt.date.today()), None, "zh")
    built = time.perf_counter() - start
    render_briefing(briefing)
    s.close()
    return {"seconds": time.perf_counter() - start, "build": built, "render": time.perf_counter() - start - built}


CHILDREN = {"generate": child_generate, "import": child_import, "baseline": child_baseline,
            "pages": child_pages, "kpi": child_kpi, "briefing": child_briefing}


def child(argv: list[str]) -> None:
    out = CHILDREN[argv[0]](*argv[1:])
    out["max_rss_mb"] = _rss_mb()
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------- parent

def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          timeout=CHILD_TIMEOUT_S, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child {args[0]} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def seed_stores(full: Path, work: Path) -> tuple[Path, Path]:
    """(an empty store, a store holding only the organisation tree of `full`)."""
    from kpi import store  # noqa: PLC0415

    empty, tree = work / "empty.duckdb", work / "tree.duckdb"
    for path in (empty, tree):
        s = store.open_store(path)
        store.set_meta(s.cursor(), "demo_cleared", "1")
        s.close()
    s = store.open_store(tree)
    con = s.cursor()
    # DuckDB 1.5.5 binds no ATTACH path; the path is this run's own work folder, quoted as a literal.
    con.execute("ATTACH '" + str(full).replace("'", "''") + "' AS full_store (READ_ONLY)")
    con.execute("INSERT INTO units SELECT * FROM full_store.units")
    con.execute("DETACH full_store")
    s.close()
    return empty, tree


def measure_imports(files: dict, empty: Path, tree: Path, work: Path) -> list[dict]:
    from kpi.datasets import DATASETS  # noqa: PLC0415

    rows = []
    for name in [*DATASETS, "problems_gbk"]:
        dataset = name.removesuffix("_gbk")
        seed = empty if dataset == "units" else tree
        file = files[name]
        ours_db, base_db = work / f"import-{name}.duckdb", work / f"baseline-{name}.duckdb"
        shutil.copy(seed, ours_db)
        ours = run_child("import", str(ours_db), dataset, file)
        ours_db.unlink()
        row = {"dataset": name, "file_mb": Path(file).stat().st_size / 1024 / 1024, **ours}
        if name == dataset:
            shutil.copy(seed, base_db)
            base = run_child("baseline", str(base_db), dataset, files[dataset])
            base_db.unlink()
            if base["rows"] != ours["rows"]:
                raise RuntimeError(f"{name}: baseline {base['rows']} rows, ours {ours['rows']}")
            row |= {"baseline": base["seconds"], "baseline_rss_mb": base["max_rss_mb"],
                    "ratio": ours["seconds"] / base["seconds"]}
        rows.append(row)
    return rows


def page_files() -> list[str]:
    from pages._ui import PAGES, PAGES_DIR  # noqa: PLC0415

    return [file for file, *_ in PAGES if (PAGES_DIR / file).exists()]


def measure_pages(db: Path, work: Path, only: list[str] | None = None) -> dict:
    calls_file = work / "calls.pickle"
    pages = [p for p in page_files() if not only or p in only]
    app = run_child("pages", str(db), str(calls_file), ",".join(pages))
    out = {}
    for page in pages:
        out[page] = {**app["pages"][page], **run_child("kpi", str(db), str(calls_file), page),
                     "apptest_rss_mb": app["max_rss_mb"]}
    return out


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def machine() -> str:
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
    import duckdb  # noqa: PLC0415
    import pandas  # noqa: PLC0415

    return (f"{os.cpu_count()} CPUs ({cpu_model()}), {mem_kb / 1024 / 1024:.0f} GiB memory, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pandas.__version__}")


def _f(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def report_markdown(results: dict) -> str:
    gen, size = results["generate"], results["size"]
    lines = [f"### Size {size}: {results['branches']:,} branches (as of {results['as_of']})", "",
             f"Machine: {results['machine']}. Command: `{results['command']}`.", ""]
    if gen:
        lines += ["Rows: " + ", ".join(f"{k} {v:,}" for k, v in gen["counts"].items())
                  + f". DB file {_f(gen['db_mb'], 1)} MB. Generated in {_f(gen['seconds'], 1)} s "
                  f"(peak {_f(gen['max_rss_mb'], 0)} MB), CSVs written in {_f(gen['export_seconds'], 1)} s.", ""]
    else:
        lines += [f"Pages only, on the existing store `{results['store']}` (no generation, no imports).", ""]
    if results["imports"]:
        lines += ["| import | rows | file MB | ours s (parse + commit) | DuckDB read_csv + INSERT s | ratio | "
                  "peak RSS MB (ours / DuckDB) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results["imports"]:
        base = f"{_f(r['baseline'])}" if "baseline" in r else "— (DuckDB cannot read GBK)"
        ratio = _f(r["ratio"]) if "ratio" in r else "—"
        rss = f"{_f(r['max_rss_mb'], 0)} / {_f(r['baseline_rss_mb'], 0)}" if "baseline" in r else _f(r["max_rss_mb"], 0)
        lines.append(f"| {r['dataset']} | {r['rows']:,} | {_f(r['file_mb'], 1)} | {_f(r['seconds'])} "
                     f"({_f(r['parse'])} + {_f(r['commit'])}) | {base} | {ratio} | {rss} |")
    lines += ["", "| page | kpi calls | kpi cold s | kpi warm s | slowest call (cold s / warm s) | "
              "kpi peak RSS MB | AppTest first run s | AppTest rerun s |",
              "|---|---:|---:|---:|---|---:|---:|---:|"]
    for page, r in results["pages"].items():
        rerun = _f(r["apptest_rerun"]) if r["apptest_rerun"] is not None else "not run (first > 60 s)"
        lines.append(f"| {page} | {r['calls']} | {_f(r['cold'])} | {_f(r['warm'])} | {r['slowest_cold']} "
                     f"({_f(r['slowest_cold_s'])} / {_f(r['slowest_warm_s'])}) | {_f(r['max_rss_mb'], 0)} | "
                     f"{_f(r['apptest_first'])} | {rerun} |")
    b = results["briefing"]
    apptest_rss = next(iter(results["pages"].values()))["apptest_rss_mb"] if results["pages"] else 0.0
    lines += ["", f"AppTest process peak RSS (all pages, one process): {_f(apptest_rss, 0)} MB. "
              f"Briefing (last full week, whole group): {_f(b['seconds'])} s = figures {_f(b['build'])} s "
              f"+ PNG/PPTX/PDF {_f(b['render'])} s, peak RSS {_f(b['max_rss_mb'], 0)} MB (browser excluded).", ""]
    return "\n".join(lines)


def finite_numbers(value) -> list[float]:
    """Every number in a results structure (for the smoke test's checks)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in finite_numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in finite_numbers(v)]
    return []


def main(argv: list[str] | None = None) -> dict:
    from kpi.demo.sizes import SIZES  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), required=True)
    parser.add_argument("--out", help="write the markdown report here")
    parser.add_argument("--json", help="write the raw numbers here")
    parser.add_argument("--work", help="working folder (kept); default a temporary one (removed)")
    parser.add_argument("--as-of", default=dt.date.today().isoformat(), help="as-of date of the data")
    parser.add_argument("--store", help="measure the pages (and briefing) of this existing store (a DuckDB file, "
                        "copied first, or a DuckLake spec ducklake:postgres:…, measured in place): "
                        "no generation, no imports")
    parser.add_argument("--pages", help="only these page files, comma-separated (e.g. overview.py,meetings.py)")
    opts = parser.parse_args(argv)
    work = Path(opts.work) if opts.work else Path(tempfile.mkdtemp(prefix=f"bench-{opts.size}-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        full = work / "full.duckdb"
        for stale in work.glob("*.duckdb*"):
            stale.unlink()
        results = {"size": opts.size, "branches": SIZES[opts.size], "as_of": opts.as_of, "machine": machine(),
                   "command": "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:])}
        if opts.store and opts.store.startswith("ducklake:"):  # a DuckLake (README "多台服务器"): in place
            full = opts.store
            results.update(generate=None, imports=[], store=re.sub(r"\s*password=\S*", "", opts.store))
        elif opts.store:
            shutil.copy(opts.store, full)
            results.update(generate=None, imports=[], store=opts.store)
        else:
            results["generate"] = run_child("generate", opts.size, str(full), str(work), opts.as_of)
            empty, tree = seed_stores(full, work)
            results["imports"] = measure_imports(results["generate"]["files"], empty, tree, work)
        results["pages"] = measure_pages(full, work, opts.pages.split(",") if opts.pages else None)
        results["briefing"] = run_child("briefing", str(full))
    finally:
        if not opts.work:
            shutil.rmtree(work, ignore_errors=True)
    markdown = report_markdown(results)
    print(markdown)
    if opts.out:
        Path(opts.out).write_text(markdown, encoding="utf-8")
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    if not all(math.isfinite(x) for x in finite_numbers(results)):
        raise SystemExit("a measurement is not finite")
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
