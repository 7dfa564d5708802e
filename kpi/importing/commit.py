"""Writing a parsed upload to the store as one batch, and taking a batch back.

A batch upserts by the dataset's natural key: new keys are inserted, changed rows replaced,
unchanged rows left alone (they keep the batch that wrote them). The rows a batch overwrites
are copied to `<table>_undo` first, so undoing the latest batch of a dataset restores exactly
the previous state. Every write runs in one transaction: all rows or none — through
`store.transaction`, so writes of this process run one at a time, a write conflict or a preview
computed before a write to its dataset or to the unit tree (`expected_version`) is refused, and
a failed ROLLBACK never hides the real error. The refusals that depend on the store's state
(same file, undo order, units still in use) are checked inside that transaction, so nothing can
slip in between.

Undoing a units batch is refused while units it added are still used — by rows of other active
batches (any dataset's unit code, another unit's parent, rows an active batch would restore on
its own undo) or by accounts bound to them: undo those batches first (listed in the refusal).

All work is set-based SQL over the registered Arrow table of parsed rows (or the frame of rows
edited in the UI): a 1,000,000-row file never loops in Python.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from kpi import store
from kpi.datasets import DATASETS, PROBLEMS, UNITS, Dataset, get_dataset
from kpi.i18n import DEFAULT_LANGUAGE, TranslatedError, t
from kpi.importing.errors import UploadRefused
from kpi.importing.model import ParsedUpload
from kpi.store import quote_identifier as q
from kpi.store.sql import insert_batch, with_identifiers

_INCOMING = "_kpi_commit_incoming"
DEMO_KIND = "demo"

BATCH_COLUMNS = ["batch_id", "dataset", "file_name", "sha256", "rows_total", "rows_inserted",
                 "rows_updated", "rows_unchanged", "user_name", "created_at", "kind", "undone_at", "as_of"]
_SELECT_BATCHES = "SELECT " + ", ".join(BATCH_COLUMNS)


class BatchRefused(TranslatedError):
    """A commit or undo refused for a reason about batches, not cells (a family: raise one of the
    classes below, each naming its message key in kpi/messages/commit.toml)."""

    prefix = "commit."


class SameFile(BatchRefused):
    """The same file (same bytes, same sheet choice) was uploaded before as an active batch; params
    `batch_id`, `when`. The command line answers it with the --force hint."""

    key = "same_file"


class UnknownBatch(BatchRefused):
    """No batch with this id; param `batch_id`."""

    key = "unknown_batch"


class AlreadyUndone(BatchRefused):
    """The batch was undone before; params `batch_id`, `when`."""

    key = "already_undone"


class DemoBatch(BatchRefused):
    """The demo group's batch: the demo is cleared as a whole, never undone; param `batch_id`."""

    key = "demo_batch"


class UndoLaterFirst(BatchRefused):
    """Undo out of order: a later active batch of the same dataset must be undone first; params
    `batch_id`, `later`, `file`."""

    key = "undo_later_first"


class UnitsInUse(BatchRefused):
    """Undo of a units batch refused: units it added are still used by other active batches
    (`users`: (batch id, dataset) pairs)."""

    key = "undo_units_in_use"
    composed = True  # the units and batches are lists of messages

    def __init__(self, batch_id: int, units: list[str], users: list[tuple[int, str]] = (),
                 accounts: list[str] = ()):
        self.units, self.users, self.accounts = list(units), list(users), list(accounts)
        super().__init__(batch_id=batch_id)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        sep = t("commit.list_separator", lang)
        units = (self.units[0] if len(self.units) == 1 else
                 t("commit.units_and_more", lang, first=self.units[0], n=len(self.units)))
        batches = sep.join(t("commit.batch_of_dataset", lang, batch_id=b, dataset=t(f"common.dataset.{d}", lang))
                           for b, d in self.users)
        return t(self.message_key, lang, batch_id=self.params["batch_id"], units=units, batches=batches,
                 accounts=sep.join(self.accounts))


