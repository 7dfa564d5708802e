"""The benchmark sizes of the generated group, written into a store, and the CSV export the
benchmark imports: S = 300 branches (a city group), M = 5,000 (a large central SOE), L = 100,000
(a provincial SASAC).

The rows come from the demo's generator (`generate.group_tables`, sizes in
`generate.BENCHMARK_SIZES`): three years of all seven datasets at realistic rates — the rules'
required meetings plus 2–4 talks per branch and year, 2–4 problems per branch and year with
weekly status snapshots over the last 26 weeks, about one supervision activity per branch and
year, one annual row per secondary and tertiary unit and year, one rating per branch and year,
monthly indicators per secondary unit. The meetings (~13 M rows at L) and the snapshots are drawn
and written chunk by chunk, so they never sit in memory whole.
"""
from __future__ import annotations

import datetime as dt
import functools

import duckdb

from kpi import store
from kpi.datasets import DATASETS
from kpi.demo.generate import BENCHMARK_SIZES, group_tables, insert_batch_row, write_tables
from kpi.rules import Rules, load_rules

SIZES = {name: size.branches for name, size in BENCHMARK_SIZES.items()}
SIZED_SEED = 20241101
SIZED_FILE_NAME = "规模测试数据"
SIZED_USER = "bench"
SIZED_KIND = "upload"  # not demo data: the app treats it as uploaded


def load_sized(con: duckdb.DuckDBPyConnection, size: str, as_of: dt.date, seed: int = SIZED_SEED,
               rules: Rules | None = None) -> dict[str, int]:
    """Write the group of `size` (a key of SIZES) for `as_of` into the empty store behind `con`, one
    batch per dataset, and return the row count of every dataset and of 'problem_snapshots'.
    Not marked as demo data; sets demo_cleared so the app never adds the demo on top."""
    rules = rules or load_rules()
    if not store.is_empty(con):
        raise ValueError("load_sized writes into an empty store only")
    tables = group_tables(BENCHMARK_SIZES[size], as_of, seed, rules)
    add_batch = functools.partial(_add_batch, as_of=as_of)
    counts = write_tables(con, tables, add_batch)
    store.set_meta(con, "demo_cleared", "1")
    store.bump_data_version(con)
    return counts


def _add_batch(con: duckdb.DuckDBPyConnection, batch_id: int, dataset: str, rows: int, as_of: dt.date) -> None:
    insert_batch_row(con, batch_id, dataset, rows, as_of, SIZED_KIND, SIZED_USER, SIZED_FILE_NAME)


def export_csv(con: duckdb.DuckDBPyConnection, dataset: str, path: str) -> None:
    """Write the stored rows of `dataset` as a UTF-8 CSV with the template's Chinese headers, in the
    dataset's column order (dates ISO, booleans true/false), as an analyst's upload would look."""
    columns = DATASETS[dataset].columns
    select = ", ".join(f"{store.quote_identifier(c.name)} AS {store.quote_identifier(c.header)}" for c in columns)
    con.execute(f"COPY (SELECT {select} FROM {store.quote_identifier(dataset)}) TO '{_sql_path(path)}' "
                "(HEADER, DELIMITER ',')")


def _sql_path(path: str) -> str:
    # COPY takes no bound parameter for its target; the path is ours (a temp dir), quotes doubled anyway.
    return str(path).replace("'", "''")
