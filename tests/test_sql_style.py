"""One way to write SQL (issue 13 item 3): every value bound by name, statement text fixed, the SQL
helpers of kpi.store.sql with exact values.

The style checks read kpi/ with `ast`: a statement handed to `execute` / `executemany` / `sql` is
never built with `.format` or `%`, no SQL text anywhere in kpi/ holds a positional `?`, and outside
the modules listed in COMPOSED the statement is not an f-string either (constant text, names of
module constants, their concatenation, or `with_identifiers` for a name this project defines).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from kpi import store
from kpi.store.sql import (
    IN_SUBTREE,
    SNAPSHOT_KEY,
    SNAPSHOT_ORDER,
    SNAPSHOT_ORDER_NEWEST_FIRST,
    contains,
    in_subtree,
    insert_batch,
    like_contains,
    with_identifiers,
)

KPI = Path(__file__).resolve().parents[1] / "kpi"
STATEMENT_CALLS = {"execute", "executemany", "sql"}
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES)\b")
# A `?` placeholder: after an operator, a comma or an opening bracket, or before a closing one.
POSITIONAL = re.compile(r"(?:[=(,<>]|\bIN|\bAS|\bLIMIT|\bAND|\bOR)\s*\?|\?\s*(?:[),]|AS\b)")

# Modules whose statements are still composed per call as f-strings (the text's shape follows the
# dataset spec or the rules): commit.py and the demo loaders splice quoted identifiers and per-dataset
# key/column lists; the metrics listed splice filter, window and bucket fragments chosen in code.
# Every value in them is bound by name (checked below for every module); a module leaves this list
# once its statements are module constants.
COMPOSED = {
    "importing/commit.py", "demo/__init__.py", "demo/sizes.py", "demo/generate.py",
}


def _sources() -> dict[str, ast.Module]:
    return {p.relative_to(KPI).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(KPI.rglob("*.py")) if "__pycache__" not in p.parts}


def _statement_args(tree: ast.Module) -> list[ast.expr]:
    """The first argument of every execute / executemany / sql call."""
    return [n.args[0] for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in STATEMENT_CALLS
            and n.args]


def _assigned(tree: ast.Module) -> dict[str, list[ast.expr]]:
    out: dict[str, list[ast.expr]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign):
            for target in n.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(n.value)
    return out


def _built_badly(node: ast.expr, allow_fstring: bool) -> str | None:
    """Why the statement expression `node` is not fixed text with bound values, or None."""
    if isinstance(node, ast.JoinedStr) and not allow_fstring:
        return "an f-string"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return ".format"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.BinOp):
        return _built_badly(node.left, allow_fstring) or _built_badly(node.right, allow_fstring)
    return None


def statement_violations(sources: dict[str, ast.Module]) -> list[str]:
    """file:line: reason, for every statement built with an f-string (outside COMPOSED), `.format`
    or `%`, directly at the call or in the constant the call names."""
    found = []
    for path, tree in sources.items():
        assigned = _assigned(tree)
        for arg in _statement_args(tree):
            candidates = [arg, *assigned.get(arg.id, [])] if isinstance(arg, ast.Name) else [arg]
            for node in candidates:
                why = _built_badly(node, allow_fstring=path in COMPOSED)
                if why:
                    found.append(f"{path}:{arg.lineno}: {why}")
                    break
    return found


def positional_placeholders(sources: dict[str, ast.Module]) -> list[str]:
    """file:line of every piece of SQL text in kpi/ (a string constant or an f-string's literal
    part holding an SQL keyword) with a positional `?`."""
    found = []
    for path, tree in sources.items():
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL_WORDS.search(n.value) \
                    and POSITIONAL.search(n.value):
                found.append(f"{path}:{n.lineno}")
    return found


def test_no_statement_in_kpi_is_built_with_format_percent_or_an_unlisted_f_string():
    assert statement_violations(_sources()) == []


def test_no_sql_text_in_kpi_holds_a_positional_placeholder():
    assert positional_placeholders(_sources()) == []


def test_every_composed_module_still_exists():
    assert COMPOSED <= set(_sources())


def test_the_style_checks_see_each_kind_of_violation():
    sample = ast.parse('''
A = f"SELECT {x} FROM t"
B = "SELECT a FROM t WHERE b = ?"
con.execute(f"SELECT {x} FROM t WHERE a = $a", {"a": 1})
con.execute("SELECT {} FROM t".format(x))
con.execute("SELECT %s FROM t" % x)
con.execute(A)
con.execute("SELECT a FROM t WHERE b = ? AND c IN (?, ?)", [1, 2, 3])
con.sql("SELECT 1 LIMIT ?")
con.execute("SELECT a FROM t WHERE b = $b", {"b": 1})
con.execute("SELECT a FROM t WHERE " + IN_SUBTREE, {"root": None})
''')
    assert statement_violations({"x.py": sample}) == [
        "x.py:4: an f-string", "x.py:5: .format", "x.py:6: % formatting", "x.py:7: an f-string"]
    assert positional_placeholders({"x.py": sample}) == ["x.py:3", "x.py:8", "x.py:9"]
    assert statement_violations({"importing/commit.py": sample}) == [
        "importing/commit.py:5: .format", "importing/commit.py:6: % formatting"]


# --- the helpers, with exact values -------------------------------------------------------------

def test_like_contains_escapes_percent_underscore_and_backslash():
    assert like_contains("50%_a\\b") == "%50\\%\\_a\\\\b%"
    assert like_contains("") == "%%"
    assert contains("u.unit_name") == "u.unit_name ILIKE $pattern ESCAPE '\\'"
    assert contains("description", "text") == "description ILIKE $text ESCAPE '\\'"


@pytest.mark.parametrize(("text", "expected"), [
    ("50%", ["50% 完成"]),
    ("_", ["a_b"]),
    ("\\", ["c\\d"]),
    ("%", ["50% 完成"]),
    ("A_B", ["a_b"]),  # ILIKE: case-insensitive, _ still literal
])
def test_like_contains_matches_the_text_literally_in_duckdb(text, expected):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (s VARCHAR)")
    con.execute("INSERT INTO t SELECT unnest($rows)", {"rows": ["50% 完成", "500 完成", "a_b", "axb", "c\\d", "cd"]})
    rows = con.execute("SELECT s FROM t WHERE " + contains("s") + " ORDER BY s",
                       {"pattern": like_contains(text)}).fetchall()
    assert [r[0] for r in rows] == expected


def test_in_subtree_text():
    assert IN_SUBTREE == ("(CAST($root AS VARCHAR) IS NULL OR unit_code IN "
                          "(SELECT unit_code FROM unit_paths WHERE ancestor_code = CAST($root AS VARCHAR)))")
    assert in_subtree("u.unit_code").startswith("(CAST($root AS VARCHAR) IS NULL OR u.unit_code IN ")


@pytest.fixture
def tree(tmp_path):
    """A store holding G ─ S1 ─ B1, G ─ S2 (unit_paths kept by the store)."""
    s = store.open_store(str(tmp_path / "t.duckdb"))
    con = s.cursor()
    with store.transaction(con):
        con.execute("""INSERT INTO units (unit_code, unit_name, parent_code, level, org_type) VALUES
                       ('G', '集团', NULL, 1, '党委'), ('S1', '一', 'G', 2, '党委'),
                       ('B1', '支部', 'S1', 4, '党支部'), ('S2', '二', 'G', 2, '党委')""")
        store.bump_data_version(con)
    yield con
    s.close()


def test_in_subtree_keeps_the_subtree_of_root_and_everything_for_null(tree):
    sql = "SELECT unit_code FROM units WHERE " + IN_SUBTREE + " ORDER BY unit_code"
    assert [r[0] for r in tree.execute(sql, {"root": None}).fetchall()] == ["B1", "G", "S1", "S2"]
    assert [r[0] for r in tree.execute(sql, {"root": "S1"}).fetchall()] == ["B1", "S1"]
    assert [r[0] for r in tree.execute(sql, {"root": "B1"}).fetchall()] == ["B1"]
    assert tree.execute(sql, {"root": "nowhere"}).fetchall() == []


def test_in_subtree_with_no_root_reads_no_unit_paths(tree):
    """The fast path: with $root NULL the plan holds no scan of unit_paths at all."""
    sql = "EXPLAIN SELECT count(*) FROM units WHERE " + IN_SUBTREE
    without = "\n".join(r[1] for r in tree.execute(sql, {"root": None}).fetchall())
    with_root = "\n".join(r[1] for r in tree.execute(sql, {"root": "S1"}).fetchall())
    assert "unit_paths" in with_root
    assert "unit_paths" not in without


def test_snapshot_order_and_key_agree(tree):
    tree.execute("""CREATE TEMP TABLE s AS SELECT * FROM (VALUES
        (DATE '2026-01-05', 7), (DATE '2026-01-05', NULL), (DATE '2026-01-04', 9), (DATE '2026-01-05', 2))
        t(as_of, batch_id)""")
    ordered = tree.execute("SELECT as_of, batch_id FROM s ORDER BY " + SNAPSHOT_ORDER).fetchall()
    by_key = tree.execute("SELECT as_of, batch_id FROM s ORDER BY " + SNAPSHOT_KEY).fetchall()
    newest = tree.execute("SELECT as_of, batch_id FROM s ORDER BY " + SNAPSHOT_ORDER_NEWEST_FIRST).fetchall()
    assert [b for _, b in ordered] == [9, None, 2, 7]
    assert by_key == ordered
    assert newest == ordered[::-1]


def test_insert_batch_writes_one_active_batch(tree):
    import datetime as dt  # noqa: PLC0415

    insert_batch(tree, batch_id=5, dataset="meetings", file_name="m.csv", sha256="ab", rows_total=3,
                 rows_inserted=2, rows_updated=1, rows_unchanged=0, user_name="u", kind="upload",
                 as_of=dt.date(2026, 1, 5), created_at=dt.datetime(2026, 1, 5, 9, 30), sheets_loaded="Sheet1")
    assert tree.execute("""SELECT batch_id, dataset, file_name, sha256, rows_total, rows_inserted, rows_updated,
                                  rows_unchanged, user_name, created_at, kind, undone_at, as_of, sheets_loaded
                           FROM batches""").fetchall() == [
        (5, "meetings", "m.csv", "ab", 3, 2, 1, 0, "u", dt.datetime(2026, 1, 5, 9, 30), "upload", None,
         dt.date(2026, 1, 5), "Sheet1")]


def test_with_identifiers_quotes_names_and_lists():
    assert with_identifiers("SELECT {cols} FROM {table}", cols=["a", 'b"c'], table="t x") == \
        'SELECT "a", "b""c" FROM "t x"'


def test_transactions_are_written_only_in_the_store_helper():
    """BEGIN / COMMIT / ROLLBACK appear in statements only in kpi/store/transactions.py."""
    pattern = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
    found = []
    for path, tree in _sources().items():
        for arg in _statement_args(tree):
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and pattern.match(arg.value):
                found.append(path)
    assert sorted(set(found)) == ["store/transactions.py"]