class UnitsBound(UnitsInUse):
    """Undo of a units batch refused: units it added are bound to accounts (`accounts`)."""

    key = "undo_units_bound"


@dataclass(frozen=True)
class DiffCounts:
    """Rows of an upload compared with the store by natural key; errors = file rows with errors."""

    new: int
    updated: int
    unchanged: int
    errors: int


@dataclass(frozen=True)
class BatchResult:
    """What a commit wrote: the batch number and its row counts."""

    batch_id: int
    dataset: str
    rows_total: int
    inserted: int
    updated: int
    unchanged: int


def _table_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $table AND NOT internal "
        "AND schema_name = 'main'", {"table": table}).fetchall()
    return dict(rows)


def _key_match(ds: Dataset, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{q(k)} = {right}.{q(k)}" for k in ds.key)


def _same_values(ds: Dataset, left: str, right: str) -> str:
    others = [c for c in ds.names if c not in ds.key]
    if not others:
        return "true"
    return " AND ".join(f"{left}.{q(c)} IS NOT DISTINCT FROM {right}.{q(c)}" for c in others)


def _columns(ds: Dataset, rows: pa.Table | pd.DataFrame) -> pa.Table | pd.DataFrame:
    return rows.select(ds.names) if isinstance(rows, pa.Table) else rows[ds.names]


def _incoming(con: duckdb.DuckDBPyConnection, ds: Dataset, rows: pa.Table | pd.DataFrame) -> str:
    """Register the incoming rows; returns a subquery of them cast to the table's types (read by
    DuckDB straight from the Arrow table or frame: nothing is copied into a staging table)."""
    types = _table_types(con, ds.name)
    con.register(_INCOMING, _columns(ds, rows))
    casts = ", ".join(f"CAST(i.{q(c)} AS {types[c]}) AS {q(c)}" for c in ds.names)
    return f"(SELECT {casts} FROM {_INCOMING} i)"


def _state(ds: Dataset) -> str:
    """new / unchanged / updated of an incoming row `s`, by its key in the stored table."""
    return (f"""CASE WHEN NOT EXISTS (SELECT 1 FROM {q(ds.name)} t WHERE {_key_match(ds, 't', 's')}) THEN 'new'
                     WHEN EXISTS (SELECT 1 FROM {q(ds.name)} t WHERE {_key_match(ds, 't', 's')}
                                  AND {_same_values(ds, 't', 's')}) THEN 'unchanged'
                     ELSE 'updated' END""")


def _state_counts(con: duckdb.DuckDBPyConnection, ds: Dataset, incoming: str) -> dict[str, int]:
    return dict(con.execute(f"SELECT {_state(ds)} AS state, count(*) FROM {incoming} s GROUP BY state").fetchall())


def _updated_keys(ds: Dataset, incoming: str) -> str:
    """A subquery of the keys of the incoming rows that change a stored row."""
    keys = ", ".join(f"s.{q(k)}" for k in ds.key)
    return f"(SELECT {keys} FROM {incoming} s WHERE {_state(ds)} = 'updated')"


def diff_counts(con: duckdb.DuckDBPyConnection, parsed: ParsedUpload) -> DiffCounts:
    """新增 / 更新 / 不变 / 错误 of `parsed` against the store, by the dataset's natural key.

    new: valid rows whose key is not stored; updated: key stored, some column differs;
    unchanged: key stored and every column equal (NULL equals NULL); errors: parsed.error_rows.
    """
    ds = get_dataset(parsed.dataset)
    cur = con.cursor()
    try:
        counts = _state_counts(cur, ds, _incoming(cur, ds, parsed.table))
    finally:
        cur.close()
    return DiffCounts(counts.get("new", 0), counts.get("updated", 0), counts.get("unchanged", 0),
                      parsed.error_rows)


def sheet_choice(parsed: ParsedUpload) -> str:
    """The worksheets the upload's rows came from, as stored in batches.sheets_loaded: a JSON list
    of names in file order ('[]' for a CSV). Loading the first sheet of a workbook and then all its
    sheets gives two different choices; choices that read the same rows are the same choice."""
    return json.dumps(parsed.sheets_loaded, ensure_ascii=False)


def find_same_file(con: duckdb.DuckDBPyConnection, dataset: str, sha256: str,
                   sheets: str | None = None) -> dict | None:
    """The latest active (not undone) batch of `dataset` made from a file with this sha256 and the
    same sheet choice (`sheet_choice`), or None. `sheets` None matches any choice, and so does a
    batch written before schema v7 (its choice was not recorded)."""
    df = con.execute(
        _SELECT_BATCHES + """ FROM batches
            WHERE dataset = $dataset AND sha256 = $sha256 AND undone_at IS NULL
              AND (CAST($sheets AS VARCHAR) IS NULL OR sheets_loaded IS NULL OR sheets_loaded = $sheets)
            ORDER BY batch_id DESC LIMIT 1""", {"dataset": dataset, "sha256": sha256, "sheets": sheets}).df()
    return None if df.empty else df.iloc[0].to_dict()


def find_same_upload(con: duckdb.DuckDBPyConnection, parsed: ParsedUpload) -> dict | None:
    """`find_same_file` for a parsed upload: same dataset, same file bytes, same sheet choice."""
    return find_same_file(con, parsed.dataset, parsed.sha256, sheet_choice(parsed))


def same_file_refusal(batch: dict) -> SameFile:
    """'此文件已于 … 作为批次 #N 上传' for a batch found by `find_same_file`."""
    return SameFile(batch_id=int(batch["batch_id"]),
                    when=pd.Timestamp(batch["created_at"]).strftime("%Y-%m-%d %H:%M"))


def _next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()[0])


