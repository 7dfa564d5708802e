"""The store as a DuckLake (several servers on one store, README "多台服务器"): the catalog in a
PostgreSQL database, the data as Parquet files in a shared folder, every process a DuckDB client of
it. (An s3:// data path would also need the httpfs extension package and credentials: not installed,
not tested.)

    DJ_STORE=ducklake:postgres:dbname=lake_catalog host=127.0.0.1 port=5432 user=dj
    DJ_LAKE_DATA=/srv/dj-lake            # needed when the lake is created; the catalog remembers it

`open_lake(spec, data_path)` returns a `LakeStore`: the same `cursor()` / `close()` as the file
`Store`, migrated with `LAKE_MIGRATIONS`, the lake's own frozen dialect of the schema.

What DuckLake lacks, and what stands in for it here (error texts from DuckDB 1.5.5 + ducklake 1.5.5):
- PRIMARY KEY / UNIQUE ("PRIMARY KEY/UNIQUE constraints are not supported in DuckLake"), CHECK,
  indexes ("DuckLake does not support indexes"): dropped from the lake schema. Uniqueness is the
  writer's job, checked inside its writing transaction; `claim_writer` (kpi.store.writer_claim) makes any two writing
  transactions that overlap in time conflict at COMMIT, so a check-then-insert cannot interleave
  with another one (the second gets WriteRefused('conflict') and nothing of it is written).
- Sequences ("DuckLake does not support sequences") and so DEFAULT nextval(...): `next_id` counts in
  `meta` (key `seq.<name>`), inside the writing transaction, under the same claim.
- RETURNING on INSERT / DELETE ("RETURNING clause not yet supported for insertion into DuckLake
  table"): the id is taken with `next_id` first and inserted explicitly.
- ON CONFLICT (needs a unique constraint): not used by the project.
What it has and the code relies on: NOT NULL, constant DEFAULTs, ALTER TABLE ADD COLUMN, views,
CREATE TABLE AS, UPDATE / DELETE, multi-statement transactions with DDL, snapshot reads.

DuckDB ships the two extensions as PyPI packages pinned to its own version
(duckdb-extension-ducklake, duckdb-extension-postgres); nothing is downloaded at run time
(`autoinstall_known_extensions` stays off).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from kpi.store.connection import Store, StoreError, StoreTooNew, catch_up, schema_version
from kpi.store.migrations import MIGRATIONS
from kpi.store.sql import string_literal
from kpi.store.transactions import WriteRefused, transaction
from kpi.store.writer_claim import is_lake_connection, next_id  # noqa: F401  (re-exported: tests ask the lake module)

DATA_ENV_VAR = "DJ_LAKE_DATA"
# package → the file name DuckDB loads it by (its entry point is named after the file: the postgres
# extension's is postgres_scanner_init, so it must be called postgres_scanner.duckdb_extension).
_EXTENSIONS = {"duckdb_extension_postgres": "postgres_scanner", "duckdb_extension_ducklake": "ducklake"}


class LakeUnavailable(StoreError):
    """The lake cannot be opened (a family: the extension packages, the catalog)."""


class LakeExtensionMissing(LakeUnavailable):
    """A DuckLake extension package for this DuckDB is not installed or ships no extension; params
    `package`, `version` (DuckDB's)."""

    key = "lake.extension_missing"


class LakeNoDataPath(LakeUnavailable):
    """The lake does not exist and no data path was given to create it ($DJ_LAKE_DATA); param `catalog`."""

    key = "lake.no_data_path"


class LakeCatalogLost(LakeUnavailable):
    """The lake's catalog stopped answering after the lake was opened (the page's message: the next
    click tries again); param `catalog` (the spec without its password)."""

    key = "lake.catalog_lost"


class LakeCatalogDown(LakeUnavailable):
    """The lake's PostgreSQL catalog does not answer (or refuses); param `catalog` (the spec without
    its password). DuckDB's own words are the exception's cause, for the log."""

    key = "lake.unreachable"


# --- the lake's dialect of the schema -------------------------------------------------------------

_SEQUENCE = re.compile(r"CREATE SEQUENCE \w+ START 1;\n")
_NEXTVAL_DEFAULT = re.compile(r" DEFAULT nextval\('\w+'\)")


def lake_dialect(migration: str) -> str:
    """`migration` with what DuckLake refuses taken out: sequences, nextval defaults, PRIMARY KEY.
    The ids the sequences gave are written explicitly (`next_id`)."""
    text = _SEQUENCE.sub("", migration)
    text = _NEXTVAL_DEFAULT.sub("", text)
    return text.replace(" PRIMARY KEY", " NOT NULL")


# v6 copies the failed sign-ins into login_attempts, whose ids came from a sequence: number them here.
_V6_COPY = """INSERT INTO login_attempts (username, client, started_at, outcome)
    SELECT username, 'unknown', failed_at, 'failure' FROM login_failures ORDER BY failed_at;"""
_V6_COPY_LAKE = """INSERT INTO login_attempts (attempt_id, username, client, started_at, outcome)
    SELECT row_number() OVER (ORDER BY failed_at), username, 'unknown', failed_at, 'failure' FROM login_failures;
INSERT INTO meta SELECT 'seq.login_attempt_ids', CAST(count(*) AS VARCHAR) FROM login_attempts;"""


def _lake_migrations() -> list[str]:
    out = [lake_dialect(m) for m in MIGRATIONS]
    assert _V6_COPY in out[5], "migration v6 changed: frozen migrations must not be edited"
    out[5] = out[5].replace(_V6_COPY, _V6_COPY_LAKE)
    return out


# Frozen like MIGRATIONS: the lake's schema v<n> is LAKE_MIGRATIONS[n-1] (same tables and columns).
LAKE_MIGRATIONS: list[str] = _lake_migrations()


# Each step is tried again when another process migrated first (its COMMIT conflicted).
_MIGRATION_ATTEMPTS = 3 * len(LAKE_MIGRATIONS)


def migrate_lake(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the lake to the latest schema; returns the version it started at. Two processes
    migrating at once: the second's transaction conflicts and is retried once it sees the first's."""
    start = schema_version(con)
    if start > len(LAKE_MIGRATIONS):
        raise StoreTooNew(found=start, latest=len(LAKE_MIGRATIONS))
    for _attempt in range(_MIGRATION_ATTEMPTS):
        version = schema_version(con)
        if version >= len(LAKE_MIGRATIONS):
            break
        try:
            with transaction(con):
                con.execute(LAKE_MIGRATIONS[version])
                con.execute("DELETE FROM meta WHERE key = 'schema_version'")
                con.execute("INSERT INTO meta VALUES ('schema_version', $version)", {"version": str(version + 1)})
        except (WriteRefused, duckdb.CatalogException, duckdb.TransactionException):
            continue  # another process ran this step first: read the version again
    return start


# --- writing on a lake ----------------------------------------------------------------------------

# --- opening --------------------------------------------------------------------------------------

def _platform() -> str:
    con = duckdb.connect()
    try:
        return con.execute("PRAGMA platform").fetchall()[0][0]
    finally:
        con.close()


def extension_dir() -> Path:
    """A folder laid out as DuckDB's extension_directory (v<version>/<platform>/<name>.duckdb_extension)
    holding the ducklake and postgres_scanner extensions of the installed DuckDB, copied once from
    their PyPI packages under the names DuckDB loads them by."""
    root = Path(tempfile.gettempdir()) / "dj-duckdb-extensions"
    target = root / f"v{duckdb.__version__}" / _platform()
    target.mkdir(parents=True, exist_ok=True)
    for package, name in _EXTENSIONS.items():
        dest = target / f"{name}.duckdb_extension"
        if dest.exists():
            continue
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise LakeExtensionMissing(package=package, version=duckdb.__version__)
        shipped = Path(spec.submodule_search_locations[0]) / "extensions" / f"v{duckdb.__version__}"
        found = list(shipped.glob("*.duckdb_extension"))
        if not found:
            raise LakeExtensionMissing(package=package, version=duckdb.__version__)
        partial = dest.with_suffix(f".{os.getpid()}.part")  # another process may copy at the same time
        shutil.copyfile(found[0], partial)
        os.replace(partial, dest)
    return root


def lake_config() -> dict:
    """DuckDB settings of a lake connection: the two extensions load from `extension_dir` when the
    lake is opened; nothing is ever installed (or downloaded)."""
    return {"extension_directory": str(extension_dir()), "autoload_known_extensions": True,
            "autoinstall_known_extensions": False}


def public_spec(spec: str) -> str:
    """The spec as messages may show it: without a password (one belongs in PGPASSWORD or ~/.pgpass)."""
    return re.sub(r"\s*password=\S*", "", spec)


def _attach_error(spec: str, exc: BaseException) -> LakeUnavailable:
    if "data_path is not set" in str(exc):  # DuckLake's words for a lake that does not exist yet
        return LakeNoDataPath(catalog=public_spec(spec))
    return catalog_down(spec)


# DuckDB's words when a lake's catalog stopped answering after the lake was opened (the postgres
# extension connects again by itself once it is back).
_CATALOG_LOST = ("Unable to connect to Postgres", "server closed the connection unexpectedly",
                 "terminating connection due to administrator command")


def catalog_lost(error: BaseException) -> bool:
    """True when `error` says a lake's PostgreSQL catalog stopped answering (it was reachable when the
    lake was opened): the page says so and the next click tries again."""
    return isinstance(error, duckdb.Error) and any(words in str(error) for words in _CATALOG_LOST)


def catalog_down(spec: str) -> LakeCatalogDown:
    """The refusal naming the catalog of `spec` (without its password)."""
    return LakeCatalogDown(catalog=public_spec(spec))


def catalog_lost_refusal(spec: str) -> LakeCatalogLost:
    """The page's message for a catalog that stopped answering after the lake was opened."""
    return LakeCatalogLost(catalog=public_spec(spec))


def create_lake(spec: str, data_path: str | Path) -> None:
    """Create the lake `spec` with its data in `data_path` (a folder, made here, or an s3:// URL);
    the catalog remembers the data path, so later opens need only `spec`. Harmless on an existing lake."""
    data = str(data_path)
    if "://" not in data:
        Path(data).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config=lake_config())
    try:
        # ATTACH takes no bound path; the spec is the operator's configuration, quoted as a literal.
        con.execute("ATTACH " + string_literal(spec) + " AS new_lake (DATA_PATH $data)", {"data": data})
    except duckdb.Error as exc:
        raise _attach_error(spec, exc) from exc
    finally:
        con.close()


