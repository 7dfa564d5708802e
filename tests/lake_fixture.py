"""A private PostgreSQL cluster for the DuckLake tests, and the work the tests' child processes do.

The cluster (scripts/pgcluster.py) starts once per test session on a free loopback port; each test
gets its own catalog database and data folder (`new_lake`). Tests are skipped where the installed
DuckDB has no ducklake / postgres extension packages (DuckDB 2.0: none exist) or where PostgreSQL's
server programs are not installed.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import pgcluster  # noqa: E402  (scripts/ is no package)


def lake_available() -> str | None:
    """Why the lake tests cannot run here, or None when they can."""
    for package in ("duckdb_extension_ducklake", "duckdb_extension_postgres"):
        spec = importlib.util.find_spec(package)
        if spec is None:
            return f"{package} not installed"
        shipped = Path(spec.submodule_search_locations[0]) / "extensions" / f"v{duckdb.__version__}"
        if not shipped.is_dir():
            return f"{package} ships no extension for DuckDB {duckdb.__version__}"
    try:
        pgcluster.server_bindir()
    except FileNotFoundError as exc:
        return str(exc)
    return None


@contextlib.contextmanager
def running_cluster() -> Iterator[pgcluster.Cluster]:
    """A running private cluster (the test module's session fixture `pg_cluster` holds one); stopped
    (fast) and removed at the end. Skips the test where the lake cannot run (`lake_available`)."""
    reason = lake_available()
    if reason:
        # CI installs what the lake needs (scripts/setup.sh): there a missing piece is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"the DuckLake tests cannot run: {reason}")
        pytest.skip(reason)
    # Not under pytest's tmp_path: as root the server runs as `postgres`, which cannot enter
    # /tmp/pytest-of-root (mode 0700); a folder of its own directly under /tmp it can.
    root = Path(tempfile.mkdtemp(prefix="dj-pg-"))
    cluster = pgcluster.Cluster(root).start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def lake_spec(cluster: pgcluster.Cluster, name: str) -> str:
    """The DJ_STORE spec of the lake whose catalog is database `name` of `cluster`."""
    return f"ducklake:postgres:dbname={name} host=127.0.0.1 port={cluster.port} user={pgcluster.SUPERUSER}"


class LakeFactory:
    """New lakes at the latest schema, fast: the migrations run once, into a template catalog, and each
    new lake's catalog is a PostgreSQL copy of it (CREATE DATABASE … TEMPLATE, ~0.1 s instead of
    seconds of migrations). Every copy inherits the template's data folder; data file names are unique,
    so the lakes never read each other's files."""

    TEMPLATE = "lake_template"

    def __init__(self, cluster: pgcluster.Cluster):
        from kpi.store import lake  # noqa: PLC0415

        self.cluster = cluster
        cluster.create_database(self.TEMPLATE)
        opened = lake.open_lake(lake_spec(cluster, self.TEMPLATE), cluster.root / "lake-data")
        opened.close()  # nobody may stay connected to a template

    def new_spec(self) -> str:
        name = f"lake_{uuid.uuid4().hex[:12]}"
        self.cluster.create_database(name, template=self.TEMPLATE)
        return lake_spec(self.cluster, name)


def new_lake(cluster: pgcluster.Cluster, data_root: Path) -> tuple[str, Path]:
    """(spec, data folder) of a new, empty lake in its own catalog database."""
    name = f"lake_{uuid.uuid4().hex[:12]}"
    cluster.create_database(name)
    return lake_spec(cluster, name), data_root / name


# --- work done in child processes (spawned: each is its own DuckDB instance, like a server) ------

def commit_batches(spec: str, worker: int, commits: int, barrier, results) -> None:
    """Commit `commits` one-row batches into `meetings`, each bumping the data version and writing an
    audit entry, retrying a commit refused for a conflict (another process committed first); report
    (worker, retries)."""
    import datetime as dt  # noqa: PLC0415

    from kpi import store  # noqa: PLC0415
    from kpi.access import audit  # noqa: PLC0415
    from kpi.store import lake  # noqa: PLC0415

    con = lake.connect_lake(spec)
    barrier.wait()
    retries = 0
    done = 0
    while done < commits:
        try:
            with store.transaction(con):
                con.execute("INSERT INTO meetings (unit_code, meeting_type, date, topic) VALUES (?, ?, ?, ?)",
                            [f"W{worker}", "支委会", dt.date(2026, 1, 1) + dt.timedelta(days=done),
                             f"{worker}-{done}"])
                store.bump_data_version(con, ["meetings"])
                audit.record(con, f"worker{worker}", "upload", f"#{done}")
            done += 1
        except store.WriteRefused:
            retries += 1
    con.close()
    results.put((worker, retries))


def create_same_account(spec: str, worker: int, claim: bool, barrier, results) -> None:
    """Check that user name 'zhang' is free, wait until the other process has checked too, then
    insert it, in one writing transaction; report (worker, 'created' | 'taken' | 'conflict').
    With `claim` False the writer claim is switched off, to show what it prevents."""
    import datetime as dt  # noqa: PLC0415

    from kpi import store  # noqa: PLC0415
    from kpi.store import lake, transactions  # noqa: PLC0415

    if not claim:
        transactions.claim_writer = lambda con: None
    con = lake.connect_lake(spec)
    try:
        with store.transaction(con):
            taken = con.execute("SELECT count(*) FROM accounts WHERE username = 'zhang'").fetchall()[0][0]
            barrier.wait()
            if taken:
                outcome = "taken"
            else:
                con.execute("INSERT INTO accounts (username, role, created_at) VALUES (?, ?, ?)",
                            ["zhang", "viewer", dt.datetime(2026, 12, 1, 9, worker)])
                outcome = "created"
    except store.WriteRefused as exc:
        outcome = exc.key
    con.close()
    results.put((worker, outcome))


def commit_then_get_killed(spec: str, rows: int, barrier, results) -> None:
    """Write `rows` meetings rows and bump the data version in one transaction; say so just before
    COMMIT (the test kills this process with SIGKILL on hearing it), then commit."""
    from kpi import store  # noqa: PLC0415
    from kpi.store import lake  # noqa: PLC0415

    con = lake.connect_lake(spec)
    barrier.wait()
    with store.transaction(con):
        con.execute("INSERT INTO meetings (unit_code, meeting_type, date) "
                    "SELECT 'K' || (i % 1000), '党员大会', DATE '2026-01-01' + CAST(i % 300 AS INTEGER) "
                    "FROM range(?) t(i)", [rows])
        store.bump_data_version(con, ["meetings"])
        results.put("committing")
    results.put("committed")