def _save_overwritten(con: duckdb.DuckDBPyConnection, ds: Dataset, incoming: str, batch_id: int) -> None:
    cols = ", ".join(f"t.{q(c)}" for c in [*ds.names, "batch_id"])
    names = ", ".join(q(c) for c in [*ds.names, "batch_id", "undo_batch_id"])
    con.execute(
        f"""INSERT INTO {q(ds.name + '_undo')} ({names})
            SELECT {cols}, $batch_id FROM {q(ds.name)} t JOIN {_updated_keys(ds, incoming)} u
            ON {_key_match(ds, 't', 'u')}""", {"batch_id": batch_id})


def _delete_overwritten(con: duckdb.DuckDBPyConnection, ds: Dataset, incoming: str) -> None:
    con.execute(f"DELETE FROM {q(ds.name)} t USING {_updated_keys(ds, incoming)} u WHERE {_key_match(ds, 't', 'u')}")


def _insert_rows(con: duckdb.DuckDBPyConnection, ds: Dataset, incoming: str, batch_id: int,
                 unchanged: int) -> None:
    """Every incoming row but the `unchanged` ones: once the rows they overwrite are deleted, the
    unchanged rows are exactly those whose key is still stored (with none, every row goes in)."""
    names = ", ".join(q(c) for c in [*ds.names, "batch_id"])
    keep = f"WHERE NOT EXISTS (SELECT 1 FROM {q(ds.name)} t WHERE {_key_match(ds, 't', 's')})" if unchanged else ""
    con.execute(f"INSERT INTO {q(ds.name)} ({names}) SELECT s.*, $batch_id FROM {incoming} s {keep}",
                {"batch_id": batch_id})


def _insert_snapshots(con: duckdb.DuckDBPyConnection, incoming: str, batch_id: int, as_of: dt.date) -> None:
    con.execute(
        f"""INSERT INTO problem_snapshots (problem_id, status, due_date, as_of, batch_id)
            SELECT problem_id, status, due_date, $as_of, $batch_id FROM {incoming} s""",
        {"as_of": as_of, "batch_id": batch_id})