def connect_lake(spec: str, data_path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose default database is the lake `spec` (ducklake:postgres:…), created
    first when `data_path` is given. The lake is the database DuckDB opens, not one attached beside
    an in-memory one: every cursor made from this connection (kpi.metrics computes figures on
    `con.cursor()`s in threads) then starts on the lake, as on the file store."""
    if data_path is not None:
        create_lake(spec, data_path)
    try:
        return duckdb.connect(spec, config=lake_config())
    except duckdb.Error as exc:
        raise _attach_error(spec, exc) from exc


class LakeStore(Store):
    """An open lake with the file Store's interface (`cursor()` per thread / query batch, `close()`,
    inherited): only opening differs."""

    kind = "ducklake"

    def __init__(self, spec: str, data_path: str | Path | None = None):
        self.spec = spec
        self.path = spec  # what caches key on (kpi.store.memo names the store by its path)
        self._con = connect_lake(spec, data_path)
        migrate_lake(self._con)
        catch_up(self._con)


def open_lake(spec: str, data_path: str | Path | None = None) -> LakeStore:
    """Open (creating and migrating if needed) the lake named by `spec`; `data_path` defaults to
    $DJ_LAKE_DATA and is needed only when the lake is created."""
    return LakeStore(spec, data_path if data_path is not None else os.environ.get(DATA_ENV_VAR))