def _insert_batch(con: duckdb.DuckDBPyConnection, result: BatchResult, file_name: str, sha256: str,
                  user: str, kind: str, as_of: dt.date, sheets: str | None) -> None:
    insert_batch(con, batch_id=result.batch_id, dataset=result.dataset, file_name=file_name, sha256=sha256,
                 rows_total=result.rows_total, rows_inserted=result.inserted, rows_updated=result.updated,
                 rows_unchanged=result.unchanged, user_name=user, kind=kind, as_of=as_of,
                 created_at=dt.datetime.now().replace(microsecond=0), sheets_loaded=sheets)


@contextmanager
def _unregistering_incoming(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Drops the registered incoming rows when the block ends, however it ends."""
    try:
        yield
    finally:
        con.unregister(_INCOMING)


def _write_batch(con: duckdb.DuckDBPyConnection, ds: Dataset, rows: pa.Table | pd.DataFrame, file_name: str,
                 sha256: str, user: str, as_of: dt.date, kind: str, expected_version: int | None = None,
                 sheets: str | None = None, refuse_same_file: bool = False) -> BatchResult:
    """Write `rows` as one new batch under `store.transaction` (see the module docstring).
    `refuse_same_file`: refuse with SameFile when the same file and sheet choice is
    already an active batch of the dataset — checked inside the transaction, so two identical
    uploads at once cannot both pass."""
    # A preview of the rows was computed from the dataset's stored rows and the unit tree (codes
    # resolved, scope checked): only a write to one of those makes it stale.
    depends_on = {ds.name, UNITS.name}
    with _unregistering_incoming(con), store.transaction(con, expected_version, depends_on):
        if refuse_same_file:
            same = find_same_file(con, ds.name, sha256, sheets)
            if same is not None:
                raise same_file_refusal(same)
        batch_id = _next_batch_id(con)
        incoming = _incoming(con, ds, rows)
        counts = _state_counts(con, ds, incoming)
        result = BatchResult(batch_id, ds.name, len(rows), counts.get("new", 0),
                             counts.get("updated", 0), counts.get("unchanged", 0))
        if result.updated:  # else there is nothing to save or delete
            _save_overwritten(con, ds, incoming, batch_id)
            _delete_overwritten(con, ds, incoming)
        _insert_rows(con, ds, incoming, batch_id, result.unchanged)
        if ds.name == PROBLEMS.name:
            _insert_snapshots(con, incoming, batch_id, as_of)
        _insert_batch(con, result, file_name, sha256, user, kind, as_of, sheets)
        store.bump_data_version(con, [ds.name])
    return result


def commit_upload(con: duckdb.DuckDBPyConnection, parsed: ParsedUpload, user: str,
                  as_of: dt.date | None = None, kind: str = "upload", force: bool = False,
                  expected_version: int | None = None) -> BatchResult:
    """Write `parsed` as one new batch and return its number and counts.

    Refuses with UploadRefused when the file has any error, and with SameFile
    when the same file (sha256) with the same sheet choice is already an active batch of this
    dataset, unless `force`. With `expected_version` (the data version the user's preview was
    computed against), refuses with store.StaleWrite when the dataset or the unit tree
    has been written since.
    For problems, every problem in the file gets a status snapshot dated `as_of` (default today).
    """
    if parsed.errors:
        raise UploadRefused(parsed.errors)
    return _write_batch(con, get_dataset(parsed.dataset), parsed.table, parsed.file_name,
                        parsed.sha256, user, as_of or dt.date.today(), kind, expected_version,
                        sheet_choice(parsed), refuse_same_file=not force and kind == "upload")


_KIND_DTYPES = {"text": "string", "enum": "string", "code": "string", "period": "string",
                "int": "Int64", "year": "Int64", "number": "Float64", "money": "Float64",
                "pct": "Float64", "score": "Float64", "date": "datetime64[s]", "bool": "boolean"}


def canonical_frame(dataset: str, rows: list[dict]) -> pd.DataFrame:
    """`rows` (dicts by English column name; missing keys are empty) as a frame in the canonical
    dtypes of ParsedUpload.frame — what `commit_frame` expects from an editor."""
    ds = get_dataset(dataset)
    frame = pd.DataFrame({c.name: [r.get(c.name) for r in rows] for c in ds.columns})
    for c in ds.columns:
        dtype = _KIND_DTYPES[c.kind]
        frame[c.name] = (pd.to_datetime(frame[c.name]).astype(dtype) if c.kind == "date"
                         else frame[c.name].astype(dtype))
    return frame


def frame_sha256(frame: pd.DataFrame) -> str:
    """A content hash of a frame, standing in for a file's sha256 when rows come from the UI."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def commit_frame(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame, file_name: str,
                 user: str, as_of: dt.date | None = None, kind: str = "edit",
                 expected_version: int | None = None) -> BatchResult:
    """Write rows edited in the UI (columns `Dataset.names`, canonical dtypes) as one batch.

    Same path as an upload, so an edit is listed in the history and can be undone. With
    `expected_version` (the data version the edit form was drawn from), refused with
    store.StaleWrite when the dataset or the unit tree has been written since.
    """
    ds = get_dataset(dataset)
    return _write_batch(con, ds, frame, file_name, frame_sha256(frame[ds.names]), user,
                        as_of or dt.date.today(), kind, expected_version)


def _batch_row(con: duckdb.DuckDBPyConnection, batch_id: int) -> dict:
    df = con.execute(_SELECT_BATCHES + " FROM batches WHERE batch_id = $batch_id", {"batch_id": batch_id}).df()
    if df.empty:
        raise UnknownBatch(batch_id=batch_id)
    return df.iloc[0].to_dict()


def _check_undoable(con: duckdb.DuckDBPyConnection, batch: dict) -> None:
    batch_id = int(batch["batch_id"])
    if not pd.isna(batch["undone_at"]):
        raise AlreadyUndone(batch_id=batch_id,
                            when=pd.Timestamp(batch["undone_at"]).strftime("%Y-%m-%d %H:%M"))
    if batch["kind"] == DEMO_KIND:
        raise DemoBatch(batch_id=batch_id)
    later = con.execute(
        """SELECT batch_id, file_name FROM batches
           WHERE dataset = $dataset AND batch_id > $batch_id AND undone_at IS NULL ORDER BY batch_id DESC LIMIT 1""",
        {"dataset": batch["dataset"], "batch_id": batch_id}).fetchone()
    if later is not None:
        raise UndoLaterFirst(batch_id=batch_id, later=int(later[0]), file=later[1] or "")
    if batch["dataset"] == UNITS.name:
        _check_units_unused(con, batch_id)


# The units a units batch added (its rows that its undo does not restore from units_undo).
_UNITS_ADDED = """SELECT unit_code FROM units WHERE batch_id = $batch_id
                  EXCEPT SELECT unit_code FROM units_undo WHERE undo_batch_id = $batch_id"""


def _unit_references_sql() -> str:
    """(batch_id, unit_code) of every reference to a unit: each dataset's unit code (a unit's parent
    code for units), in its table and in its undo table — a row an active batch would restore on
    its own undo (e.g. a problem moved to another unit) counts as that batch's."""
    parts = []
    for ds in DATASETS.values():
        column = q("parent_code" if ds.name == UNITS.name else "unit_code")
        parts.append(f"SELECT batch_id, {column} AS unit_code FROM {q(ds.name)}")
        parts.append(f"SELECT undo_batch_id AS batch_id, {column} AS unit_code FROM {q(ds.name + '_undo')}")
    return "\n UNION ALL ".join(parts)


_UNIT_USERS = ("WITH added AS (" + _UNITS_ADDED + "), refs AS (" + _unit_references_sql() + """)
    SELECT b.batch_id, b.dataset, r.unit_code
    FROM refs r JOIN added a ON r.unit_code = a.unit_code JOIN batches b ON b.batch_id = r.batch_id
    WHERE b.undone_at IS NULL AND b.batch_id <> $batch_id""")
_UNIT_USERS_BY_BATCH = ("SELECT batch_id, dataset, list(DISTINCT unit_code ORDER BY unit_code) FROM ("
                        + _UNIT_USERS + ") GROUP BY batch_id, dataset ORDER BY batch_id")
_ACCOUNTS_BOUND_TO_ADDED = ("SELECT username, unit_code FROM accounts WHERE unit_code IN (" + _UNITS_ADDED
                            + ") ORDER BY username")


def _check_units_unused(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Refuse (UnitsInUse) to undo units batch `batch_id` while a unit it added is still used by a
    row of another active batch or bound to an account: the undo would leave rows the importer
    refuses (a meeting of a unit that does not exist). Rows written outside any batch are not
    counted."""
    users = con.execute(_UNIT_USERS_BY_BATCH, {"batch_id": batch_id}).fetchall()
    if users:
        units = sorted({code for _, _, codes in users for code in codes})
        raise UnitsInUse(batch_id, units, users=[(int(b), d) for b, d, _ in users])
    bound = con.execute(_ACCOUNTS_BOUND_TO_ADDED, {"batch_id": batch_id}).fetchall()
    if bound:
        raise UnitsBound(batch_id, sorted({code for _, code in bound}), accounts=[name for name, _ in bound])


def undo_batch(con: duckdb.DuckDBPyConnection, batch_id: int, user: str, expected_version: int | None = None) -> None:
    """Take back batch `batch_id`: rows it wrote removed, rows it overwrote restored (with their old
    batch), its problem snapshots removed, the batch marked undone. One transaction.

    Only the latest active batch of a dataset can be undone; demo batches are cleared, not undone;
    a units batch whose added units are still used is refused (UnitsInUse, naming the batches to
    undo first). With `expected_version` (the data version the confirmation was computed
    against), refused with store.StaleWrite when the batch's dataset has been written since.
    """
    dataset = _batch_row(con, batch_id)["dataset"]  # a batch's dataset never changes
    # The confirmation shows the batch and its dataset's history: only a write to it makes it stale.
    with store.transaction(con, expected_version, [dataset]):
        batch = _batch_row(con, batch_id)
        _check_undoable(con, batch)
        ds = get_dataset(batch["dataset"])
        names = [*ds.names, "batch_id"]
        undo_table = ds.name + "_undo"
        con.execute(with_identifiers("DELETE FROM {table} WHERE batch_id = $batch_id", table=ds.name),
                    {"batch_id": batch_id})
        con.execute(with_identifiers("INSERT INTO {table} ({names}) SELECT {names} FROM {undo} "
                                     "WHERE undo_batch_id = $batch_id", table=ds.name, names=names, undo=undo_table),
                    {"batch_id": batch_id})
        con.execute(with_identifiers("DELETE FROM {undo} WHERE undo_batch_id = $batch_id", undo=undo_table),
                    {"batch_id": batch_id})
        con.execute("DELETE FROM problem_snapshots WHERE batch_id = $batch_id", {"batch_id": batch_id})
        con.execute("UPDATE batches SET undone_at = $undone_at, undone_by = $user WHERE batch_id = $batch_id",
                    {"undone_at": dt.datetime.now().replace(microsecond=0), "user": user, "batch_id": batch_id})
        store.bump_data_version(con, [ds.name])


def list_batches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every batch, newest first, with `undoable`: active, not demo, and the latest active of its dataset."""
    return con.execute(
        _SELECT_BATCHES + """,
                   undone_at IS NULL AND coalesce(kind, 'upload') <> $demo_kind AND batch_id = max(batch_id)
                       FILTER (WHERE undone_at IS NULL) OVER (PARTITION BY dataset) AS undoable
            FROM batches ORDER BY batch_id DESC""", {"demo_kind": DEMO_KIND}).df()
